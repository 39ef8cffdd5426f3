from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, fits_the_viewport

pytestmark = pytest.mark.browser

SEARCH_LABEL = "Search occupations by title, alternative label or code"
CSV_HEADER = "competence_uri,competence,kind,reuse_level,relation,target_level,weight"


def sign_in(page: Page) -> None:
    page.goto("/occupations/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Occupations", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/occupations/$"))


def test_a_user_signs_in_searches_as_they_type_and_downloads_a_profile(page: Page, alice):
    sign_in(page)

    # No Enter and no button: only htmx can bring these results in and push the URL.
    page.get_by_label(SEARCH_LABEL).press_sequentially("technician")
    results = page.get_by_role("region", name="Search results")
    expect(results).to_contain_text("matching “technician”")
    expect(page).to_have_url(re.compile(r"/occupations/\?q=technician$"))
    results.get_by_role("link", name="ICT technician", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("ICT technician")
    facts = page.get_by_role("definition")  # the <dd>s; the breadcrumb links to 3512 too
    expect(facts.get_by_role("link", name=re.compile(r"^3512 "))).to_be_visible()
    crosswalk = page.get_by_role("region", name="Codes in other classifications")
    expect(crosswalk.get_by_role("cell", name="15-1151", exact=True)).to_be_visible()
    expect(crosswalk.get_by_role("cell", name="15-1232.00", exact=True)).to_be_visible()
    profile = page.get_by_role("region", name="Competence profile")
    expect(profile).to_contain_text("80 competences")

    with page.expect_download() as download_info:
        profile.get_by_role("link", name="Download the profile as CSV").click()
    lines = Path(download_info.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0] == CSV_HEADER
    assert len(lines) == 81


def test_search_works_without_javascript(new_page: Callable[..., Page], alice):
    page = new_page(java_script_enabled=False)
    sign_in(page)

    page.get_by_label(SEARCH_LABEL).fill("technician")
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(re.compile(r"/occupations/\?q=technician$"))
    results = page.get_by_role("region", name="Search results")
    expect(results).to_contain_text("matching “technician”")
    expect(results.get_by_role("link", name="ICT technician", exact=True)).to_be_visible()


def test_pages_fit_a_phone_and_the_search_box_is_reachable_by_keyboard(
    new_page: Callable[..., Page], alice
):
    page = new_page(viewport={"width": 390, "height": 844})
    sign_in(page)

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    search = page.get_by_label(SEARCH_LABEL)
    for _ in range(5):
        page.keyboard.press("Tab")
        if search.evaluate("element => element === document.activeElement"):
            break
    expect(search).to_be_focused()
    assert fits_the_viewport(page)

    page.goto("/occupations/")
    page.get_by_role("link", name="ICT technician", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ICT technician")
    assert fits_the_viewport(page)
