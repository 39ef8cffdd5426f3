"""Writes that touch assessments: start, save ratings, submit, review; people and teams."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from assessments import scoring
from assessments.models import Assessment, LearningResource, Membership, Rating, Team, TeamExport
from assessments.tasks import team_export_build
from taxonomy.models import Occupation, Requirement
from taxonomy.services import Counts
from taxonomy.tabular import DataError


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


# One statement per answer, so two saves of one rating never interleave a read and a
# write. A save from the stored one's client with a lower seq changes nothing, and then
# returns no row; a save without a level keeps the stored level. Sequences are only
# compared within one client: clocks and counters of different devices mean nothing to
# each other, so their saves apply in the order they arrive.
_UPSERT = """
INSERT INTO {t} (assessment_id, competence_id, answered, level, confidence, evidence, client,
                 seq, updated_at, relation)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, '')
ON CONFLICT (assessment_id, competence_id) DO UPDATE SET
    answered = (excluded.answered OR {t}.answered),
    level = CASE WHEN excluded.answered THEN excluded.level ELSE {t}.level END,
    confidence = excluded.confidence,
    evidence = excluded.evidence,
    client = excluded.client,
    seq = excluded.seq,
    updated_at = excluded.updated_at
WHERE excluded.client = '' OR {t}.client <> excluded.client OR {t}.seq <= excluded.seq
RETURNING competence_id
"""


def ratings_save(
    *, assessment: Assessment, answers: list[Answer], by: AbstractBaseUser | None = None
) -> set[int]:
    """Upsert the answers into a draft; refuses a submitted assessment. Returns the
    competences whose answer was stored: an answer overtaken by a later save of the same
    client is not.

    The assessment row is locked first, so a save cannot land after a concurrent submit.
    Each save adds the ratings as they now stand to their history, made `by` the user.
    """
    now = timezone.now()
    stored = set()
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().only("status").get(pk=assessment.pk)
        if not locked.is_draft:
            raise AssessmentError("This assessment is submitted and can no longer change.")
        sql = _UPSERT.format(t=Rating._meta.db_table)
        with connection.cursor() as cursor:
            for a in answers:
                values = (assessment.pk, a.competence_id, a.answered, a.level, a.confidence)
                cursor.execute(sql, (*values, a.evidence, a.client, a.seq, now))
                stored.update(row[0] for row in cursor.fetchall())
        if stored:
            saved = Rating.objects.filter(assessment=assessment, competence_id__in=stored)
            Rating.history.bulk_history_create(saved, update=True, default_user=by)
            Assessment.objects.filter(pk=assessment.pk).update(updated_at=now)
    return stored


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
    ratings = list(locked.ratings.exclude(relation=""))
    Rating.history.bulk_history_create(ratings, update=True, default_user=user)
    _summarise(locked, ratings)
    locked.save(update_fields=["status", "submitted_at", "updated_at", *SUMMARY_FIELDS])
    return locked


SUMMARY_FIELDS = ["readiness", "essentials_met", "essentials_total", "validated_count", "self_bias"]


def _summarise(assessment: Assessment, ratings: list[Rating]) -> None:
    """Set the figures the team report reads (see Assessment.readiness) from the ratings."""
    lines = [
        scoring.Line(
            key=r.competence_id,
            title="",
            relation=r.relation,
            target=r.target_level,
            weight=r.weight,
            level=r.effective_level,
        )
        for r in ratings
    ]
    validated = [
        (r.self_level, r.validated_level) for r in ratings if r.validated_level is not None
    ]
    assessment.readiness = scoring.percent(scoring.readiness(lines))
    assessment.essentials_met, assessment.essentials_total = scoring.essentials_met(lines)
    assessment.validated_count = len(validated)
    assessment.self_bias = scoring.self_bias(validated)


@dataclass(frozen=True)
class Validation:
    """A reviewer's word on one competence: a level (None: not validated) and a comment."""

    competence_id: int
    level: int | None
    comment: str


@transaction.atomic
def review_save(
    *,
    assessment: Assessment,
    reviewer: AbstractBaseUser,
    validations: Iterable[Validation],
    done: bool,
) -> Assessment:
    """Record validated levels and comments on a submitted assessment; `done` stamps it.

    The self ratings are left as they were. Competences outside the assessment are refused.
    """
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.is_draft:
        raise AssessmentError("Only a submitted assessment can be reviewed.")
    if locked.user_id == reviewer.pk:
        raise AssessmentError("You cannot review your own assessment.")
    ratings = {r.competence_id: r for r in locked.ratings.exclude(relation="")}
    changed = []
    for v in validations:
        rating = ratings.get(v.competence_id)
        if rating is None:
            raise AssessmentError("That competence is not part of this assessment.")
        if (rating.validated_level, rating.review_comment) != (v.level, v.comment):
            rating.validated_level, rating.review_comment = v.level, v.comment
            changed.append(rating)
    Rating.objects.bulk_update(changed, ["validated_level", "review_comment"], batch_size=500)
    Rating.history.bulk_history_create(changed, update=True, default_user=reviewer)
    _summarise(locked, list(ratings.values()))
    fields = [*SUMMARY_FIELDS, "updated_at"]
    if done:
        locked.reviewed_at, locked.reviewed_by = timezone.now(), reviewer
        fields += ["reviewed_at", "reviewed_by"]
    locked.save(update_fields=fields)
    return locked


