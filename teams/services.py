"""Writes that touch teams: a manager's review, full exports, people from a file."""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy

from assessments.models import Assessment, Rating
from assessments.services import (
    SUMMARY_FIELDS,
    AssessmentError,
    assessment_start,
    assessment_summarise,
)
from taxonomy.models import Occupation
from taxonomy.services import Counts
from taxonomy.tabular import DataError, quoted
from teams.models import Assignment, Membership, Notification, ReviewCycle, Team, TeamExport
from teams.tasks import (
    cycle_build,
    notifications_send,
    reminders_keep_scheduled,
    team_export_build,
)


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
        # The member hears of it from the worker, if a cycle asked for this assessment.
        for assignment in Assignment.objects.filter(assessment=locked).select_related("cycle"):
            _notify(assignment.cycle, [locked.user_id], Notification.Kind.REVIEW_DONE, "done")
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
            membership = Membership.objects.create(team=team, user=user, occupation=occupation)
            assignment_join(membership=membership)
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


class CycleError(Exception):
    """A cycle write its state does not allow; the message is for the user."""


OPEN_ALREADY = gettext_lazy("This team already has an open cycle: close it first.")


def add_months(day: date, months: int) -> date:
    """The same day `months` later, the month's last day where it has fewer days."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def cycle_refusals(
    *, team: Team | None, opens_on: date, self_due: date, review_due: date, today: date
) -> dict[str, str]:
    """Why these dates cannot make a cycle for the team (None: the dates alone), by form
    field; empty when they can. The form and cycle_create both ask, so a refusal reads the
    same everywhere."""
    errors = {}
    if opens_on < today:
        errors["opens_on"] = gettext_lazy("The cycle cannot open in the past.")
    if self_due < today:
        errors["self_due"] = gettext_lazy("The self-assessment due date is in the past.")
    elif self_due < opens_on:
        errors["self_due"] = gettext_lazy(
            "The self-assessment cannot be due before the cycle opens."
        )
    if review_due < today:
        errors["review_due"] = gettext_lazy("The review due date is in the past.")
    elif review_due < self_due:
        errors["review_due"] = gettext_lazy("The review cannot be due before the self-assessment.")
    if team is None:
        pass
    elif not team.occupation.requirement_count:
        errors["__all__"] = gettext_lazy(
            "The team's occupation has no competence profile to assess against: "
            "choose one with a profile for the team first."
        )
    elif opens_on <= today and team.cycles.filter(status=ReviewCycle.Status.OPEN).exists():
        errors["__all__"] = OPEN_ALREADY
    return errors


def cycle_create(
    *,
    team: Team,
    name: str,
    opens_on: date,
    self_due: date,
    review_due: date,
    by: AbstractBaseUser,
    repeat_every_months: int | None = None,
    today: date | None = None,
    later: bool = False,
) -> ReviewCycle:
    """A cycle for the team; one opening today (or earlier) opens at once, see cycle_open
    (and its `later`). Bad dates raise ValidationError (see cycle_refusals) and write
    nothing. Two managers at once make one open cycle: the database's one_open_cycle_per_team
    refuses the second, as cycle_refusals would have."""
    today = today or timezone.localdate()
    cycle = None
    try:
        with transaction.atomic():
            errors = cycle_refusals(
                team=team, opens_on=opens_on, self_due=self_due, review_due=review_due, today=today
            )
            if errors:
                raise ValidationError(errors)
            opening = opens_on <= today
            # Written open at once: one INSERT rather than a draft cycle_open then updates.
            cycle = ReviewCycle.objects.create(
                team=team,
                name=name,
                opens_on=opens_on,
                self_due=self_due,
                review_due=review_due,
                created_by=by,
                repeat_every_months=repeat_every_months,
                status=ReviewCycle.Status.OPEN if opening else ReviewCycle.Status.DRAFT,
                opened_at=timezone.now() if opening else None,
            )
            return _cycle_opened(cycle, later=later) if opening else cycle
    except IntegrityError:
        if cycle is not None:  # not the INSERT: not ours to explain
            raise
        # Another manager or the schedule opened one meanwhile.
        raise ValidationError({"__all__": OPEN_ALREADY}) from None


@transaction.atomic
def cycle_open(*, cycle: ReviewCycle, later: bool = False) -> ReviewCycle:
    """Open a draft cycle: every current member gets an assignment with a draft of the
    occupation they are assessed against, carried over from their last submitted one
    (assessments.services.assessment_start), and a "cycle opened" e-mail queued for the
    worker. Members whose occupation has no profile are skipped and named in
    `cycle.skipped`. `later`: the cycle opens now and the task worker makes the assignments
    (cycle_build, queued in this transaction), so a request opening one for a large team
    returns at once."""
    locked = ReviewCycle.objects.select_for_update().select_related("team").get(pk=cycle.pk)
    if locked.status != ReviewCycle.Status.DRAFT:
        raise CycleError(gettext_lazy("Only a cycle not yet opened can open."))
    locked.status, locked.opened_at = ReviewCycle.Status.OPEN, timezone.now()
    try:
        with transaction.atomic():
            locked.save(update_fields=["status", "opened_at"])
    except IntegrityError:
        raise CycleError(OPEN_ALREADY) from None
    return _cycle_opened(locked, later=later)


def _cycle_opened(cycle: ReviewCycle, *, later: bool) -> ReviewCycle:
    if later:  # the worker builds it, and sees to the daily schedule then
        cycle_build.enqueue(cycle.pk)
        return cycle
    reminders_keep_scheduled()
    return cycle_populate(cycle=cycle)


@transaction.atomic
def cycle_populate(*, cycle: ReviewCycle) -> ReviewCycle:
    """Make the assignments of an open cycle not yet built (see cycle_open); members who
    already have one (they joined meanwhile) keep it. Anything else is left alone."""
    locked = ReviewCycle.objects.select_for_update().select_related("team").get(pk=cycle.pk)
    if not locked.is_open or locked.built_at:
        return locked
    memberships = (
        locked.team.memberships.current()
        .with_latest()
        .exclude(user__in=locked.assignments.values("user"))
        .select_related("user")
        .order_by(Lower("member_name"), "pk")
    )
    occupations = Occupation.objects.in_bulk({m.assessed_id for m in memberships})
    assignments, skipped = [], []
    for membership in memberships:
        occupation = occupations[membership.assessed_id]
        if not occupation.requirement_count:
            skipped.append(membership.member_name)
            continue
        assignments.append(_assignment(locked, membership.user, occupation))
    Assignment.objects.bulk_create(assignments, batch_size=500)
    locked.skipped, locked.built_at = "\n".join(skipped), timezone.now()
    locked.save(update_fields=["skipped", "built_at"])
    kind = Notification.Kind.OPENED
    _notify(locked, [a.user_id for a in assignments], kind, "opened")
    return locked


def _assignment(cycle: ReviewCycle, user, occupation: Occupation) -> Assignment:
    draft = assessment_start(user=user, occupation=occupation)
    return Assignment(cycle=cycle, user=user, occupation=occupation, assessment=draft)


def _notify(
    cycle: ReviewCycle, recipients: Iterable[int], kind: str, stage: str, *, send: bool = True
) -> bool:
    """Record e-mails to send and (`send`) queue the worker's sending, in the caller's
    transaction, as exports are queued. A (recipient, cycle, kind, stage) already recorded is
    left as it is: never sent twice. Returns whether there was anyone to write to."""
    rows = [Notification(recipient_id=pk, cycle=cycle, kind=kind, stage=stage) for pk in recipients]
    if rows:
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
        if send:
            notifications_send.enqueue()
    return bool(rows)


def assignment_join(*, membership: Membership) -> Assignment | None:
    """A member who joins a team while a cycle is open gets their assignment too."""
    cycle = membership.team.cycles.filter(status=ReviewCycle.Status.OPEN).first()
    if cycle is None or cycle.assignments.filter(user=membership.user_id).exists():
        return None
    occupation = membership.occupation or membership.team.occupation
    if not occupation.requirement_count:
        return None
    with transaction.atomic():
        assignment = _assignment(cycle, membership.user, occupation)
        assignment.save()
        _notify(cycle, [membership.user_id], Notification.Kind.OPENED, "opened")
    return assignment


@transaction.atomic
def assignment_remind(
    *, assignment: Assignment, by: AbstractBaseUser, today: date | None = None
) -> Assignment:
    """A manager's reminder to one member, at most one a day."""
    today = today or timezone.localdate()
    locked = Assignment.objects.select_for_update().select_related("cycle").get(pk=assignment.pk)
    if not locked.cycle.is_open:
        raise CycleError(gettext_lazy("The cycle is closed."))
    if not Assignment.objects.filter(pk=locked.pk).waiting().exists():
        raise CycleError(
            gettext_lazy("There is nothing to remind them of: they submitted or are excused.")
        )
    if locked.reminded_at and timezone.localdate(locked.reminded_at) >= today:
        raise CycleError(
            gettext_lazy("They were reminded today already: one reminder a day at most.")
        )
    locked.reminded_at = timezone.now()
    locked.save(update_fields=["reminded_at"])
    _notify(locked.cycle, [locked.user_id], Notification.Kind.REMINDER, f"manual-{today}")
    return locked


