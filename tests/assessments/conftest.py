from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from assessments.models import Assessment, Membership, Team
from assessments.services import Answer, assessment_start, assessment_submit, ratings_save
from taxonomy.models import Competence, Occupation, Requirement

TECHNICIAN = "3512.4"


@pytest.fixture
def technician_occupation(db) -> Occupation:
    return Occupation.objects.get(code=TECHNICIAN)


@pytest.fixture
def draft(alice, technician_occupation) -> Assessment:
    """Alice's draft of the 80-competence ICT technician profile."""
    return assessment_start(user=alice, occupation=technician_occupation)


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob", "bob@example.com", "b-long-password-1")


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


@pytest.fixture
def make_profile(db) -> Callable[[int], Occupation]:
    """An occupation with n requirements, every third essential, half knowledge."""

    def make_profile(n: int, code: str | None = None) -> Occupation:
        code = code or f"T-{n}"
        occupation = Occupation.objects.create(code=code, title=f"Test occupation {code}")
        competences = Competence.objects.bulk_create(
            Competence(
                title=f"{code} competence {i:03}",
                kind="knowledge" if i % 2 else "skill",
                description=f"What competence {i} covers.",
            )
            for i in range(n)
        )
        Requirement.objects.bulk_create(
            Requirement(
                occupation=occupation,
                competence=c,
                relation="essential" if i % 3 == 0 else "optional",
                target_level=3 if i % 3 == 0 else 2,
                weight=Decimal(2) if i % 3 == 0 else Decimal(1),
            )
            for i, c in enumerate(competences)
        )
        return occupation

    return make_profile


def rate(assessment: Assessment, levels: dict[int, int | None], seq: int = 1) -> None:
    """Save answers straight through the service: competence id -> level (None: don't know)."""
    ratings_save(
        assessment=assessment,
        answers=[Answer(cid, True, level, "", "", seq) for cid, level in levels.items()],
    )


def rate_all(assessment: Assessment, level: Callable[[Requirement], int | None]) -> None:
    requirements = assessment.occupation.requirements.select_related("competence")
    rate(assessment, {r.competence_id: level(r) for r in requirements})


def url(name: str, assessment: Assessment) -> str:
    return reverse(f"assessments:{name}", args=[assessment.pk])


def submitted(user, occupation, levels: dict[int, int | None]) -> Assessment:
    """A submitted assessment with the given levels (competence id -> level, None: don't know)."""
    assessment = assessment_start(user=user, occupation=occupation)
    rate(assessment, levels)
    return assessment_submit(assessment=assessment, user=user)


@pytest.fixture
def mia(db) -> User:
    """Manages the service desk team (alice and bob)."""
    return User.objects.create_user("mia", "mia@example.com", "m-long-password-1")


@pytest.fixture
def mia_client(client, mia):
    client.force_login(mia)
    return client


@pytest.fixture
def team(mia, alice, bob, technician_occupation) -> Team:
    team = Team.objects.create(name="Service desk", occupation=technician_occupation)
    team.managers.add(mia)
    Membership.objects.create(team=team, user=alice)
    Membership.objects.create(team=team, user=bob)
    return team


@pytest.fixture
def other_team(technician_occupation) -> Team:
    """Managed by carl, with tess in it: nothing to do with mia."""
    carl = User.objects.create_user("carl", "carl@example.com", "c-long-password-1")
    tess = User.objects.create_user("tess", "tess@example.com", "t-long-password-1")
    team = Team.objects.create(name="Network", occupation=technician_occupation)
    team.managers.add(carl)
    Membership.objects.create(team=team, user=tess)
    return team
