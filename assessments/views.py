from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig
from django_tables2.tables import Table

from assessments import charts, scoring
from assessments.exports import SafeExport
from assessments.forms import DONT_KNOW, field_name, read_answers, read_validations
from assessments.models import Assessment, LearningResource, Rating, Team, TeamExport
from assessments.services import (
    AssessmentError,
    assessment_start,
    assessment_submit,
    ratings_save,
    review_save,
    team_export_request,
)
from assessments.tables import CompetenceFilter, CompetenceTable, MemberFilter, MemberTable
from taxonomy.exports import neutralise
from taxonomy.models import (
    Competence,
    Occupation,
    ProficiencyLevel,
    ProficiencyScale,
    Requirement,
)
from taxonomy.views import HtmxHttpRequest

KIND_LABELS = dict(Competence.Kind.choices)
REUSE_LABELS = dict(Competence.ReuseLevel.choices)
SECTIONS = [
    ("essential", "knowledge", "Essential knowledge"),
    ("essential", "skill", "Essential skills"),
    ("essential", "unknown", "Other essential competences"),
    ("optional", "knowledge", "Optional knowledge"),
    ("optional", "skill", "Optional skills"),
    ("optional", "unknown", "Other optional competences"),
]
CSV_HEADER = [
    "competence_uri",
    "competence",
    "relation",
    "kind",
    "reuse_level",
    "target_level",
    "weight",
    "self_level",
    "gap",
    "met",
]


def _get_assessment_for_user(request: HtmxHttpRequest, pk: int) -> Assessment:
    """The signed-in user's assessment; anyone else's is a 404, not a 403."""
    return get_object_or_404(
        Assessment.objects.filter(user=request.user).select_related("occupation", "reviewed_by"),
        pk=pk,
    )


def _get_team_for_manager(request: HtmxHttpRequest, pk: int) -> Team:
    """A team the signed-in user manages; any other team is a 404."""
    return get_object_or_404(request.user.managed_teams.select_related("occupation"), pk=pk)


def _get_member_assessment(team: Team, pk: int, manager) -> Assessment:
    """A submitted assessment of one of the team's members, never the manager's own."""
    members = team.memberships.exclude(user=manager).values("user")
    return get_object_or_404(
        Assessment.objects.submitted()
        .filter(user__in=members)
        .select_related("user", "occupation", "reviewed_by"),
        pk=pk,
    )


def _requirements(assessment: Assessment) -> QuerySet[Requirement]:
    return (
        Requirement.objects.filter(occupation=assessment.occupation_id)
        .select_related("competence")
        .order_by("competence__title")
    )


def _ratings(assessment: Assessment) -> list[Rating]:
    return list(assessment.ratings.select_related("competence").order_by("competence__title", "id"))


@dataclass(frozen=True)
class Progress:
    rated: int
    total: int
    essentials_rated: int
    essentials: int

    @property
    def unrated(self) -> int:
        return self.total - self.rated

    @property
    def missing_essentials(self) -> int:
        return self.essentials - self.essentials_rated


def _progress(requirements: list[Requirement], answered: set[int]) -> Progress:
    essentials = [r for r in requirements if r.relation == Requirement.Relation.ESSENTIAL]
    return Progress(
        rated=sum(r.competence_id in answered for r in requirements),
        total=len(requirements),
        essentials_rated=sum(r.competence_id in answered for r in essentials),
        essentials=len(essentials),
    )


@dataclass(frozen=True)
class Item:
    requirement: Requirement
    rating: Rating | None
    name: str
    options: list[tuple[str, str, bool]]  # radio value, label, checked


def _choice(rating: Rating | None) -> str:
    """The checked radio's value, "" when none is."""
    if rating is None or not rating.answered:
        return ""
    return DONT_KNOW if rating.level is None else str(rating.level)


