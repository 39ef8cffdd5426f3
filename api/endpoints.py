"""The JSON API: Django Ninja operations over the same access queries, reports and
services as the pages. A token acts as its owner (api.auth); every refusal is an
api.errors.Error; every list is a page with a cursor (api.cursor)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Query, Status
from ninja.params import Path

from api import errors, schemas
from api.auth import BearerToken, require_write
from api.cursor import DEFAULT_LIMIT, MAX_LIMIT, page
from api.errors import ApiError, responses
from assessments import reports as assessment_reports
from assessments.forms import DONT_KNOW, read_answers, read_confirms, read_order
from assessments.models import Assessment
from assessments.services import (
    AssessmentError,
    assessment_start,
    assessment_submit,
    ratings_apply,
)
from taxonomy.models import Occupation, ProficiencyScale, Requirement
from teams import reports as team_reports
from teams.models import Membership, Team


class GapwiseApi(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # The function's name ("occupation_list"), not ninja's module-prefixed one.
        return operation.view_func.__name__.removesuffix("_op")


api = GapwiseApi(
    title="Gapwise API",
    version="1",
    description=(
        "Skills-gap figures for HR and BI systems. Send `Authorization: Bearer <token>`; "
        "a token acts as its owner and sees no more than they do in the browser. "
        "Lists are paged with an opaque cursor: follow `next`."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    openapi_url="/schema",
    docs_url=None,
)
errors.install(api)

Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
Cursor = Query("", max_length=500, description="The cursor of the `next` link.")
NO_ROLE = "This account has no role that may assess itself."


# Who may see what: the pages' own queries, starting from the token's owner ----------


def _people(user) -> QuerySet[User]:
    """The owner, and the active members of the teams they manage."""
    members = Membership.objects.current().filter(team__in=Team.objects.managed_by(user))
    return User.objects.filter(Q(pk=user.pk) | Q(pk__in=members.values("user"), is_active=True))


def _assessments(user) -> QuerySet[Assessment]:
    """The owner's assessments, and what they may review of their members (see
    TeamQuerySet.reviewable)."""
    visible = Assessment.objects.owned_by(user) | Team.objects.managed_by(user).reviewable(user)
    return visible.with_review_state().select_related("user", "occupation")


def _own_draft(request: HttpRequest, pk: int) -> Assessment:
    return get_object_or_404(
        Assessment.objects.owned_by(request.user).select_related("user", "occupation"), pk=pk
    )


# Taxonomy ------------------------------------------------------------------------------


@api.get(
    "/occupations",
    response=responses({200: schemas.OccupationPage}),
    url_name="occupation-list",
    tags=["taxonomy"],
)
def occupation_list(
    request: HttpRequest,
    q: str = Query("", max_length=100, description="Title, label, ISCO group or code."),
    cursor: str = Cursor,
    limit: int = Limit,
):
    """Occupations by code; `q` searches as the occupation list does."""
    rows = Occupation.objects.search(q).annotate(group_code=F("group__code"))
    return page(request, rows, key="code", cursor=cursor, limit=limit)


@api.get(
    "/occupations/{code}",
    response=responses({200: schemas.OccupationDetail}),
    url_name="occupation-detail",
    tags=["taxonomy"],
)
def occupation_detail(request: HttpRequest, code: str = Path(..., max_length=20)):
    """An occupation with its profile: each competence, its relation, target and weight."""
    occupation = get_object_or_404(
        Occupation.objects.annotate(group_code=F("group__code")), code=code
    )
    occupation.profile = list(
        Requirement.objects.filter(occupation=occupation)
        .select_related("competence")
        .order_by("relation", "competence__title", "pk")
    )
    return occupation


@api.get("/scale", response=responses({200: schemas.ScaleOut}), url_name="scale", tags=["taxonomy"])
def scale(request: HttpRequest):
    """The proficiency scale ratings use, lowest level first."""
    current = ProficiencyScale.current()
    return {
        "name": current.name,
        "levels": current.ordered_levels,
        "essential_target": current.essential_target,
        "optional_target": current.optional_target,
        "essential_weight": current.essential_weight,
        "optional_weight": current.optional_weight,
    }


# People and assessments ---------------------------------------------------------------


def _person(user: User, me) -> dict:
    return {
        "username": user.username,
        "name": user.get_full_name() or user.username,
        "is_you": user.pk == me.pk,
    }


@api.get(
    "/people",
    response=responses({200: schemas.PersonPage}),
    url_name="person-list",
    tags=["people"],
)
def person_list(request: HttpRequest, cursor: str = Cursor, limit: int = Limit):
    """You, and the members of the teams you manage, by username."""
    result = page(request, _people(request.user), key="username", cursor=cursor, limit=limit)
    result["items"] = [_person(u, request.user) for u in result["items"]]
    return result


@api.get(
    "/people/{username}",
    response=responses({200: schemas.PersonOut}),
    url_name="person-detail",
    tags=["people"],
)
def person_detail(request: HttpRequest, username: str = Path(..., max_length=150)):
    return _person(get_object_or_404(_people(request.user), username=username), request.user)


@api.get(
    "/people/{username}/assessments",
    response=responses({200: schemas.AssessmentPage}),
    url_name="person-assessments",
    tags=["assessments"],
)
def person_assessments(
    request: HttpRequest,
    username: str = Path(..., max_length=150),
    cursor: str = Cursor,
    limit: int = Limit,
):
    """Yours: all of them, drafts included. A member's: what you may review, their latest
    submitted assessment of the team's occupation and those submitted in the team's review
    cycles. Newest first."""
    person = get_object_or_404(_people(request.user), username=username)
    rows = _assessments(request.user).filter(user=person)
    return page(request, rows, key="-id", cursor=cursor, limit=limit)


@api.get(
    "/assessments/{pk}",
    response=responses({200: schemas.AssessmentDetail}),
    url_name="assessment-detail",
    tags=["assessments"],
)
def assessment_detail(request: HttpRequest, pk: int = Path(..., ge=1, le=2**62)):
    """An assessment with its stored ratings: self level, validated level, and once
    submitted the relation, target and weight it was submitted against."""
    assessment = get_object_or_404(_assessments(request.user), pk=pk)
    assessment.ratings_out = list(
        assessment.ratings.select_related("competence").order_by("competence__title", "pk")
    )
    return assessment


@api.get(
    "/assessments/{pk}/report",
    response=responses({200: schemas.GapReportOut}),
    url_name="assessment-report",
    tags=["assessments"],
)
def assessment_report(request: HttpRequest, pk: int = Path(..., ge=1, le=2**62)):
    """Your gap report, as the report page shows it (yours only, as the page)."""
    assessment = get_object_or_404(
        Assessment.objects.owned_by(request.user)
        .with_review_state()
        .select_related("occupation", "user", "reviewed_by", "carried_from", "release"),
        pk=pk,
    )
    return assessment_reports.gap_report(assessment)


@api.post(
    "/assessments",
    response=responses({200: schemas.AssessmentOut, 201: schemas.AssessmentOut}, 403),
    url_name="assessment-start",
    tags=["assessments"],
    summary="Assessment Start",
)
def assessment_start_op(request: HttpRequest, data: schemas.StartIn):
    """Start a self-assessment of an occupation: 201 with a new draft (carried over from
    your latest submitted one of it, if any), or 200 with the draft you have."""
    require_write(request)
    if not request.user.has_perm("assessments.assess_self"):
        raise ApiError(403, "forbidden", NO_ROLE)
    occupation = Occupation.objects.filter(code=data.occupation).first()
    if occupation is None:
        raise ApiError(
            422,
            "invalid",
            "No occupation has this code.",
            [{"location": "body.occupation", "message": "Unknown occupation."}],
        )
    if not occupation.requirements.exists():
        raise ApiError(
            422,
            "invalid",
            "This occupation has no competence profile to assess against.",
            [{"location": "body.occupation", "message": "No profile."}],
        )
    had = Assessment.objects.owned_by(request.user).drafts().filter(occupation=occupation)
    existed = had.exists()
    draft = assessment_start(user=request.user, occupation=occupation)
    found = _assessments(request.user).get(pk=draft.pk)
    return Status(200 if existed else 201, found)


def _as_form(data: schemas.RatingsIn) -> QueryDict:
    """The JSON answers as the rating page's POST, so one reader validates both."""
    form = QueryDict(mutable=True)
    for answer in data.ratings:
        name = f"c-{answer.competence_id}"
        if answer.dont_know and answer.level is not None:
            raise ApiError(
                422,
                "invalid",
                "Give a level or “Don't know”, not both.",
                [{"location": f"body.ratings.{name}", "message": "Both given."}],
            )
        if name in form or f"{name}-confidence" in form:
            raise ApiError(422, "invalid", f"Competence {answer.competence_id} was given twice.")
        if answer.dont_know:
            form[name] = DONT_KNOW
        elif answer.level is not None:
            form[name] = str(answer.level)
        form[f"{name}-confidence"] = answer.confidence
        form[f"{name}-evidence"] = answer.evidence
    if data.client or data.seq:
        form["client"], form["seq"] = data.client, str(data.seq)
    if data.confirm:
        form["confirm"] = ",".join(str(c) for c in data.confirm)
    return form


