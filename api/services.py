"""Making and revoking API tokens: the token page, admin and the api_token command."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from api.models import ApiToken

# The most days a token made on the token page may live; the command and admin may go beyond.
MAX_DAYS = 366


@transaction.atomic
def api_token_create(
    *,
    owner: AbstractBaseUser,
    name: str,
    scope: str = ApiToken.Scope.READ,
    kind: str = ApiToken.Kind.PERSONAL,
    days: int | None = 90,
) -> tuple[ApiToken, str]:
    """A new token for `owner`, and its secret, which is shown once and never kept."""
    token = ApiToken(
        owner=owner,
        name=name,
        scope=scope,
        kind=kind,
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    secret = token.new_secret()
    token.full_clean()
    token.save()
    return token, secret


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Refuse the token from now on; revoking twice keeps the first moment."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token
