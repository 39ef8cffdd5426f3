"""axe-core on every page each role reaches, on a desktop and a phone, with the demo data and
with hostile labels: WCAG 2.2 AA, axe's default rules (best practices included) and the
WCAG 2.2 rules axe leaves off by default. Any violation fails, named with its elements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page

from assessments.models import Assessment
from taxonomy.models import Competence, Occupation, Release
from taxonomy.seed import profile_import
from teams.models import Membership, ReviewCycle, Team
from teams.services import assignment_excuse, cycle_create
from tests.assessments.conftest import submitted
from tests.browser.conftest import sign_in
from tests.teams.conftest import AFTER, BEFORE, DESK, levels

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
OPTIONS = {
    "resultTypes": ["violations"],
    # Off by default in axe 4.12, and part of WCAG 2.2 AA (2.5.8 Target Size, Minimum).
    "rules": {"target-size": {"enabled": True}},
}
HOSTILE = '<img src=x onerror="alert(1)"> «Ünïcødé» & "quotes" averyverylongwordwithoutabreak'

axe = Axe()


def violations(page: Page) -> list[str]:
    results = axe.run(page, options=OPTIONS).response["violations"]
    return [
        f"{page.url} {v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in results
    ]


def technician_pages(technician: User) -> list[str]:
    draft = Assessment.objects.drafts().get(user=technician)
    done = Assessment.objects.submitted().filter(user=technician).latest("submitted_at")
    return [
        "/assessments/",
        f"/assessments/{draft.pk}/rate/",
        f"/assessments/{draft.pk}/rate/?step=3",
        f"/assessments/{draft.pk}/rate/?step=1&left=1",
        f"/assessments/{draft.pk}/submit/",
        f"/assessments/{done.pk}/report/",
        "/occupations/",
        "/occupations/?q=network",
        "/occupations/3512.4/",
        "/groups/351/",
        "/about/",
        "/accounts/password/",
        "/accounts/tokens/",
        "/api/docs",
        "/assessments/teams/email/",
        "/no-such-page/",
    ]


def manager_pages() -> list[str]:
    team = Team.objects.get(name="ICT support")
    member = team.memberships.first().user
    latest = Assessment.objects.submitted().filter(user=member).latest("submitted_at")
    return [
        "/assessments/teams/",
        f"/assessments/teams/{team.pk}/",
        f"/assessments/teams/{team.pk}/?sort=-readiness",
        f"/assessments/teams/{team.pk}/review/{latest.pk}/",
        f"/assessments/teams/{team.pk}/review/{latest.pk}/?show=all",
        f"/assessments/teams/{team.pk}/exports/",
        *cycle_pages(team),
    ]


def cycle_pages(team: Team) -> list[str]:
    """The team's open review cycle (the demo data opens one; else one is opened here), a
    member excused with a hostile reason: the form, board, excuse, close."""
    manager = team.managers.get()
    today = timezone.localdate()
    cycle = team.cycles.filter(status=ReviewCycle.Status.OPEN).first() or cycle_create(
        team=team,
        name="2027 Q1 skills review",
        opens_on=today,
        self_due=today + timedelta(days=10),
        review_due=today + timedelta(days=20),
        by=manager,
    )
    first, second = cycle.assignments.waiting().order_by("pk")[:2]
    assignment_excuse(assignment=first, by=manager, reason=HOSTILE)
    base = f"/assessments/teams/{team.pk}/cycles"
    return [
        f"{base}/new/",
        f"{base}/{cycle.pk}/",
        f"{base}/{cycle.pk}/?b-sort=-done&b-state=not-started",
        f"{base}/{cycle.pk}/excuse/{second.pk}/",
        f"{base}/{cycle.pk}/close/",
    ]


def admin_pages() -> list[str]:
    technician = Occupation.objects.get(code="3512.4")
    return [
        "/admin/",
        "/admin/taxonomy/occupation/",
        f"/admin/taxonomy/occupation/{technician.pk}/change/",  # the profile inline
        "/admin/taxonomy/competence/",
        f"/admin/taxonomy/release/{Release.objects.get(name='ESCO v1.1.1').pk}/change/",
        "/admin/taxonomy/releasechange/?q=ICT",
        "/admin/identity/scimtoken/",
        "/admin/identity/scimtoken/add/",
        "/admin/identity/scimrequest/",
        "/admin/api/apitoken/",
        "/admin/api/apitoken/add/",
    ]


def check(page: Page, paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status in (200, 404), path
        found += violations(page)
    return found


def make_hostile() -> None:
    """Labels a hostile or careless admin could type, where pages show them."""
    occupation = Occupation.objects.get(code="3512.4")
    Occupation.objects.filter(pk=occupation.pk).update(title=f"ICT technician {HOSTILE}")
    first = occupation.requirements.order_by("competence__title").first().competence
    Competence.objects.filter(pk=first.pk).update(title=HOSTILE, description=HOSTILE)
    Team.objects.filter(name="ICT support").update(name=f"ICT support {HOSTILE}")


@pytest.mark.parametrize("labels", ["demo", "hostile"])
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_no_page_a_role_reaches_has_an_accessibility_violation(
    new_page: Callable[..., Page], demo_technician: User, viewport: str, labels: str
):
    width, height = VIEWPORTS[viewport]
    team_pages = manager_pages()  # before the team's name changes
    if labels == "hostile":
        make_hostile()
    found = []
    for username, paths in (
        ("technician", technician_pages(demo_technician)),
        ("manager", team_pages),
        ("admin", admin_pages()),
    ):
        page = new_page(viewport={"width": width, "height": height})
        found += check(page, ["/accounts/login/"])  # signed out
        sign_in(page, username)
        found += check(page, paths)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_team_report_across_two_releases(
    new_page: Callable[..., Page], demo_technician: User, viewport: str
):
    """Members assessed against two releases of a profile: each one's named, the competences
    the releases do not share listed apart (the small fixture of the team report's tests)."""
    profile_import(occupation=DESK, lines=BEFORE, release_name="Desk profile v1.0")
    occupation = Occupation.objects.get(code=DESK["code"])
    submitted(demo_technician, occupation, levels(occupation))
    profile_import(occupation=DESK, lines=AFTER, release_name=f"Desk profile v1.1 {HOSTILE}")
    occupation.refresh_from_db()
    other = User.objects.create_user("dana", first_name=HOSTILE)
    submitted(other, occupation, levels(occupation, F=1))
    team = Team.objects.create(name="Desk", occupation=occupation)
    team.managers.add(User.objects.get(username="manager"))
    for user in (demo_technician, other):
        Membership.objects.create(team=team, user=user)
    width, height = VIEWPORTS[viewport]
    page = new_page(viewport={"width": width, "height": height})
    sign_in(page, "manager")

    found = check(page, [team.get_absolute_url()])

    assert page.get_by_text("added in Desk profile v1.1").count() == 1
    assert not found, "\n".join(found)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_token_page_showing_a_new_token_and_a_form_error(
    new_page: Callable[..., Page], demo_technician: User, viewport: str
):
    width, height = VIEWPORTS[viewport]
    page = new_page(viewport={"width": width, "height": height})
    sign_in(page, "technician")
    page.goto("/accounts/tokens/")
    page.get_by_label("What is it for?").fill(HOSTILE)
    page.get_by_role("button", name="Make the token").click()
    assert page.get_by_role("textbox", name="Token").input_value().startswith("gwa_")
    found = violations(page)
    page.get_by_role("button", name="Make the token").click()  # no name: the error
    assert page.get_by_role("alert").count() >= 1
    found += violations(page)
    assert not found, "\n".join(found)
