"""A manager's pages: their teams, the team report, full exports and the review."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh
from django_tables2 import RequestConfig

from assessments import charts
from assessments.models import Assessment
from assessments.reports import self_readiness
from assessments.services import AssessmentError
from config.http import HtmxHttpRequest, download, refuse
from config.ratelimit import rate_limited, refusal
from taxonomy.exports import neutralise
from taxonomy.models import Occupation, ProficiencyScale, Requirement
from taxonomy.views import Suggestion
from teams import exports, reports, services
from teams.forms import (
    CycleForm,
    ExcuseForm,
    MailPreferenceForm,
    read_agreements,
    read_validations,
)
from teams.models import (
    Assignment,
    AssignmentState,
    MailPreference,
    Membership,
    ReviewCycle,
    Team,
    TeamExport,
)
from teams.services import (
    Validation,
    agreed_level,
    review_accept_rest,
    review_save,
    team_export_request,
)
from teams.tables import (
    AssignmentFilter,
    AssignmentTable,
    CompetenceFilter,
    CompetenceTable,
    MemberFilter,
    MemberTable,
)


def _managed_teams(request: HtmxHttpRequest) -> QuerySet[Team]:
    """The teams the signed-in user manages (Team.objects.managed_by)."""
    return Team.objects.managed_by(request.user)


def _get_team_for_manager(request: HtmxHttpRequest, pk: int) -> Team:
    """A team the signed-in user manages; any other team is a 404."""
    return get_object_or_404(_managed_teams(request).select_related("occupation"), pk=pk)


def _get_member_assessment(team: Team, pk: int, manager) -> Assessment:
    """What a manager reviews (TeamQuerySet.reviewable): a member's latest submitted
    assessment of the occupation the team assesses them against, or one of the team's review
    cycles; never an older one, another occupation's, or their own."""
    return get_object_or_404(
        Team.objects.filter(pk=team.pk)
        .reviewable(manager)
        .with_review_state()
        .select_related("user", "occupation", "reviewed_by"),
        pk=pk,
    )


@login_required
@require_GET
def team_list(request: HtmxHttpRequest) -> HttpResponse:
    teams = list(
        _managed_teams(request)
        .select_related("occupation")
        .annotate(member_count=Count("memberships", filter=Q(memberships__user__is_active=True)))
    )
    if not teams:
        raise Http404("You manage no team.")
    context = {"teams": teams, "cycles": reports.manager_cycles(request.user)}
    return render(request, "teams/team_list.html", context)


def cycles_panel(request: HttpRequest) -> str:
    """The top of My assessments: what is due in open cycles, and for a manager the open
    cycles of their teams with the reviews waiting. A panel teams adds to assessments."""
    today = timezone.localdate()
    due = reports.member_due(request.user, today)
    managed = (
        reports.manager_cycles(request.user) if request.user.has_perm("teams.manage_team") else []
    )
    if not (due or managed):
        return ""
    return render_to_string(
        "teams/_cycles_panel.html", {"due": due, "managed": managed}, request=request
    )


TEAM_SECTIONS = ("members", "competences", "heatmap")
EXPORTS = {"members", "competences"}
HEAT_MAP_MEMBERS = 25


