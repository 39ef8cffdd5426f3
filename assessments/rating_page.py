"""What the rating page shows, worked out in Python rather than in the template: the
profile in steps, each competence with its radios and carry-over mark, and the progress.

A profile is rated in steps of at most STEP_SIZE competences, so that no page holds more
than about 200 form controls: the profile's sections (essential knowledge, essential
skills, ...), a long one split by ESCO's skills hierarchy ("computer programming" holds
the programming languages) and, where a part is still too long, into equal halves.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from assessments.forms import DONT_KNOW, field_name
from assessments.models import Assessment, Rating, RatingState, months_since
from taxonomy.models import Competence, ProficiencyScale, Requirement

STEP_SIZE = 20
# A skills-hierarchy group of a long section gets a step of its own from this size on.
GROUP_MIN = 8
# Competences of a step whose descriptions differ only by their own name ("... in
# Python.", "... in ABAP.") show that description once, from this many on.
SHARED_MIN = 3
SHARED_NAME = "[the competence named]"


@dataclass(frozen=True)
class ProfileCompetence:
    pk: int
    title: str
    description: str
    group: str
    kind: str
    reuse_level: str

    def get_kind_display(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def get_reuse_level_display(self) -> str:
        return REUSE_LEVELS.get(self.reuse_level, self.reuse_level)


@dataclass(frozen=True)
class ProfileLine:
    """A requirement as the rating page reads it (as it would a Requirement with its
    competence): a row of values, as every step reads the whole profile."""

    competence: ProfileCompetence
    relation: str
    target_level: int
    weight: Decimal

    @property
    def competence_id(self) -> int:
        return self.competence.pk

    def get_relation_display(self) -> str:
        return RELATIONS.get(self.relation, self.relation)


@dataclass(frozen=True)
class Earlier:
    """The rating a carried-over one came from: what the page compares it with."""

    answered: bool
    level: int | None


@dataclass(frozen=True)
class DraftRating:
    """A draft's rating as the rating page reads it (as it would a Rating): a row of values."""

    competence_id: int
    answered: bool
    level: int | None
    confidence: str
    evidence: str
    rated_at: datetime | None
    carried: bool
    carried_from: Earlier | None

    @property
    def self_level(self) -> int | None:
        return Rating.self_level.fget(self)  # type: ignore[attr-defined]

    def is_stale(self, now: datetime) -> bool:
        return Rating.is_stale(self, now)  # type: ignore[arg-type]


KINDS: dict[str, str] = dict(Competence.Kind.choices)
REUSE_LEVELS: dict[str, str] = dict(Competence.ReuseLevel.choices)
RELATIONS: dict[str, str] = dict(Requirement.Relation.choices)


def profile_lines(occupation_id: int) -> list[ProfileLine]:
    """The occupation's profile in title order, one query."""
    rows = (
        Requirement.objects.filter(occupation=occupation_id)
        .order_by("competence__title")
        .values_list(
            "competence_id",
            "competence__title",
            "competence__description",
            "competence__group",
            "competence__kind",
            "competence__reuse_level",
            "relation",
            "target_level",
            "weight",
        )
    )
    return [ProfileLine(ProfileCompetence(*row[:6]), *row[6:]) for row in rows]


def draft_ratings(assessment: Assessment) -> dict[int, DraftRating]:
    """The draft's ratings by competence, one query."""
    rows = assessment.ratings.order_by().values_list(
        "competence_id",
        "answered",
        "level",
        "confidence",
        "evidence",
        "rated_at",
        "carried",
        "carried_from_id",
        "carried_from__answered",
        "carried_from__level",
    )
    return {
        row[0]: DraftRating(*row[:7], Earlier(*row[8:]) if row[7] is not None else None)
        for row in rows
    }


@dataclass(frozen=True)
class Progress:
    rated: int
    total: int
    essentials_rated: int
    essentials: int
    to_confirm: int  # carried over, neither changed nor confirmed

    @property
    def unrated(self) -> int:
        return self.total - self.rated

    @property
    def missing_essentials(self) -> int:
        return self.essentials - self.essentials_rated


def progress(requirements: Sequence[ProfileLine], ratings: dict[int, DraftRating]) -> Progress:
    answered = {cid for cid, r in ratings.items() if r.answered}
    essentials = [r for r in requirements if r.relation == Requirement.Relation.ESSENTIAL]
    return Progress(
        rated=sum(r.competence_id in answered for r in requirements),
        total=len(requirements),
        essentials_rated=sum(r.competence_id in answered for r in essentials),
        essentials=len(essentials),
        to_confirm=sum(
            ratings[r.competence_id].carried for r in requirements if r.competence_id in ratings
        ),
    )


