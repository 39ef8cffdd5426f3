"""A team's figures as plain data: what the team report renders, what its exports write
and what an API can serialise. Each is read with a fixed number of queries, whatever the
size of the team; the arithmetic is SQL over counted_level() and the figures stored on
each assessment at submit and review (assessments.services.assessment_summarise).

"Readiness" here is the reviewed readiness: a manager's validated level counts where there
is one, else the self rating.
"""

from __future__ import annotations

import calendar
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from statistics import fmean

from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Greatest
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments import scoring
from assessments.models import Assessment, Rating, counted_level, stale_before
from taxonomy.models import Occupation, Release, Requirement
from taxonomy.releases import release_order
from teams.models import (
    MEMBER_STATES,
    Assignment,
    AssignmentState,
    Membership,
    ReviewCycle,
    Team,
)


@dataclass(frozen=True)
class MemberFigures:
    """One member's latest submitted assessment of the occupation they are assessed
    against; the figures are None while there is none."""

    name: str
    username: str
    occupation_code: str
    occupation_title: str
    assessment_id: int | None
    readiness: int | None
    essentials_met: int | None
    essentials_total: int | None
    essential_gaps: int | None
    last_assessed: datetime | None
    review_state: str
    self_bias: Decimal | None
    validated_count: int | None
    stale_essentials: int | None  # rated longer ago than STALE_AFTER_MONTHS
    release: str = ""  # of the profile the assessment was made against; "" if not recorded

    @property
    def review_label(self) -> str:
        return MEMBER_STATES[self.review_state]


def member_figures(memberships: Iterable[Membership]) -> list[MemberFigures]:
    """Figures of memberships read with MembershipQuerySet.with_latest(), in their order."""
    return [
        MemberFigures(
            name=m.member_name,
            username=m.user.username,
            occupation_code=m.occupation_code,
            occupation_title=m.occupation_title,
            assessment_id=m.latest_id,
            readiness=m.readiness,
            essentials_met=m.essentials_met,
            essentials_total=m.essentials_total,
            essential_gaps=m.essential_gaps,
            last_assessed=m.last_assessed,
            review_state=m.state,
            self_bias=None if m.self_bias is None else Decimal(m.self_bias).quantize(CENTS),
            validated_count=m.validated_count,
            stale_essentials=m.stale_essentials,
            release=m.release_name or "",
        )
        for m in memberships
    ]


def releases_differ(memberships: QuerySet[Membership]) -> bool:
    """Whether the latest assessments of these memberships (read with with_latest()) were
    made against more than one release. One query."""
    assessed = memberships.filter(latest_id__isnull=False).order_by()
    return len(assessed.values_list("release_name").distinct()[:2]) > 1


CENTS = Decimal("0.01")  # SQLite hands back -2 for -2.00


