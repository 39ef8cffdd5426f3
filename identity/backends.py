"""Sign-in backends: passwords (closed by SSO_ONLY to all but superusers) and OpenID Connect."""

from __future__ import annotations

import logging

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from identity import oidc, services

logger = logging.getLogger(__name__)


class PasswordBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        if settings.SSO_ONLY and not user.is_superuser:
            return False  # also ends a session begun with a password before SSO_ONLY was set
        return super().user_can_authenticate(user)


class OidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, with the endpoints read through discovery and the ID
    token's issuer, audience, expiry and signature all checked (the library checks the
    signature and nonce; PyJWT the rest, as required claims)."""

    def __init__(self, *args, **kwargs) -> None:
        # Not the library's: that reads the endpoints at once, and this backend is made for
        # every password sign-in too. Here they are read through discovery when needed.
        self.UserModel = get_user_model()

    OIDC_RP_CLIENT_ID = property(lambda self: settings.OIDC_RP_CLIENT_ID)
    OIDC_RP_CLIENT_SECRET = property(lambda self: settings.OIDC_RP_CLIENT_SECRET)
    OIDC_RP_SIGN_ALGO = property(lambda self: settings.OIDC_RP_SIGN_ALGO)
    OIDC_RP_IDP_SIGN_KEY = None
    OIDC_OP_TOKEN_ENDPOINT = property(lambda self: oidc.provider()["token_endpoint"])
    OIDC_OP_JWKS_ENDPOINT = property(lambda self: oidc.provider()["jwks_uri"])
    OIDC_OP_USER_ENDPOINT = property(lambda self: oidc.provider().get("userinfo_endpoint"))

    def authenticate(self, request, **kwargs):
        # Only the callback passes a nonce: a password sign-in never reaches the provider.
        if not oidc.enabled() or "nonce" not in kwargs:
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        # Before the keys are fetched: the library reads the header's kid unguarded.
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token unreadable: {error}") from error
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO or not header.get("kid"):
            raise SuspiciousOperation(
                f"ID token signed with {header.get('alg')!r} (key {header.get('kid')!r}), "
                f"not {self.OIDC_RP_SIGN_ALGO} with a named key."
            )
        return super().verify_token(token, **kwargs)

    def _verify_jws(self, payload, key):
        alg = jwt.get_unverified_header(payload).get("alg")
        if alg != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(
                f"ID token signed with {alg!r}, not {self.OIDC_RP_SIGN_ALGO}."
            )
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[alg],
                audience=settings.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
                leeway=30,
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token refused: {error}") from error

    def get_userinfo(self, access_token, id_token, payload) -> dict:
        """The ID token's claims, completed by the userinfo endpoint where there is one
        (Keycloak and Okta put groups in one or the other)."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            more = super().get_userinfo(access_token, id_token, payload)
            if more.get("sub") != payload["sub"]:
                raise SuspiciousOperation("The userinfo endpoint answered for another subject.")
            claims = {**more, **claims}  # what the signed token says wins
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        try:
            return services.sso_sign_in(issuer=settings.OIDC_ISSUER, claims=claims)
        except services.SignInRefused as refusal:
            logger.warning("Single sign-on refused for subject %r: %s", payload["sub"], refusal)
            self.request.sso_refusal = str(refusal)
            return None

    def get_user(self, user_id):
        user = super().get_user(user_id)
        # A deactivated person's session ends at their next request, as ModelBackend does.
        return user if user is not None and self.user_can_authenticate(user) else None
