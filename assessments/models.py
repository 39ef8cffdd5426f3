"""Self-assessments: a person rates themselves against one occupation's profile.

A draft's lines come from the occupation's live profile. Submitting copies each
requirement's relation, target and weight onto the assessment's ratings, so editing
the taxonomy later never rewrites a past report. A manager of one of the person's teams
may then record a validated level per competence; the self rating stays as it was.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import (
    Case,
    CharField,
    Count,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from assessments import scoring
from taxonomy.models import (
    HTTP_URL_VALIDATOR,
    Competence,
    Occupation,
    Release,
    ReleaseChange,
    Requirement,
)


class ReviewState(models.TextChoices):
    """Where a manager's review of a submitted assessment stands (see review_state)."""

    NOT_REVIEWED = "not-reviewed", "Not reviewed"
    IN_REVIEW = "in-review", "In review"
    REVIEWED = "reviewed", "Reviewed"


def review_state(prefix: str = "") -> Case:
    """The review state of an assessment, as a database expression: the one definition,
    which every page, table, filter and export reads through an annotation.

    `prefix` is the path to the assessment from the model being queried.
    """
    return Case(
        When(**{f"{prefix}reviewed_at__isnull": False}, then=Value(ReviewState.REVIEWED)),
        When(**{f"{prefix}validated_count__gt": 0}, then=Value(ReviewState.IN_REVIEW)),
        default=Value(ReviewState.NOT_REVIEWED),
        output_field=CharField(),
    )


class AssessmentQuerySet(models.QuerySet):
    def drafts(self) -> AssessmentQuerySet:
        return self.filter(status=Assessment.Status.DRAFT)

    def submitted(self) -> AssessmentQuerySet:
        return self.filter(status=Assessment.Status.SUBMITTED)

    def owned_by(self, user) -> AssessmentQuerySet:
        """The user's own assessments: what every page of one person's assessment reads."""
        return self.filter(user=user)

    def with_review_state(self) -> AssessmentQuerySet:
        return self.annotate(review_state=review_state())

    def with_stale_essentials(self) -> AssessmentQuerySet:
        """Annotate `stale_essentials`: essentials rated longer ago than STALE_AFTER_MONTHS."""
        stale = (
            Rating.objects.filter(
                assessment=OuterRef("pk"),
                relation=Requirement.Relation.ESSENTIAL,
                answered=True,
                rated_at__lt=stale_before(timezone.now()),
            )
            .order_by()
            .values("assessment")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(stale_essentials=Coalesce(Subquery(stale), Value(0)))


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
    carried_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The submitted assessment this one started from: its ratings came over.",
    )
    release = models.ForeignKey(
        Release,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The release of the profile it was made against: set at start, moved on "
        "while a draft follows a newer one, fixed at submission.",
    )

    objects = AssessmentQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        # What the technician role means: rating oneself against an occupation.
        permissions = [("assess_self", "Can start and submit self-assessments")]
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

    @cached_property
    def profile_changes(self) -> ProfileChanges:
        """What releases imported since this draft started changed in its profile: the
        draft follows the live profile, and says so. Nothing for a submitted assessment,
        whose snapshot stands, and no query while the profile is the one it started on."""
        changes = ProfileChanges()
        if not self.is_draft or self.release_id == self.occupation.release_id:
            return changes
        K = ReleaseChange.Kind
        rows = ReleaseChange.objects.filter(
            occupation=self.occupation_id,
            recorded_at__gt=self.created_at,
            kind__in=[K.LINE_ADDED, K.LINE_REMOVED, K.LINE_RELATION],
        ).values_list("kind", "competence_id", "competence_title", "release__name")
        for kind, competence_id, title, release in rows:
            changes.releases.setdefault(release, None)
            if kind == K.LINE_ADDED:
                changes.added[competence_id] = release
            elif kind == K.LINE_REMOVED:
                changes.removed.append(title)
            else:
                changes.relation_changed.append(title)
        return changes

    @cached_property
    def review_state(self) -> str:
        """The ReviewState value; read with the row by AssessmentQuerySet.with_review_state(),
        else asked of the database, so there is one definition (review_state())."""
        return Assessment.objects.with_review_state().values_list("review_state").get(pk=self.pk)[0]

    @property
    def review_status(self) -> str:
        """The review state in words."""
        return ReviewState(self.review_state).label

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