@transaction.atomic
def assignment_excuse(*, assignment: Assignment, by: AbstractBaseUser, reason: str) -> Assignment:
    """Excuse a member from the cycle (leave, illness, new starter), with the reason."""
    locked = Assignment.objects.select_for_update().select_related("cycle").get(pk=assignment.pk)
    if not locked.cycle.is_open:
        raise CycleError(gettext_lazy("The cycle is closed."))
    if locked.status != Assignment.Status.ACTIVE:
        raise CycleError(gettext_lazy("They are excused already."))
    locked.status, locked.excused_reason = Assignment.Status.EXCUSED, reason
    locked.excused_by, locked.excused_at = by, timezone.now()
    locked.save(update_fields=["status", "excused_reason", "excused_by", "excused_at"])
    return locked


@transaction.atomic
def cycle_close(*, cycle: ReviewCycle, by: AbstractBaseUser | None) -> ReviewCycle | None:
    """Close an open cycle: assignments not submitted become missed, submitted ones not
    reviewed are flagged. A repeating cycle prepares the next one as a draft, its dates
    moved on; that one is returned."""
    locked = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if not locked.is_open:
        raise CycleError(gettext_lazy("Only an open cycle can be closed."))
    locked.assignments.waiting().update(status=Assignment.Status.MISSED)
    locked.assignments.filter(
        status=Assignment.Status.ACTIVE,
        assessment__status=Assessment.Status.SUBMITTED,
        assessment__reviewed_at__isnull=True,
    ).update(review_missed=True)
    locked.status, locked.closed_at = ReviewCycle.Status.CLOSED, timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    months = locked.repeat_every_months
    if not months:
        return None
    return ReviewCycle.objects.create(
        team_id=locked.team_id,
        name=locked.name,
        opens_on=add_months(locked.opens_on, months),
        self_due=add_months(locked.self_due, months),
        review_due=add_months(locked.review_due, months),
        created_by=by or locked.created_by,
        repeat_every_months=months,
    )


