from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import charts, rating_page, reports, scoring
from assessments.forms import DONT_KNOW, read_answers, read_confirms, read_order
from assessments.models import Assessment, RatingState
from assessments.services import (
    AssessmentError,
    assessment_start,
    assessment_submit,
    ratings_apply,
)
from config.http import HtmxHttpRequest, download, refuse
from config.ratelimit import rate_limited
from taxonomy.exports import neutralise
from taxonomy.models import (
    Occupation,
    ProficiencyScale,
    Requirement,
)
from taxonomy.views import suggestions

ESSENTIAL = Requirement.Relation.ESSENTIAL
NO_ROLE = "Your account has no role that may assess itself: ask an administrator."


def _get_assessment_for_user(request: HtmxHttpRequest, pk: int, *related: str) -> Assessment:
    """The signed-in user's assessment; anyone else's is a 404, not a 403. With its
    occupation and the `related` a page reads."""
    return get_object_or_404(
        Assessment.objects.owned_by(request.user).select_related("occupation", *related),
        pk=pk,
    )


# Panels higher apps show at the top of My assessments (teams: what is due in a cycle).
ASSESSMENT_LIST_PANELS: list[Callable[[HttpRequest], str]] = []


@login_required
@require_GET
def assessment_list(request: HtmxHttpRequest) -> HttpResponse:
    entries = reports.assessment_entries(request.user)
    context = {
        "rows": entries,
        "suggestions": suggestions(request),
        "panels": [panel(request) for panel in ASSESSMENT_LIST_PANELS],
    }
    return render(request, "assessments/assessment_list.html", context)


def occupation_start_panel(request: HtmxHttpRequest, occupation: Occupation) -> str:
    """Start or resume a self-assessment: a panel of the occupation's page (taxonomy), for
    an occupation with a profile (its requirements come prefetched)."""
    if not occupation.requirements.all():
        return ""
    draft = Assessment.objects.owned_by(request.user).drafts().filter(occupation=occupation).first()
    return render_to_string(
        "assessments/_occupation_start.html",
        {"occupation": occupation, "draft": draft},
        request=request,
    )


@login_required
@require_POST
def assessment_start_view(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.has_perm("assessments.assess_self"):
        raise PermissionDenied(NO_ROLE)
    occupation = get_object_or_404(Occupation, code=request.POST.get("occupation", "")[:20])
    if not occupation.requirements.exists():
        return HttpResponseBadRequest(
            "This occupation has no competence profile to assess against.",
            content_type="text/plain; charset=utf-8",
        )
    try:
        assessment = assessment_start(user=request.user, occupation=occupation)
    except AssessmentError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    return redirect("assessments:assessment-rate", pk=assessment.pk)


def _step(request: HtmxHttpRequest) -> int:
    """The step the address names (?step=2), the first when it names none."""
    value = request.GET.get("step", "1")
    if not (value.isascii() and value.isdigit()) or len(value) > 4:
        raise Http404("No such step.")
    return int(value)


def _step_url(assessment: Assessment, number: int, *, only_left: bool = False) -> str:
    query = urlencode({"step": number, **({"left": 1} if only_left else {})})
    return f"{reverse('assessments:assessment-rate', args=[assessment.pk])}?{query}"


@login_required
@require_http_methods(["GET", "POST"])
def assessment_rate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk, "carried_from")
    if not assessment.is_draft:
        if request.method == "POST":
            return refuse("This assessment is submitted and can no longer change.", status=409)
        return redirect(assessment)
    requirements = rating_page.profile_lines(assessment.occupation_id)
    number, only_left = _step(request), request.GET.get("left") == "1"
    if request.method == "POST":
        # No role check on this hot path: only someone in a role that may assess itself
        # starts a draft, and submitting it checks again.
        return _save_ratings(request, assessment, requirements, number, only_left)
    ratings = rating_page.draft_ratings(assessment)
    scale = ProficiencyScale.current()
    now = timezone.now()
    page = rating_page.page(
        assessment, requirements, ratings, scale, number=number, only_left=only_left, now=now
    )
    if page is None:
        raise Http404("No such step.")
    return render(
        request,
        "assessments/assessment_rate.html",
        {
            "assessment": assessment,
            "levels": scale.ordered_levels,
            "page": page,
            "progress": rating_page.progress(requirements, ratings),
            "dont_know": DONT_KNOW,
            "rate_url": _step_url(assessment, number, only_left=only_left),
        },
    )


