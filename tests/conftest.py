from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every database test starts from the shipped default taxonomy."""
    with django_db_blocker.unblock():
        call_command("load_default_data", verbosity=0)


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        message = f"the reference data folder {SHARED_DATA} is not beside this checkout"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice", "alice@example.com", "a-long-password-1")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client
