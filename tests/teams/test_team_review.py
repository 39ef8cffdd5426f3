"""A manager validates a member's submitted self-ratings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, Rating
from assessments.services import assessment_start
from teams.models import Assignment, Membership, ReviewCycle
from tests.assessments.conftest import submitted_at_level

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices(alice, team) -> Assessment:
    """Alice's submitted ICT technician assessment: every competence at level 2."""
    return submitted_at_level(alice, team.occupation, 2)


def review_url(team, assessment) -> str:
    return reverse("teams:team-review", args=[team.pk, assessment.pk])


def two_competences(assessment: Assessment) -> list[int]:
    return list(
        assessment.ratings.filter(relation="essential")
        .order_by("competence__title")
        .values_list("competence_id", flat=True)[:2]
    )


def snapshot(assessment: Assessment) -> list[tuple]:
    return list(
        Rating.objects.filter(assessment=assessment)
        .order_by("competence_id")
        .values_list("competence_id", "level", "validated_level", "review_comment")
    )


def test_the_review_page_lists_every_competence_with_the_self_rating(mia_client, team, alices):
    # Every rating: the page opens on what needs a manager, the rest is one link away.
    response = mia_client.get(review_url(team, alices) + "?show=all")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('<select id="v-') == 80
    assert "2 Practitioner" in html
    assert '<label class="visually-hidden" for="v-' in html


def test_validating_two_competences_keeps_the_self_ratings(mia_client, mia, team, alices):
    first, second = two_competences(alices)
    before = {cid: level for cid, level, *_ in snapshot(alices)}

    response = mia_client.post(
        review_url(team, alices),
        {f"v-{first}": "4", f"v-{first}-comment": "Led the migration", f"v-{second}": "1"},
    )

    assert response.status_code == 302
    assert response["Location"] == review_url(team, alices)
    rows = {cid: rest for cid, *rest in snapshot(alices)}
    assert rows[first] == [2, 4, "Led the migration"]
    assert rows[second] == [2, 1, ""]
    assert {cid: level for cid, (level, *_) in rows.items()} == before
    alices.refresh_from_db()
    assert alices.validated_count == 2
    assert alices.self_bias == Decimal("-0.50")  # (2 - 4 + 2 - 1) / 2
    assert alices.reviewed_at is None
    # Both pages write it the same way, with two places whatever the database hands back.
    page = mia_client.get(review_url(team, alices)).content.decode()
    assert "−0.50 on average over 2 validated (rates themselves lower)" in page
    table = mia_client.get(reverse("teams:team-report", args=[team.pk])).content.decode()
    assert "−0.50 <span" in table


def test_marking_the_review_done_stamps_who_and_when(mia_client, mia, team, alices):
    first, _ = two_competences(alices)
    response = mia_client.post(review_url(team, alices), {f"v-{first}": "3", "done": "1"})

    assert response.status_code == 302
    assert response["Location"] == team.get_absolute_url()
    alices.refresh_from_db()
    assert alices.reviewed_by == mia and alices.reviewed_at is not None
    assert alices.review_status == "Reviewed"


def test_the_member_sees_the_review_beside_their_own_rating(mia, team, alices, alice_client):
    first, _ = two_competences(alices)
    manager = Client()
    manager.force_login(mia)
    manager.post(
        review_url(team, alices),
        {f"v-{first}": "4", f"v-{first}-comment": "<b>seen in ticket 42</b>", "done": "1"},
    )

    html = alice_client.get(reverse("assessments:assessment-report", args=[alices.pk]))
    html = html.content.decode()
    assert "Your manager's review" in html
    assert "Reviewed by mia on" in html
    assert "&lt;b&gt;seen in ticket 42&lt;/b&gt;" in html and "<b>seen" not in html
    row = html[html.index("Self rating and validated level") :].split("</tr>")[1]
    assert "2 Practitioner" in row and "4 Expert" in row


