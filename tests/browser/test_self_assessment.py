"""The technician's journey in a real browser: rate, reload, submit, read the report."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Locator, Page, expect

from assessments.models import Assessment
from taxonomy.models import Requirement
from tests.browser.conftest import PASSWORD, fits_the_viewport, sign_in

pytestmark = pytest.mark.browser

# The radio labels in scale order; "Don't know" is last and counts as 0.
LEVELS = ["None", "Aware", "Practitioner", "Proficient", "Expert", "Don't know"]


def open_the_draft(page: Page) -> None:
    page.get_by_role("link", name="Occupations", exact=True).click()
    page.get_by_label(re.compile("^Search occupations")).fill("ICT technician")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="ICT technician", exact=True).click()
    page.get_by_role("button", name="Resume your draft assessment").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rate yourself: ICT technician")


def value(level: str) -> int | None:
    """What a label stores: its place on the scale, or None for "Don't know"."""
    return None if level == "Don't know" else LEVELS.index(level)


def choice(index: int) -> str:
    """A spread of answers, so the submit page has no straight-lining to warn about."""
    return LEVELS[(index * 7) % len(LEVELS)]


def settled(page: Page) -> None:
    """No save in flight and none failed."""
    expect(page.locator("[data-autosave].htmx-request")).to_have_count(0)
    expect(page.locator(".save-status.saving")).to_have_count(0)
    expect(page.locator(".save-status.failed")).to_have_count(0)


def rate_by_mouse(group: Locator, level: str) -> None:
    group.get_by_text(level, exact=True).click()  # the label, as a pointer user does
    wait_saved(group)


def rate_by_keyboard(group: Locator, level: str) -> None:
    """Focus the first radio, then Space to pick it or arrow keys to walk to the level.

    Every arrow press checks the next radio; the level the walk settles on is saved, and
    that save must win over any sent before it.
    """
    group.get_by_role("radio", name=LEVELS[0], exact=True).focus()
    steps = LEVELS.index(level)
    if steps == 0:
        group.page.keyboard.press("Space")
    for _ in range(steps):
        group.page.keyboard.press("ArrowRight")
    wait_saved(group)


def wait_saved(group: Locator) -> None:
    expect(group).not_to_have_class(re.compile(r"\bhtmx-request\b"))
    expect(group.locator(".save-status")).to_have_text("Saved")


def expected_headline(levels: dict[str, int]) -> tuple[str, str, str]:
    """Readiness, essentials met and verdict, worked out here from the issue's formulas."""
    requirements = Requirement.objects.filter(occupation__code="3512.4").select_related(
        "competence"
    )
    reached = total = Decimal(0)
    essentials = met = 0
    for r in requirements:
        level = levels[r.competence.title]
        reached += r.weight * min(level, r.target_level)
        total += r.weight * r.target_level
        if r.relation == "essential":
            essentials += 1
            met += level >= r.target_level
    readiness = (100 * reached / total).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    gaps = essentials - met
    verdict = "Ready" if not gaps else f"{gaps} essential gap{'s' if gaps != 1 else ''}"
    return f"{readiness}%", f"{met} of {essentials}", verdict


def next_step(page: Page) -> bool:
    """Press "Next"; False when it led to the submit page."""
    page.get_by_role("button", name=re.compile("^Next: ")).click()
    return "/submit/" not in page.url


