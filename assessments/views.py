from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import charts, reports
from assessments.forms import DONT_KNOW, field_name, read_answers, read_confirms, read_order
from assessments.models import Assessment, Rating, RatingState, months_since
from assessments.services import (
    AssessmentError,
    assessment_start,
    assessment_submit,
    ratings_confirm,
    ratings_save,
)
from config.http import HtmxHttpRequest, download, refuse
from config.ratelimit import rate_limited
from taxonomy.exports import neutralise
from taxonomy.models import (
    Occupation,
    ProficiencyScale,
    Requirement,
)

NO_ROLE = "Your account has no role that may assess itself: ask an administrator."


def _get_assessment_for_user(request: HtmxHttpRequest, pk: int) -> Assessment:
    """The signed-in user's assessment; anyone else's is a 404, not a 403."""
    return get_object_or_404(
        Assessment.objects.owned_by(request.user)
        .with_review_state()
        .select_related("occupation", "user", "reviewed_by", "carried_from"),
        pk=pk,
    )


def _requirements(assessment: Assessment) -> QuerySet[Requirement]:
    return (
        Requirement.objects.filter(occupation=assessment.occupation_id)
        .select_related("competence")
        .order_by("competence__title")
    )


@dataclass(frozen=True)
class Progress:
    rated: int
    total: int
    essentials_rated: int
    essentials: int
    to_confirm: int  # carried over, neither changed nor confirmed

    @property
    def unrated(self) -> int:
        return self.total - self.rated

    @property
    def missing_essentials(self) -> int:
        return self.essentials - self.essentials_rated


def _progress(requirements: list[Requirement], ratings: dict[int, Rating]) -> Progress:
    answered = {cid for cid, r in ratings.items() if r.answered}
    essentials = [r for r in requirements if r.relation == Requirement.Relation.ESSENTIAL]
    return Progress(
        rated=sum(r.competence_id in answered for r in requirements),
        total=len(requirements),
        essentials_rated=sum(r.competence_id in answered for r in essentials),
        essentials=len(essentials),
        to_confirm=sum(
            ratings[r.competence_id].carried for r in requirements if r.competence_id in ratings
        ),
    )


@dataclass(frozen=True)
class Mark:
    """What the rating page says of a rating in a draft that started from an earlier
    assessment: text beside the radios, which screen readers read with them."""

    text: str
    to_confirm: bool = False  # carried over, neither changed nor confirmed yet
    stale: bool = False


@dataclass(frozen=True)
class Item:
    requirement: Requirement
    rating: Rating | None
    name: str
    options: list[tuple[str, str, bool]]  # radio value, label, checked
    mark: Mark | None


@dataclass(frozen=True)
class Section:
    label: str
    items: list[Item]

    @property
    def to_confirm(self) -> str:
        """The competences still to confirm, as the section's button names them."""
        return ",".join(
            str(i.requirement.competence_id) for i in self.items if i.mark and i.mark.to_confirm
        )


def _choice(rating: Rating | None) -> str:
    """The checked radio's value, "" when none is."""
    if rating is None or not rating.answered:
        return ""
    return DONT_KNOW if rating.level is None else str(rating.level)


def _mark(assessment: Assessment, rating: Rating | None, names: dict[int, str], now) -> Mark | None:
    if assessment.carried_from is None:
        return None
    if rating is None or rating.carried_from is None:
        answered = rating is not None and rating.answered
        return Mark("New in this round" if answered else "New: rate this")
    if rating.carried:
        since = assessment.carried_from.submitted_at
        text = f"Carried over from {date_format(since, 'j F Y')}"
        stale = rating.is_stale(now)
        if stale:
            text += f"; rated {months_since(rating.rated_at, now)} months ago"
        return Mark(text, to_confirm=True, stale=stale)
    before = rating.carried_from
    if (before.answered, before.level) == (rating.answered, rating.level):
        return Mark("Still accurate: confirmed")
    was = RatingState.DONT_KNOW.label if before.level is None else names.get(before.level, "")
    return Mark(f"Changed: was {was}")


def _sections(
    assessment: Assessment,
    requirements: list[Requirement],
    ratings: dict[int, Rating],
    scale: ProficiencyScale,
) -> list[Section]:
    # Worked out here rather than in the template: 80 competences × 6 radios is the page.
    now = timezone.now()
    sections = []
    for section in Requirement.SECTIONS:
        items = [
            _item(assessment, r, ratings, scale, now)
            for r in requirements
            if r.relation == section.relation and r.competence.kind == section.kind
        ]
        # The stale carried ratings first: they most need a look.
        items.sort(key=lambda i: not (i.mark and i.mark.stale and i.mark.to_confirm))
        if items:
            sections.append(Section(section.label, items))
    return sections


