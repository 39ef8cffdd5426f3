"""The token page: make a token (shown once), see your tokens, revoke one."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiToken
from api.services import api_token_create

pytestmark = pytest.mark.django_db
URL = "/accounts/tokens/"


def test_signed_out_people_are_sent_to_sign_in(client):
    assert client.get(URL).status_code == 302


def test_a_new_token_is_shown_once_and_works(alice_client, alice):
    response = alice_client.post(URL, {"name": "Power BI", "scope": "read", "days": "30"})
    assert response.status_code == 200
    secret = re.search(r'value="(gwa_[^"]+)"', response.content.decode())[1]
    token = ApiToken.objects.get()
    assert (token.owner, token.name, token.scope) == (alice, "Power BI", "read")
    assert secret not in alice_client.get(URL).content.decode()
    assert token.prefix in alice_client.get(URL).content.decode()
    api = Client().get("/api/scale", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "scope": "read", "days": "30"},
        {"name": "x" * 101, "scope": "read", "days": "30"},
        {"name": "ok", "scope": "admin", "days": "30"},
        {"name": "ok", "scope": "read", "days": "9999"},
    ],
)
def test_bad_input_makes_no_token(alice_client, data):
    response = alice_client.post(URL, data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_names_are_shown_as_text(alice_client, alice):
    api_token_create(owner=alice, name="<script>alert(1)</script>")
    body = alice_client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_revoking_refuses_the_token_from_then_on(alice_client, alice):
    token, secret = api_token_create(owner=alice, name="script")
    response = alice_client.post(reverse("api:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = Client().get("/api/scale", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 401
    assert "Revoked" in alice_client.get(URL).content.decode()


def test_other_peoples_tokens_are_404_and_unlisted(bob_client, alice):
    token, _secret = api_token_create(owner=alice, name="alice's script")
    assert bob_client.post(reverse("api:token-revoke", args=[token.pk])).status_code == 404
    assert "alice&#x27;s script" not in bob_client.get(URL).content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_forms_need_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    token, _secret = api_token_create(owner=alice, name="script")
    assert client.post(URL, {"name": "x", "scope": "read", "days": "30"}).status_code == 403
    assert client.post(reverse("api:token-revoke", args=[token.pk])).status_code == 403
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked_at is None


@pytest.mark.parametrize("n", [2, 20])
def test_the_list_costs_the_same_queries_at_any_size(
    alice_client, alice, n, django_assert_num_queries
):
    for i in range(n):
        api_token_create(owner=alice, name=f"token {i}")
    alice_client.get(URL)
    with django_assert_num_queries(7):  # session, user, its roles, the tokens
        assert alice_client.get(URL).status_code == 200