def _sections(
    requirements: list[Requirement], ratings: dict[int, Rating], levels: list[ProficiencyLevel]
):
    # Worked out here rather than in the template: 80 competences × 6 radios is the page.
    radios = [(str(level.value), level.name) for level in levels] + [(DONT_KNOW, "Don't know")]
    sections = []
    for relation, kind, label in SECTIONS:
        items = []
        for r in requirements:
            if r.relation == relation and r.competence.kind == kind:
                rating = ratings.get(r.competence_id)
                choice = _choice(rating)
                options = [(value, name, value == choice) for value, name in radios]
                items.append(Item(r, rating, field_name(r.competence_id), options))
        if items:
            sections.append((label, items))
    return sections


@login_required
@require_GET
def assessment_list(request: HtmxHttpRequest) -> HttpResponse:
    assessments = list(
        Assessment.objects.filter(user=request.user)
        .select_related("occupation")
        .prefetch_related("ratings__competence")
    )
    rows = []
    for assessment in assessments:
        lines = [] if assessment.is_draft else assessment.lines([], list(assessment.ratings.all()))
        rows.append(
            {
                "assessment": assessment,
                "readiness": scoring.percent(scoring.readiness(lines)) if lines else None,
                "verdict": scoring.verdict(lines) if lines else "",
                "rated": sum(r.answered for r in assessment.ratings.all()),
            }
        )
    return render(request, "assessments/assessment_list.html", {"rows": rows})


@login_required
@require_POST
def assessment_start_view(request: HtmxHttpRequest) -> HttpResponse:
    occupation = get_object_or_404(Occupation, code=request.POST.get("occupation", "")[:20])
    if not occupation.requirements.exists():
        return HttpResponseBadRequest(
            "This occupation has no competence profile to assess against.",
            content_type="text/plain; charset=utf-8",
        )
    assessment = assessment_start(user=request.user, occupation=occupation)
    return redirect("assessments:assessment-rate", pk=assessment.pk)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_rate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    if not assessment.is_draft:
        if request.method == "POST":
            return _refuse("This assessment is submitted and can no longer change.", status=409)
        return redirect(assessment)
    requirements = list(_requirements(assessment))
    if request.method == "POST":
        return _save_ratings(request, assessment, requirements)
    ratings = {r.competence_id: r for r in assessment.ratings.all()}
    answered = {cid for cid, r in ratings.items() if r.answered}
    levels = ProficiencyScale.current().ordered_levels
    return render(
        request,
        "assessments/assessment_rate.html",
        {
            "assessment": assessment,
            "levels": levels,
            "sections": _sections(requirements, ratings, levels),
            "progress": _progress(requirements, answered),
            "dont_know": DONT_KNOW,
        },
    )


def _save_ratings(
    request: HtmxHttpRequest, assessment: Assessment, requirements: list[Requirement]
) -> HttpResponse:
    levels = {level.value for level in ProficiencyScale.current().ordered_levels}
    profile = {r.competence_id for r in requirements}
    try:
        answers = read_answers(request.POST, profile=profile, levels=levels)
    except ValidationError as error:
        return _refuse(" ".join(error.messages), status=400)
    if request.htmx and len(answers) != 1:
        return _refuse("An autosave speaks of exactly one competence.", status=400)
    try:
        stored = ratings_save(assessment=assessment, answers=answers, by=request.user)
    except AssessmentError as error:
        return _refuse(str(error), status=409)
    # Never "Saved" for an answer that was not stored.
    overtaken = len(answers) - len(stored)
    if request.htmx and overtaken:
        return _refuse("a later change to this competence was saved first.", status=409)
    answered = set(assessment.ratings.filter(answered=True).values_list("competence_id", flat=True))
    progress = _progress(requirements, answered)
    if request.htmx:
        return render(
            request,
            "assessments/assessment_rate.html#saved",
            {"assessment": assessment, "progress": progress, "answer": answers[0]},
        )
    if request.POST.get("next") == "submit":
        return redirect("assessments:assessment-submit", pk=assessment.pk)
    if overtaken:
        messages.warning(
            request,
            f"{overtaken} of your answers were not saved: later changes to them came first.",
        )
    messages.success(request, f"Saved. {progress.rated} of {progress.total} rated.")
    return redirect("assessments:assessment-rate", pk=assessment.pk)


