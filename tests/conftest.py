from __future__ import annotations

import importlib
import os
import signal
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tasks_db.management.commands import db_worker

from assessments.models import Assessment
from assessments.services import assessment_start
from taxonomy.models import Competence, Occupation, Requirement
from teams.models import Membership, Team
from tests.assessments.conftest import submitted

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


SEED_MIGRATION = importlib.import_module("taxonomy.migrations.0002_default_scale")
ROLES_MIGRATION = importlib.import_module("assessments.migrations.0002_roles")
PERMISSIONS_MIGRATION = importlib.import_module("teams.migrations.0003_role_permissions")


def reload_default_data() -> None:
    """What a transactional test needs after an earlier one emptied the database: what the
    migrations seed (the proficiency scale, the roles and their permissions) and the default
    data. The role migrations run against the migration state, as they do in migrate.
    """
    SEED_MIGRATION.create_scale(apps, schema_editor=None)
    loader = MigrationLoader(connection)
    state = loader.project_state(("assessments", "0002_roles"))
    ROLES_MIGRATION.create_roles(state.apps, schema_editor=None)
    state = loader.project_state(("teams", "0003_role_permissions"))
    PERMISSIONS_MIGRATION.grant(state.apps, schema_editor=None)
    call_command("load_default_data", verbosity=0)


def in_role(user: User, role: str = "technician") -> User:
    """The user, in one of the roles (groups) the migrations make."""
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every database test starts from the shipped default taxonomy."""
    with django_db_blocker.unblock():
        call_command("load_default_data", verbosity=0)


@pytest.fixture(autouse=True)
def fresh_rate_limits(settings):
    """Rate-limit counters live in the cache, which outlives a test's transaction. Refusals
    are answered at once (tests/test_ratelimit.py tests the hold)."""
    cache.clear()
    settings.REFUSAL_HOLD_MS = 0


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference data beside this checkout; under CI its absence fails the test."""
    if not SHARED_DATA.is_dir():
        message = f"the reference data folder {SHARED_DATA} is not beside this checkout"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture
def technician_occupation(db) -> Occupation:
    return Occupation.objects.get(code="3512.4")


@pytest.fixture
def alice(db) -> User:
    return in_role(User.objects.create_user("alice", "alice@example.com", "a-long-password-1"))


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def run_worker(monkeypatch, settings):
    """Run the task worker (manage.py db_worker) here until the queue is empty.

    Like Django's test client around a request, it keeps the database connection open: the
    worker would close it between tasks, ending the test's transaction. Its heartbeat
    thread, which writes through a connection of its own outside that transaction, waits
    longer than any test. tests/test_worker.py runs the worker as its own process, untouched.
    """
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    settings.TASK_HEARTBEAT_SECONDS = 3600

    def run() -> None:
        # The worker installs its own shutdown handlers; give pytest's back afterwards.
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
        try:
            call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
        finally:
            for number, handler in handlers.items():
                signal.signal(number, handler)

    return run


@pytest.fixture
def draft(alice, technician_occupation) -> Assessment:
    """Alice's draft of the 80-competence ICT technician profile."""
    return assessment_start(user=alice, occupation=technician_occupation)


@pytest.fixture
def bob(db) -> User:
    return in_role(User.objects.create_user("bob", "bob@example.com", "b-long-password-1"))


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
        Occupation.objects.filter(pk=occupation.pk).summarise_profiles()  # as every writer does
        occupation.refresh_from_db()
        return occupation

    return make_profile


@pytest.fixture
def mia(db) -> User:
    """Manages the service desk team (alice and bob)."""
    return in_role(
        User.objects.create_user("mia", "mia@example.com", "m-long-password-1"), "manager"
    )


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
    carl = in_role(
        User.objects.create_user("carl", "carl@example.com", "c-long-password-1"), "manager"
    )
    tess = in_role(User.objects.create_user("tess", "tess@example.com", "t-long-password-1"))
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
    cleo = in_role(User.objects.create_user("cleo", first_name="Cleo", last_name="Ng"))
    for user in (alice, bob, cleo):
        Membership.objects.create(team=team, user=user)
    submitted(alice, occupation, dict(zip(ids, ALICE, strict=True)))
    submitted(bob, occupation, dict(zip(ids, BOB, strict=True)))
    return team, ids
