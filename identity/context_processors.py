from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from identity import oidc


def sso(request: HttpRequest) -> dict:
    """The single sign-on link for the sign-in page, when a provider is configured."""
    return {
        "sso_url": reverse("identity:sso-start") if oidc.enabled() else "",
        "sso_only": settings.SSO_ONLY,
    }
