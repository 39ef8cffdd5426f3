"""Bearer tokens: made in admin or by `manage.py scim_token`, shown once, kept hashed."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from identity.models import ScimRequest, ScimToken, hash_token
from tests.sso.conftest import Scim

pytestmark = pytest.mark.django_db


def test_the_command_prints_the_token_alone_on_its_last_line_and_keeps_its_hash():
    out = io.StringIO()

    call_command("scim_token", "okta", "--days", "90", stdout=out)

    lines = out.getvalue().splitlines()
    token = lines[-1]
    assert token.startswith("gws_") and " " not in token and len(token) > 40
    assert "okta" in lines[0] and token not in lines[0]
    stored = ScimToken.objects.get(name="okta")
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    assert stored.expires_at > timezone.now() + timedelta(days=89)
    assert Scim(token)("GET", "Users").status_code == 200


def test_the_command_refuses_a_name_in_use(scim_token):
    with pytest.raises(CommandError, match="exists"):
        call_command("scim_token", "entra-id", stdout=io.StringIO())


@pytest.mark.parametrize(
    "change",
    [{"revoked_at": timezone.now()}, {"expires_at": timezone.now() - timedelta(seconds=1)}],
    ids=["revoked", "expired"],
)
def test_a_revoked_or_expired_token_is_refused(scim, change):
    ScimToken.objects.update(**change)

    response = scim("GET", "Users")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.data["status"] == "401" and response.data["detail"]


@pytest.mark.parametrize("header", ["", "Bearer", "Basic Z3dzOng=", "Bearer gws_guess"])
def test_no_token_or_a_wrong_one_is_refused_and_recorded(client, scim_token, header):
    headers = {"Authorization": header} if header else {}
    response = client.post(
        "/scim/v2/Users", "{}", content_type="application/scim+json", headers=headers
    )

    assert response.status_code == 401
    assert ScimRequest.objects.get().status == 401


def test_a_session_is_no_way_in(alice_client):
    assert alice_client.get("/scim/v2/Users").status_code == 401


def test_admin_makes_a_token_and_shows_it_once(admin_client):
    response = admin_client.post(
        reverse("admin:identity_scimtoken_add"), {"name": "keycloak"}, follow=True
    )

    page = response.content.decode()
    token = page.split("(only its hash is kept): ")[1].split("<")[0].strip()
    assert ScimToken.objects.get(name="keycloak").token_hash == hash_token(token)
    assert (
        token
        not in admin_client.get(reverse("admin:identity_scimtoken_changelist")).content.decode()
    )
    assert Scim(token)("GET", "ServiceProviderConfig").status_code == 200


def test_admin_shows_the_requests_read_only(admin_client, scim):
    scim("GET", "Users")
    row = ScimRequest.objects.get()

    listing = admin_client.get(reverse("admin:identity_scimrequest_changelist"))
    change = admin_client.post(
        reverse("admin:identity_scimrequest_change", args=[row.pk]), {"status": "200"}
    )

    assert "/scim/v2/Users" in listing.content.decode()
    assert change.status_code == 403
    assert admin_client.get(reverse("admin:identity_scimrequest_add")).status_code == 403


def test_the_discovery_endpoints_answer(scim):
    config = scim("GET", "ServiceProviderConfig")
    types = scim("GET", "ResourceTypes")
    schemas = scim("GET", "Schemas")

    assert config.data["patch"] == {"supported": True}
    assert config.data["filter"]["supported"] is True
    assert {t["endpoint"] for t in types.data["Resources"]} == {"/Users", "/Groups"}
    assert {x["id"] for x in schemas.data["Resources"]} >= {
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    }


def test_prune_scim_requests_deletes_the_record_past_its_keeping_time():
    old = ScimRequest.objects.create(method="GET", path="/scim/v2/Users", status=200)
    ScimRequest.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=91))
    recent = ScimRequest.objects.create(method="GET", path="/scim/v2/Users", status=200)
    out = io.StringIO()

    call_command("prune_scim_requests", "--days", "90", stdout=out)

    assert list(ScimRequest.objects.all()) == [recent]
    assert out.getvalue() == "Deleted 1 SCIM request older than 90 days.\n"
