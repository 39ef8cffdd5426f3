"""One person's gap report as plain data: what the report page renders, what its CSV
writes and what an API can serialise. The arithmetic is assessments.scoring's; this module
only reads what it needs (a fixed number of queries, whatever the size of the profile) and
puts the answers in order.

Two readinesses, named apart everywhere: the self-rated readiness (the person's own levels;
the report's headline) and the reviewed readiness (a manager's validated level where there
is one, else the self rating; stored on the assessment, what the team report counts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from assessments import scoring
from assessments.models import (
    Assessment,
    LearningResource,
    Rating,
    months_since,
    rating_state,
    stale_before,
)
from taxonomy.models import Competence, Occupation, Requirement, profile_section
from taxonomy.releases import Impact, per_occupation


@dataclass(frozen=True)
class Headline:
    readiness: int | None  # self-rated
    essentials_met: int
    essentials_total: int
    verdict: str


@dataclass(frozen=True)
class Resource:
    title: str
    url: str
    kind: str


@dataclass(frozen=True)
class Gap:
    line: scoring.Line
    resources: tuple[Resource, ...]
    gain: int  # readiness points closing it adds, whole and half up


# The report leads with this many gaps: essentials first, then those that raise readiness most.
CLOSE_FIRST = 5


@dataclass(frozen=True)
class Breakdown:
    caption: str
    column: str
    rows: tuple[scoring.Summary, ...]


@dataclass(frozen=True)
class Comparison:
    """What changed since the person's previous submitted assessment of the occupation."""

    assessment_id: int
    submitted_at: datetime
    readiness: int | None
    readiness_delta: int | None
    essentials_met: int
    essentials_delta: int
    changes: tuple[scoring.Change, ...]
    # The profile changed between the two (another release): compared on what both share,
    # these listed apart, never as gaps or changes of level.
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    release: str = ""  # the release the previous one was made against


@dataclass(frozen=True)
class CareerMatch:
    code: str
    title: str
    url: str
    match: scoring.Match


@dataclass(frozen=True)
class ReviewLine:
    title: str
    answered: bool
    level: int | None  # the self rating
    validated_level: int | None
    comment: str
    accepted: bool  # validated by accepting the self rating as it stood


@dataclass(frozen=True)
class StaleLine:
    """A rating last set or confirmed more than STALE_AFTER_MONTHS ago."""

    title: str
    months: int


@dataclass(frozen=True)
class Review:
    """A manager's review, with the reviewed readiness."""

    reviewed_at: datetime | None
    reviewer: str
    readiness: int | None  # reviewed
    essentials_met: int | None
    essentials_total: int | None
    lines: tuple[ReviewLine, ...]


@dataclass(frozen=True)
class GapReport:
    """Everything the gap report page shows, and the API serialises."""

    assessment_id: int
    occupation_code: str
    occupation_title: str
    is_draft: bool
    submitted_at: datetime | None
    release: str  # the release of the profile it was made against; empty before releases
    headline: Headline
    lines: tuple[scoring.Line, ...]
    sections: tuple[scoring.Summary, ...]  # by profile section, as the chart draws them
    gaps: tuple[Gap, ...]
    strengths: tuple[scoring.Line, ...]
    breakdowns: tuple[Breakdown, ...]
    comparison: Comparison | None
    matches: tuple[CareerMatch, ...]
    review: Review | None
    stale: tuple[StaleLine, ...]

    @property
    def close_first(self) -> tuple[Gap, ...]:
        return self.gaps[:CLOSE_FIRST]

    @property
    def other_gaps(self) -> tuple[Gap, ...]:
        return self.gaps[CLOSE_FIRST:]


@dataclass(frozen=True)
class ListEntry:
    """A line of My assessments: a draft's progress, or a submission's result."""

    assessment: Assessment
    readiness: int | None  # self-rated; None for a draft
    verdict: str
    rated: int
    to_confirm: int  # carried over, neither changed nor confirmed


def assessment_entries(user) -> list[ListEntry]:
    """The user's assessments, newest first, each with its result. Three queries."""
    assessments = list(
        Assessment.objects.owned_by(user)
        .with_review_state()
        .select_related("occupation", "reviewed_by")
        .prefetch_related("ratings__competence")
    )
    entries = []
    for assessment in assessments:
        ratings = list(assessment.ratings.all())
        lines = [] if assessment.is_draft else assessment.lines([], ratings)
        entries.append(
            ListEntry(
                assessment=assessment,
                readiness=scoring.percent(scoring.readiness(lines)) if lines else None,
                verdict=scoring.verdict(lines) if lines else "",
                rated=sum(r.answered for r in ratings),
                to_confirm=sum(r.carried for r in ratings),
            )
        )
    return entries


