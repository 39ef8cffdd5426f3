"""The team report when members were assessed against different releases of a profile:
compared on the competences their releases share, the others listed apart, never as gaps,
and each member's release named."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment
from taxonomy.models import Occupation, Release
from taxonomy.seed import profile_import
from teams import exports, reports
from teams.models import Membership, Team
from tests.api.conftest import bearer
from tests.assessments.conftest import submitted
from tests.conftest import in_role
from tests.teams.conftest import AFTER, BEFORE, DESK, crowd, levels

pytestmark = pytest.mark.django_db

OLD, NEW = "Desk profile v1.0", "Desk profile v1.1"


@pytest.fixture
def desk(mia, alice, bob) -> Team:
    """alice assessed against the older release; bob and cleo against the newer, where
    only bob meets F."""
    profile_import(occupation=DESK, lines=BEFORE, release_name=OLD)
    occupation = Occupation.objects.get(code="9999.1")
    team = Team.objects.create(name="Desk", occupation=occupation)
    team.managers.add(mia)
    cleo = in_role(User.objects.create_user("cleo", first_name="Cleo", last_name="Ng"))
    for user in (alice, bob, cleo):
        Membership.objects.create(team=team, user=user)
    submitted(alice, occupation, levels(occupation))
    profile_import(occupation=DESK, lines=AFTER, release_name=NEW)
    occupation.refresh_from_db()
    submitted(bob, occupation, levels(occupation))
    submitted(cleo, occupation, levels(occupation, F=1))
    return team


def report(client, team: Team, **params):
    return client.get(reverse("teams:team-report", args=[team.pk]), params)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return [row for row in csv.reader(io.StringIO(response.content.decode())) if row]


def test_the_releases_are_named_oldest_first_with_what_they_do_not_share(desk):
    releases = reports.team_releases(desk.assessed_members(desk.occupation))

    assert releases.mixed
    assert [(r.name, r.members) for r in releases.releases] == [(OLD, 1), (NEW, 2)]
    assert releases.shared == 4  # A, C, D, E
    assert [(a.title, a.relation, a.label, a.members) for a in releases.apart] == [
        ("Desk F", "essential", f"added in {NEW}", 2),
        ("Desk B", "essential", f"removed in {NEW}", 1),
    ]


def test_the_page_compares_on_what_the_releases_share_and_lists_the_rest_apart(mia_client, desk):
    response = report(mia_client, desk)
    html = response.content.decode()

    assert response.status_code == 200
    said = html[html.index('id="releases"') : html.index('id="competences"')]
    assert f"against 2 different releases of this profile: {OLD} (1 member), {NEW} (2 members)" in (
        " ".join(said.split())
    )
    assert "compare them on the 4 competences their releases share" in said
    assert f'Desk F <span class="badge essential">Essential</span>: added in {NEW}' in said
    assert f'Desk B <span class="badge essential">Essential</span>: removed in {NEW}' in said
    # F, met by bob alone, is no coverage risk: cleo's release has it, alice's does not.
    summary = response.context["summary"]
    assert [t.title for t in summary.thin] == []
    heat = html[html.index('id="heatmap"') : html.index('id="timeline-heading"')]
    assert "Desk F" not in heat and "Desk B" not in heat and "Desk A" in heat
    assert f'alice <span class="hint">{OLD}</span></th>' in heat
    members = html[html.index('id="members"') : html.index('id="occupation-heading"')]
    assert '<th class="orderable">Release</th>' not in members  # not sortable
    assert f'<td data-label="Release">{OLD}</td>' in members


def test_each_member_counts_on_their_own_release(mia_client, desk):
    """alice's essentials are A and B, met; bob's and cleo's A and F, cleo short on F."""
    rows = csv_rows(report(mia_client, desk, export="members"))

    assert rows[0][-1] == "Release"
    assert [(r[0], r[3], r[4], r[-1]) for r in rows[1:]] == [
        ("alice", "2 of 2", "0", OLD),
        ("bob", "2 of 2", "0", NEW),
        ("Cleo Ng", "1 of 2", "1", NEW),
    ]


