"""Admin for teams, their members and managers, and the record of full exports."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from teams.forms import CycleForm
from teams.models import Assignment, Membership, Notification, ReviewCycle, Team, TeamExport
from teams.services import assignment_join, cycle_create
from teams.tasks import notifications_send


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


@admin.action(description="Open a review cycle for the selected teams")
def open_review_cycle(modeladmin, request, queryset):
    """A superuser opens one cycle, with the same name and dates, for several teams at once:
    all of them or, when one is refused, none."""
    if not request.user.is_superuser:
        modeladmin.message_user(request, "Only a superuser can do that.", messages.ERROR)
        return None
    today = timezone.localdate()
    form = CycleForm(request.POST if "apply" in request.POST else None, team=None, today=today)
    if form.is_valid():
        try:
            with transaction.atomic():
                for team in queryset.select_related("occupation"):
                    try:
                        cycle_create(
                            team=team, by=request.user, today=today, later=True, **form.cleaned_data
                        )
                    except ValidationError as error:
                        raise ValidationError(f"{team.name}: {' '.join(error.messages)}") from None
        except ValidationError as error:
            form.add_error(None, error)
        else:
            modeladmin.message_user(
                request, f"Opened a review cycle for {queryset.count()} team(s)."
            )
            return None
    return TemplateResponse(
        request,
        "admin/teams/open_review_cycle.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": "Open a review cycle",
            "form": form,
            "teams": queryset,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    form = TeamForm
    actions = [open_review_cycle]
    list_display = ("name", "occupation")
    list_select_related = ("occupation",)
    search_fields = ("name", "memberships__user__username", "managers__username")
    autocomplete_fields = ("occupation", "managers")
    inlines = [MembershipInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for membership in getattr(formset, "new_objects", []):
            if isinstance(membership, Membership):
                assignment_join(membership=membership)


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


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fields = ("user", "occupation", "assessment", "status", "excused_reason", "reminded_at")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ReviewCycle)
class ReviewCycleAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "status", "opens_on", "self_due", "review_due")
    list_filter = ("status",)
    list_select_related = ("team",)
    search_fields = ("name", "team__name")
    readonly_fields = ("status", "opened_at", "closed_at", "created_by", "skipped")
    inlines = [AssignmentInline]


@admin.action(description="Try sending again now")
def retry_now(modeladmin, request, queryset):
    queryset.filter(sent_at=None).update(attempts=0, next_attempt_at=timezone.now())
    notifications_send.enqueue()


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Every e-mail of the cycles: sent, waiting, or failing with the error SMTP gave."""

    list_display = ("kind", "recipient", "cycle", "stage", "sent_at", "attempts", "error")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter))
    list_select_related = ("recipient", "cycle__team")
    search_fields = ("recipient__username", "recipient__email", "cycle__name")
    actions = [retry_now]
    readonly_fields = [
        "recipient",
        "cycle",
        "kind",
        "stage",
        "created_at",
        "claimed_at",
        "sent_at",
        "next_attempt_at",
        "attempts",
        "error",
    ]

    def has_add_permission(self, request) -> bool:
        return False