@login_required
@require_GET
@rate_limited("team-report")
def team_report(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Members, competences, heat map and readiness over time; each table sorts, filters
    and pages through plain links that htmx swaps in place, and exports as CSV or XLSX.
    """
    team = _get_team_for_manager(request, pk)
    occupations = list(team.occupations())
    occupation = _chosen_occupation(request, team, occupations)
    export, fmt = request.GET.get("export"), request.GET.get("format", "csv")
    if export is not None and (export not in EXPORTS or fmt not in ("csv", "xlsx")):
        return refuse("Export members or competences, as csv or xlsx.", status=400)
    # An export or an htmx swap needs one section; the page needs them all.
    part = request.htmx.target if request.htmx and request.htmx.target in TEAM_SECTIONS else None
    wanted = {export or part} if export or part else set(TEAM_SECTIONS)

    context: dict = {"team": team, "occupations": occupations, "occupation": occupation}
    if "members" in wanted:
        current = team.memberships.current().with_latest()
        member_filter = MemberFilter(request.GET, queryset=current, occupations=team.occupations())
        if member_filter.errors:
            return refuse(_filter_errors(member_filter), status=400)
        context["releases_differ"] = reports.releases_differ(current)
        members = MemberTable(
            member_filter.qs, team_pk=team.pk, releases_differ=context["releases_differ"]
        )
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
        releases = reports.team_releases(assessed)
        context.update(assessed=len(assessed), releases=releases)
    if "competences" in wanted:
        ids = [m["latest_id"] for m in assessed]
        summary = reports.competence_summary(
            occupation, ids, top_level=scale.top_level, apart=releases.apart_ids
        )
        competence_filter = CompetenceFilter(request.GET, queryset=summary)
        if competence_filter.errors:
            return refuse(_filter_errors(competence_filter), status=400)
        competences = CompetenceTable(competence_filter.qs)
        RequestConfig(request, paginate=False).configure(competences)
        context.update(
            competence_filter=competence_filter,
            competences=competences,
            competences_keep=_other_params(request, competence_filter),
        )
    if export:
        rows = [row.record for row in context[export].rows]  # as filtered and sorted
        if export == "members":
            dataset = exports.members_dataset(
                reports.member_figures(rows), with_release=context["releases_differ"]
            )
        else:
            dataset = exports.competences_dataset(
                reports.competence_figures(rows), apart=releases.apart
            )
        return download(
            exports.as_bytes(dataset, fmt),
            filename=f"{team.name} {export}.{fmt}",
            content_type=EXPORT_TYPES[fmt],
        )
    if "heatmap" in wanted:
        page = Paginator(assessed, HEAT_MAP_MEMBERS).get_page(request.GET.get("heat_page"))
        members = list(page.object_list)
        context["heat"] = {
            "page": page,
            "members": members,
            "rows": reports.heat_rows(
                occupation, [m["latest_id"] for m in members], releases.apart_ids
            ),
            "levels": levels,
        }
    if part:
        return render(request, f"teams/team_report.html#{part}", context)
    context["summary"] = reports.team_summary(
        team, occupation, assessed, top_level=scale.top_level, apart=releases.apart_ids
    )
    context["open_cycle"] = team.cycles.filter(status=ReviewCycle.Status.OPEN).first()
    by_cycle = reports.readiness_by_cycle(team)
    context["by_cycle"] = by_cycle
    context["by_cycle_chart"] = charts.line(
        [(p.closed.strftime("%b %Y"), p.readiness) for p in by_cycle]
    )
    points = reports.readiness_by_month(team)
    context["timeline"] = points
    context["timeline_chart"] = charts.line(
        [(point.month.strftime("%b %Y"), point.readiness) for point in points]
    )
    return render(request, "teams/team_report.html", context)


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
        if refused := refusal(request, "export"):  # each one is minutes of a worker's time
            return refused
        fmt = request.POST.get("format")
        if fmt not in TeamExport.Format.values:
            return refuse("Choose a format: an Excel workbook or CSV.", status=400)
        latest = mine.filter(finished_at=None, failed_at=None).first()
        if latest is not None and latest.state in ("queued", "running"):
            messages.info(request, "Your previous export is still being prepared.")
            return redirect(latest)
        return redirect(team_export_request(team=team, user=request.user, fmt=fmt))
    return render(
        request,
        "teams/team_export_list.html",
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
        return render(request, "teams/team_export_detail.html#status", context)
    return render(request, "teams/team_export_detail.html", context)


@login_required
@require_GET
@rate_limited("export")
def team_export_download(request: HtmxHttpRequest, pk: int, export_pk: int) -> HttpResponse:
    team = _get_team_for_manager(request, pk)
    export = get_object_or_404(_my_exports(request, team).exclude(finished_at=None), pk=export_pk)
    return download(
        bytes(export.content), filename=export.filename, content_type=EXPORT_TYPES[export.format]
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_review(request: HtmxHttpRequest, pk: int, assessment_pk: int) -> HttpResponse:
    """A manager validates a member's submitted self-ratings; the self ratings stay.

    The page opens on what needs a manager (teams.reports.review_reasons); the rest can be
    accepted as rated at once, and every rating is one link away, with filters. Each save
    posts the rows shown; "Agree" buttons validate the self rating of their row or section.
    """
    team = _get_team_for_manager(request, pk)
    assessment = _get_member_assessment(team, assessment_pk, request.user)
    ratings = list(
        assessment.ratings.exclude(relation="")
        .select_related("competence", "carried_from")
        .order_by("relation", "competence__title")  # essential sorts before optional
    )
    view = request.GET.get("show", "needs")
    if view not in reports.REVIEW_FILTERS:
        return refuse(f"Show one of: {', '.join(reports.REVIEW_FILTERS)}.", status=400)
    reasons = {r.competence_id: reports.review_reasons(r) for r in ratings}
    levels = ProficiencyScale.current().ordered_levels
    if request.method == "POST":
        return _review_save(request, team, assessment, ratings, reasons, levels, view)
    shown = [r for r in ratings if reports.review_shows(r, reasons[r.competence_id], view)]
    rest = [r for r in ratings if not reasons[r.competence_id]]
    handled = sum(r.validated_level is not None for r in shown if reasons[r.competence_id])
    return render(
        request,
        "teams/team_review.html",
        {
            "team": team,
            "assessment": assessment,
            "groups": [
                (
                    label,
                    [
                        (r, [reports.REVIEW_REASONS[x] for x in reasons[r.competence_id]])
                        for r in shown
                        if r.relation == relation
                    ],
                )
                for relation, label in Requirement.Relation.choices
            ],
            "shown": len(shown),
            "handled": handled,
            "rest": len(rest),
            "rest_open": sum(r.validated_level is None for r in rest),
            "view": view,
            "views": reports.REVIEW_FILTERS,
            "levels": levels,
            "level_names": {level.value: level.name for level in levels},
            "self_readiness": self_readiness(assessment, ratings),
        },
    )


def _review_save(request, team, assessment, ratings, reasons, levels, view) -> HttpResponse:
    competences = {r.competence_id: r for r in ratings}
    try:
        validations = read_validations(
            request.POST, competences=set(competences), levels={level.value for level in levels}
        )
        agreed = read_agreements(request.POST, competences=set(competences))
    except ValidationError as error:
        return refuse(" ".join(error.messages), status=400)
    # "Agree" validates the self rating as it stands, as accepting the rest does.
    by_competence = {v.competence_id: v for v in validations}
    for competence_id in agreed:
        rating = competences[competence_id]
        comment = by_competence.get(competence_id, Validation(competence_id, None, "")).comment
        by_competence[competence_id] = Validation(competence_id, agreed_level(rating), comment)
    try:
        review_save(
            assessment=assessment,
            reviewer=request.user,
            validations=by_competence.values(),
            done="done" in request.POST,
        )
        if "accept_rest" in request.POST:
            rest = [cid for cid, why in reasons.items() if not why]
            accepted = review_accept_rest(
                assessment=assessment, reviewer=request.user, competence_ids=rest
            )
            messages.success(request, f"Accepted {accepted} rating(s) as rated.")
    except AssessmentError as error:
        return refuse(str(error), status=409)
    if "done" in request.POST:
        messages.success(request, "Review done. The member sees it on their report.")
        return redirect(team)
    messages.success(request, "Review saved.")
    url = reverse("teams:team-review", args=[team.pk, assessment.pk])
    return redirect(f"{url}?show={view}" if view != "needs" else url)


def team_suggestions(request: HttpRequest) -> list[Suggestion]:
    """The occupation each of the person's teams assesses them against, to offer first."""
    if not request.user.is_authenticated:
        return []
    memberships = (
        Membership.objects.filter(user=request.user)
        .select_related("team__occupation", "occupation")
        .order_by("team__name")
    )
    return [
        Suggestion(f"Your team {m.team.name}", m.occupation or m.team.occupation)
        for m in memberships
        if m.occupation or m.team.occupation
    ]


def _get_cycle_for_manager(request: HtmxHttpRequest, pk: int, cycle_pk: int) -> ReviewCycle:
    """A cycle of a team the signed-in user manages; any other is a 404."""
    team = _get_team_for_manager(request, pk)
    cycle = get_object_or_404(team.cycles, pk=cycle_pk)
    cycle.team = team
    return cycle


def _get_assignment(cycle: ReviewCycle, pk: int) -> Assignment:
    return get_object_or_404(cycle.assignments.select_related("user"), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The form that opens a review cycle for the team (or prepares one opening later)."""
    team = _get_team_for_manager(request, pk)
    today = timezone.localdate()
    form = CycleForm(request.POST or None, team=team, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.cycle_create(
                team=team, by=request.user, today=today, later=True, **form.cleaned_data
            )
        except ValidationError as error:  # another manager was quicker
            for field, messages_ in error.message_dict.items():
                form.add_error(None if field == "__all__" else field, messages_)
        except services.CycleError as error:
            form.add_error(None, str(error))
        else:
            if cycle.is_open:
                messages.success(
                    request,
                    _(
                        "The cycle is open. Each member's draft is being prepared, and each "
                        "will be told by e-mail."
                    ),
                )
            else:
                messages.success(
                    request,
                    _("The cycle opens on %(date)s.")
                    % {"date": date_format(cycle.opens_on, "j F Y")},
                )
            return redirect(cycle)
    status = 400 if request.method == "POST" else 200
    cycles = team.cycles.all()[:20]
    return render(
        request,
        "teams/cycle_form.html",
        {"team": team, "form": form, "cycles": cycles},
        status=status,
    )


CYCLE_CSV_COLUMNS = [
    "member",
    "username",
    "occupation_code",
    "status",
    "done",
    "total",
    "last_activity",
    "self_due",
    "excused_reason",
]


@login_required
@require_GET
def cycle_board(request: HtmxHttpRequest, pk: int, cycle_pk: int) -> HttpResponse:
    """Every member of the cycle with where they stand; sorts and filters through plain
    links that htmx swaps in place; `?export=csv` downloads the rows as filtered."""
    cycle = _get_cycle_for_manager(request, pk, cycle_pk)
    building = cycle.is_open and not cycle.built_at
    if request.htmx and request.htmx.target == "building":  # the page asks while it waits
        return HttpResponse(status=204) if building else HttpResponseClientRefresh()
    today = timezone.localdate()
    rows = (
        cycle.assignments.with_state(today)
        .select_related("user", "occupation")
        .only(
            "pk",
            "status",
            "excused_reason",
            "reminded_at",
            "review_missed",
            "assessment_id",
            "occupation__title",
            "occupation__code",
            "occupation__requirement_count",
            "user__username",
            "user__first_name",
            "user__last_name",
        )
    )
    board_filter = AssignmentFilter(request.GET, queryset=rows)
    if board_filter.errors:
        return refuse(_filter_errors(board_filter), status=400)
    export = request.GET.get("export")
    if export is not None and export != "csv":
        return refuse(gettext("Export the board as csv."), status=400)
    table = AssignmentTable(board_filter.qs, cycle=cycle, today=today, request=request)
    RequestConfig(request, paginate=not export and {"per_page": 25}).configure(table)
    if export:
        return download(
            _board_csv(cycle, [row.record for row in table.rows]),
            filename=f"{cycle.team.name} {cycle.name}.csv",
            content_type=EXPORT_TYPES["csv"],
        )
    context = {
        "team": cycle.team,
        "cycle": cycle,
        "building": building,
        "board": table,
        "board_filter": board_filter,
        "board_keep": _other_params(request, board_filter, "b-page"),
    }
    if request.htmx and request.htmx.target == "board":
        return render(request, "teams/cycle_board.html#board", context)
    context["summary"] = reports.cycle_summary(cycle, today)
    context["skipped"] = [name for name in cycle.skipped.splitlines() if name]
    return render(request, "teams/cycle_board.html", context)


def _board_csv(cycle: ReviewCycle, records) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CYCLE_CSV_COLUMNS)
    for r in records:
        cells = [
            r.member_name,
            r.user.username,
            r.occupation.code,
            AssignmentState(r.state).label,
            r.done,
            r.total,
            r.last_activity.isoformat() if r.last_activity else "",
            cycle.self_due.isoformat(),
            r.excused_reason,
        ]
        writer.writerow([neutralise(str(cell)) for cell in cells])
    return out.getvalue().encode()


@login_required
@require_POST
def cycle_remind(request: HtmxHttpRequest, pk: int, cycle_pk: int, assignment_pk: int):
    cycle = _get_cycle_for_manager(request, pk, cycle_pk)
    assignment = _get_assignment(cycle, assignment_pk)
    try:
        services.assignment_remind(assignment=assignment, by=request.user)
    except services.CycleError as error:
        return refuse(str(error), status=409)
    messages.success(
        request,
        _("A reminder to %(name)s is on its way.")
        % {"name": assignment.user.get_full_name() or assignment.user.get_username()},
    )
    return redirect(cycle)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_excuse(request: HtmxHttpRequest, pk: int, cycle_pk: int, assignment_pk: int):
    cycle = _get_cycle_for_manager(request, pk, cycle_pk)
    assignment = _get_assignment(cycle, assignment_pk)
    form = ExcuseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_excuse(
                assignment=assignment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except services.CycleError as error:
            return refuse(str(error), status=409)
        messages.success(request, _("Excused from this cycle."))
        return redirect(cycle)
    return render(
        request,
        "teams/cycle_excuse.html",
        {"team": cycle.team, "cycle": cycle, "assignment": assignment, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_close(request: HtmxHttpRequest, pk: int, cycle_pk: int) -> HttpResponse:
    cycle = _get_cycle_for_manager(request, pk, cycle_pk)
    if request.method == "POST":
        try:
            following = services.cycle_close(cycle=cycle, by=request.user)
        except services.CycleError as error:
            return refuse(str(error), status=409)
        messages.success(request, _("The cycle is closed."))
        if following is not None:
            messages.info(
                request,
                _("The next cycle opens on %(date)s.")
                % {"date": date_format(following.opens_on, "j F Y")},
            )
        return redirect(cycle)
    if not cycle.is_open:
        return redirect(cycle)
    return render(
        request,
        "teams/cycle_close.html",
        {
            "team": cycle.team,
            "cycle": cycle,
            "summary": reports.cycle_summary(cycle, timezone.localdate()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def mail_preferences(request: HtmxHttpRequest) -> HttpResponse:
    """Anyone chooses how the cycles' e-mails reach them: one by one or weekly."""
    preference, _created = MailPreference.objects.get_or_create(user=request.user)
    form = MailPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Saved: how you receive e-mails."))
            return redirect("teams:mail-preferences")
        return render(request, "teams/mail_preferences.html", {"form": form}, status=400)
    return render(request, "teams/mail_preferences.html", {"form": form})