def _refuse(message: str, *, status: int) -> HttpResponse:
    """Plain text, so the autosave script can show it as is and a browser too."""
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@login_required
@require_http_methods(["GET", "POST"])
def assessment_submit_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    if not assessment.is_draft:
        if request.method == "POST":
            return _refuse("This assessment is already submitted.", status=409)
        return redirect(assessment)
    if request.method == "POST":
        try:
            assessment_submit(assessment=assessment, user=request.user)
        except AssessmentError as error:
            messages.error(request, str(error))
            return redirect("assessments:assessment-submit", pk=assessment.pk)
        messages.success(request, "Submitted. Here is your gap report.")
        return redirect("assessments:assessment-report", pk=assessment.pk)
    requirements = list(_requirements(assessment))
    ratings = {r.competence_id: r for r in assessment.ratings.all()}
    answered = {cid for cid, r in ratings.items() if r.answered}
    missing = [
        r
        for r in requirements
        if r.relation == Requirement.Relation.ESSENTIAL and r.competence_id not in answered
    ]
    chosen = {ratings[cid].level for cid in answered}
    names = ProficiencyScale.current().level_names
    return render(
        request,
        "assessments/assessment_submit.html",
        {
            "assessment": assessment,
            "progress": _progress(requirements, answered),
            "missing": missing,
            # Every answer the same level (say all "Proficient") rarely describes anyone.
            "straight_lined": len(answered) >= 5 and len(chosen) == 1,
            "same_level_name": names.get(next(iter(chosen), None), "Don't know"),
        },
    )


