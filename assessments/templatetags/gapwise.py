from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from html import escape

from django import template
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language

from assessments import rating_page
from assessments.models import Rating, RatingState, rating_state
from assessments.reports import Gap
from assessments.scoring import Line
from taxonomy.templatetags.links import http_url

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


NO_RESOURCE = mark_safe(
    '<p class="hint">No learning resource listed for it yet: ask your manager.</p>'
)


@register.simple_tag
def gap_item(gap: Gap, names: dict[int, str]) -> SafeString:
    """One gap of the report's lists, built here rather than in the template: a report
    lists every gap of the profile, and this is ten times quicker than template tags.
    Every value is escaped (html.escape, as Django's escape does) before it goes in."""
    line = gap.line
    own, target = escape(self_level(line, names)), escape(level_name(line.target, names))
    title, relation = escape(line.title), escape(line.relation)
    if gap.resources:
        items = "".join(
            f'<li>{_link(r.url, r.title)} <span class="muted">({escape(r.kind)})</span></li>'
            for r in gap.resources
        )
        resources = f'<ul class="resources">{items}</ul>'
    else:
        resources = NO_RESOURCE
    weight, weighted = _number(line.weight), _number(line.weighted_gap)
    return mark_safe(
        f'<li class="gap {relation}">'
        f'<h3>{title} <span class="badge {relation}">{capfirst(relation)}</span></h3>'
        f"<p>Self {own}, target {target}: closing it adds <strong>{gap.gain}"
        f" point{'' if gap.gain == 1 else 's'}</strong> of readiness.</p>{resources}"
        '<details class="arithmetic">'
        f'<summary>How this is worked out<span class="visually-hidden">: {title}</span></summary>'
        f"<p>Target {target} − self {own} = gap <strong>{line.gap}</strong>; weight {weight}"
        f" × gap {line.gap} = <strong>{weighted}</strong>, of the profile's Σ weight × target.</p>"
        "</details></li>"
    )


@register.simple_tag
def strength_items(lines: list[Line], names: dict[int, str]) -> SafeString:
    """The report's strengths, one <li> each: built here for the reason gap_item is."""
    return mark_safe(
        "".join(
            f"<li>{escape(line.title)}: self {escape(self_level(line, names))},"
            f" target {escape(level_name(line.target, names))}</li>"
            for line in lines
        )
    )


@lru_cache(maxsize=512)
def _cached_number(value: Decimal, language: str | None) -> str:
    return floatformat(value, "-2")


def _number(value: Decimal) -> str:
    """A weight as floatformat:"-2" writes it; a report repeats the same few weights."""
    return _cached_number(value, get_language())


def _link(url: str, title: str) -> str:
    href = http_url(url)
    if href:
        return f'<a href="{escape(href)}" rel="noopener noreferrer">{escape(title)}</a>'
    return escape(title)


@register.simple_tag
def rating_fieldset(item: rating_page.Item, rate_url: str, level_key: SafeString) -> SafeString:
    return rating_page.fieldset(item, rate_url=rate_url, level_key=level_key)


@register.simple_tag
def rating_mark(item: rating_page.Item, rate_url: str) -> SafeString:
    """The mark of an autosave's answer: swapped in place (out of band)."""
    return rating_page.mark(item, rate_url=rate_url, oob=True)
