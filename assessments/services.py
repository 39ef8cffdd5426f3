"""Writes that touch one person's assessment: start, save ratings, submit."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from assessments import scoring
from assessments.models import Assessment, Rating
from taxonomy.models import Occupation, Requirement


class AssessmentError(Exception):
    """A write the assessment's state does not allow; the message is for the user."""


@dataclass(frozen=True)
class Answer:
    """What one save says about one competence. `answered` false: level left as it was.

    `client` names the page (device, tab) that sent it and `seq` counts that page's saves,
    so a save overtaken by a later one of the same page changes nothing. Without a client
    (the plain form post), the save applies whatever came before it.
    """

    competence_id: int
    answered: bool
    level: int | None
    confidence: str
    evidence: str
    client: str = ""
    seq: int = 0


def assessment_start(*, user: AbstractBaseUser, occupation: Occupation) -> Assessment:
    """The user's open draft for the occupation, created when there is none. A new draft
    starts from the user's latest submitted assessment of the occupation, if any: see
    ratings_carry_over."""
    drafts = Assessment.objects.drafts().filter(user=user, occupation=occupation)
    draft = drafts.first()
    if draft is not None:
        return draft
    if occupation.retired_in_id is not None:
        raise AssessmentError(
            f"{occupation.title} was retired in {occupation.retired_in}: it is kept for the "
            "assessments made of it, but not offered for new ones."
        )
    latest = (
        Assessment.objects.submitted()
        .filter(user=user, occupation=occupation)
        .order_by("-submitted_at", "-pk")
        .first()
    )
    try:
        with transaction.atomic():
            draft = Assessment.objects.create(
                user=user,
                occupation=occupation,
                carried_from=latest,
                release_id=occupation.release_id,
            )
            if latest is not None:
                ratings_carry_over(draft=draft, source=latest, by=user)
            return draft
    except IntegrityError:
        # A double click raced us to it: the constraint allows one draft, use it.
        return drafts.get()


def ratings_carry_over(
    *, draft: Assessment, source: Assessment, by: AbstractBaseUser | None
) -> int:
    """Start the draft from the source's answers: each competence still in the draft's
    profile gets its level, confidence and evidence, marked carried (until changed or
    confirmed), with when it was last set and the last level a manager validated for it,
    and a history entry. Competences new in the profile start unrated; those gone from it
    stay behind. Returns how many came over.

    Two INSERT ... SELECT statements, whatever the size of the profile: starting a round
    is something a whole team does at once.
    """
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    reviewed_at = connection.ops.adapt_datetimefield_value(source.reviewed_at)
    quote = connection.ops.quote_name
    ratings, history = Rating._meta.db_table, Rating.history.model._meta.db_table
    requirements = Requirement._meta.db_table
    carry = f"""
        INSERT INTO {quote(ratings)} (assessment_id, competence_id, answered, level, confidence,
            evidence, client, seq, updated_at, relation, review_comment, accepted, rated_at,
            carried_from_id, carried, last_validated_level, last_validated_at)
        SELECT %s, r.competence_id, r.answered, r.level, r.confidence, r.evidence, '', 0, %s,
            '', '', %s, COALESCE(r.rated_at, r.updated_at), r.id, %s,
            COALESCE(r.validated_level, r.last_validated_level),
            CASE WHEN r.validated_level IS NOT NULL THEN COALESCE(r.validated_at, %s)
                 ELSE r.last_validated_at END
        FROM {quote(ratings)} r
        WHERE r.assessment_id = %s AND r.answered AND r.competence_id IN (
            SELECT competence_id FROM {quote(requirements)} WHERE occupation_id = %s)
    """
    # The history entry of each rating as it now stands, as simple-history would write it.
    columns = ", ".join(quote(f.column) for f in Rating._meta.concrete_fields)
    record = f"""
        INSERT INTO {quote(history)} ({columns}, history_date, history_change_reason,
            history_type, history_user_id)
        SELECT {columns}, %s, NULL, '+', %s FROM {quote(ratings)} WHERE assessment_id = %s
    """
    with connection.cursor() as cursor:
        cursor.execute(
            carry,
            [draft.pk, now, False, True, reviewed_at, source.pk, draft.occupation_id],
        )
        count = cursor.rowcount
        cursor.execute(record, [now, by.pk if by else None, draft.pk])
    return count


