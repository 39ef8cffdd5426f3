"""Self-assessments: a person rates themselves against one occupation's profile.

A draft's lines come from the occupation's live profile. Submitting copies each
requirement's relation, target and weight onto the assessment's ratings, so editing
the taxonomy later never rewrites a past report.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from assessments import scoring
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

    objects = AssessmentQuerySet.as_manager()

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


class Rating(models.Model):
    """A person's level on one competence, in one assessment.

    `answered` is false until a level or "Don't know" (level empty) is chosen, so a
    confidence or note can be kept before the level. `seq` orders the saves of one
    rating: a save carrying an older sequence than the stored one changes nothing.
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
    seq = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    # The requirement as it stood at submission; empty while the assessment is a draft.
    relation = models.CharField(max_length=10, choices=Requirement.Relation.choices, blank=True)
    target_level = models.PositiveSmallIntegerField(null=True, blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["assessment", "competence__title"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "competence"], name="unique_rating"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id}: {self.competence_id} = {self.level}"


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

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
