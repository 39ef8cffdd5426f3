from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import get_valid_filename
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import charts, scoring
from assessments.forms import DONT_KNOW, field_name, read_answers
from assessments.models import Assessment, LearningResource, Rating
from assessments.services import (
    AssessmentError,
    assessment_start,
    assessment_submit,
    ratings_save,
)
from taxonomy.exports import neutralise
from taxonomy.models import Competence, Occupation, ProficiencyLevel, ProficiencyScale, Requirement
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
        Assessment.objects.filter(user=request.user).select_related("occupation"), pk=pk
    )


def _levels() -> list[ProficiencyLevel]:
    return list(ProficiencyLevel.objects.filter(scale=ProficiencyScale.objects.order_by("id")[:1]))


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
    levels = _levels()
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
    levels = {level.value for level in _levels()}
    profile = {r.competence_id for r in requirements}
    try:
        answers = read_answers(request.POST, profile=profile, levels=levels)
    except ValidationError as error:
        return _refuse(" ".join(error.messages), status=400)
    if request.htmx and len(answers) != 1:
        return _refuse("An autosave speaks of exactly one competence.", status=400)
    try:
        ratings_save(assessment=assessment, answers=answers)
    except AssessmentError as error:
        return _refuse(str(error), status=409)
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
    names = {level.value: level.name for level in _levels()}
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
    lines = assessment.lines(requirements, _ratings(assessment))
    levels = _levels()
    level_names = {level.value: level.name for level in levels}
    max_level = max(level_names, default=4)

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
        "chart": charts.bars(groups, max_level=max_level),
        "groups": groups,
        "level_names": level_names,
        "matches": _career_matches(request, assessment),
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
