"""Admin for learning resources, and read-mostly views of assessments for support."""

from __future__ import annotations

from django.contrib import admin

from assessments.models import Assessment, LearningResource, Rating
from taxonomy.admin import FastListMixin


@admin.register(LearningResource)
class LearningResourceAdmin(FastListMixin, admin.ModelAdmin):
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
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("competence")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(FastListMixin, admin.ModelAdmin):
    """Self-ratings belong to their owner: the admin shows them but does not edit them."""

    list_display = ("user", "occupation", "status", "created_at", "submitted_at")
    list_filter = ("status",)
    list_select_related = ("user", "occupation")
    search_fields = ("user__username", "occupation__title", "occupation__code")
    readonly_fields = ("user", "occupation", "status", "created_at", "updated_at", "submitted_at")
    inlines = [RatingInline]

    def has_add_permission(self, request) -> bool:
        return False
