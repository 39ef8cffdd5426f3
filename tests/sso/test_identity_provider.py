"""End to end against a real OpenID provider (django-oauth-toolkit in OIDC mode, a process
of its own on loopback): the provider's own sign-in form, PKCE, its keys and userinfo."""

from __future__ import annotations

import re
import urllib.parse

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.idp import PEOPLE, running_idp
from tests.live import free_port
from tests.sso.test_oidc import signed_in_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    with running_idp(tmp_path_factory.mktemp("idp"), free_port()) as idp:
        yield idp


@pytest.fixture
def sso(settings, idp):
    settings.OIDC_ISSUER = idp.issuer
    settings.OIDC_RP_CLIENT_ID = idp.client_id
    settings.OIDC_RP_CLIENT_SECRET = idp.client_secret
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_ROLE_MAP = {"gapwise-managers": "manager"}
    return idp


def through_the_provider(client: Client, username: str) -> requests.Response:
    """Press "Sign in with single sign-on", sign in on the provider's form, and follow it
    back: the provider's answer, a redirect to Gapwise's callback."""
    browser = requests.Session()
    start = client.get(reverse("identity:sso-start"))
    form = browser.get(start["Location"], timeout=10)
    assert "Test identity provider" in form.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    password = next(p["password"] for p in PEOPLE if p["username"] == username)
    answer = browser.post(
        form.url,
        {"csrfmiddlewaretoken": token, "username": username, "password": password},
        headers={"Referer": form.url},
        allow_redirects=False,
        timeout=10,
    )
    while answer.status_code == 302 and not answer.headers["Location"].startswith(
        "http://testserver"
    ):
        answer = browser.get(
            urllib.parse.urljoin(answer.url, answer.headers["Location"]),
            allow_redirects=False,
            timeout=10,
        )
    return answer


def test_a_person_signs_in_through_the_provider_with_their_groups_as_roles(client, sso):
    back = through_the_provider(client, "dana").headers["Location"]

    response = client.get(back)

    assert response.status_code == 302
    assert response["Location"] == reverse("assessments:assessment-list")
    dana = signed_in_user(client)
    assert (dana.username, dana.email, dana.get_full_name()) == (
        "dana",
        "dana@example.com",
        "Dana Scully",
    )
    assert set(dana.groups.values_list("name", flat=True)) == {"manager"}
    assert dana.has_perm("teams.manage_team")


def test_an_unverified_email_of_someone_elses_account_is_refused(client, sso, alice):
    back = through_the_provider(client, "eve").headers["Location"]

    response = client.get(back, follow=True)

    assert signed_in_user(client) is None
    assert "has not verified alice@example.com" in response.content.decode()
    assert User.objects.filter(email="alice@example.com").get() == alice


def test_the_code_and_state_work_once(client, sso):
    back = through_the_provider(client, "dana").headers["Location"]
    client.get(back)
    client.post(reverse("logout"))

    replayed = client.get(back)

    assert replayed["Location"] == reverse("login") and signed_in_user(client) is None


def test_sign_out_goes_on_to_the_providers_end_session(client, sso):
    client.get(through_the_provider(client, "dana").headers["Location"])

    response = client.post(reverse("logout"))

    assert response["Location"].startswith(f"{sso.issuer}/logout/?id_token_hint=")
    ended = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert ended.status_code == 302
    assert ended.headers["Location"] == "http://testserver/accounts/login/"


def test_a_person_provisioned_first_signs_in_as_themselves(client, sso, scim):
    created = scim(
        "POST",
        "Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "dana",
            "externalId": "okta-00u1",
            "emails": [{"value": "dana@example.com", "primary": True}],
        },
    )

    client.get(through_the_provider(client, "dana").headers["Location"])

    dana = signed_in_user(client)
    assert str(dana.pk) == created.data["id"] and User.objects.count() == 1
    assert dana.identity.scim_external_id == "okta-00u1" and dana.identity.oidc_subject