@api.put(
    "/assessments/{pk}/ratings",
    response=responses({200: schemas.RatingsSaved}, 403, 409),
    url_name="assessment-ratings",
    tags=["assessments"],
)
def assessment_ratings(
    request: HttpRequest, data: schemas.RatingsIn, pk: int = Path(..., ge=1, le=2**62)
):
    """Save answers to your draft, as the rating page's autosave does (same rules, same
    ordering by `client` and `seq`). Anything invalid refuses the whole request."""
    require_write(request)
    assessment = _own_draft(request, pk)
    if not assessment.is_draft:
        raise ApiError(409, "conflict", "This assessment is submitted and can no longer change.")
    profile = set(
        Requirement.objects.filter(occupation=assessment.occupation_id).values_list(
            "competence_id", flat=True
        )
    )
    levels = {level.value for level in ProficiencyScale.current().ordered_levels}
    form = _as_form(data)
    try:
        answers = read_answers(form, profile=profile, levels=levels)
        confirms = read_confirms(form, profile=profile)
        client, seq = read_order(form)
    except ValidationError as error:
        raise ApiError(422, "invalid", " ".join(error.messages)) from None
    try:
        saved, confirmed = ratings_apply(
            assessment=assessment,
            answers=answers,
            confirms=confirms,
            client=client,
            seq=seq,
            by=request.user,
        )
    except AssessmentError as error:
        raise ApiError(409, "conflict", str(error)) from None
    return {
        "saved": sorted(saved),
        "confirmed": sorted(confirmed),
        "ignored": sorted({a.competence_id for a in answers} - saved),
    }


