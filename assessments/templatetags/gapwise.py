from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

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
    lists every gap of the profile, and this is ten times quicker than template tags."""
    line = gap.line
    own, target = self_level(line, names), level_name(line.target, names)
    if gap.resources:
        resources = format_html(
            '<ul class="resources">{}</ul>',
            format_html_join(
                "",
                '<li>{} <span class="muted">({})</span></li>',
                ((_link(r.url, r.title), r.kind) for r in gap.resources),
            ),
        )
    else:
        resources = NO_RESOURCE
    return format_html(
        '<li class="gap {relation}">'
        '<h3>{title} <span class="badge {relation}">{relation_label}</span></h3>'
        "<p>Self {own}, target {target}: closing it adds <strong>{gain} point{s}</strong>"
        " of readiness.</p>{resources}"
        '<details class="arithmetic">'
        '<summary>How this is worked out<span class="visually-hidden">: {title}</span></summary>'
        "<p>Target {target} − self {own} = gap <strong>{gap}</strong>; weight {weight} × gap"
        " {gap} = <strong>{weighted}</strong>, of the profile's Σ weight × target.</p>"
        "</details></li>",
        relation=line.relation,
        title=line.title,
        relation_label=capfirst(line.relation),
        own=own,
        target=target,
        gain=gap.gain,
        s="" if gap.gain == 1 else "s",
        resources=resources,
        gap=line.gap,
        weight=floatformat(line.weight, "-2"),
        weighted=floatformat(line.weighted_gap, "-2"),
    )


def _link(url: str, title: str) -> SafeString:
    href = http_url(url)
    if href:
        return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', href, title)
    return conditional_escape(title)


@register.simple_tag
def rating_fieldset(item: rating_page.Item, rate_url: str, level_key: SafeString) -> SafeString:
    return rating_page.fieldset(item, rate_url=rate_url, level_key=level_key)


@register.simple_tag
def rating_mark(item: rating_page.Item, rate_url: str) -> SafeString:
    """The mark of an autosave's answer: swapped in place (out of band)."""
    return rating_page.mark(item, rate_url=rate_url, oob=True)
