"""Reviewing and submitting: essentials first, a warning for straight-lining, a snapshot."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessments.models import Assessment, Rating
from assessments.services import AssessmentError, assessment_start, assessment_submit
from tests.assessments.conftest import rate, rate_all, url

pytestmark = pytest.mark.django_db


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_the_review_lists_the_essentials_still_to_rate(alice_client, draft):
    rate_all(draft, lambda r: 2 if r.relation == "optional" else None)
    essential = draft.occupation.requirements.filter(relation="essential").first()
    Rating.objects.filter(assessment=draft, competence=essential.competence).delete()

    html = alice_client.get(url("assessment-submit", draft)).content.decode()

    assert "Rate these essentials first" in html
    assert f"#competence-{essential.competence_id}" in html
    assert "Submit and see my gap report" not in html


def test_submitting_with_an_essential_unrated_is_refused(alice_client, draft):
    rate(draft, {draft.occupation.requirements.first().competence_id: 3})

    response = alice_client.post(url("assessment-submit", draft), follow=True)

    assert "Rate every essential competence first: " in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_draft
    assert not Rating.objects.filter(assessment=draft).exclude(relation="").exists()


def test_straight_lining_draws_a_gentle_warning(alice_client, draft):
    rate_all(draft, lambda r: 3)

    html = alice_client.get(url("assessment-submit", draft)).content.decode()

    assert "Every answer is the same" in html
    assert "“Proficient”" in html
    assert "Submit and see my gap report" in html


def test_varied_answers_draw_no_warning(alice_client, draft):
    rate_all(draft, lambda r: r.competence_id % 5)

    html = alice_client.get(url("assessment-submit", draft)).content.decode()

    assert "Every answer is the same" not in html


def test_submitting_freezes_the_profile_into_the_ratings(alice_client, draft):
    essentials = draft.occupation.requirements.filter(relation="essential")
    rate(draft, {r.competence_id: 3 for r in essentials})

    response = alice_client.post(url("assessment-submit", draft))

    assert response["Location"] == url("assessment-report", draft)
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.submitted_at is not None
    snapshot = {
        r.competence_id: (r.relation, r.target_level, r.weight, r.answered)
        for r in Rating.objects.filter(assessment=draft)
    }
    assert len(snapshot) == 80
    for requirement in draft.occupation.requirements.all():
        relation, target, weight, answered = snapshot[requirement.competence_id]
        assert (relation, target, weight) == (
            requirement.relation,
            requirement.target_level,
            requirement.weight,
        )
        assert answered == (requirement.relation == "essential")


def test_later_taxonomy_edits_do_not_rewrite_a_submitted_report(alice, alice_client, make_profile):
    occupation = make_profile(3)
    assessment = assessment_start(user=alice, occupation=occupation)
    rate_all(assessment, lambda r: 2)
    assessment_submit(assessment=assessment, user=alice)
    before = main(alice_client.get(url("assessment-report", assessment)))

    occupation.requirements.update(target_level=4, weight=Decimal(9), relation="essential")
    after = main(alice_client.get(url("assessment-report", assessment)))

    assert 'data-testid="readiness">80%' in before  # (2*2 + 1*2 + 1*2) / (2*3 + 1*2 + 1*2)
    assert before == after


def test_a_submitted_assessment_cannot_be_submitted_again(alice, alice_client, draft):
    rate_all(draft, lambda r: 1)
    assessment_submit(assessment=draft, user=alice)

    assert alice_client.get(url("assessment-submit", draft))["Location"] == url(
        "assessment-report", draft
    )
    assert alice_client.post(url("assessment-submit", draft)).status_code == 409
    with pytest.raises(AssessmentError):
        assessment_submit(assessment=draft, user=alice)


def test_only_the_owner_can_submit(bob, bob_client, draft):
    rate_all(draft, lambda r: 1)

    assert bob_client.get(url("assessment-submit", draft)).status_code == 404
    assert bob_client.post(url("assessment-submit", draft)).status_code == 404
    with pytest.raises(AssessmentError):
        assessment_submit(assessment=draft, user=bob)
    assert Assessment.objects.get(pk=draft.pk).is_draft


@pytest.mark.parametrize("htmx", [False, True])
def test_the_review_page_renders_with_or_without_htmx(alice_client, draft, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = alice_client.get(url("assessment-submit", draft), headers=headers)
    assert response.status_code == 200
    assert "You rated 0 of 80 competences, and 0 of 23 essentials." in response.content.decode()


def test_the_review_lists_what_is_unrated_and_what_leaving_it_costs(alice_client, draft):
    optional = list(draft.occupation.requirements.filter(relation="optional"))
    left = optional[:3]
    rate_all(draft, lambda r: r.target_level)
    Rating.objects.filter(assessment=draft, competence__in=[r.competence for r in left]).delete()
    lines = list(draft.occupation.requirements.all())
    wanted = sum(r.weight * r.target_level for r in lines)
    reached = wanted - sum(r.weight * r.target_level for r in left)

    html = main(alice_client.get(url("assessment-submit", draft)))

    assert "3 optional competences not rated" in html
    for r in left:
        assert f'#competence-{r.competence_id}">{r.competence.title}</a>' in html
    now = int(reached / wanted * 100 + Decimal("0.5"))
    assert f"your readiness is <strong>{now}%</strong>" in html
    assert "it would be up to <strong>100%</strong>" in html
