from __future__ import annotations

from decimal import Decimal

from django import template

from assessments.models import Rating, RatingState, rating_state
from assessments.scoring import Line

register = template.Library()


@register.filter
def level_name(value: int | None, names: dict[int, str]) -> str:
    """A level as "2 Practitioner"; None, a level nobody gave, as "Not rated (0)"."""
    if value is None:
        return f"{RatingState.UNRATED.label} (0)"
    name = names.get(value)
    return f"{value} {name}" if name else str(value)


@register.filter
def self_level(line: Line | Rating, names: dict[int, str]) -> str:
    """What the person answered: "2 Practitioner", "Don't know (0)" or "Not rated (0)"."""
    state = rating_state(line.answered, line.level)
    if state == RatingState.RATED:
        return level_name(line.level, names)
    return f"{state.label} (0)"


@register.filter
def signed(value: int | Decimal | None) -> str:
    """A change or difference with its sign: +2, −1, ±0; a Decimal with two places."""
    if value is None:
        return "—"
    text = f"{abs(value):.2f}" if isinstance(value, Decimal) else str(abs(value))
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else f"±{text}"
