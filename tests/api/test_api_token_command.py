from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from api.models import ApiToken

pytestmark = pytest.mark.django_db


def test_it_prints_a_working_token_alone_on_its_last_line(alice):
    out = StringIO()
    call_command("api_token", "alice", "--scope", "write", "--days", "7", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert token.owner == alice and token.scope == "write" and secret.startswith("gwa_")
    assert (token.expires_at - token.created_at).days in (6, 7)
    response = Client().get("/api/scale", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200


def test_it_refuses_an_unknown_user_and_bad_days(alice):
    with pytest.raises(CommandError, match="No active user"):
        call_command("api_token", "nobody", stdout=StringIO())
    with pytest.raises(CommandError, match="--days"):
        call_command("api_token", "alice", "--days", "-1", stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_a_service_token_that_never_expires(alice):
    call_command(
        "api_token", "alice", "--kind", "service", "--days", "0", "--name", "HR", stdout=StringIO()
    )
    token = ApiToken.objects.get()
    assert (token.kind, token.name, token.expires_at) == ("service", "HR", None)
