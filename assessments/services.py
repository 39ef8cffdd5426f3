"""Writes that touch assessments: start, save ratings, submit."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from assessments.models import Assessment, LearningResource, Rating
from taxonomy.models import Occupation, Requirement


class AssessmentError(Exception):
    """A write the assessment's state does not allow; the message is for the user."""


@dataclass(frozen=True)
class Answer:
    """What one save says about one competence. `answered` false: level left as it was."""

    competence_id: int
    answered: bool
    level: int | None
    confidence: str
    evidence: str
    seq: int


def assessment_start(*, user: AbstractBaseUser, occupation: Occupation) -> Assessment:
    """The user's open draft for the occupation, created when there is none."""
    drafts = Assessment.objects.drafts().filter(user=user, occupation=occupation)
    draft = drafts.first()
    if draft is not None:
        return draft
    try:
        with transaction.atomic():
            return Assessment.objects.create(user=user, occupation=occupation)
    except IntegrityError:
        # A double click raced us to it: the constraint allows one draft, use it.
        return drafts.get()


# One statement per batch, so two saves of one rating never interleave a read and a
# write. A save older than the stored one (lower seq) changes nothing; a save without a
# level keeps the stored level.
_UPSERT = """
INSERT INTO {t} (assessment_id, competence_id, answered, level, confidence, evidence, seq,
                 updated_at, relation)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '')
ON CONFLICT (assessment_id, competence_id) DO UPDATE SET
    answered = (excluded.answered OR {t}.answered),
    level = CASE WHEN excluded.answered THEN excluded.level ELSE {t}.level END,
    confidence = excluded.confidence,
    evidence = excluded.evidence,
    seq = excluded.seq,
    updated_at = excluded.updated_at
WHERE {t}.seq <= excluded.seq
"""


def ratings_save(*, assessment: Assessment, answers: list[Answer]) -> None:
    """Upsert the answers into a draft; refuses a submitted assessment.

    The assessment row is locked first, so a save cannot land after a concurrent submit.
    """
    now = timezone.now()
    rows = [
        (
            assessment.pk,
            a.competence_id,
            a.answered,
            a.level,
            a.confidence,
            a.evidence,
            a.seq,
            now,
        )
        for a in answers
    ]
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().only("status").get(pk=assessment.pk)
        if not locked.is_draft:
            raise AssessmentError("This assessment is submitted and can no longer change.")
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(_UPSERT.format(t=Rating._meta.db_table), rows)
        Assessment.objects.filter(pk=assessment.pk).update(updated_at=now)


@transaction.atomic
def assessment_submit(*, assessment: Assessment, user: AbstractBaseUser) -> Assessment:
    """Freeze the profile into the ratings and mark the assessment submitted."""
    locked = (
        Assessment.objects.select_for_update().select_related("occupation").get(pk=assessment.pk)
    )
    if locked.user_id != user.pk:
        raise AssessmentError("Only the owner can submit an assessment.")
    if not locked.is_draft:
        raise AssessmentError("This assessment is already submitted.")
    requirements = list(Requirement.objects.filter(occupation=locked.occupation_id))
    if not requirements:
        raise AssessmentError("This occupation has no competence profile to assess against.")
    answered = set(
        Rating.objects.filter(assessment=locked, answered=True).values_list(
            "competence_id", flat=True
        )
    )
    essentials = [r for r in requirements if r.relation == Requirement.Relation.ESSENTIAL]
    missing = [r for r in essentials if r.competence_id not in answered]
    if missing:
        raise AssessmentError(
            f"Rate every essential competence first: {len(missing)} still to rate."
        )
    Rating.objects.bulk_create(
        [
            Rating(
                assessment=locked,
                competence_id=r.competence_id,
                relation=r.relation,
                target_level=r.target_level,
                weight=r.weight,
            )
            for r in requirements
        ],
        update_conflicts=True,
        unique_fields=["assessment", "competence"],
        update_fields=["relation", "target_level", "weight"],
        batch_size=500,
    )
    locked.status = Assessment.Status.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["status", "submitted_at", "updated_at"])
    return locked


def demo_assessments_create(*, user: AbstractBaseUser, occupation_code: str) -> None:
    """A submitted assessment from two months ago and a half-finished draft, for demos.

    Levels are made up but repeatable: they come from a checksum of each competence title.
    """
    occupation = Occupation.objects.get(code=occupation_code)
    requirements = list(occupation.requirements.select_related("competence"))
    earlier = assessment_start(user=user, occupation=occupation)
    ratings_save(
        assessment=earlier,
        answers=[
            Answer(r.competence_id, True, zlib.crc32(r.competence.title.encode()) % 5, "", "", 1)
            for r in requirements
        ],
    )
    assessment_submit(assessment=earlier, user=user)
    Assessment.objects.filter(pk=earlier.pk).update(
        created_at=timezone.now() - timedelta(days=70),
        submitted_at=timezone.now() - timedelta(days=60),
    )
    draft = assessment_start(user=user, occupation=occupation)
    ratings_save(
        assessment=draft,
        answers=[
            Answer(
                r.competence_id,
                True,
                min(4, zlib.crc32(r.competence.title.encode()) % 5 + 1),
                "medium",
                "",
                1,
            )
            for r in requirements[: len(requirements) // 2]
        ],
    )


@transaction.atomic
def learning_resources_import(*, rows: list[dict[str, str]], occupation_code: str) -> str:
    """Create or update resources by URL; `competences` names titles of the profile, ";"-separated.

    Returns a one-line summary. An unknown title stops the import and changes nothing.
    """
    profile = dict(
        Requirement.objects.filter(occupation__code=occupation_code).values_list(
            "competence__title", "competence_id"
        )
    )
    existing = {r.url: r for r in LearningResource.objects.prefetch_related("competences")}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for number, row in enumerate(rows, start=2):
        titles = [t.strip() for t in row["competences"].split(";") if t.strip()]
        unknown = [t for t in titles if t not in profile]
        if unknown:
            raise AssessmentError(
                f"learning resources, record {number}, column competences: "
                f"not in the {occupation_code} profile: {', '.join(unknown)}"
            )
        wanted = {profile[t] for t in titles}
        resource = existing.get(row["url"])
        if resource is None:
            resource = LearningResource.objects.create(
                url=row["url"], title=row["title"], kind=row["kind"]
            )
            counts["created"] += 1
        elif (resource.title, resource.kind) == (row["title"], row["kind"]) and wanted == {
            c.pk for c in resource.competences.all()
        }:
            counts["unchanged"] += 1
            continue
        else:
            resource.title, resource.kind = row["title"], row["kind"]
            resource.save()
            counts["updated"] += 1
        resource.competences.set(wanted)
    summary = "Learning resources: " + ", ".join(f"{n} {label}" for label, n in counts.items())
    summary += "."
    if not counts["created"] and not counts["updated"]:
        summary += " Nothing changed."
    return summary