@transaction.atomic
def team_export_request(*, team: Team, user: AbstractBaseUser, fmt: str) -> TeamExport:
    """Ask the task worker for a full export of the team. The database task backend
    stores the task in this transaction, so the worker never sees one without the other.
    """
    export = TeamExport.objects.create(team=team, requested_by=user, format=fmt)
    export.task_id = team_export_build.enqueue(export.pk).id
    export.save(update_fields=["task_id"])
    return export


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
            Answer(r.competence_id, True, zlib.crc32(r.competence.title.encode()) % 5, "", "")
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
            )
            for r in requirements[: len(requirements) // 2]
        ],
    )


DEMO_MEMBERS = [  # username, full name, days since their submission
    ("amira", "Amira Haddad", 12),
    ("bjorn", "Björn Larsen", 35),
    ("chen", "Chen Wei", 70),
    ("dolores", "Dolores Ruiz", 100),
    ("emeka", "Emeka Obi", 130),
    ("farah", "Farah Khan", 160),
]


def demo_team_create(
    *, manager: AbstractBaseUser, technician: AbstractBaseUser, occupation_code: str
) -> Team:
    """The demo manager's team: the demo technician and six colleagues, each with a
    submitted assessment from a different month, levels from a checksum as above.
    """
    occupation = Occupation.objects.get(code=occupation_code)
    team = Team.objects.create(name="ICT support", occupation=occupation)
    team.managers.add(manager)
    Membership.objects.create(team=team, user=technician)
    requirements = list(occupation.requirements.select_related("competence"))
    technicians = Group.objects.get(name="technician")
    User = get_user_model()
    for username, full_name, days in DEMO_MEMBERS:
        first, _, last = full_name.partition(" ")
        user = User(username=username, first_name=first, last_name=last)
        user.set_unusable_password()
        user.save()
        user.groups.add(technicians)
        Membership.objects.create(team=team, user=user)
        assessment = assessment_start(user=user, occupation=occupation)
        ratings_save(
            assessment=assessment,
            answers=[
                Answer(
                    r.competence_id,
                    True,
                    zlib.crc32(f"{username} {r.competence.title}".encode()) % 5,
                    "",
                    "",
                )
                for r in requirements
            ],
        )
        assessment_submit(assessment=assessment, user=user)
        moment = timezone.now() - timedelta(days=days)
        Assessment.objects.filter(pk=assessment.pk).update(created_at=moment, submitted_at=moment)
    return team


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


PEOPLE_COLUMNS = ["username", "email", "full_name", "team", "role", "occupation_code"]
ROLE_GROUPS = {"member": "technician", "manager": "manager"}


@dataclass
class PeopleSummary:
    users: Counts = field(default_factory=Counts)
    teams: Counts = field(default_factory=Counts)
    memberships: Counts = field(default_factory=Counts)
    managers: Counts = field(default_factory=Counts)

    def __str__(self) -> str:
        parts = [f"{name}: {counts}" for name, counts in vars(self).items()]
        changed = any(c.created or c.updated for c in vars(self).values())
        return "People: " + "; ".join(parts) + "." + ("" if changed else " Nothing changed.")