def test_the_competences_export_lists_the_competences_apart_after_the_compared_ones(
    mia_client, desk
):
    rows = csv_rows(report(mia_client, desk, export="competences", **{"c-sort": "competence"}))

    compared = {row[0]: row[2] for row in rows[1:5]}
    assert compared == {"Desk A": "3", "Desk C": "3", "Desk D": "3", "Desk E": "3"}
    assert rows[5:] == [
        ["Desk F", "essential", "", "", "", "", f"added in {NEW}: not compared", ""],
        ["Desk B", "essential", "", "", "", "", f"removed in {NEW}: not compared", ""],
    ]
    book = report(mia_client, desk, export="competences", format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
    assert sheet.max_row == 7 and sheet["G6"].value == f"added in {NEW}: not compared"


def test_the_full_export_names_the_releases_and_sets_the_rest_apart(desk):
    content, _ = exports.team_export(desk, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(content))

    members = list(book["Members"].values)
    assert members[0][-1] == "Release" and members[1][-1] == OLD
    competences = [row[0] for row in book["Competences 9999.1"].values]
    assert competences[-2:] == ["Desk F", "Desk B"] and len(competences) == 7


def test_with_one_release_the_report_looks_as_before_and_names_it(mia_client, desk, alice):
    submitted(alice, desk.occupation, levels(desk.occupation))  # now on the newer one too

    html = report(mia_client, desk).content.decode()
    rows = csv_rows(report(mia_client, desk, export="members"))
    competences = csv_rows(report(mia_client, desk, export="competences"))

    assert 'id="releases"' not in html and 'data-label="Release"' not in html
    assert f"3 members assessed against it, under {NEW}." in html
    assert rows[0] == exports.MEMBER_HEADERS
    assert len(competences) == 6 and "Desk F" in {row[0] for row in competences}


def test_an_assessment_whose_release_is_gone_counts_as_not_recorded(mia_client, desk):
    Release.objects.filter(name=OLD).delete()

    response = report(mia_client, desk)

    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    assert f"release not recorded (1 member), {NEW} (2 members)" in html
    assert f"Desk B: removed in {NEW}" not in html  # the badge sits between
    assert f"removed in {NEW}" in html
    rows = csv_rows(report(mia_client, desk, export="members"))
    assert rows[1][-1] == "release not recorded"


@pytest.mark.parametrize(
    "params",
    [{"c-relation": "required"}, {"export": "competences", "format": "pdf"}, {"m-gaps": "x"}],
)
def test_tampered_parameters_on_a_mixed_team_are_refused(mia_client, desk, params):
    response = report(mia_client, desk, **params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("htmx_target", [None, "members", "competences", "heatmap"])
def test_query_counts_with_mixed_releases_do_not_grow_with_the_team(
    mia_client, mia, desk, htmx_target
):
    headers = {"HX-Request": "true", "HX-Target": htmx_target} if htmx_target else {}
    newer = Release.objects.get(name=NEW)
    alice_assessment = Assessment.objects.get(user__username="alice")
    counts = []
    for size in (5, 60):
        team = Team.objects.create(name=f"M{size}", occupation=desk.occupation)
        team.managers.add(mia)
        Membership.objects.create(team=team, user=alice_assessment.user)  # the older release
        crowd(team, size)
        Assessment.objects.filter(user__username__startswith=f"M{size}-").update(release=newer)
        url = reverse("teams:team-report", args=[team.pk])
        with CaptureQueriesContext(connection) as queries:
            response = mia_client.get(url, {"m-sort": "-readiness"}, headers=headers)
        assert response.status_code == 200
        assert response.content.decode().count("<tr") >= 5  # 4 compared lines at least
        counts.append(len(queries))

    # One query more than with one release where competences are compared: what the
    # releases do not share (teams.reports.team_releases), a line per release and competence.
    assert counts == [MIXED_QUERIES[htmx_target]] * 2


MIXED_QUERIES = {None: 26, "members": 13, "competences": 13, "heatmap": 14}


def test_the_api_names_each_members_release_and_the_competences_apart(client, mia, desk):
    body = client.get(f"/api/teams/{desk.pk}/report", headers=bearer(mia)).json()

    assert [(m["username"], m["release"]) for m in body["members"]] == [
        ("alice", OLD),
        ("bob", NEW),
        ("cleo", NEW),
    ]
    assert body["releases"]["releases"] == [
        {"release": OLD, "members": 1},
        {"release": NEW, "members": 2},
    ]
    assert body["releases"]["shared"] == 4
    assert [(a["title"], a["change"], a["release"]) for a in body["releases"]["apart"]] == [
        ("Desk F", "added", NEW),
        ("Desk B", "removed", NEW),
    ]
    assert {c["title"] for c in body["competences"]} == {"Desk A", "Desk C", "Desk D", "Desk E"}
    assert body["summary"]["thin"] == []


def test_the_fixture_is_two_real_imports(desk):
    assert not desk.occupation.requirements.filter(competence__title="Desk B").exists()
    assert desk.occupation.release.name == NEW
    assert Assessment.objects.get(user__username="alice").release.name == OLD