# Reminders before the self-assessment is due, then overdue ones: stage -> days after
# self_due. Each goes out on its day only; a day the schedule did not run is skipped.
REMINDER_STAGES = {"before-7": -7, "before-1": -1}
OVERDUE_STAGES = {"overdue-1": 1, "overdue-2": 8, "overdue-3": 15}
# The manager is reminded of the reviews still to do this many days before review_due.
REVIEWS_DUE_DAYS = 3


@dataclass
class ScheduleSummary:
    opened: int = 0
    recorded: int = 0

    def __str__(self) -> str:
        return f"Cycles opened: {self.opened}. E-mails recorded: {self.recorded}."


def reminders_run(*, today: date) -> ScheduleSummary:
    """The day's schedule: open the draft cycles whose day has come, then record the day's
    reminders, overdue notices and managers' digests. Safe to run any number of times, at
    once too: each e-mail is recorded at most once (Notification's unique constraint)."""
    summary = ScheduleSummary()
    before = Notification.objects.count()
    due = ReviewCycle.objects.filter(status=ReviewCycle.Status.DRAFT, opens_on__lte=today)
    for cycle in due.exclude(team__cycles__status=ReviewCycle.Status.OPEN):
        try:
            cycle_open(cycle=cycle)
            summary.opened += 1
        except (CycleError, IntegrityError):
            pass  # another run opened it, or the team has an open cycle again
    stages = {
        today - timedelta(days=d): (kind, stage)
        for kind, table in (
            (Notification.Kind.REMINDER, REMINDER_STAGES),
            (Notification.Kind.OVERDUE, OVERDUE_STAGES),
        )
        for stage, d in table.items()
    }
    cycles = ReviewCycle.objects.filter(status=ReviewCycle.Status.OPEN)
    managers = _managers_by_team(cycles)
    last_digests = dict(
        Notification.objects.filter(cycle__in=cycles, kind=Notification.Kind.SUBMITTED_DIGEST)
        .values_list("cycle")
        .annotate(at=Max("created_at"))
    )
    with transaction.atomic():
        for cycle in cycles.filter(self_due__in=stages):
            kind, stage = stages[cycle.self_due]
            waiting = list(cycle.assignments.waiting().values_list("user_id", flat=True))
            _notify(cycle, waiting, kind, stage, send=False)
            if waiting and kind == Notification.Kind.OVERDUE:
                digest = Notification.Kind.OVERDUE_DIGEST
                _notify(cycle, managers[cycle.team_id], digest, stage, send=False)
        review_day = today + timedelta(days=REVIEWS_DUE_DAYS)
        for cycle in cycles.filter(review_due=review_day):
            if cycle.assignments.filter(
                assessment__status=Assessment.Status.SUBMITTED, assessment__reviewed_at=None
            ).exists():
                stage = f"before-{REVIEWS_DUE_DAYS}"
                digest = Notification.Kind.REVIEWS_DUE
                _notify(cycle, managers[cycle.team_id], digest, stage, send=False)
        submitted = (
            Assignment.objects.filter(
                cycle__in=cycles, assessment__status=Assessment.Status.SUBMITTED
            )
            .values_list("cycle", "assessment__submitted_at")
            .order_by()
        )
        new_submissions = {
            cycle_id
            for cycle_id, at in submitted
            if cycle_id not in last_digests or at > last_digests[cycle_id]
        }
        for cycle in cycles.filter(pk__in=new_submissions):
            digest = Notification.Kind.SUBMITTED_DIGEST
            _notify(cycle, managers[cycle.team_id], digest, f"day-{today}", send=False)
        if today.weekday() == WEEKLY_ON:
            _weekly_digests(today)
        summary.recorded = Notification.objects.count() - before
        if summary.recorded:
            notifications_send.enqueue()
    return summary


WEEKLY_ON = 0  # Monday


def _weekly_digests(today: date) -> None:
    """A weekly digest for each person who prefers one and has e-mails held for it."""
    year, week, _ = today.isocalendar()
    waiting = (
        Notification.objects.filter(
            sent_at=None, cycle__isnull=False, recipient__mail_preference__weekly_digest=True
        )
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    Notification.objects.bulk_create(
        [
            Notification(recipient_id=pk, kind=Notification.Kind.WEEKLY, stage=f"{year}-W{week:02}")
            for pk in waiting
        ],
        ignore_conflicts=True,
    )


def _managers_by_team(cycles) -> dict[int, list[int]]:
    managers: dict[int, list[int]] = defaultdict(list)
    rows = Team.managers.through.objects.filter(team__cycles__in=cycles).values_list(
        "team_id", "user_id"
    )
    for team_id, user_id in rows.distinct():
        managers[team_id].append(user_id)
    return managers
