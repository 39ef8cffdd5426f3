"""Writes that touch teams: a manager's review, full exports, people from a file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone

from assessments.models import Assessment, Rating
from assessments.services import SUMMARY_FIELDS, AssessmentError, assessment_summarise
from taxonomy.models import Occupation
from taxonomy.services import Counts
from taxonomy.tabular import DataError, quoted
from teams.models import Membership, Team, TeamExport
from teams.tasks import team_export_build


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
    now = timezone.now()
    for v in validations:
        rating = ratings.get(v.competence_id)
        if rating is None:
            raise AssessmentError("That competence is not part of this assessment.")
        if (rating.validated_level, rating.review_comment) != (v.level, v.comment):
            if rating.validated_level != v.level:
                rating.validated_at = now if v.level is not None else None
                rating.accepted = False
            rating.validated_level, rating.review_comment = v.level, v.comment
            changed.append(rating)
    Rating.objects.bulk_update(
        changed, ["validated_level", "review_comment", "validated_at", "accepted"], batch_size=500
    )
    Rating.history.bulk_history_create(changed, update=True, default_user=reviewer)
    assessment_summarise(assessment=locked)
    fields = [*SUMMARY_FIELDS, "updated_at"]
    if done:
        locked.reviewed_at, locked.reviewed_by = timezone.now(), reviewer
        fields += ["reviewed_at", "reviewed_by"]
    locked.save(update_fields=fields)
    return locked


def agreed_level(rating: Rating) -> int:
    """The level a manager validates by agreeing with the self rating: the self level,
    "Don't know" and unrated as 0, as every figure counts them."""
    return rating.self_level or 0


@transaction.atomic
def review_accept_rest(
    *, assessment: Assessment, reviewer: AbstractBaseUser, competence_ids: Iterable[int]
) -> int:
    """Accept the self ratings of these competences as rated: each one's validated level
    becomes its self level, marked accepted (not weighed one by one), in the history as the
    reviewer's. Ratings already validated are left alone. Returns how many were accepted."""
    locked = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.is_draft:
        raise AssessmentError("Only a submitted assessment can be reviewed.")
    if locked.user_id == reviewer.pk:
        raise AssessmentError("You cannot review your own assessment.")
    wanted = set(competence_ids)
    ratings = {r.competence_id: r for r in locked.ratings.exclude(relation="")}
    if wanted - set(ratings):
        raise AssessmentError("That competence is not part of this assessment.")
    now = timezone.now()
    accepted = []
    for competence_id in wanted:
        rating = ratings[competence_id]
        if rating.validated_level is None:
            rating.validated_level, rating.validated_at = agreed_level(rating), now
            rating.accepted = True
            accepted.append(rating)
    Rating.objects.bulk_update(accepted, ["validated_level", "validated_at", "accepted"])
    Rating.history.bulk_history_create(accepted, update=True, default_user=reviewer)
    assessment_summarise(assessment=locked)
    locked.save(update_fields=[*SUMMARY_FIELDS, "updated_at"])
    return len(accepted)


@transaction.atomic
def team_export_request(*, team: Team, user: AbstractBaseUser, fmt: str) -> TeamExport:
    """Ask the task worker for a full export of the team. The database task backend
    stores the task in this transaction, so the worker never sees one without the other.
    """
    export = TeamExport.objects.create(team=team, requested_by=user, format=fmt)
    export.task_id = team_export_build.enqueue(export.pk).id
    export.save(update_fields=["task_id"])
    return export


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
                f"{quoted(row['username'])} is already a {row['role']} of "
                f"{quoted(row['team'])} (record {seen[key]})",
                record=record,
                column="username",
            )
        seen[key] = record
    occupations = {o.code: o for o in Occupation.objects.filter(code__in=_codes(rows))}
    for record, row in rows:
        if row["occupation_code"] and row["occupation_code"] not in occupations:
            raise DataError(
                name,
                f"no occupation has the code {quoted(row['occupation_code'])}",
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

    def limit(model: type[models.Model], field: str) -> int:
        return model._meta.get_field(field).max_length

    try:
        User.username_validator(row["username"])
    except ValidationError:
        raise refuse("username", "a username of letters, digits and @.+-_ only") from None
    if len(row["username"]) > limit(User, "username"):
        raise refuse("username", f"longer than {limit(User, 'username')} characters")
    if row["email"]:
        if len(row["email"]) > limit(User, "email"):
            raise refuse("email", f"longer than {limit(User, 'email')} characters")
        try:
            validate_email(row["email"])
        except ValidationError:
            raise refuse("email", f"{quoted(row['email'])} is not an email address") from None
    first, _, last = row["full_name"].partition(" ")
    names = limit(User, "first_name"), limit(User, "last_name")
    if len(first) > names[0] or len(last) > names[1]:  # Django keeps them apart
        raise refuse("full_name", f"a first or last name longer than {min(names)} characters")
    if not row["team"] or len(row["team"]) > limit(Team, "name"):
        raise refuse("team", f"a team name of 1 to {limit(Team, 'name')} characters is needed")
    if row["role"] not in ROLE_GROUPS:
        raise refuse("role", f"{quoted(row['role'])} is not a role: use member or manager")
    if len(row["occupation_code"]) > limit(Occupation, "code"):
        raise refuse("occupation_code", f"longer than {limit(Occupation, 'code')} characters")
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
                f"team {quoted(team_name)} is new: give an occupation_code for it",
                record=first_record,
                column="occupation_code",
            )
        teams[team_name] = Team.objects.create(name=team_name, occupation=occupations[code])
        counts.created += 1
    return teams
