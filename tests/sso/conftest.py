from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from identity.models import ScimToken

SCIM = "application/scim+json"


class Scim:
    """A provisioning client as identity providers are: a bearer token, JSON both ways."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.token = token

    def __call__(self, method: str, path: str, body=None, *, token: str | None = None):
        headers = {"Authorization": f"Bearer {token or self.token}"}
        data = body if isinstance(body, (str, bytes)) else json.dumps(body) if body else ""
        response = getattr(self.client, method.lower())(
            path if path.startswith("/") else f"/scim/v2/{path}",
            data=data,
            content_type=SCIM,
            headers=headers,
        )
        response.data = json.loads(response.content) if response.content else None
        return response


@pytest.fixture
def scim_token(db) -> str:
    token = ScimToken(name="entra-id")
    secret = token.new_secret()
    token.save()
    return secret


@pytest.fixture
def scim(scim_token) -> Callable:
    return Scim(scim_token)