def self_readiness(assessment: Assessment, ratings: list[Rating]) -> int | None:
    """The self-rated readiness of a submitted assessment, from its ratings."""
    return scoring.percent(scoring.readiness(assessment.lines([], ratings)))


def gap_report(assessment: Assessment) -> GapReport:
    """The report of an assessment read with its occupation, release and reviewer."""
    ratings = _ratings(assessment)
    lines = _lines(assessment, ratings)
    gaps = scoring.ordered_gaps(lines)
    resources = _resources_by_competence([line.key for line in gaps])
    met, total = scoring.essentials_met(lines)
    readiness = scoring.percent(scoring.readiness(lines))
    return GapReport(
        assessment_id=assessment.pk,
        occupation_code=assessment.occupation.code,
        occupation_title=assessment.occupation.title,
        is_draft=assessment.is_draft,
        submitted_at=assessment.submitted_at,
        release=str(assessment.release) if assessment.release_id else "",
        headline=Headline(readiness, met, total, scoring.verdict(lines)),
        lines=tuple(lines),
        sections=tuple(
            scoring.breakdown(
                lines,
                lambda line: profile_section(line.relation, line.kind).label,
                [section.label for section in Requirement.SECTIONS],
            )
        ),
        gaps=tuple(
            Gap(line, tuple(resources.get(line.key, ())), scoring.percent(gain) or 0)
            for line, gain in zip(gaps, scoring.readiness_gains(gaps, lines), strict=True)
        ),
        strengths=tuple(scoring.strengths(lines)),
        breakdowns=(
            _breakdown(lines, "By kind", "Kind", "kind", Competence.Kind),
            _breakdown(
                lines, "By reuse level", "Reuse level", "reuse_level", Competence.ReuseLevel
            ),
        ),
        comparison=_comparison(assessment, lines, readiness, met),
        matches=tuple(_career_matches(assessment)),
        review=_review(assessment, ratings),
        stale=_stale(ratings),
    )


@dataclass(frozen=True)
class RatedCompetence:
    pk: int
    title: str
    kind: str
    reuse_level: str


@dataclass(frozen=True)
class RatingRow:
    """What a report reads of a rating, as Assessment.lines reads a Rating: one row of
    values rather than two model instances, as a report reads two assessments' ratings."""

    competence: RatedCompetence
    answered: bool
    level: int | None
    relation: str
    target_level: int | None
    weight: Decimal | None
    validated_level: int | None
    review_comment: str
    accepted: bool
    rated_at: datetime | None

    @property
    def competence_id(self) -> int:
        return self.competence.pk

    @property
    def self_level(self) -> int | None:
        return Rating.self_level.fget(self)  # type: ignore[attr-defined]

    def is_stale(self, now: datetime) -> bool:
        return Rating.is_stale(self, now)  # type: ignore[arg-type]


RATING_ROW_FIELDS = [f.name for f in fields(RatingRow) if f.name != "competence"]

# The reads every report makes, built once: filtering a built query costs a fraction of
# building it, and a report is read far more often than anything else.
RATING_ROWS = Rating.objects.order_by("competence__title", "id").values_list(
    "competence_id",
    "competence__title",
    "competence__kind",
    "competence__reuse_level",
    *RATING_ROW_FIELDS,
)
RESOURCE_ROWS = LearningResource.competences.through.objects.order_by(
    "learningresource__title"
).values_list(
    "competence_id",
    "learningresource__title",
    "learningresource__url",
    "learningresource__kind",
)
PREVIOUS = (
    Assessment.objects.submitted()
    .order_by("-submitted_at")
    .values_list("pk", "submitted_at", "release__name")
)


def _ratings(assessment: Assessment) -> list[RatingRow]:
    rows = RATING_ROWS.filter(assessment=assessment.pk)
    return [RatingRow(RatedCompetence(*row[:4]), *row[4:]) for row in rows]


