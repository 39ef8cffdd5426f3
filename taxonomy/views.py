from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from config.http import HtmxHttpRequest, download
from config.ratelimit import rate_limited
from taxonomy.exports import write_profile_csv
from taxonomy.models import Occupation, OccupationGroup, ProficiencyScale, Requirement
from taxonomy.tables import OccupationTable

# What apps built on the taxonomy add to an occupation's page (assessments: start or
# resume a self-assessment), registered from their AppConfig.ready(): the taxonomy never
# imports them. Each panel returns HTML.
LIST_FIELDS = ["title", "code", "group", "source", "essential_count", "requirement_count"]
OCCUPATION_PANELS: list[Callable[[HttpRequest, Occupation], str]] = []


@dataclass(frozen=True)
class Suggestion:
    """An occupation to offer someone first, and why ("Your team ICT support")."""

    why: str
    occupation: Occupation


# Likewise the occupations to offer the signed-in person first (teams: the one their team
# assesses them against), shown above the search.
SUGGESTIONS: list[Callable[[HttpRequest], list[Suggestion]]] = []


def suggestions(request: HttpRequest) -> list[Suggestion]:
    return [s for source in SUGGESTIONS for s in source(request)]


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "taxonomy/about.html", {"scale": ProficiencyScale.current()})


@login_required
@require_GET
@rate_limited("search")
def occupation_list(request: HtmxHttpRequest) -> HttpResponse:
    # NUL is no character anyone searches for, and PostgreSQL refuses it in a query.
    q = request.GET.get("q", "").replace("\x00", "")[:200]
    # Only what the table shows: sorting 3,000 rows is quick, with their descriptions not.
    occupations = (
        Occupation.objects.search(q)
        .select_related("group")
        .only(*LIST_FIELDS, "group__code", "group__title")
    )
    table = OccupationTable(occupations)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    template = "taxonomy/occupation_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    groups = OccupationGroup.objects.filter(code__startswith="35").order_by("code")
    context = {"table": table, "q": q, "groups": groups, "suggestions": suggestions(request)}
    return render(request, template, context)


def _profile(occupation: Occupation) -> list[tuple[str, list[tuple[str, list[Requirement]]]]]:
    """Requirements grouped by relation, then kind (Requirement.SECTIONS)."""
    requirements = list(occupation.requirements.all())
    sections: dict[str, list[tuple[str, list[Requirement]]]] = {}
    for section in Requirement.SECTIONS:
        lines = [
            r
            for r in requirements
            if r.relation == section.relation and r.competence.kind == section.kind
        ]
        if lines:
            relation = Requirement.Relation(section.relation).label
            sections.setdefault(relation, []).append((section.kind_label, lines))
    return list(sections.items())


@login_required
@require_GET
def occupation_detail(request: HttpRequest, code: str) -> HttpResponse:
    requirements = Requirement.objects.select_related("competence").order_by("competence__title")
    occupation = get_object_or_404(
        Occupation.objects.select_related(
            "group__parent__parent__parent", "release", "retired_in"
        ).prefetch_related(Prefetch("requirements", queryset=requirements)),
        code=code,
    )
    return render(
        request,
        "taxonomy/occupation_detail.html",
        {
            "occupation": occupation,
            "sections": _profile(occupation),
            "crosswalk_codes": occupation.crosswalk_codes(),
            "panels": [panel(request, occupation) for panel in OCCUPATION_PANELS],
        },
    )


@login_required
@require_GET
def occupation_profile_csv(request: HttpRequest, code: str) -> HttpResponse:
    occupation = get_object_or_404(Occupation, code=code)
    out = io.StringIO()
    write_profile_csv(occupation, out)
    return download(
        out.getvalue(),
        filename=f"profile-{occupation.code}.csv",
        content_type="text/csv; charset=utf-8",
    )


@login_required
@require_GET
def group_detail(request: HttpRequest, code: str) -> HttpResponse:
    group = get_object_or_404(
        OccupationGroup.objects.select_related("parent__parent__parent"), code=code
    )
    return render(
        request,
        "taxonomy/group_detail.html",
        {
            "group": group,
            "children": group.children.order_by("code"),
            "occupations": group.occupations.order_by("title"),
        },
    )
