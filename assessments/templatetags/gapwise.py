from __future__ import annotations

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
def signed(value: int | None) -> str:
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else f"−{-value}" if value < 0 else "±0"