# One statement per answer, so two saves of one rating never interleave a read and a
# write. A save from the stored one's client with a lower seq changes nothing, and then
# returns no row; a save without a level keeps the stored level. Sequences are only
# compared within one client: clocks and counters of different devices mean nothing to
# each other, so their saves apply in the order they arrive.
#
# A level chosen anew (another level, or the first answer) sets the rating: it is no longer
# merely carried over, and its rated_at is now. A save that repeats the level it had (the
# plain form posts every radio; an autosave of the evidence posts the level beside it)
# leaves both as they were: only a confirm says "still accurate".
_ORDERED = "(%s = '' OR {t}.client <> %s OR {t}.seq <= %s)"
_CHANGED = (
    "excluded.answered AND (NOT {t}.answered OR COALESCE({t}.level, -1) <> "
    "COALESCE(excluded.level, -1))"
)
_UPSERT = f"""
INSERT INTO {{t}} (assessment_id, competence_id, answered, level, confidence, evidence, client,
                 seq, updated_at, rated_at, relation, carried, accepted, review_comment)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '', false, false, '')
ON CONFLICT (assessment_id, competence_id) DO UPDATE SET
    answered = (excluded.answered OR {{t}}.answered),
    level = CASE WHEN excluded.answered THEN excluded.level ELSE {{t}}.level END,
    confidence = excluded.confidence,
    evidence = excluded.evidence,
    client = excluded.client,
    seq = excluded.seq,
    updated_at = excluded.updated_at,
    rated_at = CASE WHEN {_CHANGED} THEN excluded.rated_at ELSE {{t}}.rated_at END,
    carried = CASE WHEN {_CHANGED} THEN false ELSE {{t}}.carried END
WHERE {_ORDERED}
RETURNING competence_id
"""
# A confirm says "still accurate": the level stays, the rating counts as set now. It takes
# its place in the same order as any other save of the rating.
_CONFIRM = f"""
UPDATE {{t}} SET carried = false, rated_at = %s, updated_at = %s, client = %s, seq = %s
WHERE assessment_id = %s AND competence_id IN ({{ids}}) AND answered AND {_ORDERED}
RETURNING competence_id
"""


def ratings_save(
    *, assessment: Assessment, answers: list[Answer], by: AbstractBaseUser | None = None
) -> set[int]:
    """Upsert the answers into a draft; refuses a submitted assessment. Returns the
    competences whose answer was stored: an answer overtaken by a later save of the same
    client is not. See _draft_write for the lock and the history."""
    sql = _UPSERT.format(t=Rating._meta.db_table)
    with _draft_write(assessment, by) as (now, cursor, written):
        for a in answers:
            values = (assessment.pk, a.competence_id, a.answered, a.level, a.confidence)
            rated_at = now if a.answered else None
            order = (a.client, a.client, a.seq)
            cursor.execute(sql, (*values, a.evidence, a.client, a.seq, now, rated_at, *order))
            written.update(row[0] for row in cursor.fetchall())
    return written


def ratings_confirm(
    *,
    assessment: Assessment,
    competence_ids: Iterable[int],
    client: str = "",
    seq: int = 0,
    by: AbstractBaseUser | None = None,
) -> set[int]:
    """Confirm answered ratings of a draft as still accurate; refuses a submitted one.
    Returns the competences confirmed: an unanswered one, or one a later save of the same
    client overtook, is not. Each confirm adds the rating to its history, as a save does."""
    ids = list(competence_ids)
    sql = _CONFIRM.format(t=Rating._meta.db_table, ids=", ".join(["%s"] * len(ids)))
    with _draft_write(assessment, by) as (now, cursor, written):
        if ids:
            cursor.execute(sql, (now, now, client, seq, assessment.pk, *ids, client, client, seq))
            written.update(row[0] for row in cursor.fetchall())
    return written