def test_the_demo_technician_rates_every_competence_reloads_submits_and_reads_the_report(
    page: Page, demo_technician: User
):
    sign_in(page, "technician")
    open_the_draft(page)
    # The demo draft started from the earlier submission (carry-over), half of it updated.
    expect(page.get_by_label(re.compile(r"^80 of 80 rated"))).to_be_visible()
    carried = Assessment.objects.drafts().get(user=demo_technician).ratings.filter(carried=True)
    expect(
        page.get_by_text(f"Carried over, still to confirm or change: {carried.count()}.")
    ).to_be_visible()

    chosen: dict[str, str] = {}
    step = 0
    while True:
        step += 1
        titles = page.locator("fieldset[data-autosave] > legend").all_inner_texts()
        assert 0 < len(titles) <= 20
        for title in titles:
            chosen[title] = choice(len(chosen))
            group = page.get_by_role("group", name=title, exact=True)
            (rate_by_mouse if len(chosen) % 2 else rate_by_keyboard)(group, chosen[title])
        settled(page)
        if step == 3:
            page.reload()  # halfway: every answer of the step is still there
            for title in titles:
                group = page.get_by_role("group", name=title, exact=True)
                expect(group.get_by_role("radio", name=chosen[title], exact=True)).to_be_checked()
        if not next_step(page):
            break
    assert len(chosen) == 80

    expect(page.get_by_role("heading", level=1)).to_contain_text("Review and submit")
    expect(page.get_by_role("heading", name="Every answer is the same")).to_have_count(0)
    page.get_by_role("button", name="Submit and see my gap report").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Gap report: ICT technician")
    levels = {title: value(level) for title, level in chosen.items()}
    readiness, essentials_met, verdict = expected_headline(
        {title: level or 0 for title, level in levels.items()}
    )
    expect(page.get_by_test_id("readiness")).to_have_text(readiness)
    expect(page.get_by_test_id("essentials-met")).to_have_text(essentials_met)
    expect(page.get_by_test_id("verdict")).to_have_text(verdict)
    # The demo's earlier submission is there to compare with.
    expect(page.get_by_role("heading", name="Since your previous assessment")).to_be_visible()

    assessment = Assessment.objects.submitted().filter(user=demo_technician).latest("submitted_at")
    assert page.url.endswith(f"/assessments/{assessment.pk}/report/")
    saved = {r.competence.title: r.level for r in assessment.ratings.select_related("competence")}
    assert saved == levels


def start_fresh(page: Page) -> None:
    page.goto("/occupations/3512.4/")
    page.get_by_role("button", name="Start a self-assessment").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rate yourself: ICT technician")


def test_a_fresh_draft_takes_80_taps_on_levels_and_few_others_on_a_phone(
    new_page: Callable[..., Page], alice: User
):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, "alice", PASSWORD)
    start_fresh(page)
    level_taps = other_taps = 0
    while True:
        assert fits_the_viewport(page)
        for group in page.locator("fieldset[data-autosave]").all():
            group.get_by_text("Practitioner", exact=True).tap()
            level_taps += 1
            wait_saved(group)
        settled(page)
        other_taps += 1
        if not next_step(page):
            break
    page.get_by_role("button", name="Submit and see my gap report").tap()
    other_taps += 1

    expect(page.get_by_role("heading", level=1)).to_contain_text("Gap report: ICT technician")
    assert (level_taps, other_taps <= 15) == (80, True), other_taps
    assessment = Assessment.objects.submitted().get(user=alice)
    assert set(assessment.ratings.values_list("level", flat=True)) == {2}


