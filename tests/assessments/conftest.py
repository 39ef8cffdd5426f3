from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, Membership, Rating, Team
from assessments.services import Answer, assessment_start, assessment_submit, ratings_save
from taxonomy.models import Competence, Occupation, Requirement

TECHNICIAN = "3512.4"


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


def rate(assessment: Assessment, levels: dict[int, int | None]) -> None:
    """Save answers straight through the service: competence id -> level (None: don't know)."""
    ratings_save(
        assessment=assessment,
        answers=[Answer(cid, True, level, "", "") for cid, level in levels.items()],
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


def submitted_at_level(user, occupation, level: int) -> Assessment:
    """A submitted assessment with every competence of the profile at `level`."""
    competences = occupation.requirements.values_list("competence_id", flat=True)
    return submitted(user, occupation, dict.fromkeys(competences, level))


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


# make_profile(6), by title: 0 and 3 essential (target 3, weight 2), the rest optional (2, 1).
# alice: 2·3 + 2 + 0 + 2·1 + min(4, 2) + 0 = 12 of 2·3 + 2 + 2 + 2·3 + 2 + 2 = 20 -> 60 %,
#        essentials met 1 of 2 (line 3 is at 1).
ALICE = [3, 2, 0, 1, 4, None]
# bob: every target reached -> 100 %, 2 of 2.
BOB = [3, 3, 3, 3, 3, 4]


@pytest.fixture
def six_team(make_profile, mia, alice, bob) -> tuple[Team, list[int]]:
    """Mia's team on a six-line profile: alice and bob submitted, cleo not yet."""
    occupation = make_profile(6, "SIX")
    ids = list(
        occupation.requirements.order_by("competence__title").values_list(
            "competence_id", flat=True
        )
    )
    team = Team.objects.create(name="Six", occupation=occupation)
    team.managers.add(mia)
    cleo = User.objects.create_user("cleo", first_name="Cleo", last_name="Ng")
    for user in (alice, bob, cleo):
        Membership.objects.create(team=team, user=user)
    submitted(alice, occupation, dict(zip(ids, ALICE, strict=True)))
    submitted(bob, occupation, dict(zip(ids, BOB, strict=True)))
    return team, ids


def crowd(team: Team, n: int) -> None:
    """n more members, each with a submitted assessment of the team's occupation."""
    requirements = list(team.occupation.requirements.all())
    users = User.objects.bulk_create(User(username=f"{team.name}-{i}") for i in range(n))
    Membership.objects.bulk_create(Membership(team=team, user=u) for u in users)
    now = timezone.now()
    assessments = Assessment.objects.bulk_create(
        Assessment(
            user=u,
            occupation=team.occupation,
            status="submitted",
            submitted_at=now,
            readiness=i % 101,
            essentials_met=i % 3,
            essentials_total=2,
        )
        for i, u in enumerate(users)
    )
    Rating.objects.bulk_create(
        Rating(
            assessment=a,
            competence_id=r.competence_id,
            answered=True,
            level=(i + j) % 5,
            relation=r.relation,
            target_level=r.target_level,
            weight=r.weight,
        )
        for i, a in enumerate(assessments)
        for j, r in enumerate(requirements)
    )