@login_required
@require_GET
def assessment_report(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    requirements = list(_requirements(assessment)) if assessment.is_draft else []
    ratings = _ratings(assessment)
    lines = assessment.lines(requirements, ratings)
    scale = ProficiencyScale.current()
    level_names = scale.level_names

    gaps = scoring.ordered_gaps(lines)
    resources = _resources_by_competence([line.key for line in gaps])
    met, total = scoring.essentials_met(lines)
    labels = {(relation, kind): label for relation, kind, label in SECTIONS}
    groups = scoring.breakdown(
        lines, lambda line: labels.get((line.relation, line.kind), "Other"), [*labels.values()]
    )
    previous = _previous(assessment)
    context = {
        "assessment": assessment,
        "lines": lines,
        "readiness": scoring.percent(scoring.readiness(lines)),
        "essentials_met": met,
        "essentials_total": total,
        "verdict": scoring.verdict(lines),
        "gaps": [(line, resources.get(line.key, [])) for line in gaps],
        "strengths": scoring.strengths(lines),
        "breakdowns": [
            ("By kind", "Kind", _breakdown(lines, "kind", KIND_LABELS)),
            ("By reuse level", "Reuse level", _breakdown(lines, "reuse_level", REUSE_LABELS)),
        ],
        "chart": charts.bars(groups, max_level=scale.top_level),
        "groups": groups,
        "level_names": level_names,
        "matches": _career_matches(request, assessment),
        "reviewed": [r for r in ratings if r.validated_level is not None or r.review_comment],
    }
    if previous is not None:
        before = previous.lines([], _ratings(previous))
        context["previous"] = previous
        before_readiness = scoring.percent(scoring.readiness(before))
        before_met = scoring.essentials_met(before)[0]
        context["previous_readiness"] = before_readiness
        context["previous_essentials_met"] = before_met
        context["essentials_delta"] = met - before_met
        if context["readiness"] is not None and before_readiness is not None:
            context["readiness_delta"] = context["readiness"] - before_readiness
        context["changes"] = [c for c in scoring.compare(before, lines) if c.delta]
    return render(request, "assessments/assessment_report.html", context)


def _breakdown(
    lines: list[scoring.Line], attribute: str, labels: dict[str, str]
) -> list[scoring.Summary]:
    """Summaries per value of the attribute, named and ordered as the choices are."""
    summaries = scoring.breakdown(lines, lambda line: getattr(line, attribute), list(labels))
    return [dataclasses.replace(s, name=labels.get(s.name, s.name)) for s in summaries]


def _resources_by_competence(competence_ids: list[int]) -> dict[int, list[LearningResource]]:
    links = (
        LearningResource.competences.through.objects.filter(competence_id__in=competence_ids)
        .select_related("learningresource")
        .order_by("learningresource__title")
    )
    found: dict[int, list[LearningResource]] = {}
    for link in links:
        found.setdefault(link.competence_id, []).append(link.learningresource)
    return found


def _previous(assessment: Assessment) -> Assessment | None:
    """The owner's submitted assessment of the same occupation before this one."""
    earlier = Assessment.objects.submitted().filter(
        user=assessment.user_id, occupation=assessment.occupation_id
    )
    if assessment.submitted_at is not None:
        earlier = earlier.filter(submitted_at__lt=assessment.submitted_at)
    return earlier.order_by("-submitted_at").first()


def _career_matches(request: HtmxHttpRequest, assessment: Assessment) -> list[dict]:
    """Top occupations by readiness from the user's latest level of each competence."""
    latest: dict[int, int | None] = {}
    ratings = (
        Rating.objects.filter(assessment__user=request.user, answered=True)
        .order_by("competence_id", "-updated_at", "-id")
        .values_list("competence_id", "level")
    )
    for competence_id, level in ratings:
        latest.setdefault(competence_id, level)
    if not latest:
        return []
    sharing = (
        Requirement.objects.filter(competence_id__in=list(latest))
        .exclude(occupation=assessment.occupation_id)
        .values("occupation_id")
    )
    profiles: dict[int, list[scoring.Line]] = {}
    for occupation_id, competence_id, relation, target, weight in Requirement.objects.filter(
        occupation__in=sharing
    ).values_list("occupation_id", "competence_id", "relation", "target_level", "weight"):
        profiles.setdefault(occupation_id, []).append(
            scoring.Line(competence_id, "", relation, target, weight)
        )
    matches = scoring.career_matches(latest, profiles)
    occupations = Occupation.objects.in_bulk([m.occupation for m in matches])
    return [{"match": m, "occupation": occupations[m.occupation]} for m in matches]


@login_required
@require_GET
def assessment_report_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    requirements = list(_requirements(assessment)) if assessment.is_draft else []
    ratings = _ratings(assessment)
    competences = {r.competence_id: r.competence for r in requirements}
    competences.update({r.competence_id: r.competence for r in ratings})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for line in assessment.lines(requirements, ratings):
        competence = competences[line.key]
        writer.writerow(
            [
                neutralise(competence.uri or ""),
                neutralise(line.title),
                line.relation,
                line.kind,
                line.reuse_level,
                line.target,
                f"{line.weight.normalize():f}",
                line.score,
                line.gap,
                "yes" if line.met else "no",
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = get_valid_filename(f"gap-report-{assessment.occupation.code}-{assessment.pk}.csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def team_list(request: HtmxHttpRequest) -> HttpResponse:
    teams = list(
        request.user.managed_teams.select_related("occupation").annotate(
            member_count=Count("memberships")
        )
    )
    if not teams:
        raise Http404("You manage no team.")
    return render(request, "assessments/team_list.html", {"teams": teams})


TEAM_SECTIONS = ("members", "competences", "heatmap")
EXPORTS = {"members", "competences"}
HEAT_MAP_MEMBERS = 25


@login_required
@require_GET
def team_report(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Members, competences, heat map and readiness over time; each table sorts, filters
    and pages through plain links that htmx swaps in place, and exports as CSV or XLSX.
    """
    team = _get_team_for_manager(request, pk)
    occupations = list(team.occupations())
    occupation = _chosen_occupation(request, team, occupations)
    export, fmt = request.GET.get("export"), request.GET.get("format", "csv")
    if export is not None and (export not in EXPORTS or fmt not in ("csv", "xlsx")):
        return _refuse("Export members or competences, as csv or xlsx.", status=400)
    # An export or an htmx swap needs one section; the page needs them all.
    part = request.htmx.target if request.htmx and request.htmx.target in TEAM_SECTIONS else None
    wanted = {export or part} if export or part else set(TEAM_SECTIONS)

    context: dict = {"team": team, "occupations": occupations, "occupation": occupation}
    if "members" in wanted:
        member_filter = MemberFilter(
            request.GET, queryset=team.memberships.with_latest(), occupations=team.occupations()
        )
        if member_filter.errors:
            return _refuse(_filter_errors(member_filter), status=400)
        members = MemberTable(member_filter.qs, team_pk=team.pk)
        RequestConfig(request, paginate=not export and {"per_page": 25}).configure(members)
        context.update(
            member_filter=member_filter,
            members=members,
            members_keep=_other_params(request, member_filter, "m-page"),
        )
    if wanted & {"competences", "heatmap"}:
        scale = ProficiencyScale.current()
        levels = scale.ordered_levels
        assessed = team.assessed_members(occupation)
        context["assessed"] = len(assessed)
    if "competences" in wanted:
        ids = [m["latest_id"] for m in assessed]
        summary = Team.competence_summary(occupation, ids, top_level=scale.top_level)
        competence_filter = CompetenceFilter(request.GET, queryset=summary)
        if competence_filter.errors:
            return _refuse(_filter_errors(competence_filter), status=400)
        competences = CompetenceTable(competence_filter.qs)
        RequestConfig(request, paginate=False).configure(competences)
        context.update(
            competence_filter=competence_filter,
            competences=competences,
            competences_keep=_other_params(request, competence_filter),
        )
    if export:
        return _export(context[export], fmt, f"{team.name} {export}")
    if "heatmap" in wanted:
        context["heat"] = _heat_map(request, occupation, assessed, levels)
    if part:
        return render(request, f"assessments/team_report.html#{part}", context)
    points = team.readiness_by_month()
    context["timeline"] = points
    context["timeline_chart"] = charts.line(
        [(point.month.strftime("%b %Y"), point.readiness) for point in points]
    )
    return render(request, "assessments/team_report.html", context)


def _chosen_occupation(request: HtmxHttpRequest, team: Team, occupations: list[Occupation]):
    code = request.GET.get("occupation")
    if not code:
        return team.occupation
    for occupation in occupations:
        if occupation.code == code:
            return occupation
    raise Http404("No member of this team is assessed against that occupation.")


def _other_params(request: HtmxHttpRequest, filterset, *also: str) -> list[tuple[str, str]]:
    """The query's other parameters, for hidden inputs that keep them when this filters."""
    own = {filterset.form.add_prefix(name) for name in filterset.form.fields}
    return [
        (key, value)
        for key, value in request.GET.items()
        if key not in own and key not in also and key not in ("export", "format")
    ]


def _filter_errors(filterset) -> str:
    return " ".join(
        f"{filterset.form.fields[name].label}: {' '.join(errors)}"
        for name, errors in filterset.errors.items()
    )


def _heat_map(
    request: HtmxHttpRequest, occupation: Occupation, assessed: list[dict], levels
) -> dict:
    """A page of the members assessed against the occupation (Team.assessed_members), and
    their levels."""
    page = Paginator(assessed, HEAT_MAP_MEMBERS).get_page(request.GET.get("heat_page"))
    members = list(page.object_list)
    found = Rating.objects.effective_levels([m["latest_id"] for m in members])
    requirements = occupation.requirements.select_related("competence").order_by(
        "relation",
        "competence__title",  # essential sorts before optional
    )
    rows = [
        (
            r,
            [
                _heat_cell(found.get((r.competence_id, m["latest_id"])), r.target_level)
                for m in members
            ],
        )
        for r in requirements
    ]
    return {"page": page, "members": members, "rows": rows, "levels": levels}


def _heat_cell(level: int | None, target: int) -> tuple[str, str, bool]:
    """(text, CSS class, below target) of one heat map cell; worked out here, not in the
    template, because a page holds thousands."""
    if level is None:
        return "–", "heat heat-none", False
    below = level < target
    return str(level), f"heat heat-{level}{' below' if below else ''}", below


def _export(table: Table, fmt: str, name: str) -> HttpResponse:
    return SafeExport(fmt, table).response(filename=f"{get_valid_filename(name)}.{fmt}")


EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _my_exports(request: HtmxHttpRequest, team: Team) -> QuerySet[TeamExport]:
    """The signed-in user's current exports of the team; anyone else's are not there."""
    return team.exports.current().filter(requested_by=request.user)


@login_required
@require_http_methods(["GET", "POST"])
def team_export_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The manager's full exports of the team; a POST asks the task worker for a new one."""
    team = _get_team_for_manager(request, pk)
    mine = _my_exports(request, team).defer("content")
    if request.method == "POST":
        fmt = request.POST.get("format")
        if fmt not in TeamExport.Format.values:
            return _refuse("Choose a format: an Excel workbook or CSV.", status=400)
        latest = mine.filter(finished_at=None, failed_at=None).first()
        if latest is not None and latest.state in ("queued", "running"):
            messages.info(request, "Your previous export is still being prepared.")
            return redirect(latest)
        return redirect(team_export_request(team=team, user=request.user, fmt=fmt))
    return render(
        request,
        "assessments/team_export_list.html",
        {"team": team, "exports": mine.with_task_status(), "formats": TeamExport.Format.choices},
    )


@login_required
@require_GET
def team_export_detail(request: HtmxHttpRequest, pk: int, export_pk: int) -> HttpResponse:
    """Where an export stands. While it is pending, htmx asks again every few seconds,
    saying what it shows; an unchanged state answers 204, so nothing is swapped and
    screen readers do not hear the same status again."""
    team = _get_team_for_manager(request, pk)
    export = get_object_or_404(_my_exports(request, team).defer("content"), pk=export_pk)
    state = export.state
    if request.htmx and request.GET.get("shown") == state:
        return HttpResponse(status=204)
    context = {"team": team, "export": export, "state": state}
    if request.htmx:
        return render(request, "assessments/team_export_detail.html#status", context)
    return render(request, "assessments/team_export_detail.html", context)


@login_required
@require_GET
def team_export_download(request: HtmxHttpRequest, pk: int, export_pk: int) -> HttpResponse:
    team = _get_team_for_manager(request, pk)
    export = get_object_or_404(_my_exports(request, team).exclude(finished_at=None), pk=export_pk)
    response = HttpResponse(bytes(export.content), content_type=EXPORT_TYPES[export.format])
    response["Content-Disposition"] = content_disposition_header(
        True, get_valid_filename(export.filename)
    )
    response["Cache-Control"] = "private, no-store"  # personal data
    return response


@login_required
@require_http_methods(["GET", "POST"])
def team_review(request: HtmxHttpRequest, pk: int, assessment_pk: int) -> HttpResponse:
    """A manager validates a member's submitted self-ratings; the self ratings stay."""
    team = _get_team_for_manager(request, pk)
    assessment = _get_member_assessment(team, assessment_pk, request.user)
    ratings = list(
        assessment.ratings.exclude(relation="")
        .select_related("competence")
        .order_by("relation", "competence__title")  # essential sorts before optional
    )
    levels = ProficiencyScale.current().ordered_levels
    if request.method == "POST":
        try:
            validations = read_validations(
                request.POST,
                competences={r.competence_id for r in ratings},
                levels={level.value for level in levels},
            )
            review_save(
                assessment=assessment,
                reviewer=request.user,
                validations=validations,
                done="done" in request.POST,
            )
        except ValidationError as error:
            return _refuse(" ".join(error.messages), status=400)
        except AssessmentError as error:
            return _refuse(str(error), status=409)
        if "done" in request.POST:
            messages.success(request, "Review done. The member sees it on their report.")
            return redirect(team)
        messages.success(request, "Review saved.")
        return redirect("assessments:team-review", pk=team.pk, assessment_pk=assessment.pk)
    self_lines = assessment.lines([], ratings)
    return render(
        request,
        "assessments/team_review.html",
        {
            "team": team,
            "assessment": assessment,
            "ratings": ratings,
            "levels": levels,
            "level_names": {level.value: level.name for level in levels},
            "self_readiness": scoring.percent(scoring.readiness(self_lines)),
        },
    )
