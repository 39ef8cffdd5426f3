"""API tokens in admin: made here for anyone (the token shown once), revoked by a date."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext as _

from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "owner", "kind", "scope", "expires_at", "revoked_at")
    list_display += ("last_used_at",)
    list_filter = ("kind", "scope")
    search_fields = ("name", "prefix", "owner__username")
    fields = ("owner", "name", "kind", "scope", "expires_at", "revoked_at")
    fields += ("prefix", "created_at", "last_used_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")
    raw_id_fields = ("owner",)  # labelled; the autocomplete widget has no accessible name

    def save_model(self, request, obj: ApiToken, form, change: bool) -> None:
        token = obj.new_secret() if not change else None
        super().save_model(request, obj, form, change)
        if token:
            messages.warning(
                request,
                _("The token for %(name)s, shown this once (only its hash is kept): %(token)s")
                % {"name": obj.name, "token": token},
            )
