"""The strict Content-Security-Policy breaks nothing: no page reports a violation."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from assessments.models import Assessment
from taxonomy.models import Occupation
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


def test_the_admins_history_pages_run_under_the_policy_and_lay_out(
    new_page: Callable[..., Page], demo_technician: User
):
    occupation = Occupation.objects.get(code="3512.4")
    page, violations = signed_in(new_page, "admin")
    for title in ("ICT support technician", "ICT help desk technician"):  # two edits: a change
        page.goto(f"/admin/taxonomy/occupation/{occupation.pk}/change/")
        page.get_by_label("Title").fill(title)
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    page.goto(f"/admin/taxonomy/occupation/{occupation.pk}/history/")
    table = page.locator("#change-history")
    expect(table).to_contain_text("Title: ICT support technician")
    # Every column side by side in one table as wide as the module around it, and the
    # entries count under it without the rule paginators otherwise have above them.
    headers = table.locator("thead th")
    tops = {round(headers.nth(i).bounding_box()["y"]) for i in range(headers.count())}
    assert len(tops) == 1 and headers.count() == 6
    module = page.locator("#content-main .module").bounding_box()
    assert table.bounding_box()["width"] >= module["width"] - 2
    paginator = page.locator("p.paginator")
    expect(paginator).to_contain_text("2 entries")
    assert paginator.evaluate("p => getComputedStyle(p).borderTopStyle") == "none"

    table.get_by_role("link", name="ICT support technician").click()  # the older version
    expect(page.get_by_role("button", name="Revert").first).to_be_visible()
    assert violations == []
