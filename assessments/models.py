"""Self-assessments: a person rates themselves against one occupation's profile.

A draft's lines come from the occupation's live profile. Submitting copies each
requirement's relation, target and weight onto the assessment's ratings, so editing
the taxonomy later never rewrites a past report. A manager of one of the person's teams
may then record a validated level per competence; the self rating stays as it was.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean

from django.conf import settings
from django.db import models
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Greatest, Lower
from django.db.models.lookups import Exact
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from assessments import scoring
from config.tasks import task_statuses
from taxonomy.models import Competence, Occupation, Requirement


class AssessmentQuerySet(models.QuerySet):
    def drafts(self) -> AssessmentQuerySet:
        return self.filter(status=Assessment.Status.DRAFT)

    def submitted(self) -> AssessmentQuerySet:
        return self.filter(status=Assessment.Status.SUBMITTED)


class Assessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessments"
    )
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Figures of a submitted assessment with the validated level where a manager gave one,
    # else the self rating; the team report sorts and filters on them. Written by the
    # services on submit and on every review save (services._summarise).
    readiness = models.PositiveSmallIntegerField(null=True, blank=True)
    essentials_met = models.PositiveSmallIntegerField(null=True, blank=True)
    essentials_total = models.PositiveSmallIntegerField(null=True, blank=True)
    validated_count = models.PositiveSmallIntegerField(default=0)
    self_bias = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Mean of self minus validated level where validated: above 0 is over-rating.",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AssessmentQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "occupation"],
                condition=Q(status="draft"),
                name="one_draft_per_occupation",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
                name="submitted_assessment_has_date",
            ),
        ]
        indexes = [models.Index(fields=["user", "occupation", "status"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.occupation.title} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        if self.is_draft:
            return reverse("assessments:assessment-rate", args=[self.pk])
        return reverse("assessments:assessment-report", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def review_status(self) -> str:
        if self.reviewed_at is not None:
            return REVIEW_STATES["reviewed"]
        return REVIEW_STATES["in-review" if self.validated_count else "not-reviewed"]

    def lines(self, requirements: list[Requirement], ratings: list[Rating]) -> list[scoring.Line]:
        """The scoring lines: the live profile for a draft, the snapshot once submitted.

        `requirements` (with competences) is only read for a draft; `ratings` (with
        competences) are this assessment's.
        """
        by_competence = {rating.competence_id: rating for rating in ratings}
        if self.is_draft:
            return [
                _line(
                    r.competence,
                    r.relation,
                    r.target_level,
                    r.weight,
                    by_competence.get(r.competence_id),
                )
                for r in requirements
            ]
        return [
            _line(rating.competence, rating.relation, rating.target_level, rating.weight, rating)
            for rating in ratings
            if rating.relation
        ]


def _line(competence: Competence, relation, target, weight, rating: Rating | None):
    return scoring.Line(
        key=competence.pk,
        title=competence.title,
        relation=relation,
        target=target,
        weight=weight,
        level=rating.level if rating else None,
        kind=competence.kind,
        reuse_level=competence.reuse_level,
    )


REVIEW_STATES = {
    "not-assessed": "Not assessed",
    "not-reviewed": "Not reviewed",
    "in-review": "In review",
    "reviewed": "Reviewed",
}


class RatingQuerySet(models.QuerySet):
    def effective_levels(self, assessment_ids: list[int]) -> dict[tuple[int, int], int]:
        """{(competence id, assessment id): level counted} over submitted lines, unrated as 0.

        Rating.effective_level, read as plain values: a heat map asks for thousands.
        """
        rows = self.filter(assessment_id__in=assessment_ids, relation__gt="").values_list(
            "competence_id", "assessment_id", "answered", "level", "validated_level"
        )
        levels = {}
        for competence, assessment, answered, level, validated in rows:
            if validated is None:
                validated = (level or 0) if answered else 0
            levels[(competence, assessment)] = validated
        return levels


class Rating(models.Model):
    """A person's level on one competence, in one assessment.

    `answered` is false until a level or "Don't know" (level empty) is chosen, so a
    confidence or note can be kept before the level. `client` and `seq` order the saves
    of one rating: a save from the client that made the stored one, carrying an older
    sequence, changes nothing. Saves from another client (another device or tab), or
    from no client at all (the plain form), apply in the order they arrive.
    """

    class Confidence(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    competence = models.ForeignKey(Competence, on_delete=models.PROTECT, related_name="ratings")
    answered = models.BooleanField(default=False)
    level = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty when the answer was “Don't know”."
    )
    confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    evidence = models.CharField(max_length=500, blank=True)
    client = models.CharField(max_length=64, blank=True, help_text="Who sent the last save.")
    seq = models.BigIntegerField(default=0, help_text="That client's count of its saves.")
    updated_at = models.DateTimeField(auto_now=True)
    # The requirement as it stood at submission; empty while the assessment is a draft.
    relation = models.CharField(max_length=10, choices=Requirement.Relation.choices, blank=True)
    target_level = models.PositiveSmallIntegerField(null=True, blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    # A manager's review of a submitted assessment.
    validated_level = models.PositiveSmallIntegerField(null=True, blank=True)
    review_comment = models.CharField(max_length=500, blank=True, db_default="")

    objects = RatingQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["assessment", "competence__title"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "competence"], name="unique_rating"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.competence_id} = {self.level}"

    @property
    def self_level(self) -> int | None:
        """The level the person gave; None when unrated or "Don't know"."""
        return self.level if self.answered else None

    @property
    def effective_level(self) -> int | None:
        """What the team report counts: the validated level where there is one."""
        return self.self_level if self.validated_level is None else self.validated_level


def effective_level(prefix: str = "") -> Coalesce:
    """Rating.effective_level as a database expression, counting an unrated one as 0.

    `prefix` is the path to the rating from the model being queried, e.g. "r__".
    """
    return Coalesce(
        f"{prefix}validated_level",
        Case(When(**{f"{prefix}answered": True}, then=Coalesce(f"{prefix}level", Value(0)))),
        Value(0),
    )


class LearningResource(models.Model):
    class Kind(models.TextChoices):
        COURSE = "course", "Course"
        CERTIFICATION = "certification", "Certification"
        DOCUMENTATION = "documentation", "Documentation"
        BOOK = "book", "Book"
        VIDEO = "video", "Video"
        OTHER = "other", "Other"

    title = models.CharField(max_length=255)
    url = models.URLField(max_length=500, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COURSE)
    description = models.TextField(blank=True)
    competences = models.ManyToManyField(Competence, related_name="learning_resources")

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Team(models.Model):
    """People assessed against one occupation by default, and who manages them.

    The team report counts each member's latest submitted assessment of the occupation they
    are assessed against, with the validated level where a manager gave one, else the self
    rating. Its reads run a fixed number of queries whatever the team's size: per-member
    figures are stored on the assessment (see Assessment.readiness), the rest is SQL.
    """

    name = models.CharField(max_length=100, unique=True)
    occupation = models.ForeignKey(
        Occupation,
        on_delete=models.PROTECT,
        related_name="teams",
        help_text="What members are assessed against, unless their membership says otherwise.",
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="managed_teams", blank=True
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams", blank=True
    )

    history = HistoricalRecords(m2m_fields=[managers])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assessments:team-report", args=[self.pk])

    def occupations(self) -> models.QuerySet[Occupation]:
        """The occupations the members are assessed against."""
        chosen = self.memberships.filter(occupation__isnull=False).values("occupation")
        return Occupation.objects.filter(Q(pk=self.occupation_id) | Q(pk__in=chosen)).order_by(
            "title"
        )

    def assessed_members(self, occupation: Occupation) -> list[dict]:
        """The members assessed against `occupation` who have submitted, by name: each as
        {"latest_id": their latest submitted assessment, "member_name": ...}."""
        return list(
            self.memberships.with_latest()
            .filter(assessed_id=occupation.pk, latest_id__isnull=False)
            .order_by(Lower("member_name"), "pk")
            .values("latest_id", "member_name")
        )

    @staticmethod
    def competence_summary(
        occupation: Occupation, assessment_ids: list[int], *, top_level: int
    ) -> models.QuerySet[Requirement]:
        """The occupation's profile lines, each with what the given assessments say of it.

        Targets are those each assessment was submitted against.
        """
        level = effective_level("r__")
        rated = Q(r__isnull=False)
        return (
            Requirement.objects.filter(occupation=occupation)
            .select_related("competence")
            .annotate(
                r=FilteredRelation(
                    "competence__ratings",
                    condition=Q(competence__ratings__assessment_id__in=assessment_ids),
                )
            )
            .annotate(
                assessed=Count("r"),
                meeting=Count("r", filter=rated & Q(r__target_level__lte=level)),
                mean_level=Avg(level, filter=rated),
                mean_gap=Avg(Greatest(F("r__target_level") - level, Value(0)), filter=rated),
                experts=Count("r", filter=rated & Exact(level, top_level)),
            )
            .annotate(
                coverage_risk=Case(
                    When(meeting__lt=2, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
        )

    def readiness_by_month(self, *, today: date | None = None) -> list[MonthPoint]:
        """For each month since the first submission, the mean readiness of the members'
        latest submitted assessments (of the occupation each is assessed against) as they
        stood at the month's end. Members not assessed by then are left out of that month.
        """
        assessed = {m.user_id: m.assessed_id for m in self.memberships.with_assessed()}
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


@dataclass(frozen=True)
class MonthPoint:
    month: date
    readiness: float
    members: int


class MembershipQuerySet(models.QuerySet):
    def with_assessed(self) -> MembershipQuerySet:
        """Annotate `assessed_id`: the occupation the member is assessed against."""
        return self.annotate(assessed_id=Coalesce("occupation", "team__occupation"))

    def with_latest(self) -> MembershipQuerySet:
        """Annotate each membership with the occupation it is assessed against, the
        member's display name, the figures of their latest submitted assessment of that
        occupation (None when there is none) and its review `state` (see REVIEW_STATES).
        """
        latest = (
            Assessment.objects.submitted()
            .filter(user=OuterRef("user"), occupation=OuterRef("assessed_id"))
            .annotate(essential_gaps=F("essentials_total") - F("essentials_met"))
            .order_by("-submitted_at", "-pk")
        )
        return (
            self.select_related("user")
            .with_assessed()
            .annotate(
                occupation_title=Coalesce("occupation__title", "team__occupation__title"),
                occupation_code=Coalesce("occupation__code", "team__occupation__code"),
                member_name=Case(
                    When(Q(user__first_name="") & Q(user__last_name=""), then="user__username"),
                    default=Concat("user__first_name", Value(" "), "user__last_name"),
                    output_field=CharField(),
                ),
            )
            .annotate(**{name: Subquery(latest.values(f)[:1]) for name, f in LATEST_FIELDS.items()})
            .annotate(
                state=Case(
                    When(latest_id=None, then=Value("not-assessed")),
                    When(reviewed_at__isnull=False, then=Value("reviewed")),
                    When(validated_count__gt=0, then=Value("in-review")),
                    default=Value("not-reviewed"),
                )
            )
        )


LATEST_FIELDS = {  # annotation: field of the latest submitted assessment
    "latest_id": "pk",
    "readiness": "readiness",
    "essentials_met": "essentials_met",
    "essentials_total": "essentials_total",
    "essential_gaps": "essential_gaps",
    "last_assessed": "submitted_at",
    "reviewed_at": "reviewed_at",
    "validated_count": "validated_count",
    "self_bias": "self_bias",
}


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    occupation = models.ForeignKey(
        Occupation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Leave empty to assess this member against the team's occupation.",
    )

    objects = MembershipQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["team", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="unique_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


EXPORT_KEEP = timedelta(days=7)
# An export not ready after this long has failed: its task never started (no worker is
# running) or hangs. One whose task failed, or whose worker died, shows as failed at once.
EXPORT_PENDING = timedelta(hours=1)


class TeamExportQuerySet(models.QuerySet):
    def current(self) -> TeamExportQuerySet:
        """Exports still kept: they hold personal data, so they go after EXPORT_KEEP."""
        return self.filter(requested_at__gte=timezone.now() - EXPORT_KEEP)

    def expired(self) -> TeamExportQuerySet:
        """Exports past EXPORT_KEEP whose file is still there."""
        return self.filter(requested_at__lt=timezone.now() - EXPORT_KEEP, content__isnull=False)

    def with_task_status(self) -> list[TeamExport]:
        """The exports, as a list, each with its task's status read for all at once (which
        TeamExport.state needs), so a list of exports costs the same queries at any length."""
        exports = list(self)
        statuses = task_statuses(e.task_id for e in exports if not (e.finished_at or e.failed_at))
        for export in exports:
            export.task_status = statuses.get(export.task_id)
        return exports


class TeamExport(models.Model):
    """A manager's full export of a team, built by a task (assessments.tasks) so the
    request that asks for it returns at once. The file is kept in the database, where
    every app server and worker can reach it. After EXPORT_KEEP the file goes (see the
    prune_exports command) and the row stays, as the record of who exported what.
    """

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel workbook: members, competences and every rating"
        CSV = "csv", "CSV: every rating, one row per member and competence"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_exports"
    )
    format = models.CharField(max_length=4, choices=Format.choices)
    requested_at = models.DateTimeField(default=timezone.now, db_index=True)
    task_id = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    content = models.BinaryField(null=True, blank=True)

    objects = TeamExportQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.team} export {self.pk} ({self.format})"

    def get_absolute_url(self) -> str:
        return reverse("assessments:team-export-detail", args=[self.team_id, self.pk])

    @cached_property
    def task_status(self) -> str | None:
        """Its task's status, a task whose worker stopped responding counted as failed;
        None once the task result is pruned. TeamExportQuerySet.with_task_status() reads
        it for many exports at once."""
        return task_statuses([self.task_id]).get(self.task_id)

    @property
    def state(self) -> str:
        """ "ready", "failed", "queued" or "running": what the list, the export's page and
        the refusal to ask twice all go by."""
        if self.finished_at:
            return "ready"
        if self.failed_at or self.requested_at < timezone.now() - EXPORT_PENDING:
            return "failed"
        if self.task_status == TaskResultStatus.READY:
            return "queued"
        # SUCCESSFUL too: the task finished after this row was read, so the next look
        # finds the file (the task saves it before it returns).
        if self.task_status in (TaskResultStatus.RUNNING, TaskResultStatus.SUCCESSFUL):
            return "running"
        return "failed"  # the task failed, its worker died, or its result is gone

    @property
    def expires_at(self):
        return self.requested_at + EXPORT_KEEP

    @property
    def filename(self) -> str:
        return f"{self.team.name} full export {self.requested_at:%Y-%m-%d}.{self.format}"