@dataclass(frozen=True)
class Mark:
    """What the rating page says of a rating in a draft that started from an earlier
    assessment: text beside the radios, which screen readers read with them."""

    text: str
    to_confirm: bool = False  # carried over, neither changed nor confirmed yet
    stale: bool = False


@dataclass(frozen=True)
class Item:
    requirement: ProfileLine
    rating: DraftRating | None
    name: str
    radios: SafeString  # the level radios, one checked if answered
    mark: Mark | None
    description: str  # "" when the step shows it once for several


@dataclass(frozen=True)
class Step:
    number: int  # from 1, as the address has it: ?step=2
    label: str  # "Optional knowledge: computer programming (1 of 2)"
    requirements: list[ProfileLine]
    rated: int
    to_confirm: int

    @property
    def total(self) -> int:
        return len(self.requirements)

    @property
    def done(self) -> bool:
        return self.rated == self.total and not self.to_confirm


@dataclass(frozen=True)
class Page:
    """One step of the rating page, with what the navigator around it needs."""

    steps: list[Step]
    step: Step
    items: list[Item]
    shared_description: str
    next_left: NextLeft | None
    only_left: bool
    level_key: SafeString  # the level descriptors, which every competence's details repeat

    @property
    def previous(self) -> Step | None:
        return self.steps[self.step.number - 2] if self.step.number > 1 else None

    @property
    def next(self) -> Step | None:
        return self.steps[self.step.number] if self.step.number < len(self.steps) else None

    @property
    def to_confirm(self) -> str:
        """The competences of this step still to confirm, as its button names them."""
        return ",".join(
            str(i.requirement.competence_id) for i in self.items if i.mark and i.mark.to_confirm
        )


def left(requirement: ProfileLine, ratings: dict[int, DraftRating]) -> bool:
    """Still to do: not answered, or carried over and neither changed nor confirmed."""
    rating = ratings.get(requirement.competence_id)
    return rating is None or not rating.answered or rating.carried


def plan(requirements: Sequence[ProfileLine], ratings: dict[int, DraftRating]) -> list[Step]:
    """The profile in steps; `requirements` in title order, their competences loaded."""
    parts: list[tuple[str, list[ProfileLine]]] = []
    for section in Requirement.SECTIONS:
        lines = [
            r
            for r in requirements
            if r.relation == section.relation and r.competence.kind == section.kind
        ]
        if len(lines) <= STEP_SIZE:
            parts.extend([(section.label, lines)] if lines else [])
            continue
        sizes = Counter(r.competence.group for r in lines)
        # The largest groups first, each a part of its own.
        groups = [g for g, n in sizes.most_common() if g and n >= GROUP_MIN]
        for group in groups:
            parts.append(
                (f"{section.label}: {group}", [r for r in lines if r.competence.group == group])
            )
        rest = [r for r in lines if r.competence.group not in groups]
        if rest:
            parts.append((f"{section.label}: other" if groups else section.label, rest))
    steps: list[Step] = []
    for label, lines in parts:
        count = math.ceil(len(lines) / STEP_SIZE)
        size = math.ceil(len(lines) / count)
        for n in range(count):
            chunk = lines[n * size : (n + 1) * size]
            steps.append(
                Step(
                    number=len(steps) + 1,
                    label=f"{label} ({n + 1} of {count})" if count > 1 else label,
                    requirements=chunk,
                    rated=sum(
                        getattr(ratings.get(r.competence_id), "answered", False) for r in chunk
                    ),
                    to_confirm=sum(
                        getattr(ratings.get(r.competence_id), "carried", False) for r in chunk
                    ),
                )
            )
    return steps


def step_of(steps: Sequence[Step], competence_id: int) -> Step | None:
    for step in steps:
        if any(r.competence_id == competence_id for r in step.requirements):
            return step
    return None


