"""The manager's journey in a real browser: sort the team, review a member, see the change."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Locator, Page, expect

from assessments.models import Assessment, Rating
from teams.models import Team
from tests.browser.conftest import PASSWORD, fits_the_viewport, sign_in

pytestmark = pytest.mark.browser

LEVELS = ["None", "Aware", "Practitioner", "Proficient", "Expert"]
COMMENTS = ["<b>seen in ticket 42</b>", "Needed help with the printer queue twice"]
REVIEW_URL = re.compile(r"/assessments/teams/\d+/review/(\d+)/$")


def members(page: Page) -> Locator:
    # Looked up afresh on every use: sorting swaps the whole section.
    return page.get_by_role("region", name=re.compile(r"^Members"))


def column_index(page: Page, header: str) -> int:
    headers = [h.strip() for h in members(page).locator("thead th").all_inner_texts()]
    return headers.index(header)


def column(page: Page, header: str) -> list[str]:
    """The cells of one column of the members table, top to bottom."""
    n = column_index(page, header) + 1
    return members(page).locator(f"tbody tr > td:nth-child({n})").all_inner_texts()


def cell(row: Locator, header: str) -> Locator:
    return row.get_by_role("cell").nth(column_index(row.page, header))


def percents(cells: list[str]) -> list[int]:
    return [int(text.removesuffix("%")) for text in cells]


def sort_by_readiness(page: Page, order: str) -> list[int]:
    """Click the Readiness header; wait for htmx to swap the section in sorted `order`."""
    members(page).get_by_role("link", name="Readiness", exact=True).click()
    sort = "readiness" if order == "asc" else "-readiness"
    expect(page).to_have_url(re.compile(rf"\?m-sort={sort}$"))
    header = members(page).locator("th", has=page.get_by_role("link", name="Readiness"))
    expect(header).to_have_class(re.compile(rf"\b{order}\b"))
    return percents(column(page, "Readiness"))


def label(level: int) -> str:
    """How the pages name a level: "3 Proficient"."""
    return f"{level} {LEVELS[level]}"


def self_level(text: str) -> int:
    """The level a self rating cell names; "Don't know" and "Not rated" count as 0."""
    match = re.match(r"(\d) ", text)
    return int(match[1]) if match else 0


def expected_readiness(assessment: Assessment) -> int:
    """The issue's formula, with the validated level in place of the self rating where given."""
    reached = total = Decimal(0)
    for r in assessment.ratings.exclude(relation=""):
        own = r.level if r.answered and r.level is not None else 0
        level = own if r.validated_level is None else r.validated_level
        reached += r.weight * min(level, r.target_level)
        total += r.weight * r.target_level
    return int((100 * reached / total).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_the_demo_manager_sorts_the_team_reviews_a_member_and_sees_the_report_change(
    new_page: Callable[..., Page], demo_technician: User
):
    self_ratings = set(Rating.objects.values_list("pk", "answered", "level"))
    page = new_page()
    sign_in(page, "manager")
    page.get_by_role("link", name="My teams").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My teams")
    page.get_by_role("link", name="ICT support", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Team report: ICT support")
    expect(members(page).locator("tbody tr")).to_have_count(7)

    # A flag on the window survives only if sorting swaps the section in place.
    page.evaluate("window.notReloaded = true")
    ascending = sort_by_readiness(page, "asc")
    assert len(set(ascending)) > 1  # else any order would pass as sorted
    assert ascending == sorted(ascending)
    descending = sort_by_readiness(page, "desc")
    assert descending == sorted(ascending, reverse=True)
    assert page.evaluate("window.notReloaded") is True

    name = column(page, "Member")[0]
    before = descending[0]
    # The link sits in the boosted section but leads out of it: a page of its own.
    members(page).get_by_role("link", name=f"Review the assessment of {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Review: {name}, ICT technician")
    expect(page).to_have_url(REVIEW_URL)
    assessment = Assessment.objects.get(pk=REVIEW_URL.search(page.url)[1])
    latest = Assessment.objects.submitted().filter(user=assessment.user).latest("submitted_at")
    assert assessment == latest
    expect(page.get_by_test_id("self-bias")).to_have_text("nothing validated yet")
    # The review opens on what needs a manager (here the 23 essentials never validated);
    # every rating is one link away.
    expect(page.get_by_test_id("needs-count")).to_contain_text("23 ratings need you")
    page.get_by_role("link", name="Every rating", exact=True).click()

    # The first two competences the member rates at or above target; the manager sees
    # them a level below it, so the member over-rated both and readiness falls.
    titles = [
        text.removeprefix("Validated level for ")
        for text in page.get_by_text(re.compile(r"^Validated level for ")).all_inner_texts()
    ]
    targets = [int(t) for t in page.locator("td[data-label='Target']").all_inner_texts()]
    selves = [self_level(t) for t in page.locator("td[data-label='Self rating']").all_inner_texts()]
    assert len(titles) == len(targets) == len(selves) == 80
    chosen = [
        (title, own, target - 1)
        for title, own, target in zip(titles, selves, targets, strict=True)
        if target > 0 and own >= target
    ][:2]
    assert len(chosen) == 2
    for (title, _, validated), comment in zip(chosen, COMMENTS, strict=True):
        page.get_by_label(f"Validated level for {title}", exact=True).select_option(
            label=label(validated)
        )
        page.get_by_label(f"Comment on {title}", exact=True).fill(comment)
    page.get_by_role("button", name="Save and mark the review done").click()

    expect(page.get_by_role("status")).to_contain_text("Review done.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Team report: ICT support")
    assessment.refresh_from_db()
    readiness = expected_readiness(assessment)
    assert assessment.readiness == readiness < before
    bias = Decimal(sum(own - validated for _, own, validated in chosen)) / 2
    row = (
        members(page).get_by_role("row").filter(has=page.get_by_role("cell", name=name, exact=True))
    )
    expect(cell(row, "Readiness")).to_have_text(f"{readiness}%")
    expect(row.get_by_role("cell", name="Reviewed", exact=True)).to_be_visible()
    expect(cell(row, "Self vs validated")).to_have_text(f"{bias:+.2f} (over-rates, 2 validated)")
    expect(row.get_by_role("link", name=f"Open the assessment of {name}")).to_be_visible()

    reviewed = {
        r.competence.title: (r.validated_level, r.review_comment)
        for r in assessment.ratings.select_related("competence")
        if r.validated_level is not None or r.review_comment
    }
    assert reviewed == {
        title: (validated, comment)
        for (title, _, validated), comment in zip(chosen, COMMENTS, strict=True)
    }
    assert set(Rating.objects.values_list("pk", "answered", "level")) == self_ratings
    assert assessment.reviewed_by.username == "manager"

    # The member reads the review on their own report; the comment stays text.
    # (The demo's colleagues have no password: give this one the tests' own.)
    assessment.user.set_password(PASSWORD)
    assessment.user.save()
    member = new_page()
    sign_in(member, assessment.user.username, PASSWORD)
    member.goto(assessment.get_absolute_url())
    review = member.get_by_role("region", name="Your manager's review")
    expect(review).to_contain_text("Reviewed by manager")
    expect(review.get_by_test_id("validated-readiness")).to_have_text(f"{readiness}%")
    for (title, own, validated), comment in zip(chosen, COMMENTS, strict=True):
        line = review.get_by_role("row").filter(
            has=member.get_by_role("rowheader", name=title, exact=True)
        )
        expect(line.get_by_role("cell")).to_have_text([label(own), label(validated), comment])
    expect(review.locator("b")).to_have_count(0)


def test_a_technician_has_no_team_pages(page: Page, demo_technician: User):
    sign_in(page, "technician")
    expect(page.get_by_role("link", name="My teams")).to_have_count(0)

    team = Team.objects.get(name="ICT support")
    assessment = (
        Assessment.objects.submitted().filter(user__username="amira").latest("submitted_at")
    )
    for url in [
        "/assessments/teams/",
        team.get_absolute_url(),
        f"/assessments/teams/{team.pk}/review/{assessment.pk}/",
    ]:
        response = page.goto(url)
        assert response is not None and response.status == 404, url


def test_the_team_report_fits_a_phone_and_its_heat_map_scrolls_by_keyboard(
    new_page: Callable[..., Page], demo_technician: User
):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, "manager")
    page.get_by_role("link", name="My teams").click()
    page.get_by_role("link", name="ICT support").click()
    assert fits_the_viewport(page)

    heat_map = page.get_by_role("region", name="Heat map table (scrolls)")
    heat_map.focus()
    heat_map.press("ArrowRight")
    heat_map.press("ArrowRight")
    # Chromium scrolls by keyboard smoothly: wait for the animation rather than read it mid-way.
    page.wait_for_function("element => element.scrollLeft > 0", arg=heat_map.element_handle())
    assert fits_the_viewport(page)


def test_sorting_by_keyboard_keeps_focus_on_the_header_and_says_what_changed(
    page: Page, demo_technician: User
):
    sign_in(page, "manager")
    page.get_by_role("link", name="My teams").click()
    page.get_by_role("link", name="ICT support").click()
    expect(page.get_by_test_id("team-readiness")).to_have_text(re.compile(r"^\d+%$"))

    link = members(page).get_by_role("link", name="Readiness", exact=True)
    link.focus()
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"\?m-sort=readiness$"))
    status = page.locator("#swap-status[aria-live=polite]")
    expect(status).to_have_text(
        re.compile(r"^Members \(\d+\) updated, sorted by Readiness ascending\.$")
    )
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Readiness"
    page.keyboard.press("Enter")  # and again, without reaching for the mouse
    expect(page).to_have_url(re.compile(r"\?m-sort=-readiness$"))
    expect(status).to_contain_text("descending")


def test_the_heat_map_shows_several_members_at_once_on_a_phone(
    new_page: Callable[..., Page], demo_technician: User
):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, "manager")
    page.get_by_role("link", name="My teams").click()
    page.get_by_role("link", name="ICT support").click()

    heat_map = page.get_by_role("region", name="Heat map table (scrolls)")
    visible = heat_map.evaluate(
        """region => {
            const box = region.getBoundingClientRect();
            return [...region.querySelectorAll('thead th')].slice(1)
                .filter(th => th.getBoundingClientRect().right <= box.right).length;
        }"""
    )
    assert visible >= 4
