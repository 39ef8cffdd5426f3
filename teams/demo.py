"""The demo data of `make run`: accounts, a technician's assessments and a team.

Levels are made up but repeatable: they come from a checksum of each competence title.
"""

from __future__ import annotations

import zlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.utils import timezone

from assessments.models import Assessment
from assessments.services import (
    Answer,
    assessment_start,
    assessment_submit,
    ratings_confirm,
    ratings_save,
)
from taxonomy.models import Occupation
from teams.models import Membership, ReviewCycle, Team
from teams.services import assignment_excuse, cycle_create, review_accept_rest, review_save

DEMO_ACCOUNTS = [
    # username, password, role, staff, superuser
    ("admin", "gapwise-admin-demo", "taxonomy-admin", True, True),
    ("manager", "gapwise-manager-demo", "manager", False, False),
    ("technician", "gapwise-technician-demo", "technician", False, False),
]
DEMO_OCCUPATION = "3512.4"


@transaction.atomic
def demo_accounts_create() -> list[str]:
    """The demo accounts, the technician's assessments and the manager's team, each made
    once; returns what to tell the person who asked (the passwords included)."""
    said = []
    User = get_user_model()
    for username, password, role, staff, superuser in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.is_staff, user.is_superuser = staff, superuser
            user.email = f"{username}@example.com"  # the cycle's e-mails, on the console
            user.set_password(password)
            user.save()
            user.groups.add(Group.objects.get(name=role))
        said.append(f"demo account: {username} / {password} ({role})")
    technician = User.objects.get(username="technician")
    if not technician.assessments.exists():
        demo_assessments_create(user=technician, occupation_code=DEMO_OCCUPATION)
        said.append(
            f"demo assessments for technician: one submitted, and a draft carried over from it, "
            f"half of it updated "
            f"({DEMO_OCCUPATION})"
        )
    manager = User.objects.get(username="manager")
    team = manager.managed_teams.order_by("pk").first()
    if team is None:
        team = demo_team_create(
            manager=manager, technician=technician, occupation_code=DEMO_OCCUPATION
        )
        said.append(f"demo team for manager: {team.name}, {team.members.count()} members")
    if not team.cycles.exists():
        cycle = demo_cycle_create(team=team, manager=manager)
        counts = cycle.assignments.count()
        said.append(
            f"demo review cycle for {team.name}: {cycle.name}, open, {counts} members, "
            f"self-assessments due {cycle.self_due:%Y-%m-%d}"
        )
    return said


def demo_assessments_create(*, user: AbstractBaseUser, occupation_code: str) -> None:
    """A submitted assessment from two months ago and a draft that started from it (carry-over)
    with half of its ratings changed since, for demos.

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
        user = User(
            username=username, first_name=first, last_name=last, email=f"{username}@example.com"
        )
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


# What each member of the demo team has done in the open cycle; anyone else has not started.
DEMO_CYCLE_SUBMITTED = ["amira", "bjorn", "chen", "farah"]
DEMO_CYCLE_REVIEWED = "amira"
DEMO_CYCLE_EXCUSED = ("emeka", "Parental leave")


def demo_cycle_create(*, team: Team, manager: AbstractBaseUser) -> ReviewCycle:
    """An open review cycle for the demo team, opened today: most members submitted (one of
    them reviewed), one excused, one not started, and the demo technician in progress: ten
    more of her draft's ratings updated."""
    today = timezone.localdate()
    cycle = cycle_create(
        team=team,
        name=f"{today.year} Q{(today.month - 1) // 3 + 1} skills review",
        opens_on=today,
        self_due=today + timedelta(days=14),
        review_due=today + timedelta(days=28),
        by=manager,
    )
    assignments = {a.user.username: a for a in cycle.assignments.select_related("user")}
    for username in DEMO_CYCLE_SUBMITTED:
        if username not in assignments:
            continue  # someone changed the demo team: leave them be
        user, draft = assignments[username].user, assignments[username].assessment
        _update(draft, 5)
        assessment_submit(assessment=draft, user=user, confirm_rest=True)
    if DEMO_CYCLE_REVIEWED in assignments:
        reviewed = assignments[DEMO_CYCLE_REVIEWED].assessment
        reviewed.refresh_from_db()
        competences = reviewed.ratings.exclude(relation="").values_list("competence", flat=True)
        review_accept_rest(assessment=reviewed, reviewer=manager, competence_ids=competences)
        review_save(assessment=reviewed, reviewer=manager, validations=[], done=True)
    username, reason = DEMO_CYCLE_EXCUSED
    if username in assignments:
        assignment_excuse(assignment=assignments[username], by=manager, reason=reason)
    if "technician" in assignments:
        draft = assignments["technician"].assessment
        carried = draft.ratings.filter(answered=True, carried=True).order_by("competence__title")
        confirmed = list(carried.values_list("competence_id", flat=True)[:10])
        ratings_confirm(assessment=draft, competence_ids=confirmed, by=draft.user)
    return cycle


def _update(draft: Assessment, n: int) -> None:
    """Change n of the draft's ratings by a level, as its owner, confident of them."""
    ratings_save(
        assessment=draft,
        answers=[
            Answer(r.competence_id, True, (r.level or 0) + 1 if r.level != 4 else 3, "high", "")
            for r in draft.ratings.filter(answered=True).order_by("competence__title")[:n]
        ],
        by=draft.user,
    )