def _lines(assessment: Assessment, ratings: list[RatingRow] | None = None) -> list[scoring.Line]:
    """The live profile for a draft, the snapshot once submitted."""
    requirements = []
    if assessment.is_draft:
        requirements = list(
            Requirement.objects.filter(occupation=assessment.occupation_id)
            .select_related("competence")
            .order_by("competence__title")
        )
    return assessment.lines(requirements, _ratings(assessment) if ratings is None else ratings)


def _breakdown(
    lines: list[scoring.Line],
    caption: str,
    column: str,
    attribute: str,
    choices: type[Competence.Kind] | type[Competence.ReuseLevel],
) -> Breakdown:
    """Summaries per value of the attribute, named and ordered as the choices are."""
    labels: dict[str, str] = dict(choices.choices)
    key: Callable[[scoring.Line], str] = lambda line: getattr(line, attribute)  # noqa: E731
    summaries = scoring.breakdown(lines, key, list(labels))
    rows = tuple(replace(s, name=labels.get(s.name, s.name)) for s in summaries)
    return Breakdown(caption, column, rows)


def _resources_by_competence(competence_ids: list[int]) -> dict[int, list[Resource]]:
    kinds = dict(LearningResource.Kind.choices)
    found: dict[int, list[Resource]] = {}
    for competence_id, title, url, kind in RESOURCE_ROWS.filter(competence_id__in=competence_ids):
        found.setdefault(competence_id, []).append(Resource(title, url, kinds.get(kind, kind)))
    return found


def _comparison(
    assessment: Assessment, lines: list[scoring.Line], readiness: int | None, met: int
) -> Comparison | None:
    earlier = PREVIOUS.filter(user=assessment.user_id, occupation=assessment.occupation_id)
    if assessment.submitted_at is not None:
        earlier = earlier.filter(submitted_at__lt=assessment.submitted_at)
    found = earlier.first()
    if found is None:
        return None
    pk, submitted_at, release = found
    previous = Assessment(pk=pk, status=Assessment.Status.SUBMITTED, submitted_at=submitted_at)
    before = _lines(previous)
    release = release or ""
    # Compared on what both profiles share; the release names label nothing here.
    profiles = scoring.across_releases(
        [(release, [x.key for x in before]), ("", [x.key for x in lines])]
    )
    before_readiness = scoring.percent(scoring.readiness(before))
    before_met = scoring.essentials_met(before)[0]
    both = readiness is not None and before_readiness is not None
    return Comparison(
        assessment_id=previous.pk,
        submitted_at=previous.submitted_at,
        readiness=before_readiness,
        readiness_delta=readiness - before_readiness if both else None,
        essentials_met=before_met,
        essentials_delta=met - before_met,
        changes=tuple(
            c for c in scoring.compare(before, lines) if c.delta and c.line.key in profiles.shared
        ),
        added=tuple(sorted(line.title for line in lines if line.key in profiles.added)),
        removed=tuple(sorted(line.title for line in before if line.key in profiles.removed)),
        release=release,
    )


# Per other occupation, what its profile shares with the person's latest answer of each
# competence they ever rated (the latest by updated_at, then id; "Don't know" counts 0 but
# is not a known level): Σ weight × min(level, target) in hundredths of a weight (whole
# numbers, exact on every backend: SQLite stores decimals as floats), how many lines have a
# known level, and how many lines there are. Summed by the database: with the whole of ESCO
# loaded, a technician's competences are shared by thousands of lines of many occupations.
_SHARED = """
WITH latest AS (
    SELECT competence_id, level FROM (
        SELECT r.competence_id, r.level, ROW_NUMBER() OVER (
            PARTITION BY r.competence_id ORDER BY r.updated_at DESC, r.id DESC) AS newest
        FROM {ratings} r JOIN {assessments} a ON a.id = r.assessment_id
        WHERE a.user_id = %s AND r.answered
    ) ranked WHERE newest = 1
)
SELECT o.id, o.code, o.title, CAST(ROUND(o.target_total * 100) AS INTEGER),
    o.requirement_count,
    SUM(CAST(ROUND(q.weight * 100) AS INTEGER) * CASE
        WHEN COALESCE(l.level, 0) < q.target_level THEN COALESCE(l.level, 0)
        ELSE q.target_level END),
    COUNT(l.level), COUNT(*)
FROM {requirements} q
JOIN latest l ON l.competence_id = q.competence_id
JOIN {occupations} o ON o.id = q.occupation_id
WHERE q.occupation_id <> %s
GROUP BY o.id, o.code, o.title, o.target_total, o.requirement_count
"""


