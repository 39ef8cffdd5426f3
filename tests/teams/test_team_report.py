"""The team report: members, competences, heat map, readiness over time, exports, access."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import charts
from assessments.models import Assessment, Rating
from teams import reports
from teams.models import Membership, Team
from teams.services import Validation, review_save
from tests.assessments.conftest import submitted
from tests.teams.conftest import crowd

pytestmark = pytest.mark.django_db


def report(client, team: Team, **params):
    return client.get(reverse("teams:team-report", args=[team.pk]), params)


def members_rows(response) -> list[list[str]]:
    """The members table as CSV rows, through the export of the same query."""
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_members_table_shows_each_members_latest_figures(mia_client, six_team):
    team, _ = six_team
    response = report(mia_client, team, export="members", format="csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Six_members.csv"'
    rows = members_rows(response)
    assert rows[0] == [
        "Member",
        "Occupation",
        "Readiness",
        "Essentials met",
        "Essential gaps",
        "Last assessed",
        "Review",
        "Self vs validated",
        "Stale essentials",
    ]
    today = timezone.localdate().isoformat()
    assert rows[1:] == [
        ["alice", "Test occupation SIX (SIX)", "60", "1 of 2", "1", today, "Not reviewed", "", "0"],
        ["bob", "Test occupation SIX (SIX)", "100", "2 of 2", "0", today, "Not reviewed", "", "0"],
        ["Cleo Ng", "Test occupation SIX (SIX)", "", "", "", "", "Not assessed", "", ""],
    ]


def test_only_the_latest_submission_of_the_assessed_occupation_counts(
    mia_client, six_team, alice, make_profile
):
    team, ids = six_team
    submitted(alice, team.occupation, dict.fromkeys(ids, 0))  # a newer, worse one
    other = make_profile(3, "OTHER")  # and a still newer one of another occupation
    submitted(
        alice, other, dict.fromkeys(other.requirements.values_list("competence", flat=True), 4)
    )

    rows = members_rows(report(mia_client, team, export="members", format="csv"))

    assert rows[1][:5] == ["alice", "Test occupation SIX (SIX)", "0", "0 of 2", "2"]


def test_a_membership_can_assess_a_member_against_another_occupation(
    mia_client, six_team, bob, technician_occupation
):
    team, _ = six_team
    Membership.objects.filter(team=team, user=bob).update(occupation=technician_occupation)

    rows = members_rows(report(mia_client, team, export="members", format="csv"))

    assert rows[2][:3] == ["bob", "ICT technician (3512.4)", ""]  # not assessed on that one
    html = report(mia_client, team).content.decode()
    assert '<option value="3512.4">ICT technician (3512.4)</option>' in html


def test_members_sort_by_readiness_with_the_unassessed_last_both_ways(mia_client, six_team):
    team, _ = six_team
    ascending = members_rows(report(mia_client, team, export="members", **{"m-sort": "readiness"}))
    descending = members_rows(
        report(mia_client, team, export="members", **{"m-sort": "-readiness"})
    )

    assert [row[0] for row in ascending[1:]] == ["alice", "bob", "Cleo Ng"]
    assert [row[0] for row in descending[1:]] == ["bob", "alice", "Cleo Ng"]


def test_sort_links_are_real_links_and_htmx_gets_only_the_table(mia_client, six_team):
    team, _ = six_team
    page = report(mia_client, team).content.decode()
    assert '<a href="?m-sort=readiness">Readiness</a>' in page
    assert page.startswith("<!doctype html>")

    part = mia_client.get(
        reverse("teams:team-report", args=[team.pk]),
        {"m-sort": "-readiness"},
        headers={"HX-Request": "true", "HX-Target": "members"},
    ).content.decode()

    assert part.lstrip().startswith('<section id="members"')
    assert "<html" not in part and "Where the team is thin" not in part
    assert part.index(">bob<") < part.index(">alice<")


@pytest.mark.parametrize(
    ("params", "members"),
    [
        ({"m-state": "not-assessed"}, ["Cleo Ng"]),
        ({"m-state": "not-reviewed"}, ["alice", "bob"]),
        ({"m-gaps": "yes"}, ["alice"]),
        ({"m-gaps": "no"}, ["bob"]),
    ],
)
def test_members_filter_by_status_and_essential_gaps(mia_client, six_team, params, members):
    team, _ = six_team
    rows = members_rows(report(mia_client, team, export="members", **params))
    assert [row[0] for row in rows[1:]] == members


def test_members_filter_by_occupation(mia_client, six_team, bob, technician_occupation):
    team, _ = six_team
    Membership.objects.filter(team=team, user=bob).update(occupation=technician_occupation)
    params = {"m-occupation": technician_occupation.pk, "export": "members"}
    rows = members_rows(report(mia_client, team, **params))
    assert [row[0] for row in rows[1:]] == ["bob"]


@pytest.mark.parametrize(
    "params",
    [
        {"m-state": "maybe"},
        {"m-gaps": "1; DROP TABLE"},
        {"m-occupation": "999999"},
        {"c-kind": "wizardry"},
        {"c-relation": "required"},
        {"export": "members", "format": "pdf"},
        {"export": "passwords"},
    ],
)
def test_tampered_filters_are_refused(mia_client, six_team, params):
    team, _ = six_team
    response = report(mia_client, team, **params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


def test_an_occupation_no_member_is_assessed_against_is_a_404(mia_client, six_team):
    team, _ = six_team
    assert report(mia_client, team, occupation="3512.4").status_code == 404


def competence_rows(client, team: Team, **params) -> dict[str, list[str]]:
    response = report(client, team, export="competences", **params)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "Competence",
        "Relation",
        "Members meeting target",
        "Mean level",
        "Mean gap",
        "Members at expert level",
        "Coverage",
        "Stale ratings",
    ]
    # The stale count has a test of its own; the figures here are the others.
    return {row[0].removeprefix("SIX competence "): row[1:-1] for row in rows[1:]}


def test_the_competences_table_counts_members_meeting_targets_and_flags_thin_cover(
    mia_client, six_team
):
    team, _ = six_team
    rows = competence_rows(mia_client, team)

    # line 3: alice 1, bob 3 against 3. line 4: alice 4, bob 3 against 2.
    # line 5: alice "Don't know" (0), bob 4 against 2.
    assert rows["003"] == ["essential", "1", "2.0", "1.0", "0", "coverage risk"]
    assert rows["004"] == ["optional", "2", "3.5", "0.0", "1", "covered"]
    assert rows["005"] == ["optional", "1", "2.0", "1.0", "1", "coverage risk"]
    assert list(rows)[:3] == ["002", "003", "005"]  # the risks first


def test_validated_levels_count_instead_of_self_ratings(mia_client, mia, six_team, alice):
    team, ids = six_team
    assessment = Assessment.objects.get(user=alice)
    review_save(
        assessment=assessment,
        reviewer=mia,
        validations=[Validation(ids[3], 3, "Fixed the VLAN outage")],
        done=True,
    )

    rows = competence_rows(mia_client, team)
    assert rows["003"] == ["essential", "2", "3.0", "0.0", "0", "covered"]
    members = members_rows(report(mia_client, team, export="members"))
    # 12 + 2·(3 - 1) = 16 of 20 -> 80 %; self 1 vs validated 3 -> -2.
    assert members[1][:5] == ["alice", "Test occupation SIX (SIX)", "80", "2 of 2", "0"]
    assert members[1][6:8] == ["Reviewed", "-2.00"]


@pytest.mark.parametrize(
    ("params", "lines"),
    [
        ({"c-relation": "essential"}, ["000", "003"]),
        ({"c-kind": "skill"}, ["000", "002", "004"]),
        ({"c-reuse": "transversal"}, []),
    ],
)
def test_competences_filter_by_relation_kind_and_reuse_level(mia_client, six_team, params, lines):
    team, _ = six_team
    assert sorted(competence_rows(mia_client, team, **params)) == lines


def test_every_filter_names_its_empty_choice(mia_client, six_team):
    team, _ = six_team
    html = report(mia_client, team).content.decode()

    firsts = re.findall(r'<select name="([mc]-\w+)"[^>]*>\s*<option value=""[^>]*>([^<]*)<', html)
    assert {name for name, _label in firsts} >= {"m-state", "m-gaps", "c-relation", "c-kind"}
    assert all(label in ("All", "Any") for _name, label in firsts), firsts


def test_the_heat_map_writes_each_level_and_marks_those_below_target(mia_client, six_team):
    team, _ = six_team
    html = report(mia_client, team).content.decode()
    heat = html[html.index('id="heatmap"') : html.index('id="timeline-heading"')]

    assert '<th scope="col">alice</th><th scope="col">bob</th>' in heat
    assert "Cleo Ng" not in heat  # not assessed
    row = heat[heat.index("SIX competence 003") :].split("</tr>")[0]
    assert (
        '<td class="heat heat-1 below">1<span class="visually-hidden"> below target</span>' in row
    )
    assert '<td class="heat heat-3">3</td>' in row
    assert 'role="region"' in heat and 'tabindex="0"' in heat


def test_the_heat_map_pages_members_by_name_as_the_members_table_sorts_them(
    mia_client, mia, make_profile
):
    team = Team.objects.create(name="H", occupation=make_profile(3, "HEAT"))
    team.managers.add(mia)
    crowd(team, 29)  # H-0 ... H-28
    User.objects.filter(username="H-7").update(first_name="aaron", last_name="lower")

    html = report(mia_client, team, heat_page=2).content.decode()
    heat = html[html.index('id="heatmap"') : html.index('id="timeline-heading"')]
    names = re.findall(r'<th scope="col">([^<]+)</th>', heat)[1:]
    # By name, ignoring case: aaron lower, H-0, H-1, H-10 ... H-19, H-2, H-20 ... H-28, H-3, H-4
    assert names == ["H-5", "H-6", "H-8", "H-9"]
    assert "Members 26–29 of 29" in heat
    assert "heat_page=1" in heat and "Previous members" in heat and "Next members" not in heat


def test_readiness_over_time_takes_each_members_latest_by_the_months_end(six_team, alice, bob):
    team, _ = six_team
    moment = timezone.make_aware(datetime(2026, 9, 10, 12))
    Assessment.objects.filter(user=alice).update(submitted_at=moment)
    Assessment.objects.filter(user=bob).update(submitted_at=moment.replace(month=11, day=2))

    points = reports.readiness_by_month(team, today=date(2026, 11, 25))

    assert [(p.month, p.readiness, p.members) for p in points] == [
        (date(2026, 9, 1), 60.0, 1),
        (date(2026, 10, 1), 60.0, 1),
        (date(2026, 11, 1), 80.0, 2),
    ]


def test_the_page_draws_readiness_over_time_with_a_table_behind_it(mia_client, six_team):
    team, _ = six_team
    html = report(mia_client, team).content.decode()
    assert '<polyline points="' in html and 'class="line-chart"' in html
    month = timezone.localdate().strftime("%B %Y")
    assert f'<th scope="row">{month}</th><td class="num" data-label="Mean readiness">80.0%' in html


def test_exports_neutralise_cells_that_start_like_a_formula(mia_client, six_team, alice):
    team, _ = six_team
    alice.first_name, alice.last_name = '=HYPERLINK("http://x")', "Evil"
    alice.save()

    rows = members_rows(report(mia_client, team, export="members"))
    assert rows[1][0] == '\'=HYPERLINK("http://x") Evil'

    response = report(mia_client, team, export="members", format="xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet["A2"].value == '\'=HYPERLINK("http://x") Evil'
    assert sheet["C2"].value == 60  # numbers stay numbers
    assert sheet.max_row == 4


def test_user_text_is_shown_as_text(mia_client, six_team, alice):
    team, _ = six_team
    alice.first_name = "<script>alert(1)</script>"
    alice.save()
    html = report(mia_client, team).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_manager_of_another_team_a_technician_and_an_admin_get_404(
    client, six_team, other_team, alice, admin_user
):
    team, _ = six_team
    url = reverse("teams:team-report", args=[team.pk])
    for user in (other_team.managers.get(), alice, admin_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(alice)
    assert client.get(reverse("teams:team-list")).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, six_team):
    team, _ = six_team
    response = client.get(reverse("teams:team-report", args=[team.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_team_list_shows_only_the_managers_teams(mia_client, six_team, other_team):
    html = mia_client.get(reverse("teams:team-list")).content.decode()
    assert ">Six</a>" in html and "Network" not in html
    assert ">My teams</a>" in html


def test_technicians_have_no_teams_link(alice_client, six_team):
    html = alice_client.get(reverse("assessments:assessment-list")).content.decode()
    assert "My teams" not in html


@pytest.mark.parametrize("htmx_target", [None, "members", "competences", "heatmap"])
def test_query_counts_do_not_grow_with_the_team(mia_client, mia, make_profile, htmx_target):
    headers = {"HX-Request": "true", "HX-Target": htmx_target} if htmx_target else {}
    counts = []
    for size in (5, 200):
        team = Team.objects.create(name=f"T{size}", occupation=make_profile(20, f"Q{size}"))
        team.managers.add(mia)
        crowd(team, size)
        url = reverse("teams:team-report", args=[team.pk])
        with CaptureQueriesContext(connection) as queries:
            response = mia_client.get(url, {"m-sort": "-readiness"}, headers=headers)
        assert response.status_code == 200
        assert response.content.decode().count("<tr") > 5
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[0] <= 25  # with the open cycle and readiness by cycle


def test_self_bias_is_stored_with_two_decimals(six_team, mia, bob):
    _, ids = six_team
    assessment = Assessment.objects.get(user=bob)
    # self 3, 3, 4 against validated 2, 4, 2: (1 - 1 + 2) / 3 = 0.666… -> 0.67
    validations = [Validation(ids[0], 2, ""), Validation(ids[1], 4, ""), Validation(ids[5], 2, "")]
    review_save(assessment=assessment, reviewer=mia, validations=validations, done=False)
    assessment.refresh_from_db()
    assert assessment.self_bias == Decimal("0.67")
    assert assessment.validated_count == 3
    assert assessment.reviewed_at is None
    assert assessment.review_status == "In review"


def test_the_line_chart_puts_0_on_the_axis_and_100_at_the_top():
    chart = charts.line([("Sep 2026", 0.0), ("Oct 2026", 100.0), ("Nov 2026", 50.0)])

    bottom, top, middle = (p.y for p in chart.points)
    assert bottom == chart.baseline and top == charts.LINE_TOP
    assert middle == (top + bottom) / 2
    xs = [p.x for p in chart.points]
    assert xs[0] == chart.left and xs[2] - xs[1] == xs[1] - xs[0]
    assert chart.path == " ".join(f"{p.x},{p.y}" for p in chart.points)
    assert [value for value, _ in chart.ticks] == [0, 25, 50, 75, 100]


def test_stale_essentials_are_counted_per_member_and_per_competence(
    mia_client, six_team, alice, settings
):
    settings.STALE_AFTER_MONTHS = 12
    team, ids = six_team
    old = timezone.now() - timedelta(days=400)
    # alice's essentials (lines 0 and 3) and one optional line, rated 13 months ago.
    Rating.objects.filter(
        assessment__user=alice, competence_id__in=[ids[0], ids[3], ids[4]]
    ).update(rated_at=old)

    members = {
        row[0]: row for row in members_rows(report(mia_client, team, export="members"))[1:] if row
    }
    url = reverse("teams:team-report", args=[team.pk])
    response = mia_client.get(url, {"export": "competences", "format": "csv"})
    competences = {
        row[0].removeprefix("SIX competence "): row[-1]
        for row in csv.reader(io.StringIO(response.content.decode()))
        if row and row[0] != "Competence"
    }

    assert (members["alice"][-1], members["bob"][-1], members["Cleo Ng"][-1]) == ("2", "0", "")
    assert competences == {"000": "1", "001": "0", "002": "0", "003": "1", "004": "1", "005": "0"}


def test_with_nobody_assessed_the_competences_table_lists_every_line_at_risk(
    mia_client, mia, make_profile
):
    team = Team.objects.create(name="New", occupation=make_profile(6, "NEW"))
    team.managers.add(mia)

    url = reverse("teams:team-report", args=[team.pk])
    response = mia_client.get(url, {"export": "competences", "format": "csv"})

    rows = [r for r in csv.reader(io.StringIO(response.content.decode())) if r][1:]
    assert len(rows) == 6
    assert {(row[2], row[6]) for row in rows} == {("0", "coverage risk")}


def test_the_report_leads_with_the_team_at_a_glance(mia_client, six_team):
    team, _ = six_team

    response = report(mia_client, team)

    summary = response.context["summary"]
    assert (summary.readiness, summary.assessed, summary.members) == (80, 2, 3)  # (60+100)/2
    assert summary.essential_gaps == ("alice",)
    # Met by bob alone: the essential 003 first, then the optional 002 and 005.
    assert [(t.title, t.relation, t.meeting) for t in summary.thin] == [
        ("SIX competence 003", "essential", ("bob",)),
        ("SIX competence 002", "optional", ("bob",)),
        ("SIX competence 005", "optional", ("bob",)),
    ]
    html = response.content.decode()
    assert html.index('id="summary-heading"') < html.index('id="members-heading"')
    assert 'data-testid="team-readiness">80%<' in html
    assert 'SIX competence 003 <span class="badge essential">Essential</span>: only bob' in html
