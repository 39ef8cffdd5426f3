"""The strict Content-Security-Policy breaks nothing: no page reports a violation."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from assessments.models import Assessment
from teams.models import Team
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def signed_in(new_page: Callable[..., Page], username: str) -> tuple[Page, list[str]]:
    page = new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(page, username)  # the sign-in page is under the policy too
    return page, violations


def test_the_technicians_pages_run_under_the_policy(
    new_page: Callable[..., Page], demo_technician: User
):
    page, violations = signed_in(new_page, "technician")
    page.goto("/occupations/")
    page.get_by_label("Search occupations by title, alternative label or code").press_sequentially(
        "network"
    )
    expect(page.get_by_role("region", name="Search results")).to_contain_text("“network”")

    draft = Assessment.objects.drafts().get(user=demo_technician)
    page.goto(draft.get_absolute_url())
    first = page.locator("fieldset[data-autosave]").first
    first.get_by_text("Aware", exact=True).click()
    expect(first.locator(".save-status")).to_have_text("Saved")  # htmx ran and swapped

    submitted = Assessment.objects.submitted().get(user=demo_technician)
    page.goto(submitted.get_absolute_url())
    expect(page.get_by_role("img", name="Mean target and mean self level")).to_be_visible()
    assert violations == []


def test_the_managers_and_admins_pages_run_under_the_policy(
    new_page: Callable[..., Page], demo_technician: User
):
    page, violations = signed_in(new_page, "manager")
    page.goto(Team.objects.get().get_absolute_url())
    page.get_by_role("link", name="Readiness", exact=True).click()
    expect(page).to_have_url(re.compile(r"m-sort=readiness"))

    page, more = signed_in(new_page, "admin")
    for url in ("/admin/", "/admin/taxonomy/occupation/", "/admin/teams/team/1/change/"):
        page.goto(url)
        expect(page.locator("#content")).to_be_visible()
    assert violations + more == []