def _career_matches(assessment: Assessment) -> list[CareerMatch]:
    """Top occupations by readiness from the owner's latest level of each competence."""
    quote = connection.ops.quote_name
    sql = _SHARED.format(
        ratings=quote(Rating._meta.db_table),
        assessments=quote(Assessment._meta.db_table),
        requirements=quote(Requirement._meta.db_table),
        occupations=quote(Occupation._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [assessment.user_id, assessment.occupation_id])
        rows = cursor.fetchall()
    shared, sizes, names = {}, {}, {}
    for pk, code, title, total, count, reached, known, lines in rows:
        shared[pk] = scoring.Shared(Decimal(reached).scaleb(-2), known, lines)
        sizes[pk] = scoring.ProfileSize(Decimal(total).scaleb(-2), count)
        names[pk] = (code, title)
    return [
        CareerMatch(code, title, Occupation(code=code).get_absolute_url(), m)
        for m in scoring.career_matches(shared, sizes)
        for code, title in [names[m.occupation]]
    ]


def _stale(ratings: list[RatingRow]) -> tuple[StaleLine, ...]:
    now = timezone.now()
    before = stale_before(now)  # what Rating.is_stale compares with, worked out once
    stale = [r for r in ratings if r.answered and r.rated_at is not None and r.rated_at < before]
    stale.sort(key=lambda r: (r.rated_at, r.competence.title))
    return tuple(StaleLine(r.competence.title, months_since(r.rated_at, now)) for r in stale)


def _review(assessment: Assessment, ratings: list[RatingRow]) -> Review | None:
    reviewed = [
        ReviewLine(
            r.competence.title,
            r.answered,
            r.level,
            r.validated_level,
            r.review_comment,
            r.accepted,
        )
        for r in ratings
        if r.validated_level is not None or r.review_comment
    ]
    if not reviewed and assessment.reviewed_at is None:
        return None
    reviewer = assessment.reviewed_by
    return Review(
        reviewed_at=assessment.reviewed_at,
        reviewer=(reviewer.get_full_name() or reviewer.get_username()) if reviewer else "",
        readiness=assessment.readiness,
        essentials_met=assessment.essentials_met,
        essentials_total=assessment.essentials_total,
        lines=tuple(reviewed),
    )


CSV_HEADER = [
    "competence_uri",
    "competence",
    "relation",
    "kind",
    "reuse_level",
    "target_level",
    "weight",
    "self_level",  # empty for "Don't know" and "Not rated": state says which
    "state",
    "gap",
    "met",
]


def csv_rows(assessment: Assessment) -> list[list[object]]:
    """The report's lines as the CSV's rows (CSV_HEADER), text not yet neutralised."""
    lines = _lines(assessment)
    uris = dict(
        Competence.objects.filter(pk__in=[line.key for line in lines]).values_list("pk", "uri")
    )
    return [
        [
            uris.get(line.key) or "",
            line.title,
            line.relation,
            line.kind,
            line.reuse_level,
            line.target,
            f"{line.weight.normalize():f}",
            "" if line.level is None else line.level,
            rating_state(line.answered, line.level).label,
            line.gap,
            "yes" if line.met else "no",
        ]
        for line in lines
    ]


def release_impact(occupation_ids: list[int]) -> list[Impact]:
    """Who a release's changes to these occupations affect: open drafts (which follow the
    new profile) and people whose latest submitted assessment is of one of them."""
    drafts = (
        Assessment.objects.drafts()
        .filter(occupation_id__in=occupation_ids)
        .order_by()
        .values_list("occupation_id")
        .annotate(n=Count("pk"))
    )
    latest = (
        Assessment.objects.submitted()
        .filter(user=OuterRef("user"))
        .order_by("-submitted_at", "-pk")
        .values("pk")[:1]
    )
    people = (
        Assessment.objects.submitted()
        .filter(occupation_id__in=occupation_ids, pk=Subquery(latest))
        .order_by()
        .values_list("occupation_id")
        .annotate(n=Count("user", distinct=True))
    )
    rows = []
    for what, counts in (
        ("Open drafts of changed occupations", list(drafts)),
        ("People whose latest assessment is of a changed occupation", list(people)),
    ):
        by_code = per_occupation(counts)
        rows.append(Impact(what, sum(by_code.values()), by_code))
    return rows
