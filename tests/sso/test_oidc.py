"""Single sign-on through mozilla-django-oidc against a provider on loopback whose tokens
the tests write: what signs a person in, and every token or state that must not."""

from __future__ import annotations

import time
import urllib.parse

import pytest
from django.contrib.auth import get_user
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from identity.models import Identity
from tests.conftest import in_role
from tests.sso.provider import CLIENT_ID, CLIENT_SECRET, new_key, running_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(settings):
    with running_provider() as provider:
        settings.OIDC_ISSUER = provider.url
        settings.OIDC_RP_CLIENT_ID = CLIENT_ID
        settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
        settings.OIDC_ROLES_CLAIM = "groups"
        settings.OIDC_ROLE_MAP = {
            "gapwise-managers": "manager",
            "gapwise-admins": "taxonomy-admin",
        }
        yield provider


def start(client: Client) -> str:
    response = client.get(reverse("identity:sso-start"))
    assert response.status_code == 302
    return response["Location"]


def sign_in(client: Client, provider) -> tuple:
    """The browser's round trip: to the provider and back to the callback."""
    back = provider.authorize(start(client))
    response = client.get(back)
    return response, back


def signed_in_user(client: Client) -> User | None:
    """Whom the client's session signs in, as the next request would find (an inactive
    person, or a password session under SSO_ONLY, is no one)."""
    request = HttpRequest()
    request.session = client.session
    user = get_user(request)
    return user if user.is_authenticated else None


def test_the_sign_in_page_offers_single_sign_on_only_when_configured(client, provider, settings):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with single sign-on" in page and reverse("identity:sso-start") in page

    settings.OIDC_ISSUER = ""
    assert "single sign-on" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("identity:sso-start")).status_code == 404


def test_the_request_carries_state_nonce_and_a_pkce_challenge(client, provider):
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start(client)).query))

    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["scope"] == "openid email profile"
    assert query["redirect_uri"].endswith(reverse("identity:sso-callback"))


def test_a_first_sign_in_creates_the_person_as_a_technician(client, provider):
    response, _back = sign_in(client, provider)

    assert response.status_code == 302 and response["Location"] == reverse(
        "assessments:assessment-list"
    )
    dana = signed_in_user(client)
    assert (dana.username, dana.email, dana.get_full_name()) == (
        "dana",
        "dana@example.com",
        "Dana Scully",
    )
    assert not dana.has_usable_password()
    assert list(dana.groups.values_list("name", flat=True)) == ["technician"]
    assert (dana.identity.oidc_issuer, dana.identity.oidc_subject) == (provider.url, "subject-1")
    assert provider.token_requests[0]["code_verifier"]  # PKCE, checked by the provider


def test_later_sign_ins_match_the_subject_whatever_the_email_says(client, provider):
    sign_in(client, provider)
    client.post(reverse("logout"))
    provider.claims = {"email": "dana.scully@example.com", "preferred_username": "d.scully"}

    sign_in(client, provider)

    dana = signed_in_user(client)
    assert dana.username == "dana" and dana.email == "dana.scully@example.com"
    assert User.objects.count() == 1


def test_roles_follow_the_role_map_at_every_sign_in(client, provider):
    provider.claims = {"groups": ["gapwise-managers", "gapwise-admins", "other"]}
    sign_in(client, provider)
    dana = signed_in_user(client)
    assert set(dana.groups.values_list("name", flat=True)) == {"manager", "taxonomy-admin"}
    assert dana.is_staff and dana.has_perm("teams.manage_team")

    client.post(reverse("logout"))
    provider.claims = {"groups": ["other"]}
    sign_in(client, provider)

    dana = User.objects.get(pk=dana.pk)
    assert list(dana.groups.values_list("name", flat=True)) == ["technician"]
    assert not dana.is_staff and not dana.has_perm("teams.manage_team")


def test_an_existing_account_is_linked_by_a_verified_email(client, provider, alice):
    provider.claims = {"email": "ALICE@example.com", "preferred_username": "alice.smith"}

    sign_in(client, provider)

    assert signed_in_user(client) == alice
    assert Identity.objects.get(user=alice).oidc_subject == "subject-1"


@pytest.mark.parametrize("verified", [False, None, "false"], ids=["false", "absent", "string"])
def test_an_unverified_email_colliding_with_an_account_is_refused(
    client, provider, alice, verified
):
    provider.claims = {"email": "alice@example.com", "email_verified": verified}

    response, _back = sign_in(client, provider)

    assert signed_in_user(client) is None
    assert response["Location"] == reverse("login")
    assert not Identity.objects.exists() and User.objects.count() == 1
    page = client.get(reverse("login")).content.decode()
    assert "has not verified alice@example.com" in page


def test_a_provider_user_name_never_takes_over_a_local_account(client, provider, alice):
    provider.claims = {"preferred_username": "alice", "email": "someone@example.com"}

    sign_in(client, provider)

    person = signed_in_user(client)
    assert person != alice and person.username == "alice-2"


