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
from assessments.services import Answer, assessment_start, assessment_submit, ratings_save
from taxonomy.models import Occupation
from teams.models import Membership, Team

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
    if not manager.managed_teams.exists():
        team = demo_team_create(
            manager=manager, technician=technician, occupation_code=DEMO_OCCUPATION
        )
        said.append(f"demo team for manager: {team.name}, {team.members.count()} members")
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
