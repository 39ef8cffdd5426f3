"""Each rule has one home; these feed every consumer of a rule the same data and compare
what they show, so a copy that drifts fails here."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from assessments import charts, reports
from assessments.models import Assessment, Rating, ReviewState
from taxonomy.models import Occupation, ProficiencyLevel, ProficiencyScale, Requirement
from taxonomy.seed import profile_import
from teams import exports
from teams import reports as team_reports
from teams.models import Membership, Team
from teams.services import Validation, review_save
from tests.assessments.conftest import submitted
from tests.conftest import ALICE
from tests.teams.conftest import AFTER, BEFORE, DESK, levels

pytestmark = pytest.mark.django_db


def members_csv(client, team, **params) -> dict[str, list[str]]:
    url = reverse("teams:team-report", args=[team.pk])
    response = client.get(url, {"export": "members", "format": "csv", **params})
    rows = csv.reader(io.StringIO(response.content.decode()))
    return {row[0]: row for row in rows if row}


def test_the_counted_level_is_the_same_in_sql_the_heat_map_the_exports_and_the_figures(
    six_team, mia, alice
):
    """ALICE's six lines: 3, 2, 0, 1, 4 and "Don't know"; line 3 validated at 3."""
    team, ids = six_team
    mine = Assessment.objects.get(user=alice)
    review_save(assessment=mine, reviewer=mia, validations=[Validation(ids[3], 3, "")], done=False)
    expected = {cid: level or 0 for cid, level in zip(ids, ALICE, strict=True)} | {ids[3]: 3}

    in_sql = {c: level for (c, a), level in Rating.objects.counted_levels([mine.pk]).items()}
    heat = team_reports.heat_rows(team.occupation, [mine.pk])
    by_title = {r.title: r.cells[0].level for r in heat}
    exported = {
        row[3]: row[9]
        for row in exports.rating_rows(list(team.memberships.with_latest()))
        if row[1] == "alice"
    }
    assert in_sql == expected
    titles = dict(
        Rating.objects.filter(assessment=mine).values_list("competence_id", "competence__title")
    )
    assert by_title == {titles[c]: level for c, level in expected.items()}
    assert exported == by_title
    # The stored reviewed readiness counts the same levels: 2·3+2+0+2·3+min(4,2)+0 = 16 of 20.
    mine.refresh_from_db()
    assert mine.readiness == 80


@pytest.mark.parametrize("state", ["not-reviewed", "in-review", "reviewed"])
def test_the_review_state_reads_the_same_on_every_page(mia_client, six_team, mia, alice, state):
    team, ids = six_team
    mine = Assessment.objects.get(user=alice)
    if state != "not-reviewed":
        validations = [Validation(ids[0], 3, "")]
        review_save(
            assessment=mine, reviewer=mia, validations=validations, done=state == "reviewed"
        )
    label = ReviewState(state).label

    in_python = Assessment.objects.get(pk=mine.pk).review_status
    in_the_table = members_csv(mia_client, team)["alice"][6]
    filtered = members_csv(mia_client, team, **{"m-state": state})
    review_page = mia_client.get(reverse("teams:team-review", args=[team.pk, mine.pk]))
    alice_client = Client()
    alice_client.force_login(alice)
    my_list = alice_client.get(reverse("assessments:assessment-list")).content.decode()

    assert in_python == in_the_table == label
    assert "alice" in filtered
    assert f"<dd>{label}" in review_page.content.decode()
    shown = "Reviewed on" if state == "reviewed" else label
    assert f'data-label="Manager\'s review">{shown}' in my_list


def test_the_scales_top_level_is_the_same_for_the_chart_the_experts_and_the_export(
    six_team, alice_client, alice
):
    """A scale that grows a level 5: the chart's axis, "at expert level" and the export all
    follow it, because all of them ask ProficiencyScale.current()."""
    team, ids = six_team
    scale = ProficiencyScale.current()
    ProficiencyLevel.objects.create(scale=scale, value=5, name="Master", descriptor="Teaches it")
    Rating.objects.filter(assessment__user=alice, competence=ids[4]).update(level=5)

    assert ProficiencyScale.current().top_level == 5
    report = reports.gap_report(Assessment.objects.get(user=alice))
    chart = charts.bars(report.sections, max_level=ProficiencyScale.current().top_level)
    summary = team_reports.competence_figures(
        team_reports.competence_summary(
            team.occupation,
            list(Assessment.objects.values_list("pk", flat=True)),
            top_level=ProficiencyScale.current().top_level,
        )
    )
    assert [value for value, _ in chart.ticks][-1] == 5
    assert {c.title[-3:]: c.experts for c in summary}["004"] == 1  # alice at 5, bob at 3
    page = alice_client.get(reverse("taxonomy:about")).content.decode()
    assert "5 Master" in page


def test_the_profile_sections_are_the_same_on_the_occupation_rating_and_report_pages(
    alice_client, draft
):
    labels = [s.label for s in Requirement.SECTIONS]
    rate_page = alice_client.get(reverse("assessments:assessment-rate", args=[draft.pk]))
    occupation_page = alice_client.get(reverse("taxonomy:occupation-detail", args=["3512.4"]))
    report = reports.gap_report(draft)

    # The rating page's steps are the sections, a long one split ("Optional knowledge: ...").
    steps = re.findall(r'\?step=\d+"(?: aria-current="step")?>([^<:]+)', rate_page.content.decode())
    on_rate_page = [label for label in labels if label in steps]
    on_occupation_page = [
        f"{relation} {kind.lower()}"
        for relation, kinds in occupation_page.context["sections"]
        for kind, _ in kinds
    ]
    assert on_rate_page == [s.name for s in report.sections]
    assert [label.capitalize() for label in on_occupation_page] == on_rate_page


def test_the_report_and_the_team_report_list_the_same_competences_added_and_removed(
    mia, alice, bob
):
    """One rule (scoring.across_releases) for what two releases of a profile do not share:
    alice's two assessments, one per release, on her report; hers and bob's on the team's."""
    profile_import(occupation=DESK, lines=BEFORE, release_name="Desk profile v1.0")
    occupation = Occupation.objects.get(code=DESK["code"])
    submitted(alice, occupation, levels(occupation))
    profile_import(occupation=DESK, lines=AFTER, release_name="Desk profile v1.1")
    occupation.refresh_from_db()
    submitted(bob, occupation, levels(occupation))
    team = Team.objects.create(name="Desk", occupation=occupation)
    for user in (alice, bob):
        Membership.objects.create(team=team, user=user)
    releases = team_reports.team_releases(team.assessed_members(occupation))
    again = submitted(alice, occupation, levels(occupation))

    comparison = reports.gap_report(again).comparison
    apart = {a.change: a.title for a in releases.apart}

    assert comparison.added == (apart[team_reports.ADDED],) == ("Desk F",)
    assert comparison.removed == (apart[team_reports.REMOVED],) == ("Desk B",)