def ratings_apply(
    *,
    assessment: Assessment,
    answers: list[Answer],
    confirms: Iterable[int],
    client: str = "",
    seq: int = 0,
    by: AbstractBaseUser | None = None,
) -> tuple[set[int], set[int]]:
    """What the rating page's POST and the API's ratings operation ask: the answers saved,
    then the confirms. Returns (stored, confirmed), each without what a later save overtook."""
    confirms = list(confirms)
    stored = ratings_save(assessment=assessment, answers=answers, by=by) if answers else set()
    confirmed = (
        ratings_confirm(
            assessment=assessment, competence_ids=confirms, client=client, seq=seq, by=by
        )
        if confirms
        else set()
    )
    return stored, confirmed


@contextmanager
def _draft_write(assessment: Assessment, by: AbstractBaseUser | None):
    """A write to the ratings of a draft, in one transaction: the assessment row locked
    first (a save cannot land after a concurrent submit), then the caller's statements,
    which add the competences they wrote to `written`; each of those gets a history entry,
    made `by` the user. Yields the moment (as the database stores a datetime), a cursor and
    `written`."""
    moment = timezone.now()
    written: set[int] = set()
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().only("status").get(pk=assessment.pk)
        if not locked.is_draft:
            raise AssessmentError("This assessment is submitted and can no longer change.")
        with connection.cursor() as cursor:
            yield connection.ops.adapt_datetimefield_value(moment), cursor, written
        if written:
            saved = Rating.objects.filter(assessment=assessment, competence_id__in=written)
            Rating.history.bulk_history_create(saved.order_by(), update=True, default_user=by)
            Assessment.objects.filter(pk=assessment.pk).update(updated_at=moment)


@transaction.atomic
def assessment_submit(
    *, assessment: Assessment, user: AbstractBaseUser, confirm_rest: bool = False
) -> Assessment:
    """Freeze the profile into the ratings and mark the assessment submitted; with
    `confirm_rest`, the carried-over ratings still unconfirmed are confirmed first, in the
    same transaction, so a refused submit confirms nothing."""
    if confirm_rest:
        rest = assessment.ratings.filter(carried=True).values_list("competence_id", flat=True)
        ratings_confirm(assessment=assessment, competence_ids=list(rest), by=user)
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
    locked.release_id = locked.occupation.release_id  # the profile the snapshot is of
    ratings = list(locked.ratings.exclude(relation=""))
    Rating.history.bulk_history_create(ratings, update=True, default_user=user)
    assessment_summarise(assessment=locked)
    locked.save(update_fields=["status", "submitted_at", "updated_at", "release", *SUMMARY_FIELDS])
    return locked


SUMMARY_FIELDS = ["readiness", "essentials_met", "essentials_total", "validated_count", "self_bias"]


def assessment_summarise(*, assessment: Assessment) -> None:
    """Set the figures the team report reads (see Assessment.readiness) from the submitted
    ratings as the database holds them, each counting its counted_level(). The caller
    saves SUMMARY_FIELDS, in its own transaction."""
    rows = (
        Rating.objects.filter(assessment=assessment, relation__gt="")
        .with_counted_level()
        .values_list(
            "competence_id",
            "relation",
            "target_level",
            "weight",
            "counted",
            "answered",
            "level",
            "validated_level",
        )
    )
    lines, validated = [], []
    for competence, relation, target, weight, counted, answered, level, valid in rows:
        lines.append(scoring.Line(competence, "", relation, target, weight, level=counted))
        if valid is not None:
            validated.append((level if answered else None, valid))
    assessment.readiness = scoring.percent(scoring.readiness(lines))
    assessment.essentials_met, assessment.essentials_total = scoring.essentials_met(lines)
    assessment.validated_count = len(validated)
    assessment.self_bias = scoring.self_bias(validated)