def page(
    assessment: Assessment,
    requirements: Sequence[ProfileLine],
    ratings: dict[int, DraftRating],
    scale: ProficiencyScale,
    *,
    number: int,
    only_left: bool,
    now: datetime,
) -> Page | None:
    """Step `number` of the rating page; None when the profile has no such step."""
    steps = plan(requirements, ratings)
    if not 1 <= number <= len(steps):
        return None
    step = steps[number - 1]
    lines = [r for r in step.requirements if left(r, ratings)] if only_left else step.requirements
    shared = shared_description(step.requirements)
    items = [item(assessment, r, ratings, scale, now, shared_description=shared) for r in lines]
    # The stale carried ratings first: they most need a look.
    items.sort(key=lambda i: not (i.mark and i.mark.stale and i.mark.to_confirm))
    return Page(
        steps=steps,
        step=step,
        items=items,
        shared_description=shared.replace("{}", SHARED_NAME),
        next_left=next_left(steps, ratings, after=step),
        only_left=only_left,
        level_key=level_key(scale),
    )


def level_key(scale: ProficiencyScale) -> SafeString:
    """Built once a page rather than once a competence: a step shows it twenty times."""
    return format_html(
        '<ul class="level-key">{}</ul>',
        format_html_join(
            "", "<li>{}: {}</li>", ((lv.name, lv.descriptor) for lv in scale.ordered_levels)
        ),
    )


@dataclass(frozen=True)
class NextLeft:
    step: Step
    requirement: ProfileLine
    to_confirm: bool  # rated, carried over: to confirm or change rather than to rate


def next_left(
    steps: Sequence[Step], ratings: dict[int, DraftRating], *, after: Step
) -> NextLeft | None:
    """The first competence still to do after this step's, going round to the start."""
    order = [*steps[after.number :], *steps[: after.number]]
    for step in order:
        for requirement in step.requirements:
            if left(requirement, ratings):
                rating = ratings.get(requirement.competence_id)
                return NextLeft(step, requirement, rating is not None and rating.answered)
    return None


def _template(requirement: ProfileLine) -> str:
    """The description with the competence's own name as "{}"."""
    competence = requirement.competence
    name = re.sub(r"\s*\(.*\)$", "", competence.title)
    description = competence.description.replace("{", "(").replace("}", ")")
    return description.replace(name, "{}") if name else description


def shared_description(requirements: Iterable[ProfileLine]) -> str:
    """The description most of a step's competences share but for their names, if at
    least SHARED_MIN do ("{}" where each name goes); else ""."""
    counts = Counter(_template(r) for r in requirements if "{}" in _template(r))
    if not counts:
        return ""
    text, count = counts.most_common(1)[0]
    return text if count >= SHARED_MIN else ""


def _choice(rating: DraftRating | None) -> str:
    """The checked radio's value, "" when none is."""
    if rating is None or not rating.answered:
        return ""
    return DONT_KNOW if rating.level is None else str(rating.level)


def _mark(
    assessment: Assessment, rating: DraftRating | None, names: dict[int, str], now
) -> Mark | None:
    if assessment.carried_from is None:
        return None
    if rating is None or rating.carried_from is None:
        answered = rating is not None and rating.answered
        return Mark("New in this round" if answered else "New: rate this")
    if rating.carried:
        since = assessment.carried_from.submitted_at
        text = f"Carried over from {date_format(since, 'j F Y')}"
        stale = rating.is_stale(now)
        if stale:
            text += f"; rated {months_since(rating.rated_at, now)} months ago"
        return Mark(text, to_confirm=True, stale=stale)
    before = rating.carried_from
    if (before.answered, before.level) == (rating.answered, rating.level):
        return Mark("Still accurate: confirmed")
    was = RatingState.DONT_KNOW.label if before.level is None else names.get(before.level, "")
    return Mark(f"Changed: was {was}")


def item(
    assessment: Assessment,
    requirement: ProfileLine,
    ratings: dict[int, DraftRating],
    scale: ProficiencyScale,
    now,
    *,
    shared_description: str = "",
) -> Item:
    rating = ratings.get(requirement.competence_id)
    name = field_name(requirement.competence_id)
    mark = _mark(assessment, rating, scale.level_names, now)
    added_in = assessment.profile_changes.added.get(requirement.competence_id)
    if added_in and not (rating and rating.answered):
        mark = Mark(f"New in {added_in}: rate this")
    shared = shared_description and _template(requirement) == shared_description
    description = "" if shared else requirement.competence.description
    return Item(requirement, rating, name, radios(scale, name, _choice(rating)), mark, description)


