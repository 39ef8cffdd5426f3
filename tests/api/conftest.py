"""Helpers for the API's tests; the people and teams are the fixtures of tests/conftest.py."""

from __future__ import annotations

import pytest
from django.test import Client

from api.services import api_token_create


def bearer(user, scope: str = "read", days: int | None = 90) -> dict:
    """Headers carrying a new token of `user`."""
    _token, secret = api_token_create(owner=user, name="test", scope=scope, days=days)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api_client() -> Client:
    """A client with no session: the API knows only tokens."""
    return Client()


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]
