"""Admin for teams, their members and managers, and the record of full exports."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from teams.models import Membership, Team, TeamExport


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ("user", "occupation")
    extra = 1


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name", "occupation", "managers"]

    def clean_managers(self):
        """Only people in the manager role (teams.manage_team) can manage a team."""
        managers = self.cleaned_data["managers"]
        refused = [u.get_username() for u in managers if not u.has_perm("teams.manage_team")]
        if refused:
            raise forms.ValidationError(
                f"Not in the manager role: {', '.join(refused)}. Add them to the manager "
                f"group first."
            )
        return managers


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    form = TeamForm
    list_display = ("name", "occupation")
    list_select_related = ("occupation",)
    search_fields = ("name", "memberships__user__username", "managers__username")
    autocomplete_fields = ("occupation", "managers")
    inlines = [MembershipInline]


@admin.register(TeamExport)
class TeamExportAdmin(admin.ModelAdmin):
    """Who exported which team's personal data, and when; the files are not shown."""

    list_display = ("team", "requested_by", "format", "requested_at", "finished_at", "failed_at")
    list_filter = ("format",)
    list_select_related = ("team", "requested_by")
    search_fields = ("team__name", "requested_by__username")
    fields = ("team", "requested_by", "format", "requested_at", "finished_at", "failed_at", "rows")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of who exported what
