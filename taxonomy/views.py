from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_htmx.middleware import HtmxDetails
from django_tables2 import RequestConfig

from taxonomy.exports import write_profile_csv
from taxonomy.models import Occupation, OccupationGroup, ProficiencyScale, Requirement
from taxonomy.tables import OccupationTable


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "taxonomy/about.html", {"scale": ProficiencyScale.current()})


@login_required
@require_GET
def occupation_list(request: HtmxHttpRequest) -> HttpResponse:
    # NUL is no character anyone searches for, and PostgreSQL refuses it in a query.
    q = request.GET.get("q", "").replace("\x00", "")[:200]
    occupations = Occupation.objects.search(q).select_related("group").with_profile_counts()
    table = OccupationTable(occupations)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    template = "taxonomy/occupation_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    groups = OccupationGroup.objects.filter(code__startswith="35").order_by("code")
    return render(request, template, {"table": table, "q": q, "groups": groups})


def _profile(occupation: Occupation) -> list[tuple[str, list[tuple[str, list[Requirement]]]]]:
    """Requirements grouped as the ESCO pages group them: relation, then kind."""
    sections = []
    requirements = list(occupation.requirements.all())
    for relation, relation_label in Requirement.Relation.choices:
        kinds = []
        for kind, kind_label in (
            ("knowledge", "Knowledge"),
            ("skill", "Skills"),
            ("unknown", "Other competences"),
        ):
            lines = [
                r for r in requirements if r.relation == relation and r.competence.kind == kind
            ]
            if lines:
                kinds.append((kind_label, lines))
        if kinds:
            sections.append((relation_label, kinds))
    return sections


@login_required
@require_GET
def occupation_detail(request: HttpRequest, code: str) -> HttpResponse:
    requirements = Requirement.objects.select_related("competence").order_by("competence__title")
    occupation = get_object_or_404(
        Occupation.objects.select_related(
            "group__parent__parent__parent", "release"
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
            "draft": occupation.assessments.filter(user=request.user, status="draft").first(),
        },
    )


@login_required
@require_GET
def occupation_profile_csv(request: HttpRequest, code: str) -> HttpResponse:
    occupation = get_object_or_404(Occupation, code=code)
    out = io.StringIO()
    write_profile_csv(occupation, out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"profile-{occupation.code}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
            "occupations": group.occupations.with_profile_counts().order_by("title"),
        },
    )
