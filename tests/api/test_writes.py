"""Start, rate and submit through the API: the services and readers of the pages, so the
same rules and the same refusals, and nothing written when anything is refused."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from assessments.models import Assessment, Rating
from taxonomy.models import Occupation
from tests.api.conftest import bearer, error_of
from tests.assessments.conftest import rate_all, submitted_at_level

pytestmark = pytest.mark.django_db


def send(client, method, url, user, body, scope="write"):
    return getattr(client, method)(
        url, body, content_type="application/json", headers=bearer(user, scope)
    )


def competences(occupation) -> list[int]:
    return list(occupation.requirements.order_by("pk").values_list("competence_id", flat=True))


def test_start_makes_a_draft_then_resumes_it(api_client, alice, technician_occupation):
    first = send(api_client, "post", "/api/assessments", alice, {"occupation": "3512.4"})
    assert first.status_code == 201
    assert first.json()["status"] == "draft" and first.json()["username"] == "alice"
    again = send(api_client, "post", "/api/assessments", alice, {"occupation": "3512.4"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Assessment.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [{"occupation": "nope"}, {}, {"occupation": "x" * 21}, {"occupation": 3}],
)
def test_start_refuses_bad_input_writing_nothing(api_client, alice, body):
    response = send(api_client, "post", "/api/assessments", alice, body)
    assert response.status_code == 422
    assert error_of(response)["details"]
    assert not Assessment.objects.exists()


def test_start_refuses_an_occupation_without_profile(api_client, alice):
    Occupation.objects.create(code="EMPTY", title="No profile yet")
    response = send(api_client, "post", "/api/assessments", alice, {"occupation": "EMPTY"})
    assert response.status_code == 422
    assert "no competence profile" in error_of(response)["message"]
    assert not Assessment.objects.exists()


def test_start_needs_a_role_that_assesses_itself(api_client, technician_occupation):
    nobody = User.objects.create_user("nobody")
    response = send(api_client, "post", "/api/assessments", nobody, {"occupation": "3512.4"})
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_ratings_are_saved_as_the_autosave_saves_them(api_client, alice, draft):
    one, two, three = competences(draft.occupation)[:3]
    body = {
        "ratings": [
            {"competence_id": one, "level": 3, "confidence": "high", "evidence": "Runs the desk"},
            {"competence_id": two, "dont_know": True},
            {"competence_id": three, "evidence": "a note before a level"},
        ],
        "client": "script-1",
        "seq": 5,
    }
    response = send(api_client, "put", f"/api/assessments/{draft.pk}/ratings", alice, body)
    assert response.status_code == 200, response.content
    assert response.json() == {"saved": sorted([one, two, three]), "confirmed": [], "ignored": []}
    got = {r.competence_id: r for r in draft.ratings.all()}
    assert (got[one].level, got[one].confidence, got[one].evidence) == (3, "high", "Runs the desk")
    assert got[two].answered and got[two].level is None
    assert not got[three].answered and got[three].evidence == "a note before a level"
    # An older save of the same client is overtaken: ignored, nothing changes.
    older = {"ratings": [{"competence_id": one, "level": 1}], "client": "script-1", "seq": 4}
    response = send(api_client, "put", f"/api/assessments/{draft.pk}/ratings", alice, older)
    assert response.json()["ignored"] == [one]
    assert draft.ratings.get(competence_id=one).level == 3


@pytest.mark.parametrize(
    "rating",
    [
        {"level": 9},  # off the scale
        {"level": 2, "dont_know": True},
        {"confidence": "sure"},
        {"evidence": "x" * 501},
        {"evidence": "nul\x00"},
        {"level": "two"},
    ],
)
def test_bad_ratings_refuse_the_whole_request(api_client, alice, draft, rating):
    first, second = competences(draft.occupation)[:2]
    body = {"ratings": [{"competence_id": first, "level": 2}, {"competence_id": second, **rating}]}
    response = send(api_client, "put", f"/api/assessments/{draft.pk}/ratings", alice, body)
    assert response.status_code == 422, response.content
    assert error_of(response)["message"]
    assert not draft.ratings.exists()


def test_a_competence_outside_the_profile_refuses_the_request(api_client, alice, draft):
    outside = Rating._meta.get_field("competence").related_model.objects.exclude(
        pk__in=competences(draft.occupation)
    )[0]
    body = {"ratings": [{"competence_id": outside.pk, "level": 2}]}
    response = send(api_client, "put", f"/api/assessments/{draft.pk}/ratings", alice, body)
    assert response.status_code == 422
    assert "Not a competence of this profile" in error_of(response)["message"]
    assert not draft.ratings.exists()


def test_body_that_is_not_json_is_400_and_empty_ratings_422(api_client, alice, draft):
    url = f"/api/assessments/{draft.pk}/ratings"
    broken = api_client.put(
        url, "{nope", content_type="application/json", headers=bearer(alice, "write")
    )
    assert broken.status_code == 400 and error_of(broken)["code"] == "bad-request"
    assert send(api_client, "put", url, alice, {"ratings": []}).status_code == 422


def test_no_one_else_writes_to_a_draft(api_client, bob, mia, team, draft):
    url = f"/api/assessments/{draft.pk}"
    first = competences(draft.occupation)[0]
    for user in (bob, mia):
        body = {"ratings": [{"competence_id": first, "level": 2}]}
        assert send(api_client, "put", f"{url}/ratings", user, body).status_code == 404
        assert send(api_client, "post", f"{url}/submit", user, {}).status_code == 404
    assert not draft.ratings.exists()
    draft.refresh_from_db()
    assert draft.is_draft


def test_submit_refuses_until_every_essential_is_rated(api_client, alice, draft):
    url = f"/api/assessments/{draft.pk}/submit"
    refused = send(api_client, "post", url, alice, {})
    assert refused.status_code == 409
    assert "Rate every essential competence first" in error_of(refused)["message"]
    draft.refresh_from_db()
    assert draft.is_draft
    rate_all(draft, lambda r: 2)
    done = send(api_client, "post", url, alice, {})
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    assert done.json()["readiness"] is not None
    # Submitted: no more changes.
    again = send(api_client, "post", url, alice, {})
    assert again.status_code == 409
    body = {"ratings": [{"competence_id": competences(draft.occupation)[0], "level": 1}]}
    late = send(api_client, "put", f"/api/assessments/{draft.pk}/ratings", alice, body)
    assert late.status_code == 409


def test_a_carried_draft_confirms_and_submits_with_confirm_rest(
    api_client, alice, technician_occupation
):
    submitted_at_level(alice, technician_occupation, 3)
    started = send(api_client, "post", "/api/assessments", alice, {"occupation": "3512.4"})
    pk = started.json()["id"]
    first = competences(technician_occupation)[0]
    confirm = {"ratings": [{"competence_id": first, "confidence": "low"}], "confirm": [first]}
    response = send(api_client, "put", f"/api/assessments/{pk}/ratings", alice, confirm)
    assert response.json()["confirmed"] == [first]
    done = send(api_client, "post", f"/api/assessments/{pk}/submit", alice, {"confirm_rest": True})
    assert done.status_code == 200
    assert not Rating.objects.filter(assessment_id=pk, carried=True).exists()