@pytest.mark.parametrize(
    "data",
    [
        {"v-999999": "3"},  # not a competence of this assessment
        {"v-FIRST": "9"},  # off the scale
        {"v-FIRST": "three"},
        {"v-FIRST": "3", "v-FIRST-comment": "x" * 501},
        {"v-FIRST": ["3", "4"]},  # twice
    ],
)
def test_tampered_reviews_are_refused_and_write_nothing(mia_client, team, alices, data):
    first, _ = two_competences(alices)
    data = {key.replace("FIRST", str(first)): value for key, value in data.items()}
    before = snapshot(alices)

    response = mia_client.post(review_url(team, alices), data)

    assert response.status_code == 400
    assert snapshot(alices) == before
    alices.refresh_from_db()
    assert alices.validated_count == 0


def test_reviews_need_the_csrf_token(mia, team, alices):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mia)
    first, _ = two_competences(alices)
    before = snapshot(alices)
    assert client.post(review_url(team, alices), {f"v-{first}": "3"}).status_code == 403
    assert snapshot(alices)[0][2] is None
    assert snapshot(alices) == before  # the posted competence, and every other, unchanged


def test_only_the_members_managers_reach_a_review(client, team, other_team, alices, alice, bob):
    url = review_url(team, alices)
    for user in (other_team.managers.get(), alice, bob):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404


def test_a_draft_or_a_non_members_assessment_is_not_reviewable(mia_client, team, other_team, alice):
    draft = assessment_start(user=alice, occupation=team.occupation)
    assert mia_client.get(review_url(team, draft)).status_code == 404
    theirs = submitted_at_level(other_team.members.get(), team.occupation, 3)
    assert mia_client.get(review_url(team, theirs)).status_code == 404
    assert mia_client.post(review_url(team, theirs), {}).status_code == 404


def test_a_manager_cannot_review_their_own_assessment(mia_client, mia, team):
    Membership.objects.create(team=team, user=mia)
    own = submitted_at_level(mia, team.occupation, 4)
    assert mia_client.get(review_url(team, own)).status_code == 404


def test_a_manager_reviews_only_a_members_latest_assessment_of_the_teams_occupation(
    mia_client, team, alice, alices, make_profile
):
    """The rule: the latest submitted assessment of the occupation the team assesses the
    member against. An older one, or another occupation's, answers 404 though it exists."""
    newer = submitted_at_level(alice, team.occupation, 3)
    other = submitted_at_level(alice, make_profile(3, "ELSEWHERE"), 1)

    assert mia_client.get(review_url(team, newer)).status_code == 200
    for hidden in (alices, other):
        assert mia_client.get(review_url(team, hidden)).status_code == 404
        before = snapshot(hidden)
        first = hidden.ratings.values_list("competence_id", flat=True)[0]
        response = mia_client.post(review_url(team, hidden), {f"v-{first}": "4", "done": "1"})
        assert response.status_code == 404
        assert snapshot(hidden) == before
        hidden.refresh_from_db()
        assert hidden.reviewed_at is None


def test_what_a_member_submitted_in_a_cycle_stays_reviewable_after_a_newer_assessment(
    mia_client, team, alice, alices
):
    """The board of a cycle links what was submitted in it: a later assessment of the same
    occupation does not take it from the manager, as it does an assessment of no cycle."""
    today = timezone.localdate()
    cycle = ReviewCycle.objects.create(
        team=team, name="Q1", opens_on=today, self_due=today, review_due=today, status="open"
    )
    Assignment.objects.create(
        cycle=cycle, user=alice, occupation=team.occupation, assessment=alices
    )
    outside = submitted_at_level(alice, team.occupation, 1)
    newer = submitted_at_level(alice, team.occupation, 3)
    first = two_competences(alices)[0]

    assert mia_client.get(review_url(team, alices)).status_code == 200
    response = mia_client.post(review_url(team, alices), {f"v-{first}": "4"})

    assert response.status_code == 302
    assert alices.ratings.get(competence_id=first).validated_level == 4
    assert mia_client.get(review_url(team, newer)).status_code == 200
    assert mia_client.get(review_url(team, outside)).status_code == 404


def test_a_review_field_name_with_a_trailing_newline_is_refused(mia_client, team, alices):
    """The autosave's `c-1\\n=2` swept through the review form: `v-1\\n` is no field of it."""
    first = two_competences(alices)[0]
    before = snapshot(alices)

    response = mia_client.post(
        review_url(team, alices),
        f"v-{first}%0A=4&done=1",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert snapshot(alices) == before
    alices.refresh_from_db()
    assert alices.reviewed_at is None