def _save_ratings(
    request: HtmxHttpRequest,
    assessment: Assessment,
    requirements: list[rating_page.ProfileLine],
    number: int,
    only_left: bool,
) -> HttpResponse:
    """An autosave (htmx: one competence's answer, or one "still accurate" button), or the
    plain form: every answer of a step, and the confirm of the button pressed, if any."""
    scale = ProficiencyScale.current()
    levels = {level.value for level in scale.ordered_levels}
    profile = {r.competence_id for r in requirements}
    try:
        answers = read_answers(request.POST, profile=profile, levels=levels)
        confirms = read_confirms(request.POST, profile=profile)
        client, seq = read_order(request.POST)
        go_to = _go_to(request.POST.get("next", ""))
    except ValidationError as error:
        return refuse(" ".join(error.messages), status=400)
    if request.htmx and len(answers) + bool(confirms) != 1:
        return refuse("An autosave speaks of exactly one competence, or confirms.", status=400)
    try:
        stored, confirmed = ratings_apply(
            assessment=assessment,
            answers=answers,
            confirms=confirms,
            client=client,
            seq=seq,
            by=request.user,
        )
    except AssessmentError as error:
        return refuse(str(error), status=409)
    # Never "Saved" for an answer that was not stored.
    overtaken = len(answers) - len(stored)
    if request.htmx and (overtaken or (confirms and not confirmed)):
        return refuse("a later change to this competence was saved first.", status=409)
    ratings = rating_page.draft_ratings(assessment)
    progress = rating_page.progress(requirements, ratings)
    if request.htmx:
        shown = stored | confirmed
        now = timezone.now()
        page = rating_page.page(
            assessment, requirements, ratings, scale, number=number, only_left=False, now=now
        )
        return render(
            request,
            "assessments/assessment_rate.html#saved",
            {
                "assessment": assessment,
                "progress": progress,
                "page": page,
                "rate_url": _step_url(assessment, number, only_left=only_left),
                "items": [
                    rating_page.item(assessment, r, ratings, scale, now)
                    for r in requirements
                    if r.competence_id in shown
                ],
                # A confirm changes what the step's "all still accurate" button names.
                "step_confirm": bool(confirmed),
                "status": "Confirmed" if confirmed else "Saved",
            },
        )
    if overtaken:
        messages.warning(
            request,
            f"{overtaken} of your answers were not saved: later changes to them came first.",
        )
    if confirmed:
        messages.success(request, f"Confirmed {len(confirmed)} as still accurate.")
    if go_to == "submit":
        return redirect("assessments:assessment-submit", pk=assessment.pk)
    messages.success(request, f"Saved. {progress.rated} of {progress.total} rated.")
    return redirect(_step_url(assessment, go_to or number, only_left=only_left))


def _go_to(value: str) -> int | str | None:
    """Where the plain form's button leads: "submit", a step ("step-3"), or nowhere."""
    if value in ("", "submit"):
        return value or None
    number = value.removeprefix("step-")
    if not (value.startswith("step-") and number.isascii() and number.isdigit()) or len(number) > 4:
        raise ValidationError("No such step.")
    return int(number)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_submit_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk, "carried_from")
    if not assessment.is_draft:
        if request.method == "POST":
            return refuse("This assessment is already submitted.", status=409)
        return redirect(assessment)
    if request.method == "POST":
        if not request.user.has_perm("assessments.assess_self"):
            raise PermissionDenied(NO_ROLE)
        try:
            assessment_submit(
                assessment=assessment,
                user=request.user,
                confirm_rest=request.POST.get("confirm") == "rest",
            )
        except AssessmentError as error:
            messages.error(request, str(error))
            return redirect("assessments:assessment-submit", pk=assessment.pk)
        messages.success(request, "Submitted. Here is your gap report.")
        return redirect("assessments:assessment-report", pk=assessment.pk)
    requirements = rating_page.profile_lines(assessment.occupation_id)
    ratings = rating_page.draft_ratings(assessment)
    answered = {cid for cid, r in ratings.items() if r.answered}
    unrated = [r for r in requirements if r.competence_id not in answered]
    chosen = {ratings[cid].level for cid in answered}
    names = ProficiencyScale.current().level_names
    steps = {
        r.competence_id: step.number
        for step in rating_page.plan(requirements, ratings)
        for r in step.requirements
    }
    lines = assessment.lines(requirements, list(ratings.values()))
    return render(
        request,
        "assessments/assessment_submit.html",
        {
            "assessment": assessment,
            # Reversed once, not once a listed competence.
            "rate_url": reverse("assessments:assessment-rate", args=[assessment.pk]),
            "progress": rating_page.progress(requirements, ratings),
            "missing": [(r, steps[r.competence_id]) for r in unrated if r.relation == ESSENTIAL],
            "unrated": [(r, steps[r.competence_id]) for r in unrated if r.relation != ESSENTIAL],
            # What leaving them unrated does: they count as 0.
            "readiness": scoring.percent(scoring.readiness(lines)),
            "readiness_rated_at_target": scoring.percent(
                scoring.readiness(
                    line if line.answered else dataclasses.replace(line, level=line.target)
                    for line in lines
                )
            ),
            # Carried over and neither changed nor confirmed: still as they were last time.
            "unconfirmed": [
                (r, steps[r.competence_id])
                for r in requirements
                if getattr(ratings.get(r.competence_id), "carried", False)
            ],
            # Every answer the same level (say all "Proficient") rarely describes anyone.
            "straight_lined": len(answered) >= 5 and len(chosen) == 1,
            "same_level_name": names.get(next(iter(chosen), None), RatingState.DONT_KNOW.label),
        },
    )


@login_required
@require_GET
@rate_limited("report")
def assessment_report(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk, "reviewed_by", "release")
    report = reports.gap_report(assessment)
    scale = ProficiencyScale.current()
    return render(
        request,
        "assessments/assessment_report.html",
        {
            "assessment": assessment,
            "report": report,
            "chart": charts.bars(report.sections, max_level=scale.top_level),
            "level_names": scale.level_names,
        },
    )


@login_required
@require_GET
@rate_limited("report")
def assessment_report_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(reports.CSV_HEADER)
    for row in reports.csv_rows(assessment):
        writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])
    return download(
        out.getvalue(),
        filename=f"gap-report-{assessment.occupation.code}-{assessment.pk}.csv",
        content_type="text/csv; charset=utf-8",
    )
