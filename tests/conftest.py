from __future__ import annotations

import importlib
import os
import signal
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tasks_db.management.commands import db_worker

from taxonomy.models import Occupation

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


SEED_MIGRATION = importlib.import_module("taxonomy.migrations.0002_default_scale")
ROLES_MIGRATION = importlib.import_module("assessments.migrations.0002_roles")


def reload_default_data() -> None:
    """What a transactional test needs after an earlier one emptied the database: what the
    migrations seed (the proficiency scale, the roles) and the default data. The roles
    migration runs against the migration state, as it does in migrate.
    """
    SEED_MIGRATION.create_scale(apps, schema_editor=None)
    state = MigrationLoader(connection).project_state(("assessments", "0002_roles"))
    ROLES_MIGRATION.create_roles(state.apps, schema_editor=None)
    call_command("load_default_data", verbosity=0)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every database test starts from the shipped default taxonomy."""
    with django_db_blocker.unblock():
        call_command("load_default_data", verbosity=0)


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
    return User.objects.create_user("alice", "alice@example.com", "a-long-password-1")


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
