"""Bearer tokens for the JSON API. A token acts as its owner: it never sees more than the
owner could in the browser, and a read token writes nothing."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.models import hash_token


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        """Neither revoked nor expired, and owned by an active account."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, owner__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """Only the token's hash is kept, and a short prefix to tell tokens apart: the token
    itself is shown once, when it is made."""

    PREFIX = "gwa_"

    class Kind(models.TextChoices):
        PERSONAL = "personal", _("Personal: a script of your own")
        SERVICE = "service", _("Service: another system (HR, BI) acting as this account")

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE = "write", _("Read and write")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text=_("What the token is for."))
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERSONAL)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(
        max_length=12, editable=False, help_text=_("The token's first characters.")
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Leave empty for a token that does not expire.")
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Set to refuse this token from then on.")
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def new_secret(self) -> str:
        """Give the token a new secret and return it; the caller saves and shows it once."""
        token = self.PREFIX + secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        self.prefix = token[:10]
        return token

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"
