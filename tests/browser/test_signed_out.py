"""An autosave after the session ended: said plainly, kept on screen, saved after sign-in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import Rating
from assessments.services import assessment_start
from taxonomy.models import Occupation
from tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser


def test_a_choice_made_after_the_session_ended_is_kept_and_saved_after_signing_in(
    page: Page, alice
):
    draft = assessment_start(user=alice, occupation=Occupation.objects.get(code="3512.4"))
    sign_in(page, "alice", PASSWORD)
    page.goto(f"/assessments/{draft.pk}/rate/")
    first, second = page.locator("fieldset[data-autosave]").all()[:2]
    first.get_by_text("Aware", exact=True).click()
    expect(first.locator(".save-status")).to_have_text("Saved")

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))  # idle timeout
    second.get_by_text("Expert", exact=True).click()

    status = second.locator(".save-status")
    expect(status).to_have_text("Not saved: you were signed out — sign in again")
    expect(second.get_by_role("radio", name="Expert", exact=True)).to_be_checked()
    expect(second.locator("input[type=password]")).to_have_count(0)  # no sign-in form inside
    assert Rating.objects.filter(assessment=draft).count() == 1

    status.get_by_role("link", name="sign in again").click()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(rf"/assessments/{draft.pk}/rate/$"))
    notice = page.get_by_role("alert").filter(has_text="Not saved yet")
    expect(notice).to_contain_text("1 choice made while you were signed out")
    second = page.locator("fieldset[data-autosave]").nth(1)
    expect(second.get_by_role("radio", name="Expert", exact=True)).to_be_checked()
    notice.get_by_role("button", name="Save them now").click()

    expect(second.locator(".save-status")).to_have_text("Saved")
    expect(notice).to_be_hidden()
    levels = dict(Rating.objects.filter(assessment=draft).values_list("competence_id", "level"))
    assert sorted(levels.values()) == [1, 4]
