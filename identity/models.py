"""Who a person is at the company's identity provider, and what the provider told us.

Sign-in (OpenID Connect) matches people by the provider's subject; provisioning (SCIM)
by the id we gave and the provider's externalId. Both live on Identity, one per person.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from teams.models import Team


class Identity(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity"
    )
    oidc_issuer = models.CharField(max_length=255, blank=True)
    oidc_subject = models.CharField(
        max_length=255, blank=True, help_text="The provider's `sub` claim: never reassigned."
    )
    scim_external_id = models.CharField(max_length=255, blank=True)
    scim_provisioned = models.BooleanField(
        default=False, help_text="Created or taken over by SCIM provisioning."
    )
    scim_deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Deleted by the provider: deactivated, history kept."
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The enterprise extension's manager: a manager of this person's teams.",
    )

    class Meta:
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(
                fields=["oidc_issuer", "oidc_subject"],
                condition=~models.Q(oidc_subject=""),
                name="unique_oidc_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"identity of {self.user}"


class ScimGroup(models.Model):
    """A team the provider pushes as a SCIM group, with the provider's id for it."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="scim_group")
    external_id = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"SCIM group {self.team}"


def hash_token(token: str) -> str:
    # The token is 256 random bits, so a plain SHA-256 is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class ScimTokenQuerySet(models.QuerySet):
    def usable(self) -> ScimTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ScimToken(models.Model):
    """A bearer token for the provisioning endpoints. Only its hash is kept: the token
    itself is shown once, when it is made."""

    PREFIX = "gws_"

    name = models.CharField(max_length=100, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty for a token that does not expire."
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Set to refuse this token from then on."
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScimTokenQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "SCIM token"

    def __str__(self) -> str:
        return self.name

    def new_secret(self) -> str:
        """Give the token a new secret and return it; the caller saves and shows it once."""
        token = self.PREFIX + secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        return token


class ScimRequest(models.Model):
    """One provisioning request: which token, what it asked, what came of it."""

    token = models.ForeignKey(
        ScimToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField()
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "SCIM request"

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status}"