def competence_summary(
    occupation: Occupation,
    assessment_ids: list[int],
    *,
    top_level: int,
    apart: Collection[int] = (),
) -> QuerySet[Requirement]:
    """The occupation's profile lines, each annotated with what the given assessments say
    of it: `assessed`, `meeting` (target met), `mean_level`, `mean_gap`, `experts` (at the
    scale's top level) and `coverage_risk` (fewer than two meet it). Targets are those each
    assessment was submitted against. A queryset, so tables can filter and sort it in SQL.
    The competences `apart` (TeamReleases.apart_ids) are left out: not every assessment's
    release has them.
    """
    level = counted_level("r__")
    rated = Q(r__isnull=False)
    stale = rated & Q(r__answered=True, r__rated_at__lt=stale_before(timezone.now()))
    return (
        Requirement.objects.filter(occupation=occupation)
        .exclude(competence_id__in=list(apart))
        .select_related("competence")
        .annotate(
            r=FilteredRelation(
                "competence__ratings",
                # An empty list would make the whole query empty: no assessment has id 0.
                condition=Q(
                    competence__ratings__assessment_id__in=assessment_ids or [0],
                    competence__ratings__relation__gt="",  # the submitted lines, as elsewhere
                ),
            )
        )
        .annotate(
            assessed=Count("r"),
            meeting=Count("r", filter=rated & Q(r__target_level__lte=level)),
            mean_level=Avg(level, filter=rated),
            mean_gap=Avg(Greatest(F("r__target_level") - level, Value(0)), filter=rated),
            experts=Count("r", filter=rated & Exact(level, top_level)),
            stale=Count("r", filter=stale),
        )
        .annotate(
            coverage_risk=Case(
                When(meeting__lt=2, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
    )


@dataclass(frozen=True)
class CompetenceFigures:
    competence_id: int
    title: str
    relation: str
    kind: str
    reuse_level: str
    assessed: int
    meeting: int
    mean_level: float | None
    mean_gap: float | None
    experts: int
    coverage_risk: bool
    stale: int  # members whose rating of it is older than STALE_AFTER_MONTHS


def competence_figures(lines: Iterable[Requirement]) -> list[CompetenceFigures]:
    """Figures of profile lines read with competence_summary(), in their order."""
    return [
        CompetenceFigures(
            competence_id=line.competence_id,
            title=line.competence.title,
            relation=line.relation,
            kind=line.competence.kind,
            reuse_level=line.competence.reuse_level,
            assessed=line.assessed,
            meeting=line.meeting,
            mean_level=None if line.mean_level is None else float(line.mean_level),
            mean_gap=None if line.mean_gap is None else float(line.mean_gap),
            experts=line.experts,
            coverage_risk=bool(line.coverage_risk),
            stale=line.stale,
        )
        for line in lines
    ]


@dataclass(frozen=True)
class Thin:
    """A competence fewer than two members meet, and who does."""

    title: str
    relation: str
    meeting: tuple[str, ...]  # the names of the members who meet it: none or one


@dataclass(frozen=True)
class TeamSummary:
    """What the team report leads with."""

    readiness: int | None  # the mean of the members' reviewed readiness
    assessed: int
    members: int
    essential_gaps: tuple[str, ...]  # the names of members with an essential gap
    thin: tuple[Thin, ...]  # essentials first


def team_summary(
    team: Team,
    occupation: Occupation,
    assessed: list[dict],
    *,
    top_level: int,
    apart: Collection[int] = (),
) -> TeamSummary:
    """The team at a glance, for `assessed` (Team.assessed_members of `occupation`), the
    competences `apart` left out of coverage. Three queries, however many members."""
    everyone = member_figures(team.memberships.current().with_latest())
    figures = [m for m in everyone if m.assessment_id]
    names = {m["latest_id"]: m["member_name"] for m in assessed}
    risky = [
        r
        for r in competence_summary(
            occupation, list(names), top_level=top_level, apart=apart
        ).order_by("relation", "competence__title")
        if r.coverage_risk
    ]
    meeting: dict[int, list[str]] = {}
    rows = (
        Rating.objects.filter(
            assessment_id__in=list(names),
            competence_id__in=[r.competence_id for r in risky],
            relation__gt="",
        )
        .with_counted_level()
        .filter(counted__gte=F("target_level"))
        .values_list("competence_id", "assessment_id")
    )
    for competence_id, assessment_id in rows:
        meeting.setdefault(competence_id, []).append(names[assessment_id])
    readiness = [m.readiness for m in figures if m.readiness is not None]
    return TeamSummary(
        readiness=scoring.percent(Fraction(sum(readiness), 100 * len(readiness)))
        if readiness
        else None,
        assessed=len(figures),
        members=len(everyone),
        essential_gaps=tuple(sorted(m.name for m in figures if m.essential_gaps)),
        thin=tuple(
            Thin(r.competence.title, r.relation, tuple(sorted(meeting.get(r.competence_id, []))))
            for r in risky
        ),
    )


@dataclass(frozen=True)
class ReleaseCount:
    release: str  # "" for assessments made before releases were recorded
    members: int

    @property
    def name(self) -> str:
        return self.release or str(_("release not recorded"))


@dataclass(frozen=True)
class Apart:
    """A competence the releases of some assessed members have and others' do not: listed
    apart, never counted as a gap of those whose release lacks it."""

    competence_id: int
    title: str
    relation: str  # in the newest release that has it
    change: str  # ADDED or REMOVED
    release: str  # the release that added or removed it
    members: int  # assessed members whose assessment has it

    @property
    def label(self) -> str:
        return str(CHANGE_LABELS[self.change]).format(release=self.release)


ADDED, REMOVED = "added", "removed"
CHANGE_LABELS = {ADDED: _("added in {release}"), REMOVED: _("removed in {release}")}


@dataclass(frozen=True)
class TeamReleases:
    """The releases the assessed members' latest assessments of an occupation were made
    against, oldest first; when they differ, the members are compared on the competences
    all of them share (`shared`) and the others are `apart`."""

    releases: tuple[ReleaseCount, ...]
    apart: tuple[Apart, ...] = ()
    shared: int = 0

    @property
    def mixed(self) -> bool:
        return len(self.releases) > 1

    @property
    def apart_ids(self) -> frozenset[int]:
        return frozenset(a.competence_id for a in self.apart)


def team_releases(assessed: list[dict]) -> TeamReleases:
    """The releases of `assessed` (Team.assessed_members). No query while they share one;
    one otherwise, its rows a line per release and competence, however many members."""
    members = Counter(m["release_name"] or "" for m in assessed)
    if len(members) < 2:
        return TeamReleases(tuple(ReleaseCount(name, n) for name, n in members.items()))
    rows = (
        Rating.objects.filter(
            assessment_id__in=[m["latest_id"] for m in assessed],
            relation__gt="",  # the lines of the profile it was submitted against
        )
        .order_by()
        .values_list(
            "assessment__release_id",
            "assessment__release__name",
            "assessment__release__version",
            "assessment__release__imported_at",
            "competence_id",
            "competence__title",
            "relation",
        )
        .annotate(n=Count("pk"))
    )
    releases: dict[str, Release] = {}
    profiles: dict[str, set[int]] = {}
    titles: dict[int, str] = {}
    relations: dict[tuple[str, int], str] = {}
    have: Counter[int] = Counter()
    for pk, name, version, imported_at, competence_id, title, relation, n in rows:
        name = name or ""
        if pk is not None:
            releases[name] = Release(pk=pk, name=name, version=version, imported_at=imported_at)
        profiles.setdefault(name, set()).add(competence_id)
        titles[competence_id] = title
        relations[name, competence_id] = relation
        have[competence_id] += n

    def oldest_first(name: str) -> tuple:
        release = releases.get(name)  # None when not recorded: older than any recorded
        return (0,) if release is None else (1, *release_order(release))

    order = sorted(members, key=oldest_first)
    across = scoring.across_releases([(name, profiles.get(name, set())) for name in order])
    rank = {name: i for i, name in enumerate(order)}
    newest: dict[int, str] = {}
    for name in order:  # oldest first: the newest relation stays
        for key in profiles.get(name, ()):
            newest[key] = relations[name, key]
    apart = [
        Apart(key, titles[key], newest[key], change, release, have[key])
        for change, found in ((ADDED, across.added), (REMOVED, across.removed))
        for key, release in found.items()
    ]
    apart.sort(key=lambda a: (rank[a.release], a.change, a.title.lower()))
    return TeamReleases(
        tuple(ReleaseCount(name, members[name]) for name in order),
        tuple(apart),
        len(across.shared),
    )


@dataclass(frozen=True)
class HeatCell:
    level: int | None  # None: the competence is not in that member's assessment
    below: bool

    @property
    def text(self) -> str:
        return "–" if self.level is None else str(self.level)

    @property
    def css(self) -> str:
        if self.level is None:
            return "heat heat-none"
        return f"heat heat-{self.level}{' below' if self.below else ''}"


@dataclass(frozen=True)
class HeatRow:
    title: str
    relation: str
    target: int
    cells: tuple[HeatCell, ...]


def heat_rows(
    occupation: Occupation, assessment_ids: list[int], apart: Collection[int] = ()
) -> list[HeatRow]:
    """The occupation's profile but the competences `apart`, essentials first, with the
    level each of the given assessments counts for it (columns in the order given). Two
    queries."""
    found = Rating.objects.counted_levels(assessment_ids)
    requirements = (
        occupation.requirements.exclude(competence_id__in=list(apart))
        .select_related("competence")
        .order_by(
            "relation",
            "competence__title",  # essential sorts before optional
        )
    )
    rows = []
    for r in requirements:
        levels = [found.get((r.competence_id, a)) for a in assessment_ids]
        cells = tuple(
            HeatCell(level, level is not None and level < r.target_level) for level in levels
        )
        rows.append(HeatRow(r.competence.title, r.relation, r.target_level, cells))
    return rows


@dataclass(frozen=True)
class MonthPoint:
    month: date
    readiness: float
    members: int


def readiness_by_month(team: Team, *, today: date | None = None) -> list[MonthPoint]:
    """For each month since the first submission, the mean readiness of the members'
    latest submitted assessments (of the occupation each is assessed against) as they
    stood at the month's end. Members not assessed by then are left out of that month.
    """
    assessed = {m.user_id: m.assessed_id for m in team.memberships.with_assessed()}
    rows = [
        row
        for row in Assessment.objects.submitted()
        .filter(user__in=list(assessed), readiness__isnull=False)
        .order_by("submitted_at")
        .values_list("user_id", "occupation_id", "submitted_at", "readiness")
        if assessed[row[0]] == row[1]
    ]
    if not rows:
        return []
    today = today or timezone.localdate()
    month = timezone.localdate(rows[0][2]).replace(day=1)
    points, latest, i = [], {}, 0
    while month <= today:
        last_day = month.replace(day=calendar.monthrange(month.year, month.month)[1])
        while i < len(rows) and timezone.localdate(rows[i][2]) <= last_day:
            latest[rows[i][0]] = rows[i][3]
            i += 1
        points.append(MonthPoint(month, round(fmean(latest.values()), 1), len(latest)))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return points


# Why a rating needs a manager's eye in a review (review by exception).
CHANGED = "changed"
NEVER_VALIDATED = "never-validated"
FAR_FROM_VALIDATED = "far"
REVIEW_REASONS = {
    CHANGED: "changed since last validated",
    NEVER_VALIDATED: "essential, never validated",
    FAR_FROM_VALIDATED: "2 or more levels from the last validated",
}
# The review page's views of the list: what needs a manager (the default), or all of it.
REVIEW_FILTERS = {
    "needs": "What needs you",
    "all": "Every rating",
    "essentials": "Essentials",
    "changed": "Changed since validated",
    "unvalidated": "Never validated",
}


def review_reasons(rating: Rating) -> tuple[str, ...]:
    """What makes a submitted rating need a manager: its self rating changed since a level
    was last validated for it, it is an essential never validated, or it is 2 or more
    levels from the last validated one (read the rating with its carried_from). None of
    these: the rest, which a manager may accept as rated at once."""
    level = rating.level if rating.answered and rating.level is not None else 0
    last = rating.last_validated_level
    if last is None:
        return (NEVER_VALIDATED,) if rating.relation == Requirement.Relation.ESSENTIAL else ()
    reasons = []
    set_since = (
        rating.rated_at is not None
        and rating.last_validated_at is not None
        and rating.rated_at > rating.last_validated_at
    )
    # A rating confirmed as it was has not changed, even when it is set anew.
    before = rating.carried_from
    moved = before is None or (before.answered, before.level) != (rating.answered, rating.level)
    if set_since and moved and level != last:
        reasons.append(CHANGED)
    if abs(level - last) >= 2:
        reasons.append(FAR_FROM_VALIDATED)
    return tuple(reasons)


def review_shows(rating: Rating, reasons: tuple[str, ...], view: str) -> bool:
    """Whether the review page's `view` (a REVIEW_FILTERS key) lists the rating."""
    return {
        "needs": bool(reasons),
        "all": True,
        "essentials": rating.relation == Requirement.Relation.ESSENTIAL,
        "changed": CHANGED in reasons,
        "unvalidated": rating.last_validated_level is None and rating.validated_level is None,
    }[view]


@dataclass(frozen=True)
class CycleSummary:
    """The top of a cycle board: how many members stand where, and how much is done."""

    members: int
    counts: dict[str, int]  # AssignmentState value -> members
    completion: int | None  # percent of members not excused who submitted
    days_left: int  # until self_due; negative once past

    @property
    def days_past(self) -> int:
        return -self.days_left

    @property
    def states(self) -> list[tuple[str, str, int]]:
        return [
            (value, label, self.counts.get(value, 0)) for value, label in AssignmentState.choices
        ]


def cycle_summary(cycle: ReviewCycle, today: date) -> CycleSummary:
    """One query: the members of the cycle counted by state."""
    rows = (
        Assignment.objects.filter(cycle=cycle)
        .with_state(today)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
    )
    counts = {row["state"]: row["n"] for row in rows}
    members = sum(counts.values())
    expected = members - counts.get(AssignmentState.EXCUSED, 0)
    done = counts.get(AssignmentState.SUBMITTED, 0) + counts.get(AssignmentState.REVIEWED, 0)
    return CycleSummary(
        members=members,
        counts=counts,
        completion=scoring.percent(Fraction(done, expected)) if expected else None,
        days_left=(cycle.self_due - today).days,
    )


@dataclass(frozen=True)
class Due:
    """What a member has to do in an open cycle, for the top of My assessments."""

    cycle: str
    team: str
    due: date
    days_left: int
    done: int
    total: int
    state: str
    url: str

    @property
    def state_label(self) -> str:
        return AssignmentState(self.state).label


def member_due(user, today: date) -> list[Due]:
    """The user's assignments in open cycles, soonest due first. One query."""
    rows = (
        Assignment.objects.filter(user=user, cycle__status=ReviewCycle.Status.OPEN)
        .with_state(today)
        .select_related("cycle__team", "assessment")
        .order_by("cycle__self_due", "pk")
    )
    return [
        Due(
            cycle=a.cycle.name,
            team=a.cycle.team.name,
            due=a.cycle.self_due,
            days_left=(a.cycle.self_due - today).days,
            done=a.done,
            total=a.total,
            state=a.state,
            url=a.assessment.get_absolute_url() if a.assessment else "",
        )
        for a in rows
    ]


@dataclass(frozen=True)
class ManagerCycle:
    cycle: ReviewCycle
    waiting: int  # submitted, waiting for the manager's review
    members: int
    submitted: int


def manager_cycles(user) -> list[ManagerCycle]:
    """The open cycles of the teams the user manages, with what waits for review. One query."""
    submitted = Q(assignments__assessment__status=Assessment.Status.SUBMITTED)
    cycles = (
        ReviewCycle.objects.filter(
            status=ReviewCycle.Status.OPEN, team__in=user.managed_teams.all()
        )
        .select_related("team")
        .annotate(
            members=Count("assignments", distinct=True),
            submitted=Count("assignments", filter=submitted, distinct=True),
            waiting=Count(
                "assignments",
                filter=submitted & Q(assignments__assessment__reviewed_at__isnull=True),
                distinct=True,
            ),
        )
        .order_by("self_due", "pk")
    )
    return [ManagerCycle(c, c.waiting, c.members, c.submitted) for c in cycles]


@dataclass(frozen=True)
class CyclePoint:
    cycle: str
    closed: date
    readiness: float  # mean reviewed readiness of the assessments submitted in the cycle
    members: int  # who submitted
    expected: int  # members not excused


def readiness_by_cycle(team: Team) -> list[CyclePoint]:
    """Team readiness per closed cycle, oldest first: the mean of the assessments its
    members submitted for it (validated levels counted where given). One query."""
    submitted = Q(assignments__assessment__status=Assessment.Status.SUBMITTED)
    cycles = (
        team.cycles.filter(status=ReviewCycle.Status.CLOSED)
        .annotate(
            mean=Avg("assignments__assessment__readiness", filter=submitted),
            submitted=Count("assignments", filter=submitted),
            expected=Count("assignments", filter=~Q(assignments__status=Assignment.Status.EXCUSED)),
        )
        .order_by("closed_at", "pk")
    )
    return [
        CyclePoint(
            c.name, timezone.localdate(c.closed_at), round(c.mean, 1), c.submitted, c.expected
        )
        for c in cycles
        if c.mean is not None
    ]
