"""Admin for learning resources, and read-only views of assessments for support."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from assessments.models import Assessment, LearningResource, Rating
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