def _item(
    assessment: Assessment,
    requirement: Requirement,
    ratings: dict[int, Rating],
    scale: ProficiencyScale,
    now,
) -> Item:
    rating = ratings.get(requirement.competence_id)
    choice = _choice(rating)
    radios = [(str(level.value), level.name) for level in scale.ordered_levels]
    radios.append((DONT_KNOW, RatingState.DONT_KNOW.label))
    options = [(value, name, value == choice) for value, name in radios]
    mark = _mark(assessment, rating, scale.level_names, now)
    return Item(requirement, rating, field_name(requirement.competence_id), options, mark)


@login_required
@require_GET
def assessment_list(request: HtmxHttpRequest) -> HttpResponse:
    entries = reports.assessment_entries(request.user)
    return render(request, "assessments/assessment_list.html", {"rows": entries})


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
    assessment = assessment_start(user=request.user, occupation=occupation)
    return redirect("assessments:assessment-rate", pk=assessment.pk)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_rate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    if not assessment.is_draft:
        if request.method == "POST":
            return refuse("This assessment is submitted and can no longer change.", status=409)
        return redirect(assessment)
    requirements = list(_requirements(assessment))
    if request.method == "POST":
        # No role check on this hot path: only someone in a role that may assess itself
        # starts a draft, and submitting it checks again.
        return _save_ratings(request, assessment, requirements)
    ratings = _draft_ratings(assessment)
    scale = ProficiencyScale.current()
    return render(
        request,
        "assessments/assessment_rate.html",
        {
            "assessment": assessment,
            "levels": scale.ordered_levels,
            "sections": _sections(assessment, requirements, ratings, scale),
            "progress": _progress(requirements, ratings),
            "dont_know": DONT_KNOW,
        },
    )


def _draft_ratings(assessment: Assessment) -> dict[int, Rating]:
    return {r.competence_id: r for r in assessment.ratings.select_related("carried_from")}


def _save_ratings(
    request: HtmxHttpRequest, assessment: Assessment, requirements: list[Requirement]
) -> HttpResponse:
    """An autosave (htmx: one competence's answer, or one "still accurate" button), or the
    plain form: every answer, and the confirm of the button pressed, if any."""
    scale = ProficiencyScale.current()
    levels = {level.value for level in scale.ordered_levels}
    profile = {r.competence_id for r in requirements}
    try:
        answers = read_answers(request.POST, profile=profile, levels=levels)
        confirms = read_confirms(request.POST, profile=profile)
        client, seq = read_order(request.POST)
    except ValidationError as error:
        return refuse(" ".join(error.messages), status=400)
    if request.htmx and len(answers) + bool(confirms) != 1:
        return refuse("An autosave speaks of exactly one competence, or confirms.", status=400)
    try:
        stored = (
            ratings_save(assessment=assessment, answers=answers, by=request.user)
            if answers
            else set()
        )
        confirmed = (
            ratings_confirm(
                assessment=assessment,
                competence_ids=confirms,
                client=client,
                seq=seq,
                by=request.user,
            )
            if confirms
            else set()
        )
    except AssessmentError as error:
        return refuse(str(error), status=409)
    # Never "Saved" for an answer that was not stored.
    overtaken = len(answers) - len(stored)
    if request.htmx and (overtaken or (confirms and not confirmed)):
        return refuse("a later change to this competence was saved first.", status=409)
    ratings = _draft_ratings(assessment)
    progress = _progress(requirements, ratings)
    if request.htmx:
        shown = stored | confirmed
        now = timezone.now()
        return render(
            request,
            "assessments/assessment_rate.html#saved",
            {
                "assessment": assessment,
                "progress": progress,
                "items": [
                    _item(assessment, r, ratings, scale, now)
                    for r in requirements
                    if r.competence_id in shown
                ],
                # A confirm changes what the sections' "all still accurate" buttons name.
                "sections": _sections(assessment, requirements, ratings, scale)
                if confirmed
                else [],
                "status": "Confirmed" if confirmed else "Saved",
            },
        )
    if request.POST.get("next") == "submit":
        return redirect("assessments:assessment-submit", pk=assessment.pk)
    if overtaken:
        messages.warning(
            request,
            f"{overtaken} of your answers were not saved: later changes to them came first.",
        )
    if confirmed:
        messages.success(request, f"Confirmed {len(confirmed)} as still accurate.")
    messages.success(request, f"Saved. {progress.rated} of {progress.total} rated.")
    return redirect("assessments:assessment-rate", pk=assessment.pk)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_submit_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
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
    requirements = list(_requirements(assessment))
    ratings = _draft_ratings(assessment)
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
            "progress": _progress(requirements, ratings),
            "missing": missing,
            # Carried over and neither changed nor confirmed: still as they were last time.
            "unconfirmed": [
                r for r in requirements if getattr(ratings.get(r.competence_id), "carried", False)
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
    assessment = _get_assessment_for_user(request, pk)
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
