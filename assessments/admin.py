"""Admin for learning resources and teams, and read-only views of assessments for support."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from assessments.models import Assessment, LearningResource, Membership, Rating, Team, TeamExport
from taxonomy.admin import FastListMixin


@admin.register(LearningResource)
class LearningResourceAdmin(FastListMixin, SimpleHistoryAdmin):
    list_display = ("title", "kind", "url")
    list_filter = ("kind",)
    search_fields = ("title", "url", "competences__title")
    autocomplete_fields = ("competences",)


class RatingInline(admin.TabularInline):
    model = Rating
    fields = (
        "competence",
        "answered",
        "level",
        "confidence",
        "evidence",
        "relation",
        "target_level",
        "weight",
        "validated_level",
        "review_comment",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("competence")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(FastListMixin, SimpleHistoryAdmin):
    """Self-ratings belong to their owner: the admin shows them but does not edit them."""

    list_display = ("user", "occupation", "status", "created_at", "submitted_at")
    list_filter = ("status",)
    list_select_related = ("user", "occupation")
    search_fields = ("user__username", "occupation__title", "occupation__code")
    readonly_fields = (
        "user",
        "occupation",
        "status",
        "created_at",
        "updated_at",
        "submitted_at",
        "readiness",
        "essentials_met",
        "essentials_total",
        "validated_count",
        "self_bias",
        "reviewed_at",
        "reviewed_by",
    )
    inlines = [RatingInline]

    def has_add_permission(self, request) -> bool:
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ("user", "occupation")
    extra = 1


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ("name", "occupation")
    list_select_related = ("occupation",)
    search_fields = ("name", "memberships__user__username", "managers__username")
    autocomplete_fields = ("occupation", "managers")
    inlines = [MembershipInline]


@admin.register(Rating)
class RatingAdmin(FastListMixin, SimpleHistoryAdmin):
    """Each rating's history: every autosave, the submission snapshot and the review."""

    list_display = ("assessment", "competence", "answered", "level", "validated_level")
    list_select_related = ("assessment__user", "assessment__occupation", "competence")
    search_fields = ("assessment__user__username", "competence__title")
    readonly_fields = [f.name for f in Rating._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # shown, never edited: ratings belong to their owner


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
