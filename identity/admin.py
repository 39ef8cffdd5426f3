"""Provisioning in admin: tokens made here (the token shown once), every request read-only."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext as _

from identity.models import Identity, ScimRequest, ScimToken


@admin.register(ScimToken)
class ScimTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at", "expires_at", "revoked_at", "last_used_at")
    fields = ("name", "expires_at", "revoked_at", "created_at", "last_used_at")
    readonly_fields = ("created_at", "last_used_at")

    def save_model(self, request, obj: ScimToken, form, change: bool) -> None:
        token = obj.new_secret() if not change else None
        super().save_model(request, obj, form, change)
        if token:
            messages.warning(
                request,
                _("The token for %(name)s, shown this once (only its hash is kept): %(token)s")
                % {"name": obj.name, "token": token},
            )


@admin.register(ScimRequest)
class ScimRequestAdmin(admin.ModelAdmin):
    list_display = ("at", "token", "method", "path", "status", "summary")
    list_filter = ("status", "method", "token")
    search_fields = ("path", "summary")
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "oidc_subject", "scim_external_id", "scim_provisioned", "manager")
    search_fields = ("user__username", "oidc_subject", "scim_external_id")
    readonly_fields = ("oidc_issuer", "oidc_subject", "scim_external_id", "scim_deleted_at")
    autocomplete_fields = ("user", "manager")
