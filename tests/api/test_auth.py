"""Who gets in: a usable bearer token, nothing else; the token acts as its owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import ApiToken
from config import ratelimit
from tests.api.conftest import bearer, error_of

pytestmark = pytest.mark.django_db


def test_no_token_is_refused_401_with_a_challenge(api_client):
    response = api_client.get("/api/scale")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthenticated"


@pytest.mark.parametrize(
    "header",
    ["Bearer gwa_not-a-token", "Bearer ", "Basic YWxpY2U6cHc=", "gwa_x", "Bearer " + "a" * 5000],
)
def test_a_bad_token_is_refused_401(api_client, alice, header):
    response = api_client.get("/api/scale", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_a_session_is_no_way_in(alice_client):
    response = alice_client.get("/api/scale")
    assert response.status_code == 401


def test_an_expired_token_is_refused(api_client, alice):
    headers = bearer(alice)
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_client.get("/api/scale", headers=headers).status_code == 401


def test_a_revoked_token_is_refused(api_client, alice):
    headers = bearer(alice)
    assert api_client.get("/api/scale", headers=headers).status_code == 200
    ApiToken.objects.update(revoked_at=timezone.now())
    assert api_client.get("/api/scale", headers=headers).status_code == 401


def test_a_deactivated_owners_token_is_refused(api_client, alice):
    headers = bearer(alice)
    alice.is_active = False
    alice.save()
    assert api_client.get("/api/scale", headers=headers).status_code == 401


def test_only_the_hash_is_kept_and_use_is_recorded(api_client, alice):
    headers = bearer(alice)
    secret = headers["Authorization"].removeprefix("Bearer ")
    token = ApiToken.objects.get()
    assert secret not in (token.token_hash, token.prefix) and secret.startswith(token.prefix)
    assert token.last_used_at is None
    api_client.get("/api/scale", headers=headers)
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_read_token_writes_nothing(api_client, alice, technician_occupation):
    response = api_client.post(
        "/api/assessments",
        {"occupation": "3512.4"},
        content_type="application/json",
        headers=bearer(alice, "read"),
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "insufficient-scope"
    assert not alice.assessments.exists()


def test_past_the_rate_limit_it_answers_429_with_retry_after(
    api_client, alice, settings, monkeypatch
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "3/60"}
    settings.REFUSAL_HOLD_MS = 100
    waits = []
    monkeypatch.setattr(ratelimit.time, "sleep", waits.append)
    headers = bearer(alice)
    assert [api_client.get("/api/scale", headers=headers).status_code for _ in range(3)] == [
        200
    ] * 3
    refused = api_client.get("/api/scale", headers=headers)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert error_of(refused)["code"] == "rate-limited"
    assert waits == [0.1]  # held back like every refusal of a limit (config.ratelimit)
    # The limit is per token: another token of the same person starts afresh.
    assert api_client.get("/api/scale", headers=bearer(alice)).status_code == 200


def test_personal_data_is_never_cached(api_client, alice):
    response = api_client.get("/api/people", headers=bearer(alice))
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}


def test_history_names_the_tokens_owner(api_client, alice, technician_occupation):
    response = api_client.post(
        "/api/assessments",
        {"occupation": "3512.4"},
        content_type="application/json",
        headers=bearer(alice, "write"),
    )
    assert response.status_code == 201
    assert alice.assessments.get().history.first().history_user == alice