@api.post(
    "/assessments/{pk}/submit",
    response=responses({200: schemas.AssessmentOut}, 403, 409),
    url_name="assessment-submit",
    tags=["assessments"],
    summary="Assessment Submit",
)
def assessment_submit_op(
    request: HttpRequest, data: schemas.SubmitIn, pk: int = Path(..., ge=1, le=2**62)
):
    """Submit your draft once every essential is rated: the profile is frozen into it.
    409 when it is submitted already or an essential is still unrated."""
    require_write(request)
    assessment = _own_draft(request, pk)
    if not request.user.has_perm("assessments.assess_self"):
        raise ApiError(403, "forbidden", NO_ROLE)
    try:
        assessment_submit(assessment=assessment, user=request.user, confirm_rest=data.confirm_rest)
    except AssessmentError as error:
        raise ApiError(409, "conflict", str(error)) from None
    return _assessments(request.user).get(pk=assessment.pk)


# Teams -------------------------------------------------------------------------------


@api.get(
    "/teams", response=responses({200: schemas.TeamPage}), url_name="team-list", tags=["teams"]
)
def team_list(request: HttpRequest, cursor: str = Cursor, limit: int = Limit):
    """The teams you manage, by id."""
    rows = Team.objects.managed_by(request.user).select_related("occupation")
    return page(request, rows, key="id", cursor=cursor, limit=limit)


@api.get(
    "/teams/{pk}/report",
    response=responses({200: schemas.TeamReportOut}),
    url_name="team-report",
    tags=["teams"],
)
def team_report(
    request: HttpRequest,
    pk: int = Path(..., ge=1, le=2**62),
    occupation: str = Query(
        "", max_length=20, description="One of the team's occupations; the team's by default."
    ),
):
    """The team report: summary (readiness, essential gaps, coverage risks), every member's
    figures, the competence summary and readiness by month. The same figures as the page,
    for every member at once; when members were assessed against different releases, they are
    compared on the competences those share and the others are listed apart."""
    team = get_object_or_404(
        Team.objects.managed_by(request.user).select_related("occupation"), pk=pk
    )
    chosen = team.occupation
    if occupation:
        chosen = team.occupations().filter(code=occupation).first()
        if chosen is None:
            raise ApiError(
                422,
                "invalid",
                "Not one of this team's occupations.",
                [{"location": "query.occupation", "message": "Unknown here."}],
            )
    top_level = ProficiencyScale.current().top_level
    assessed = team.assessed_members(chosen)
    ids = [m["latest_id"] for m in assessed]
    releases = team_reports.team_releases(assessed)
    members = team.memberships.current().with_latest().order_by(Lower("member_name"), "pk")
    competences = team_reports.competence_summary(
        chosen, ids, top_level=top_level, apart=releases.apart_ids
    ).order_by("relation", "competence__title")
    return {
        "team": team,
        "occupation_code": chosen.code,
        "summary": team_reports.team_summary(
            team, chosen, assessed, top_level=top_level, apart=releases.apart_ids
        ),
        "releases": releases,
        "members": team_reports.member_figures(members),
        "competences": team_reports.competence_figures(competences),
        "months": team_reports.readiness_by_month(team),
    }
