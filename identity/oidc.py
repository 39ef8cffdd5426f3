"""The identity provider as its discovery document describes it, read when first needed.

Nothing here runs unless OIDC_ISSUER is set, so a Gapwise without single sign-on never
touches the network for it.
"""

from __future__ import annotations

from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse

DISCOVERY_SECONDS = 3600  # keys rotate; read the document again hourly


def enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


def provider() -> dict:
    """The provider's discovery document (OpenID Connect Discovery 1.0), checked: its
    issuer must be OIDC_ISSUER exactly, as tokens are checked against it."""
    issuer = settings.OIDC_ISSUER
    key = f"oidc-discovery:{issuer}"
    document = cache.get(key)
    if document is None:
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        if document.get("issuer") != issuer:
            raise ImproperlyConfigured(
                f"The provider at {url} names its issuer {document.get('issuer')!r}, "
                f"not OIDC_ISSUER={issuer!r}."
            )
        for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not document.get(needed):
                raise ImproperlyConfigured(f"The provider's discovery document has no {needed}.")
        cache.set(key, document, DISCOVERY_SECONDS)
    return document


def sign_out_url(request: HttpRequest) -> str:
    """Where sign-out goes: the provider's end_session_endpoint (OpenID Connect RP-Initiated
    Logout) for someone who signed in through it, else the sign-in page."""
    local = request.build_absolute_uri(reverse("login"))
    id_token = request.session.get("oidc_id_token")
    if not (enabled() and id_token):
        return reverse("login")
    try:
        end_session = provider().get("end_session_endpoint")
    except (requests.RequestException, ImproperlyConfigured, ValueError):
        end_session = None  # the provider is away: end our session all the same
    if not end_session:
        return reverse("login")
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": local,
            "client_id": settings.OIDC_RP_CLIENT_ID,
        }
    )
    return f"{end_session}{'&' if '?' in end_session else '?'}{query}"
