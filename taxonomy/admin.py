"""Taxonomy admin, built to stay fast with the full ESCO dataset loaded.

Lists select their foreign keys, skip the full-table count, and the profile inline shows
existing lines without rendering a 13,000-option select (or a query) per row.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import bulk_update_with_history

from config.http import download
from taxonomy import releases
from taxonomy.models import (
    Competence,
    CrosswalkPair,
    ImportRun,
    Occupation,
    OccupationGroup,
    ProficiencyLevel,
    ProficiencyScale,
    Release,
    ReleaseChange,
    Requirement,
)


class FastListMixin:
    show_full_result_count = False
    list_per_page = 50


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ("name", "source", "version", "imported_at")
    list_filter = ("source",)
    search_fields = ("name",)
    readonly_fields = ("version", "checksum", "imported_at", "what_it_changed")
    fields = ("name", "source", "version", "imported_at", "checksum", "what_it_changed")

    def get_urls(self):
        csv_view = self.admin_site.admin_view(self.changes_csv_view)
        return [
            path("<int:pk>/changes.csv", csv_view, name="taxonomy_release_changes_csv"),
            *super().get_urls(),
        ]

    def changes_csv_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        release = get_object_or_404(Release, pk=pk)
        out = io.StringIO()
        releases.changes_csv(releases.changes_of([release]), out)
        return download(
            out.getvalue(),
            filename=f"changes-{release.name}.csv",
            content_type="text/csv; charset=utf-8",
        )

    @admin.display(description="What it changed")
    def what_it_changed(self, release: Release) -> str:
        if release.pk is None:
            return "—"
        changes = releases.changes_of([release])
        counts = releases.kind_counts(changes)
        conflicts = changes.filter(conflict=True).count()
        changelist = reverse("admin:taxonomy_releasechange_changelist")
        return format_html(
            '<ul>{}{}</ul><p><a href="{}?release__id__exact={}">Every change, searchable</a>'
            ' · <a href="{}">Download as CSV</a></p>',
            format_html_join("", "<li>{}: {}</li>", counts.items()) if counts else "",
            format_html("<li>Conflicts with admin edits to settle: {}</li>", conflicts)
            if conflicts
            else "",
            changelist,
            release.pk,
            reverse("admin:taxonomy_release_changes_csv", args=[release.pk]),
        )


@admin.register(ReleaseChange)
class ReleaseChangeAdmin(FastListMixin, admin.ModelAdmin):
    """The history of releases, read only: imports write it."""

    list_display = (
        "kind",
        "release",
        "occupation_code",
        "occupation_title",
        "competence_title",
        "old_value",
        "new_value",
        "conflict",
    )
    list_filter = ("release", "kind", "conflict")
    list_select_related = ("release",)
    search_fields = ("occupation_code", "occupation_title", "competence_title", "competence_uri")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(OccupationGroup)
class OccupationGroupAdmin(FastListMixin, SimpleHistoryAdmin):
    list_display = ("code", "title", "level", "parent", "release")
    list_filter = ("level", "release")
    list_select_related = ("parent", "release")
    search_fields = ("code", "title", "uri")
    autocomplete_fields = ("parent",)
    ordering = ("code",)


@admin.register(Competence)
class CompetenceAdmin(FastListMixin, SimpleHistoryAdmin):
    list_display = ("title", "kind", "reuse_level", "release", "uri")
    list_filter = ("kind", "reuse_level", "release")
    list_select_related = ("release",)
    search_fields = ("title", "alt_labels", "uri")


class LabelledLinesFormSet(BaseInlineFormSet):
    """A tabular inline's inputs sit under a column header, which names them for the eye
    only: each also gets a name of its own ("Target level: ABAP") for screen readers."""

    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        if form.instance.pk:
            line = form.instance.competence.title
        else:  # index is None for the blank row "Add another" copies
            line = "new line" if index is None else f"new line {index + 1}"
        for field in form.fields.values():
            # The autocomplete picker comes wrapped (the add and change links); a copied
            # wrapper's attrs are its original's, so the name goes on the widget inside.
            widget = getattr(field.widget, "widget", field.widget)
            widget.attrs["aria-label"] = f"{capfirst(field.label)}: {line}"


class RequirementInline(admin.TabularInline):
    """Existing profile lines: the competence is shown, not re-chosen."""

    model = Requirement
    formset = LabelledLinesFormSet
    fields = ("competence_title", "competence_kind", "relation", "target_level", "weight")
    readonly_fields = ("competence_title", "competence_kind")
    extra = 0
    verbose_name = "profile line"
    verbose_name_plural = "profile"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Requirement]:
        return (
            super()
            .get_queryset(request)
            # The tabular inline prints each line's str(), which reads the occupation.
            .select_related("competence", "occupation")
            .order_by("relation", "competence__title")
        )

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="competence")
    def competence_title(self, requirement: Requirement) -> str:
        return requirement.competence.title

    @admin.display(description="kind")
    def competence_kind(self, requirement: Requirement) -> str:
        return requirement.competence.get_kind_display()


class NewRequirementFormSet(LabelledLinesFormSet):
    @classmethod
    def get_default_prefix(cls) -> str:
        return "new_requirements"


class NamedAutocompleteSelect(AutocompleteSelect):
    """The admin's autocomplete picker with a placeholder: select2 names its combobox by
    the text it shows, and an empty picker shows none."""

    def __init__(self, *args, placeholder: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.placeholder = placeholder

    def build_attrs(self, base_attrs, extra_attrs=None) -> dict:
        attrs = super().build_attrs(base_attrs, extra_attrs)
        return {**attrs, "data-placeholder": self.placeholder}


class NewRequirementInline(admin.TabularInline):
    """Blank rows for adding competences to the profile, with an autocomplete picker."""

    model = Requirement
    formset = NewRequirementFormSet
    fields = ("competence", "relation", "target_level", "weight")
    autocomplete_fields = ("competence",)
    extra = 3
    verbose_name = "new profile line"
    verbose_name_plural = "add competences to the profile"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Requirement]:
        return super().get_queryset(request).none()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "competence":
            kwargs["widget"] = NamedAutocompleteSelect(
                db_field, self.admin_site, placeholder="Choose a competence"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        scale = ProficiencyScale.current()
        formset.form.base_fields["relation"].initial = Requirement.Relation.OPTIONAL
        formset.form.base_fields["target_level"].initial = scale.optional_target
        formset.form.base_fields["weight"].initial = scale.optional_weight
        return formset


@admin.register(Occupation)
class OccupationAdmin(FastListMixin, SimpleHistoryAdmin):
    list_display = ("title", "code", "group", "source", "release", "profile_size")
    list_filter = ("source", "release", ("group", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("group", "release")
    search_fields = ("title", "alt_labels", "code", "uri")
    autocomplete_fields = ("group",)
    inlines = [RequirementInline, NewRequirementInline]

    @admin.display(description="competences", ordering="requirement_count")
    def profile_size(self, occupation: Occupation) -> int:
        return occupation.requirement_count

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        Occupation.objects.filter(pk=form.instance.pk).summarise_profiles()


class RequirementActionForm(ActionForm):
    value = forms.CharField(
        required=False,
        label="Value",
        help_text="Target level or weight, for the “set …” actions.",
        widget=forms.TextInput(attrs={"size": 6}),
    )


def _update_with_history(request: HttpRequest, queryset: QuerySet, **values) -> int:
    """queryset.update(), but each changed line also gets a history entry by the admin."""
    lines = list(queryset)
    for line in lines:
        for name, value in values.items():
            setattr(line, name, value)
    bulk_update_with_history(lines, queryset.model, list(values), default_user=request.user)
    Occupation.objects.filter(pk__in={line.occupation_id for line in lines}).summarise_profiles()
    return len(lines)


@admin.register(Requirement)
class RequirementAdmin(FastListMixin, SimpleHistoryAdmin):
    list_display = ("occupation", "competence", "relation", "target_level", "weight", "release")
    list_filter = (
        "relation",
        "competence__kind",
        "competence__reuse_level",
        ("occupation__group", admin.RelatedOnlyFieldListFilter),
        "release",
    )
    list_select_related = ("occupation", "competence", "release")
    search_fields = (
        "occupation__title",
        "occupation__code",
        "competence__title",
        "competence__uri",
    )
    autocomplete_fields = ("occupation", "competence")
    action_form = RequirementActionForm
    actions = ["make_essential", "make_optional", "set_target_level", "set_weight"]
    # The unique (occupation, competence) index gives this order for free; ordering by
    # titles would sort all 120,000 lines of a full ESCO import for every page.
    ordering = ("occupation_id", "competence_id")

    def save_model(self, request: HttpRequest, obj: Requirement, form, change: bool) -> None:
        moved_from = form.initial.get("occupation") if change else None
        super().save_model(request, obj, form, change)
        Occupation.objects.filter(pk__in={obj.occupation_id, moved_from}).summarise_profiles()

    def delete_model(self, request: HttpRequest, obj: Requirement) -> None:
        super().delete_model(request, obj)
        Occupation.objects.filter(pk=obj.occupation_id).summarise_profiles()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Requirement]) -> None:
        touched = set(queryset.values_list("occupation_id", flat=True))
        super().delete_queryset(request, queryset)
        Occupation.objects.filter(pk__in=touched).summarise_profiles()

    @admin.action(description="Make selected lines essential")
    def make_essential(self, request: HttpRequest, queryset: QuerySet[Requirement]) -> None:
        count = _update_with_history(request, queryset, relation=Requirement.Relation.ESSENTIAL)
        self.message_user(request, f"{count} line(s) are now essential.", messages.SUCCESS)

    @admin.action(description="Make selected lines optional")
    def make_optional(self, request: HttpRequest, queryset: QuerySet[Requirement]) -> None:
        count = _update_with_history(request, queryset, relation=Requirement.Relation.OPTIONAL)
        self.message_user(request, f"{count} line(s) are now optional.", messages.SUCCESS)

    @admin.action(description="Set target level of selected lines to Value")
    def set_target_level(self, request: HttpRequest, queryset: QuerySet[Requirement]) -> None:
        value = request.POST.get("value", "").strip()
        levels = {level.value for level in ProficiencyScale.current().ordered_levels}
        if not value.isdecimal() or int(value) not in levels:
            self.message_user(
                request,
                f"Target level must be one of {sorted(levels)}; nothing was changed.",
                messages.ERROR,
            )
            return
        count = _update_with_history(request, queryset, target_level=int(value))
        self.message_user(request, f"{count} line(s) now target level {value}.", messages.SUCCESS)

    @admin.action(description="Set weight of selected lines to Value")
    def set_weight(self, request: HttpRequest, queryset: QuerySet[Requirement]) -> None:
        raw = request.POST.get("value", "").strip()
        # Check the stored (rounded) value: 0.001 would become 0.00, 999.999 would be 1000.00.
        try:
            weight = Decimal(raw).quantize(Decimal("0.01"))
        except InvalidOperation:
            weight = None
        if weight is None or not weight.is_finite() or not (0 < weight < 1000):
            self.message_user(
                request,
                "Weight must be a number above 0 and below 1000; nothing was changed.",
                messages.ERROR,
            )
            return
        count = _update_with_history(request, queryset, weight=weight)
        self.message_user(request, f"{count} line(s) now weigh {weight}.", messages.SUCCESS)


@admin.register(CrosswalkPair)
class CrosswalkPairAdmin(FastListMixin, admin.ModelAdmin):
    list_display = (
        "source_scheme",
        "source_code",
        "source_title",
        "target_scheme",
        "target_code",
        "target_title",
        "partial",
    )
    list_filter = ("source_scheme", "target_scheme", "partial", "release")
    list_select_related = ("release",)
    search_fields = ("source_code", "source_title", "target_code", "target_title")


class ProficiencyLevelInline(admin.TabularInline):
    model = ProficiencyLevel
    extra = 0


@admin.register(ProficiencyScale)
class ProficiencyScaleAdmin(SimpleHistoryAdmin):
    list_display = ("name", "essential_target", "optional_target")
    inlines = [ProficiencyLevelInline]


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """The audit trail of imports: read-only."""

    list_display = ("command", "by", "finished_at")
    list_filter = ("command",)
    readonly_fields = ("command", "summary", "by", "finished_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
