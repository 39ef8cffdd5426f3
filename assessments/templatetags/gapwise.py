from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from html import escape

from django import template
from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from assessments import charts, rating_page
from assessments.models import Rating, RatingState, rating_state
from assessments.reports import Gap
from assessments.scoring import Line, Summary
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
def gap_items(gaps: tuple[Gap, ...], names: dict[int, str]) -> SafeString:
    """The <li> of each gap of one of the report's lists, built here rather than in the
    template: a report lists every gap of the profile, and this is ten times quicker than
    template tags. Every value is escaped (html.escape, as Django's escape does) before it
    goes in."""
    language = get_language()
    return mark_safe("".join(_gap_item(gap, names, language) for gap in gaps))


def _gap_item(gap: Gap, names: dict[int, str], language: str | None) -> str:
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
    weight, weighted = _number(line.weight, language), _number(line.weighted_gap, language)
    return (
        f'<li class="gap {relation}">'
        f'<h3>{title} <span class="badge {relation}">{relation.capitalize()}</span></h3>'
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
    """The report's strengths, one <li> each: built here for the reason gap_items is."""
    return mark_safe(
        "".join(
            f"<li>{escape(line.title)}: self {escape(self_level(line, names))},"
            f" target {escape(level_name(line.target, names))}</li>"
            for line in lines
        )
    )


@register.simple_tag
def bar_chart(chart: charts.Chart) -> SafeString:
    """The report's chart as SVG, built here for the reason gap_items is. Coordinates are
    written as Python writes numbers, never the way a language does."""
    described = "".join(
        f"{escape(row.label)}: target {row.target}, self {row.level}. " for row in chart.rows
    )
    ticks = "".join(
        f'<line x1="{x}" x2="{x}" y1="14" y2="{chart.height}" class="tick"/>'
        f'<text x="{x}" y="11" class="tick-label" text-anchor="middle">{value}</text>'
        for value, x in chart.ticks
    )
    bars = "".join(
        f'<text x="{chart.label_x}" y="{row.label_y}" text-anchor="end" class="row-label">'
        f"{escape(row.label)}</text>"
        f'<rect x="{chart.label_width}" y="{row.y}" width="{row.target_width}"'
        f' height="{chart.bar_height}" class="bar-target"/>'
        f'<text x="{chart.value_x}" y="{row.text_y}" class="value">target {row.target}</text>'
        f'<rect x="{chart.label_width}" y="{row.level_y}" width="{row.level_width}"'
        f' height="{chart.bar_height}" class="bar-self"/>'
        f'<text x="{chart.value_x}" y="{row.level_text_y}" class="value">self {row.level}</text>'
        for row in chart.rows
    )
    return mark_safe(
        f'<svg viewBox="0 0 {chart.width} {chart.height}" role="img"'
        ' aria-labelledby="chart-title chart-desc" class="bar-chart">'
        '<title id="chart-title">Mean target and mean self level per competence group</title>'
        f'<desc id="chart-desc">{described}</desc>'
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/>'
        f"</pattern></defs>{ticks}{bars}</svg>"
    )


@register.simple_tag
def summary_rows(rows: tuple[Summary, ...], *, means: bool = False) -> SafeString:
    """The <tr> of each group of a report's figure tables: competences, met, then the mean
    target and self levels (`means`) or the total gap, then readiness. Built here for the
    reason gap_items is."""
    language = get_language()

    def cells(row: Summary) -> str:
        middle = (
            f'<td class="num" data-label="Mean target">{_mean(row.mean_target, language)}</td>'
            f'<td class="num" data-label="Mean self">{_mean(row.mean_level, language)}</td>'
            if means
            else f'<td class="num" data-label="Total gap">{row.gap}</td>'
        )
        readiness = "—" if row.readiness is None else f"{row.readiness}%"
        return (
            f'<tr><th scope="row">{escape(row.name)}</th>'
            f'<td class="num" data-label="Competences">{row.total}</td>'
            f'<td class="num" data-label="Met">{row.met}</td>{middle}'
            f'<td class="num" data-label="Readiness">{readiness}</td></tr>'
        )

    return mark_safe("".join(cells(row) for row in rows))


@lru_cache(maxsize=512)
def _mean(value: Fraction, language: str | None) -> str:
    """A mean level as floatformat:1 writes it in the language."""
    return floatformat(value, 1)


@lru_cache(maxsize=512)
def _number(value: Decimal, language: str | None) -> str:
    """A weight as floatformat:"-2" writes it in the language; a report repeats the same
    few weights."""
    return floatformat(value, "-2")


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