def test_a_deactivated_person_cannot_sign_in(client, provider):
    sign_in(client, provider)
    dana = signed_in_user(client)
    User.objects.filter(pk=dana.pk).update(is_active=False)

    assert client.get(reverse("assessments:assessment-list")).status_code == 302  # at once
    sign_in(client, provider)
    assert signed_in_user(client) is None


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "another-client"}, "Audience doesn't match"),
        ({"aud": ["another-client", "yet-another"]}, "Audience doesn't match"),
        ({"iss": "https://impostor.example"}, "Invalid issuer"),
        ({"exp": int(time.time()) - 120, "iat": int(time.time()) - 600}, "has expired"),
        ({"exp": None}, 'missing the "exp" claim'),
        ({"nonce": "not-the-nonce-we-sent"}, "Nonce verification failed"),
        ({"nonce": None}, "Nonce verification failed"),
    ],
    ids=[
        "wrong-audience",
        "audience-list",
        "wrong-issuer",
        "expired",
        "no-expiry",
        "nonce",
        "no-nonce",
    ],
)
def test_a_token_that_fails_a_check_signs_no_one_in(client, provider, caplog, claims, reason):
    provider.claims = claims

    response, _back = sign_in(client, provider)

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert signed_in_user(client) is None
    assert not User.objects.exists()
    assert reason in caplog.text


def test_a_token_signed_with_another_key_signs_no_one_in(client, provider, caplog):
    provider.sign_with = new_key()  # same kid, the wrong key: a forged signature

    sign_in(client, provider)

    assert signed_in_user(client) is None and not User.objects.exists()
    assert "Signature verification failed" in caplog.text


@pytest.mark.parametrize("algorithm", ["none", "HS256"])
def test_a_token_in_another_algorithm_signs_no_one_in(client, provider, algorithm):
    provider.algorithm = algorithm

    sign_in(client, provider)

    assert signed_in_user(client) is None and not User.objects.exists()


def test_a_replayed_state_signs_no_one_in(client, provider):
    """The callback URL used twice (a code and state stolen from a log, a back button):
    the state is spent after its first use, whatever the provider would say."""
    _response, back = sign_in(client, provider)
    client.post(reverse("logout"))
    provider.codes["code-0"] = provider.last_request  # even if the provider took it again

    replayed = client.get(back)

    assert replayed.status_code == 302 and replayed["Location"] == reverse("login")
    assert signed_in_user(client) is None


def test_a_state_from_another_browser_signs_no_one_in(client, provider):
    back = provider.authorize(start(Client()))

    response = client.get(back)

    assert response["Location"] == reverse("login") and signed_in_user(client) is None


def test_an_error_from_the_provider_signs_no_one_in(client, provider):
    location = start(client)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["state"]

    response = client.get(
        reverse("identity:sso-callback"), {"error": "access_denied", "state": state}
    )

    assert response["Location"] == reverse("login") and signed_in_user(client) is None


def test_an_unreachable_provider_says_so_on_the_sign_in_page(client, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # discard: nothing listens
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET

    response = client.get(reverse("identity:sso-start"), follow=True)

    assert "Single sign-on is unavailable" in response.content.decode()


def test_sign_out_ends_the_session_and_the_providers(client, provider):
    sign_in(client, provider)

    response = client.post(reverse("logout"))

    location = urllib.parse.urlsplit(response["Location"])
    query = dict(urllib.parse.parse_qsl(location.query))
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{provider.url}/logout"
    assert query["id_token_hint"] and query["client_id"] == CLIENT_ID
    assert query["post_logout_redirect_uri"].endswith(reverse("login"))
    assert signed_in_user(client) is None


def test_a_password_sign_out_stays_here(client, provider, alice):
    client.force_login(alice)

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")


def test_sso_only_turns_passwords_off_except_for_superusers(client, provider, settings, alice):
    settings.SSO_ONLY = True
    root = User.objects.create_superuser("root", "root@example.com", "root-long-password-1")

    refused = client.post(reverse("login"), {"username": "alice", "password": "a-long-password-1"})
    assert refused.status_code == 200 and signed_in_user(client) is None

    allowed = client.post(
        reverse("login"), {"username": "root", "password": "root-long-password-1"}
    )
    assert allowed.status_code == 302 and signed_in_user(client) == root

    client.post(reverse("logout"))
    sign_in(client, provider)
    assert signed_in_user(client).username == "dana"


def test_sso_only_ends_a_password_session_begun_before(client, settings, alice):
    client.post(reverse("login"), {"username": "alice", "password": "a-long-password-1"})
    assert signed_in_user(client) == alice

    settings.SSO_ONLY = True

    assert client.get(reverse("assessments:assessment-list")).status_code == 302


def test_a_person_provisioned_by_scim_is_matched_by_user_name(client, provider):
    carol = in_role(User.objects.create_user("dana"))
    carol.set_unusable_password()
    carol.save()
    Identity.objects.create(user=carol, scim_provisioned=True, scim_external_id="x")
    provider.claims = {"email_verified": False}

    sign_in(client, provider)

    assert signed_in_user(client) == carol


@pytest.mark.parametrize(
    ("next_url", "landing"),
    [("/occupations/", "/occupations/"), ("https://evil.example/", "/assessments/")],
)
def test_single_sign_on_returns_to_the_page_asked_for_on_this_site_only(
    client, provider, next_url, landing
):
    location = client.get(reverse("identity:sso-start"), {"next": next_url})["Location"]

    response = client.get(provider.authorize(location))

    assert response["Location"] == landing
