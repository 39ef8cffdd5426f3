"""Review by exception: the review opens on what needs a manager, the rest is accepted at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, Rating
from assessments.services import Answer, assessment_start, assessment_submit, ratings_save
from teams.models import Membership, Team
from teams.services import Validation, review_save

pytestmark = pytest.mark.django_db


def ids_of(occupation) -> list[int]:
    lines = occupation.requirements.order_by("competence__title")
    return list(lines.values_list("competence_id", flat=True))


def review_url(team, assessment, view: str = "") -> str:
    url = reverse("teams:team-review", args=[team.pk, assessment.pk])
    return f"{url}?show={view}" if view else url


@pytest.fixture
def rounds(alice, mia, make_profile):
    """Mia's team on a six-line profile (lines 0 and 3 essential). Round one: alice rated
    every line 2, and mia validated lines 0..3 at 2 (line 2 at 4). Round two carried over:
    alice changed line 1 to 3 and line 5 to 4, confirmed line 2, left the rest carried."""
    occupation = make_profile(6, "ROUND")
    ids = ids_of(occupation)
    team = Team.objects.create(name="Rounds", occupation=occupation)
    team.managers.add(mia)
    Membership.objects.create(team=team, user=alice)
    first = assessment_start(user=alice, occupation=occupation)
    ratings_save(assessment=first, answers=[Answer(c, True, 2, "", "") for c in ids])
    assessment_submit(assessment=first, user=alice)
    validations = [Validation(ids[i], 4 if i == 2 else 2, "") for i in range(4)]
    review_save(assessment=first, reviewer=mia, validations=validations, done=True)
    a_month_ago = timezone.now() - timedelta(days=30)
    Rating.objects.filter(assessment=first).update(rated_at=a_month_ago - timedelta(days=1))
    Rating.objects.filter(assessment=first).exclude(validated_at=None).update(
        validated_at=a_month_ago
    )
    Assessment.objects.filter(pk=first.pk).update(submitted_at=a_month_ago, reviewed_at=a_month_ago)

    second = assessment_start(user=alice, occupation=occupation)
    ratings_save(
        assessment=second,
        answers=[Answer(ids[1], True, 3, "", ""), Answer(ids[5], True, 4, "", "")],
    )
    second.ratings.filter(competence_id=ids[2]).update(carried=False, rated_at=timezone.now())
    assessment_submit(assessment=second, user=alice)
    return team, second, ids


def test_the_review_opens_on_what_needs_a_manager(mia_client, rounds):
    team, second, ids = rounds

    html = mia_client.get(review_url(team, second)).content.decode()

    shown = {cid for cid in ids if f'id="v-{cid}"' in html}
    # 1: changed since validated (2 -> 3). 2: two levels from the last validated (2 vs 4).
    # 0 and 3 validated at 2, still 2: the rest; 4 and 5 optional, never validated: the rest.
    assert shown == {ids[1], ids[2]}
    assert "changed since last validated" in html
    assert "2 or more levels from the last validated" in html
    assert "The rest: 4 ratings" in html
    assert "Accept the rest as rated (4)" in html
    # Beside each rating, the last validated level and its date.
    assert "2 Practitioner, " in html and "Never" not in html.split("v-" + str(ids[1]))[0][-400:]


def test_an_essential_never_validated_needs_a_manager(mia_client, mia, alice, make_profile):
    occupation = make_profile(6, "FIRST")
    team = Team.objects.create(name="First", occupation=occupation)
    team.managers.add(mia)
    Membership.objects.create(team=team, user=alice)
    assessment = assessment_start(user=alice, occupation=occupation)
    ratings_save(
        assessment=assessment, answers=[Answer(c, True, 1, "", "") for c in ids_of(occupation)]
    )
    assessment_submit(assessment=assessment, user=alice)

    html = mia_client.get(review_url(team, assessment)).content.decode()

    essentials = occupation.requirements.filter(relation="essential").values_list(
        "competence_id", flat=True
    )
    assert {cid for cid in ids_of(occupation) if f'id="v-{cid}"' in html} == set(essentials)
    assert "essential, never validated" in html


def test_accepting_the_rest_validates_them_as_rated_for_the_member_to_see(
    mia_client, mia, alice, rounds
):
    team, second, ids = rounds

    response = mia_client.post(review_url(team, second), {"accept_rest": "1"}, follow=True)

    assert "Accepted 4 rating(s) as rated." in response.content.decode()
    rest = {
        r.competence_id: r
        for r in second.ratings.filter(competence_id__in=[ids[0], ids[3], ids[4], ids[5]])
    }
    assert all(r.accepted and r.validated_level == r.level for r in rest.values())
    entry = Rating.history.filter(assessment_id=second.pk, competence_id=ids[4]).latest(
        "history_date"
    )
    assert entry.history_user == mia and entry.accepted
    assert not second.ratings.get(competence_id=ids[1]).accepted  # what needs her, she weighs
    member = Client()
    member.force_login(alice)
    report = member.get(reverse("assessments:assessment-report", args=[second.pk])).content.decode()
    assert report.count("Accepted as rated") == 4


def test_agree_validates_the_self_rating_of_a_row_or_a_section(mia_client, rounds):
    team, second, ids = rounds

    mia_client.post(review_url(team, second), {"agree": str(ids[1])})
    assert second.ratings.get(competence_id=ids[1]).validated_level == 3
    mia_client.post(review_url(team, second, "all"), {"agree": f"{ids[4]},{ids[5]}"})

    validated = dict(second.ratings.values_list("competence_id", "validated_level"))
    assert (validated[ids[4]], validated[ids[5]]) == (2, 4)
    assert not second.ratings.get(competence_id=ids[4]).accepted  # agreed one by one


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("all", {0, 1, 2, 3, 4, 5}),
        ("essentials", {0, 3}),
        ("changed", {1}),
        ("unvalidated", {4, 5}),
    ],
)
def test_the_full_list_is_one_click_away_with_filters(mia_client, rounds, view, expected):
    team, second, ids = rounds

    html = mia_client.get(review_url(team, second, view)).content.decode()

    assert {i for i, cid in enumerate(ids) if f'id="v-{cid}"' in html} == expected


@pytest.mark.parametrize(
    "data", [{"agree": "999999"}, {"agree": "x"}, {"accept_rest": "1", "agree": "1,"}]
)
def test_tampered_agreements_are_refused_and_write_nothing(mia_client, rounds, data):
    team, second, _ = rounds
    before = list(second.ratings.values_list("competence_id", "validated_level", "accepted"))

    assert mia_client.post(review_url(team, second), data).status_code == 400
    assert (
        list(second.ratings.values_list("competence_id", "validated_level", "accepted")) == before
    )


def test_an_unknown_view_is_refused(mia_client, rounds):
    team, second, _ = rounds
    assert mia_client.get(review_url(team, second, "everything")).status_code == 400


def test_another_teams_manager_cannot_accept_anything(client, rounds, other_team):
    team, second, _ = rounds
    client.force_login(other_team.managers.get())
    assert client.post(review_url(team, second), {"accept_rest": "1"}).status_code == 404
    assert not second.ratings.filter(accepted=True).exists()


def test_the_review_page_makes_as_many_queries_for_20_as_for_300(
    mia_client, mia, alice, make_profile
):
    counts = {}
    for size in (20, 300):
        occupation = make_profile(size)
        team = Team.objects.create(name=f"Q{size}", occupation=occupation)
        team.managers.add(mia)
        Membership.objects.create(team=team, user=alice)
        assessment = assessment_start(user=alice, occupation=occupation)
        answers = [Answer(c, True, 2, "", "") for c in ids_of(occupation)]
        ratings_save(assessment=assessment, answers=answers)
        assessment_submit(assessment=assessment, user=alice)
        with CaptureQueriesContext(connection) as queries:
            assert mia_client.get(review_url(team, assessment)).status_code == 200
        counts[size] = len(queries)
    assert counts[20] == counts[300]