def radios(scale: ProficiencyScale, name: str, choice: str) -> SafeString:
    """One radio a level and one for "Don't know", `choice` checked."""
    choices = [(str(level.value), level.name) for level in scale.ordered_levels]
    choices.append((DONT_KNOW, str(RatingState.DONT_KNOW.label)))
    name = escape(name)
    return mark_safe(  # every value in it escaped
        "".join(
            f'<label class="level{" dont-know" if value == DONT_KNOW else ""}">'
            f'<input type="radio" name="{name}" value="{escape(value)}"'
            f' aria-describedby="level-{escape(value)}"{" checked" if value == choice else ""}>'
            f"{escape(label)}</label>"
            for value, label in choices
        )
    )


# The HTML of one competence is built here rather than by the template: a step shows up to
# twenty, and Django's template language spends a tenth of a millisecond on each. Every
# value is escaped (html.escape, as Django's escape does) before it goes into the markup.
CONFIDENCES = (("low", "Low"), ("medium", "Medium"), ("high", "High"))


def fieldset(item: Item, *, rate_url: str, level_key: SafeString) -> SafeString:
    """One competence of a step: its radios, carry-over mark, and details with confidence
    and evidence; each answer autosaves (htmx) or goes with the step's form."""
    c, r, name = item.requirement.competence, item.rating, escape(item.name)
    title, url = escape(c.title), escape(rate_url)
    answered = r is not None and r.answered
    confidence = r.confidence if r else ""
    evidence = r.evidence if r else ""
    options = "".join(
        f'\n            <option value="{value}"{" selected" if value == confidence else ""}>'
        f"{label}</option>"
        for value, label in CONFIDENCES
    )
    description = (
        f'<p class="description">{escape(item.description)}</p>' if item.description else ""
    )
    group = f" · {escape(c.group)}" if c.group else ""
    return mark_safe(
        f"""<fieldset class="rating" id="competence-{c.pk}"
            hx-post="{url}"
            hx-trigger="autosave" hx-swap="none" hx-sync="this:queue last"
            hx-params="{name},{name}-confidence,{name}-evidence"
            data-autosave>
    <legend>{title}</legend>
    <p class="meta">
      <span class="badge {escape(item.requirement.relation)}">{escape(item.requirement.get_relation_display())}</span>
      <span id="status-{c.pk}" class="save-status{" saved" if answered else ""}" aria-live="polite">{"Saved" if answered else ""}</span>
    </p>
    {mark(item, rate_url=rate_url)}
    <div class="levels">{item.radios}</div>
    <details class="extra">
      <summary>Details and evidence<span class="visually-hidden">: {title}</span>{' <span class="hint">(evidence given)</span>' if evidence else ""}</summary>
      {description}
      <p class="hint">{escape(c.get_kind_display())} · {escape(c.get_reuse_level_display())}{group}</p>
      {level_key}
      <div class="extra-fields">
        <p>
          <label for="{name}-confidence">Confidence</label>
          <select id="{name}-confidence" name="{name}-confidence">
            <option value="">Not given</option>{options}
          </select>
        </p>
        <p>
          <label for="{name}-evidence">Evidence <span class="hint">(optional: a project, ticket or certificate)</span></label>
          <input type="text" id="{name}-evidence" name="{name}-evidence" maxlength="500" value="{escape(evidence)}">
        </p>
      </div>
    </details>
  </fieldset>"""  # noqa: E501 (the markup as the page has it)
    )


def mark(item: Item, *, rate_url: str, oob: bool = False) -> SafeString:
    """The carry-over mark beside a competence's radios, with its "Still accurate" button
    while it is to confirm; `oob` for an autosave's answer, which swaps it in place."""
    m, c = item.mark, item.requirement.competence
    classes = (
        "carry",
        " to-confirm" if m and m.to_confirm else "",
        " stale" if m and m.stale else "",
    )
    text = ""
    if m:
        text = escape(m.text)
        if m.to_confirm:
            text += f"""
      <button type="submit" name="confirm" value="{c.pk}" class="link"
              hx-post="{escape(rate_url)}" hx-vals='{{"confirm": "{c.pk}"}}' hx-params="confirm" hx-swap="none"
              hx-sync="closest fieldset:queue last">Still accurate<span class="visually-hidden">: {escape(c.title)}</span></button>"""  # noqa: E501
    swap = ' hx-swap-oob="true"' if oob else ""
    return mark_safe(f'<p id="mark-{c.pk}" class="{"".join(classes)}"{swap}>{text}</p>')
