from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def level_name(value: int | None, names: dict[int, str]) -> str:
    """A level as "2 Practitioner"; None ("Don't know" or not rated) as "Unknown (0)"."""
    if value is None:
        return "Unknown (0)"
    name = names.get(value)
    return f"{value} {name}" if name else str(value)


@register.filter
def signed(value: int | Decimal | None) -> str:
    """A change or difference with its sign: +2, −1, ±0; a Decimal with two places."""
    if value is None:
        return "—"
    text = f"{abs(value):.2f}" if isinstance(value, Decimal) else str(abs(value))
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else f"±{text}"