@transaction.atomic
def people_import(*, name: str, records: Iterable[tuple[int, dict[str, str]]]) -> PeopleSummary:
    """Create or update users, teams, memberships and managers from PEOPLE_COLUMNS records.

    Adds and updates only: people missing from the file are left where they are. New
    users get an unusable password (set one in admin). Any bad value stops the import
    with a DataError naming the file, record and column, and nothing is written.
    """
    rows = [(record, _person(name, record, row)) for record, row in records]
    if not rows:
        raise DataError(name, "no records after the header")
    seen: dict[tuple[str, str, str], int] = {}
    for record, row in rows:
        key = (row["username"], row["team"], row["role"])
        if key in seen:
            raise DataError(
                name,
                f"{row['username']!r} is already a {row['role']} of {row['team']!r} "
                f"(record {seen[key]})",
                record=record,
                column="username",
            )
        seen[key] = record
    occupations = {o.code: o for o in Occupation.objects.filter(code__in=_codes(rows))}
    for record, row in rows:
        if row["occupation_code"] and row["occupation_code"] not in occupations:
            raise DataError(
                name,
                f"no occupation has the code {row['occupation_code']!r}",
                record=record,
                column="occupation_code",
            )
    summary = PeopleSummary()
    users = _users_sync(rows, summary.users)
    teams = _teams_sync(name, rows, occupations, summary.teams)
    groups = {role: Group.objects.get_or_create(name=g)[0] for role, g in ROLE_GROUPS.items()}
    memberships = {
        (m.team_id, m.user_id): m
        for m in Membership.objects.filter(team__in=teams.values(), user__in=users.values())
    }
    managed = set(
        Team.managers.through.objects.filter(team__in=teams.values()).values_list(
            "team_id", "user_id"
        )
    )
    for _record, row in rows:
        user, team = users[row["username"]], teams[row["team"]]
        user.groups.add(groups[row["role"]])
        if row["role"] == "manager":
            counts = summary.managers
            if (team.pk, user.pk) in managed:
                counts.unchanged += 1
            else:
                team.managers.add(user)
                counts.created += 1
            continue
        code = row["occupation_code"]
        occupation = None if not code or code == team.occupation.code else occupations[code]
        membership = memberships.get((team.pk, user.pk))
        if membership is None:
            Membership.objects.create(team=team, user=user, occupation=occupation)
            summary.memberships.created += 1
        elif membership.occupation_id != (occupation.pk if occupation else None):
            membership.occupation = occupation
            membership.save(update_fields=["occupation"])
            summary.memberships.updated += 1
        else:
            summary.memberships.unchanged += 1
    return summary


def _person(name: str, record: int, row: dict[str, str]) -> dict[str, str]:
    row = {column: value.strip() for column, value in row.items()}
    User = get_user_model()

    def refuse(column: str, message: str) -> DataError:
        return DataError(name, message, record=record, column=column)

    try:
        User.username_validator(row["username"])
    except ValidationError:
        raise refuse("username", "a username of letters, digits and @.+-_ only") from None
    if len(row["username"]) > 150:
        raise refuse("username", "longer than 150 characters")
    if row["email"]:
        try:
            validate_email(row["email"])
        except ValidationError:
            raise refuse("email", f"{row['email'][:60]!r} is not an email address") from None
    first, _, last = row["full_name"].partition(" ")
    if len(first) > 150 or len(last) > 150:  # Django keeps first and last name apart
        raise refuse("full_name", "a first or last name longer than 150 characters")
    if not row["team"] or len(row["team"]) > 100:
        raise refuse("team", "a team name of 1 to 100 characters is needed")
    if row["role"] not in ROLE_GROUPS:
        raise refuse("role", f"{row['role'][:20]!r} is not a role: use member or manager")
    return row


def _codes(rows: list[tuple[int, dict[str, str]]]) -> set[str]:
    return {row["occupation_code"] for _, row in rows if row["occupation_code"]}


def _users_sync(
    rows: list[tuple[int, dict[str, str]]], counts: Counts
) -> dict[str, AbstractBaseUser]:
    User = get_user_model()
    wanted: dict[str, dict[str, str]] = {}
    for _, row in rows:  # the last record naming a user wins
        first, _, last = row["full_name"].partition(" ")
        wanted[row["username"]] = {"email": row["email"], "first_name": first, "last_name": last}
    users = {u.username: u for u in User.objects.filter(username__in=wanted)}
    for username, values in wanted.items():
        user = users.get(username)
        if user is None:
            user = User(username=username, **values)
            user.set_unusable_password()
            user.save()
            users[username] = user
            counts.created += 1
        elif all(getattr(user, k) == v for k, v in values.items()):
            counts.unchanged += 1
        else:
            for k, v in values.items():
                setattr(user, k, v)
            user.save(update_fields=list(values))
            counts.updated += 1
    return users


def _teams_sync(
    name: str,
    rows: list[tuple[int, dict[str, str]]],
    occupations: dict[str, Occupation],
    counts: Counts,
) -> dict[str, Team]:
    """The teams the file names; a new one is assessed against its first occupation code."""
    named = Team.objects.filter(name__in={r["team"] for _, r in rows}).select_related("occupation")
    teams = {t.name: t for t in named}
    teams_named = {}
    for record, row in rows:
        teams_named.setdefault(row["team"], record)
    for team_name, first_record in teams_named.items():
        if team_name in teams:
            counts.unchanged += 1
            continue
        code = next(
            (
                r["occupation_code"]
                for _, r in rows
                if r["team"] == team_name and r["occupation_code"]
            ),
            None,
        )
        if code is None:
            raise DataError(
                name,
                f"team {team_name!r} is new: give an occupation_code for it",
                record=first_record,
                column="occupation_code",
            )
        teams[team_name] = Team.objects.create(name=team_name, occupation=occupations[code])
        counts.created += 1
    return teams
