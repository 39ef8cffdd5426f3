"""The read operations: what each answers, and that a token sees no more than its owner."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from assessments.models import Rating
from taxonomy.models import Occupation
from taxonomy.seed import profile_import
from teams.models import Membership
from tests.api.conftest import bearer, error_of
from tests.assessments.conftest import submitted, submitted_at_level
from tests.teams.conftest import AFTER, BEFORE, DESK, crowd, levels

pytestmark = pytest.mark.django_db


def get(client, url, user, **params):
    return client.get(url, params, headers=bearer(user))


def test_occupations_are_searched_and_paged_by_code(api_client, alice):
    response = get(api_client, "/api/occupations", alice, q="technician", limit=2)
    assert response.status_code == 200
    body = response.json()
    assert len(body["items"]) == 2
    codes = [o["code"] for o in body["items"]]
    assert codes == sorted(codes)
    seen = list(codes)
    while body["next"]:
        body = api_client.get(body["next"], headers=bearer(alice)).json()
        seen += [o["code"] for o in body["items"]]
    assert seen == sorted(set(seen)) and "3512.4" in seen


def test_an_occupation_comes_with_its_profile(api_client, alice):
    body = get(api_client, "/api/occupations/3512.4", alice).json()
    assert body["code"] == "3512.4" and body["requirement_count"] == 80
    assert len(body["profile"]) == 80
    line = body["profile"][0]
    assert line["relation"] == "essential" and line["target_level"] >= 1 and line["weight"] > 0


def test_an_unknown_occupation_is_404(api_client, alice):
    response = get(api_client, "/api/occupations/nope", alice)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not-found"


def test_the_scale_lists_its_levels_lowest_first(api_client, alice):
    body = get(api_client, "/api/scale", alice).json()
    values = [level["value"] for level in body["levels"]]
    assert values == sorted(values) and body["essential_target"] == 3


def test_a_technician_sees_only_themselves(api_client, alice, team):
    body = get(api_client, "/api/people", alice).json()
    assert body["items"] == [{"username": "alice", "name": "alice", "is_you": True}]
    assert get(api_client, "/api/people/bob", alice).status_code == 404
    assert get(api_client, "/api/people/bob/assessments", alice).status_code == 404


def test_a_manager_sees_their_members_and_no_one_else(api_client, mia, team, other_team):
    names = [p["username"] for p in get(api_client, "/api/people", mia).json()["items"]]
    assert names == ["alice", "bob", "mia"]
    assert get(api_client, "/api/people/tess", mia).status_code == 404


def test_a_manager_sees_a_members_latest_submission_only(api_client, mia, alice, team):
    older = submitted_at_level(alice, team.occupation, 1)
    latest = submitted_at_level(alice, team.occupation, 3)
    body = get(api_client, "/api/people/alice/assessments", mia).json()
    assert [a["id"] for a in body["items"]] == [latest.pk]
    assert get(api_client, f"/api/assessments/{older.pk}", mia).status_code == 404
    detail = get(api_client, f"/api/assessments/{latest.pk}", mia).json()
    assert len(detail["ratings"]) == 80 and {r["level"] for r in detail["ratings"]} == {3}
    # The gap report is the owner's, as the report page is.
    assert get(api_client, f"/api/assessments/{latest.pk}/report", mia).status_code == 404


def test_the_owner_gets_their_assessments_and_gap_report(api_client, alice, team):
    submitted = submitted_at_level(alice, team.occupation, 2)
    body = get(api_client, "/api/people/alice/assessments", alice).json()
    assert [a["id"] for a in body["items"]] == [submitted.pk]
    assert body["items"][0]["status"] == "submitted"
    report = get(api_client, f"/api/assessments/{submitted.pk}/report", alice).json()
    assert report["assessment_id"] == submitted.pk
    assert report["headline"]["essentials_total"] > 0
    assert report["gaps"] and report["gaps"][0]["line"]["gap"] > 0
    assert {s["name"] for s in report["sections"]}
    assert report["comparison"] is None


def test_the_gap_report_names_its_release_and_what_changed_since_the_previous_one(
    api_client, alice
):
    """As the page: the release each assessment was made against, and the competences
    one profile has and the other lacks, listed apart."""
    profile_import(occupation=DESK, lines=BEFORE, release_name="Desk profile v1.0")
    occupation = Occupation.objects.get(code=DESK["code"])
    first = submitted(alice, occupation, levels(occupation))
    profile_import(occupation=DESK, lines=AFTER, release_name="Desk profile v1.1")
    occupation.refresh_from_db()
    again = submitted(alice, occupation, levels(occupation))

    report = get(api_client, f"/api/assessments/{again.pk}/report", alice).json()
    assert report["release"] == "Desk profile v1.1"
    comparison = report["comparison"]
    assert comparison["assessment_id"] == first.pk
    assert comparison["release"] == "Desk profile v1.0"
    assert comparison["added"] == ["Desk F"] and comparison["removed"] == ["Desk B"]
    earlier = get(api_client, f"/api/assessments/{first.pk}/report", alice).json()
    assert earlier["release"] == "Desk profile v1.0" and earlier["comparison"] is None


def test_other_peoples_assessments_are_404(api_client, alice, bob, team):
    submitted = submitted_at_level(bob, team.occupation, 2)
    for url in (f"/api/assessments/{submitted.pk}", f"/api/assessments/{submitted.pk}/report"):
        response = get(api_client, url, alice)
        assert response.status_code == 404
        assert "bob" not in response.content.decode()


def test_the_team_report_for_its_manager(api_client, mia, alice, bob, team):
    submitted_at_level(alice, team.occupation, 3)
    submitted_at_level(bob, team.occupation, 1)
    body = get(api_client, f"/api/teams/{team.pk}/report", mia).json()
    assert body["team"]["name"] == "Service desk"
    assert body["summary"]["assessed"] == 2 and body["summary"]["members"] == 2
    assert [m["username"] for m in body["members"]] == ["alice", "bob"]
    assert len(body["competences"]) == 80
    assert body["summary"]["thin"] and body["summary"]["thin"][0]["meeting"] == ["alice"]
    assert body["months"][-1]["members"] == 2


def test_a_team_report_is_404_for_anyone_else(api_client, alice, team, other_team):
    carl = other_team.managers.get()
    assert get(api_client, f"/api/teams/{team.pk}/report", carl).status_code == 404
    assert get(api_client, f"/api/teams/{team.pk}/report", alice).status_code == 404
    assert get(api_client, "/api/teams", alice).json()["items"] == []


def test_a_team_report_of_another_occupation_is_refused_422(api_client, mia, team):
    response = get(api_client, f"/api/teams/{team.pk}/report", mia, occupation="3513.1")
    assert response.status_code == 422
    assert error_of(response)["details"][0]["location"] == "query.occupation"


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/occupations", {"limit": "0"}),
        ("/api/occupations", {"limit": "201"}),
        ("/api/occupations", {"limit": "x"}),
        ("/api/assessments/0", {}),
        ("/api/assessments/abc", {}),
    ],
)
def test_bad_parameters_are_refused_422(api_client, alice, url, params):
    response = get(api_client, url, alice, **params)
    assert response.status_code == 422
    assert error_of(response)["details"]


def test_a_forged_or_foreign_cursor_is_refused_400(api_client, alice):
    assert get(api_client, "/api/occupations", alice, cursor="forged").status_code == 400
    body = get(api_client, "/api/occupations", alice, limit=1).json()
    cursor = body["next"].split("cursor=")[1]
    response = api_client.get(f"/api/people?cursor={cursor}", headers=bearer(alice))
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad-cursor"


def test_unknown_paths_and_methods_answer_in_the_same_shape(api_client, alice):
    assert error_of(get(api_client, "/api/nothing/here", alice))["code"] == "not-found"
    response = api_client.delete("/api/people", headers=bearer(alice))
    assert response.status_code == 405 and "GET" in response["Allow"]
    assert error_of(response)["code"] == "method-not-allowed"


@pytest.mark.parametrize("n", [3, 30])
def test_people_cost_the_same_queries_at_any_size(
    api_client, mia, team, n, django_assert_num_queries
):
    users = User.objects.bulk_create(User(username=f"m{i:03}") for i in range(n))
    Membership.objects.bulk_create(Membership(team=team, user=u) for u in users)
    headers = bearer(mia)
    api_client.get("/api/scale", headers=headers)  # the first use is recorded
    with django_assert_num_queries(4):  # token, permissions (user, group), the page
        assert api_client.get("/api/people", headers=headers).status_code == 200


@pytest.mark.parametrize("n", [3, 30])
def test_the_team_report_costs_the_same_queries_at_any_size(
    api_client, mia, team, n, django_assert_num_queries
):
    crowd(team, n)
    # One competence nobody meets, at either size: the coverage risks are read too.
    first = team.occupation.requirements.order_by("pk").first()
    Rating.objects.filter(competence_id=first.competence_id).update(level=0)
    headers = bearer(mia)
    api_client.get("/api/scale", headers=headers)
    with django_assert_num_queries(13):
        response = api_client.get(f"/api/teams/{team.pk}/report", headers=headers)
    assert len(response.json()["members"]) == n + 2


def test_a_query_parameter_an_operation_does_not_take_is_refused_422(api_client, alice):
    response = get(api_client, "/api/occupations", alice, limt="5")
    assert response.status_code == 422
    assert error_of(response)["details"][0]["location"] == "query.limt"
    # Who is asking comes first.
    assert api_client.get("/api/occupations", {"limt": "5"}).status_code == 401
