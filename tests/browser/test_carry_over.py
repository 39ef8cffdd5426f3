"""A round as an update, in a real browser: the technician's ratings come over, she changes
five and confirms the rest by section; the manager reviews by exception and accepts the rest."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import Assessment, Rating
from assessments.services import Answer, assessment_start, assessment_submit, ratings_save
from taxonomy.models import Occupation
from teams.models import Membership, Team
from teams.services import Validation, review_save
from tests.browser.conftest import PASSWORD, sign_in
from tests.conftest import in_role

pytestmark = pytest.mark.browser
LEVELS = ["None", "Aware", "Practitioner", "Proficient", "Expert"]


@pytest.fixture
def last_round(alice) -> tuple[Team, list[int], set[int]]:
    """Alice's assessment of the ICT technician profile from three months ago, every line at
    level 2 (Practitioner), reviewed by mia, who validated all but three essentials."""
    occupation = Occupation.objects.get(code="3512.4")
    mia = in_role(User.objects.create_user("mia", password=PASSWORD), "manager")
    team = Team.objects.create(name="Service desk", occupation=occupation)
    team.managers.add(mia)
    Membership.objects.create(team=team, user=alice)
    lines = list(occupation.requirements.order_by("relation", "competence__title"))
    ids = [line.competence_id for line in lines]
    first = assessment_start(user=alice, occupation=occupation)
    ratings_save(assessment=first, answers=[Answer(c, True, 2, "", "") for c in ids])
    assessment_submit(assessment=first, user=alice)
    unvalidated = {line.competence_id for line in lines if line.relation == "essential"}
    unvalidated = set(sorted(unvalidated)[:3])
    validations = [Validation(c, 2, "") for c in ids if c not in unvalidated]
    review_save(assessment=first, reviewer=mia, validations=validations, done=True)
    moment = timezone.now() - timedelta(days=90)
    Assessment.objects.filter(pk=first.pk).update(submitted_at=moment, reviewed_at=moment)
    Rating.objects.filter(assessment=first).update(rated_at=moment - timedelta(days=1))
    Rating.objects.filter(assessment=first).exclude(validated_at=None).update(validated_at=moment)
    return team, ids, unvalidated


def test_a_technician_updates_last_rounds_ratings_and_her_manager_reviews_what_changed(
    new_page: Callable[..., Page], alice: User, last_round
):
    team, _, unvalidated = last_round
    page = new_page()
    sign_in(page, "alice", PASSWORD)
    page.goto("/occupations/3512.4/")
    page.get_by_role("button", name="Start a self-assessment").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rate yourself: ICT technician")

    expect(page.get_by_text("Carried over, still to confirm or change: 80.")).to_be_visible()
    changed: list[str] = []
    confirmed = 0
    while True:  # each step: change one or two, confirm the rest of the step
        groups = page.locator("fieldset[data-autosave]")
        count = groups.count()
        expect(page.locator("p.carry.to-confirm")).to_have_count(count)
        expect(groups.first.get_by_role("radio", name="Practitioner", exact=True)).to_be_checked()
        for index in ([0, count - 1] if len(changed) < 4 else [0])[: 5 - len(changed)]:
            group = groups.nth(index)
            group.get_by_text("Proficient", exact=True).click()
            expect(group.locator(".save-status")).to_have_text("Saved")
            expect(group.locator("p.carry")).to_contain_text("Changed: was Practitioner")
            changed.append(group.locator("legend").inner_text())
        page.get_by_role("button", name=re.compile("^All still accurate")).click()
        expect(page.locator("p.carry.to-confirm")).to_have_count(0)
        confirmed += page.locator("p.carry", has_text="Still accurate: confirmed").count()
        next_step = page.get_by_role("button", name=re.compile("^Next: "))
        if next_step.inner_text() == "Next: review and submit":
            break
        next_step.click()
    assert (len(changed), confirmed) == (5, 75)

    page.get_by_role("button", name="Next: review and submit").click()
    expect(page.get_by_text("neither changed nor confirmed")).to_have_count(0)
    page.get_by_role("button", name="Submit and see my gap report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gap report: ICT technician")
    second = Assessment.objects.submitted().filter(user=alice).latest("submitted_at")
    assert not second.ratings.filter(carried=True).exists()

    # The manager's review opens on the five changes and the essentials never validated.
    expected = set(changed) | {
        r.competence.title
        for r in second.ratings.select_related("competence").filter(competence_id__in=unvalidated)
    }
    manager = new_page()
    sign_in(manager, "mia", PASSWORD)
    manager.goto(f"/assessments/teams/{team.pk}/review/{second.pk}/")
    expect(manager.get_by_test_id("needs-count")).to_contain_text(
        f"{len(expected)} ratings need you"
    )
    shown = manager.locator("table.review tbody th[scope=row]")
    titles = {text.split("\n")[0].rsplit(" ", 1)[0] for text in shown.all_inner_texts()}
    assert titles == expected
    rest = 80 - len(expected)
    manager.get_by_role("button", name=f"Accept the rest as rated ({rest})").click()
    expect(manager.get_by_role("status")).to_contain_text(f"Accepted {rest} rating(s) as rated.")
    manager.get_by_role("button", name="Save and mark the review done").click()

    # The member sees the review on her report and in her list.
    page.goto(f"/assessments/{second.pk}/report/")
    expect(page.get_by_role("heading", name="Your manager's review")).to_be_visible()
    expect(page.get_by_text("Accepted as rated")).to_have_count(rest)
    page.get_by_role("link", name="My assessments").first.click()
    expect(page.get_by_role("cell", name=re.compile("^Reviewed on .* by mia"))).to_have_count(2)