def test_by_keyboard_a_competence_takes_two_key_presses_besides_its_level(page: Page, alice: User):
    sign_in(page, "alice", PASSWORD)
    start_fresh(page)
    groups = page.locator("fieldset[data-autosave]")
    groups.first.get_by_role("radio", name="None", exact=True).focus()
    for index in range(groups.count()):
        page.keyboard.press("ArrowRight")  # the level: Aware
        expect(groups.nth(index).get_by_role("radio", name="Aware", exact=True)).to_be_checked()
        wait_saved(groups.nth(index))
        if index + 1 == groups.count():
            break
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        focused_in = page.evaluate(
            "document.activeElement.closest('fieldset[data-autosave]')?.id ?? ''"
        )
        assert focused_in == groups.nth(index + 1).get_attribute("id")
    settled(page)
    draft = Assessment.objects.drafts().get(user=alice)
    assert draft.ratings.filter(answered=True, level=1).count() == groups.count()


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)])
def test_the_sticky_progress_bar_never_covers_the_focused_element(
    new_page: Callable[..., Page], alice: User, viewport
):
    width, height = viewport
    page = new_page(viewport={"width": width, "height": height})
    sign_in(page, "alice", PASSWORD)
    start_fresh(page)
    sticky = page.locator(".progress-box").bounding_box()
    assert sticky is not None and sticky["height"] <= 0.15 * height
    competences = page.locator("fieldset[data-autosave]").count()
    stops = 0
    while stops < 200:
        page.keyboard.press("Tab")
        stops += 1
        covered = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (el === document.body || el.closest('.progress-box')) return null;
                const bar = document.querySelector('.progress-box').getBoundingClientRect();
                const box = el.getBoundingClientRect();
                return box.top < bar.bottom && box.bottom > bar.top ? el.outerHTML : false;
            }"""
        )
        assert not covered, covered
        if page.evaluate("document.activeElement.closest('footer') !== null"):
            break
    assert stops > 2 * competences  # the whole step was walked through


def test_ratings_save_without_javascript(new_page: Callable[..., Page], demo_technician: User):
    page = new_page(java_script_enabled=False)
    sign_in(page, "technician")
    open_the_draft(page)
    titles = page.locator("fieldset[data-autosave] > legend").all_inner_texts()
    picks = {titles[0]: "Expert", titles[1]: "Don't know", titles[-1]: "Aware"}
    for title, level in picks.items():
        group = page.get_by_role("group", name=title, exact=True)
        group.get_by_role("radio", name=level, exact=True).check()
    last = page.get_by_role("group", name=titles[-1], exact=True)
    details = last.locator("details")
    if details.get_attribute("open") is None:
        details.get_by_text("Details and evidence").click()
    last.get_by_label("Evidence").fill("<b>Ticket 4711</b>")

    page.get_by_role("button", name="Save ratings", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Saved. ")
    page.reload()
    for title, level in picks.items():
        group = page.get_by_role("group", name=title, exact=True)
        expect(group.get_by_role("radio", name=level, exact=True)).to_be_checked()
    expect(last.get_by_label("Evidence")).to_have_value("<b>Ticket 4711</b>")
    draft = Assessment.objects.drafts().get(user=demo_technician)
    saved = {r.competence.title: r.level for r in draft.ratings.select_related("competence")}
    assert {title: saved[title] for title in picks} == {t: value(v) for t, v in picks.items()}


def test_a_failed_save_says_so_and_keeps_the_choice(page: Page, demo_technician: User):
    sign_in(page, "technician")
    open_the_draft(page)
    title = page.locator("fieldset[data-autosave] > legend").first.inner_text()
    group = page.get_by_role("group", name=title, exact=True)
    draft = Assessment.objects.drafts().get(user=demo_technician)
    before = set(draft.ratings.values_list("competence_id", "level", "answered"))

    expert = group.get_by_role("radio", name="Expert", exact=True)
    level = "Aware" if expert.is_checked() else "Expert"  # a change, whatever the demo holds

    saves = re.compile(r"/rate/(\?.*)?$")
    page.route(saves, lambda route: route.abort("connectionrefused"))
    group.get_by_text(level, exact=True).click()

    expect(group.locator(".save-status")).to_contain_text("Not saved: no connection")
    expect(group.get_by_role("radio", name=level, exact=True)).to_be_checked()
    assert set(draft.ratings.values_list("competence_id", "level", "answered")) == before

    page.unroute(saves)
    group.get_by_text("Don't know", exact=True).click()  # the next change saves again
    wait_saved(group)
    rating = draft.ratings.get(competence__title=title)
    assert (rating.answered, rating.level) == (True, None)


def test_the_rating_page_and_the_report_fit_a_phone(
    new_page: Callable[..., Page], demo_technician: User
):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, "technician")
    open_the_draft(page)
    assert fits_the_viewport(page)
    title = page.locator("fieldset[data-autosave] > legend").first.inner_text()
    group = page.get_by_role("group", name=title, exact=True)
    group.get_by_text("Don't know", exact=True).tap()
    wait_saved(group)

    page.get_by_role("link", name="My assessments").first.click()
    page.get_by_role("link", name=re.compile("^Gap report")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gap report: ICT technician")
    assert fits_the_viewport(page)


def test_the_report_leads_with_what_to_do_and_its_chart_reads_on_a_phone(
    new_page: Callable[..., Page], demo_technician: User
):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_in(page, "technician")
    report = Assessment.objects.submitted().get(user=demo_technician)
    page.goto(f"/assessments/{report.pk}/report/")

    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings.index(next(h for h in headings if h.startswith("Close these first"))) < (
        headings.index("Target and self level by group")
    )
    sizes = page.locator("svg.bar-chart text").evaluate_all(
        "texts => texts.map(t => t.getBoundingClientRect().height)"
    )
    # A glyph box is about 1.2 font sizes high: 12 px text is at least 14 px high.
    assert sizes and min(sizes) >= 14, min(sizes)
    assert fits_the_viewport(page)
    first = page.locator("li.gap").first
    first.get_by_text("How this is worked out").click()
    expect(first.get_by_text(re.compile(r"gap \d+; weight"))).to_be_visible()