@dataclass
class ProfileChanges:
    added: dict[int, str] = field(default_factory=dict)  # competence id -> release name
    removed: list[str] = field(default_factory=list)  # competence titles
    relation_changed: list[str] = field(default_factory=list)
    releases: dict[str, None] = field(default_factory=dict)  # in order, once each

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.relation_changed)

    @property
    def release_names(self) -> str:
        return ", ".join(self.releases)


def _line(competence: Competence, relation, target, weight, rating: Rating | None):
    return scoring.Line(
        key=competence.pk,
        title=competence.title,
        relation=relation,
        target=target,
        weight=weight,
        level=rating.self_level if rating else None,
        kind=competence.kind,
        reuse_level=competence.reuse_level,
        answered=rating is not None and rating.answered,
    )


def stale_before(now: datetime) -> datetime:
    """Ratings last set or confirmed before this moment are stale: STALE_AFTER_MONTHS ago."""
    months = now.year * 12 + now.month - 1 - settings.STALE_AFTER_MONTHS
    year, month = divmod(months, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def months_since(moment: datetime, now: datetime) -> int:
    """Whole months from `moment` to `now`: "rated 14 months ago"."""
    months = (now.year - moment.year) * 12 + now.month - moment.month
    return months - (now.day < moment.day)


class RatingState(models.TextChoices):
    """The one vocabulary for where a self rating stands, on every page and in every file.
    Both "Don't know" and "Not rated" count as level 0."""

    RATED = "rated", "Rated"
    DONT_KNOW = "dont-know", "Don't know"
    UNRATED = "unrated", "Not rated"


def rating_state(answered: bool, level: int | None) -> RatingState:
    if not answered:
        return RatingState.UNRATED
    return RatingState.DONT_KNOW if level is None else RatingState.RATED


class RatingQuerySet(models.QuerySet):
    def with_counted_level(self) -> RatingQuerySet:
        """Annotate `counted`: the level the figures count (see counted_level)."""
        return self.annotate(counted=counted_level())

    def counted_levels(self, assessment_ids: list[int]) -> dict[tuple[int, int], int]:
        """{(competence id, assessment id): level counted} over submitted lines."""
        rows = self.filter(assessment_id__in=assessment_ids, relation__gt="")
        return {
            (competence, assessment): counted
            for competence, assessment, counted in rows.with_counted_level().values_list(
                "competence_id", "assessment_id", "counted"
            )
        }


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
    validated_at = models.DateTimeField(null=True, blank=True)
    accepted = models.BooleanField(
        default=False, help_text="Validated by accepting the self rating as it stood."
    )
    # Carry-over: a new draft starts from the person's latest submitted assessment.
    rated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the level was last set or confirmed."
    )
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    carried = models.BooleanField(
        default=False, help_text="Carried over, and neither changed nor confirmed since."
    )
    # The last level a manager validated for this competence before this assessment, and
    # when: what a review compares the self rating with.
    last_validated_level = models.PositiveSmallIntegerField(null=True, blank=True)
    last_validated_at = models.DateTimeField(null=True, blank=True)

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

    def is_stale(self, now: datetime) -> bool:
        return self.rated_at is not None and self.rated_at < stale_before(now)


def counted_level(prefix: str = "") -> Coalesce:
    """The level a rating counts with once submitted: the validated level where a manager
    gave one, else the self rating, unrated and "Don't know" as 0. The one definition: the
    stored figures, the team report, the heat map and the exports all read it.

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
    url = models.URLField(max_length=500, unique=True, validators=[HTTP_URL_VALIDATOR])
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COURSE)
    description = models.TextField(blank=True)
    competences = models.ManyToManyField(Competence, related_name="learning_resources")

    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
