"""Who can do what: the user list shows each person's roles (their groups)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User


class RolesUserAdmin(UserAdmin):
    list_display = (*UserAdmin.list_display, "roles")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="roles")
    def roles(self, user: User) -> str:
        names = [group.name for group in user.groups.all()]
        if user.is_superuser:
            names.insert(0, "superuser")
        return ", ".join(names) or "none"


admin.site.unregister(User)
admin.site.register(User, RolesUserAdmin)
