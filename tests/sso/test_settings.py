"""Single sign-on's settings come from the environment and are checked at start-up."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.test_settings import load_settings

OIDC = {
    "OIDC_ISSUER": "https://login.example.com/realms/acme",
    "OIDC_CLIENT_ID": "gapwise",
    "OIDC_CLIENT_SECRET": "s3cret",
}


def test_with_no_provider_single_sign_on_is_off(monkeypatch):
    for name in (*OIDC, "OIDC_ROLE_MAP", "SSO_ONLY"):
        monkeypatch.delenv(name, raising=False)

    settings = load_settings(monkeypatch)

    assert settings.OIDC_ISSUER == "" and settings.SSO_ONLY is False
    assert settings.OIDC_ROLE_MAP == {}


def test_the_provider_and_role_map_are_read(monkeypatch):
    settings = load_settings(
        monkeypatch,
        **OIDC,
        OIDC_SCOPES="openid email profile groups",
        OIDC_ROLES_CLAIM="roles",
        OIDC_ROLE_MAP="gapwise-managers=manager, Gapwise Admins=taxonomy-admin",
        SSO_ONLY="1",
    )

    assert settings.OIDC_RP_CLIENT_ID == "gapwise" and settings.OIDC_RP_SCOPES.endswith("groups")
    assert settings.OIDC_ROLES_CLAIM == "roles" and settings.SSO_ONLY is True
    assert settings.OIDC_ROLE_MAP == {
        "gapwise-managers": "manager",
        "Gapwise Admins": "taxonomy-admin",
    }
    # Sign-out's form is answered with a redirect to the provider's end_session_endpoint.
    assert settings.SECURE_CSP["form-action"] == ["'self'", "https://login.example.com"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OIDC_ROLE_MAP": "gapwise-managers=boss"}, "should read group=role"),
        ({"OIDC_ROLE_MAP": "manager"}, "should read group=role"),
        ({"OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET"),
        ({"OIDC_ISSUER": "http://login.example.com"}, "https://"),
        ({"OIDC_ISSUER": "http://localhost.example.com"}, "https://"),
        ({"OIDC_SIGN_ALGO": "HS256"}, "RS256"),
        ({"SSO_ONLY": "yes please"}, "SSO_ONLY"),
    ],
)
def test_a_mistake_stops_start_up(monkeypatch, env, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        load_settings(monkeypatch, **{**OIDC, **env})
