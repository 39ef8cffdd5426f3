"""A review cycle end to end, in a real browser, with a real SMTP server on loopback and
the task worker: the manager opens a cycle for a team of three, members follow the e-mail's
link, one updates last round's ratings and submits, the manager reviews, the member hears
of it, and reminders past the due date, run twice, send one overdue e-mail per member."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from assessments.models import Assessment, Rating
from assessments.services import Answer, assessment_start, assessment_submit, ratings_save
from taxonomy.models import Occupation
from teams.models import Membership, ReviewCycle, Team
from tests.browser.conftest import PASSWORD, sign_in
from tests.conftest import in_role
from tests.live import free_port
from tests.teams import conftest

pytestmark = pytest.mark.browser


class Inbox(conftest.Inbox):
    def link(self, address: str, subject_start: str) -> str:
        message = next(m for m in self.to(address) if m["Subject"].startswith(subject_start))
        text = message.get_body(("plain",)).get_content()
        return re.search(r"https?://\S+", text)[0]


@pytest.fixture
def inbox(settings, live_server):
    box = Inbox()
    port = free_port()
    smtp = Controller(box, hostname="127.0.0.1", port=port)
    smtp.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    settings.SITE_URL = live_server.url
    yield box
    smtp.stop()


@pytest.fixture
def team_of_three(alice) -> Team:
    """Mia's team: alice, with an assessment from three months ago at level 2, bob and cy."""
    occupation = Occupation.objects.get(code="3512.4")
    mia = in_role(User.objects.create_user("mia", "mia@example.com", PASSWORD), "manager")
    team = Team.objects.create(name="Service desk", occupation=occupation)
    team.managers.add(mia)
    for user in (
        alice,
        in_role(User.objects.create_user("bob", "bob@example.com", PASSWORD)),
        in_role(User.objects.create_user("cy", "cy@example.com", PASSWORD)),
    ):
        Membership.objects.create(team=team, user=user)
    ids = occupation.requirements.values_list("competence_id", flat=True)
    first = assessment_start(user=alice, occupation=occupation)
    ratings_save(assessment=first, answers=[Answer(c, True, 2, "", "") for c in ids])
    assessment_submit(assessment=first, user=alice)
    moment = timezone.now() - timedelta(days=90)
    Assessment.objects.filter(pk=first.pk).update(submitted_at=moment)
    Rating.objects.filter(assessment=first).update(rated_at=moment)
    return team


def send_reminders(day) -> None:
    call_command("send_reminders", f"--today={day.isoformat()}", stdout=StringIO())


def follow(page: Page, link: str, username: str) -> None:
    """Open an e-mail's link signed out: sign in, and land on the page it names."""
    page.goto(link)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(link)


def board_state(page: Page, member: str) -> str:
    row = page.locator("#board tbody tr", has=page.get_by_text(member, exact=True))
    return row.locator('td[data-label="Status"]').inner_text()


def test_a_review_cycle_from_opening_to_overdue(
    new_page: Callable[..., Page], team_of_three: Team, inbox: Inbox, run_worker
):
    team, today = team_of_three, timezone.localdate()
    manager = new_page()
    sign_in(manager, "mia", PASSWORD)
    manager.goto(team.get_absolute_url())
    manager.get_by_role("link", name="Open a review cycle").click()
    manager.get_by_label("Name").fill("2027 Q1 skills review")
    manager.get_by_label("Self-assessment due").fill((today + timedelta(days=7)).isoformat())
    manager.get_by_label("Review due").fill((today + timedelta(days=14)).isoformat())
    manager.get_by_role("button", name="Open the cycle").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("2027 Q1 skills review")
    expect(manager.get_by_text("being prepared by the task worker")).to_be_visible()
    assert inbox.messages == []  # nothing sent inside the request

    run_worker()  # the members' drafts, then the e-mails
    expect(manager.locator("#board tbody tr")).to_have_count(3)  # the page refreshed itself
    for member in ("alice", "bob", "cy"):
        assert board_state(manager, member) == "Not started"
    for member in ("alice", "bob", "cy"):
        assert [m["Subject"] for m in inbox.to(f"{member}@example.com")] == [
            f"Skills review opened: 2027 Q1 skills review, due "
            f"{today + timedelta(days=7):%-d %B %Y}"
        ]
    for member in ("bob", "cy"):
        follow(new_page(), inbox.link(f"{member}@example.com", "Skills review opened"), member)

    # Alice follows her link to last round's ratings, changes five, confirms the rest.
    page = new_page()
    follow(page, inbox.link("alice@example.com", "Skills review opened"), "alice")
    expect(page.get_by_text("Carried over, still to confirm or change: 80.")).to_be_visible()
    changed = 0
    while True:
        groups = page.locator("fieldset[data-autosave]")
        picks = [0, groups.count() - 1] if changed < 4 else [0]
        for index in picks[: 5 - changed]:
            group = groups.nth(index)
            group.get_by_text("Proficient", exact=True).click()
            expect(group.locator(".save-status")).to_have_text("Saved")
            changed += 1
        page.get_by_role("button", name=re.compile("^All still accurate")).click()
        expect(page.locator("p.carry.to-confirm")).to_have_count(0)
        next_step = page.get_by_role("button", name=re.compile("^Next: "))
        if next_step.inner_text() == "Next: review and submit":
            break
        next_step.click()
    assert changed == 5
    next_step.click()
    page.get_by_role("button", name="Submit and see my gap report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Gap report")

    # The day's schedule: the manager's digest of what was submitted.
    send_reminders(today)
    digest = inbox.to("mia@example.com")
    assert [m["Subject"] for m in digest] == ["Submitted for your review: 2027 Q1 skills review"]
    assert "alice" in digest[0].get_body(("plain",)).get_content()

    manager.reload()
    assert board_state(manager, "alice") == "Submitted"
    manager.get_by_role("link", name="Review alice").click()
    manager.get_by_role("button", name=re.compile(r"^Accept the rest as rated")).click()
    manager.get_by_role("button", name="Save and mark the review done").click()
    run_worker()
    link = inbox.link("alice@example.com", "Your manager reviewed")
    page.goto(link)
    expect(page.get_by_role("heading", name="Your manager's review")).to_be_visible()

    # Time passes: the self-assessment was due yesterday. The schedule runs twice.
    cycle = ReviewCycle.objects.get()
    ReviewCycle.objects.filter(pk=cycle.pk).update(
        opens_on=today - timedelta(days=8), self_due=today - timedelta(days=1)
    )
    send_reminders(today)
    send_reminders(today)
    for member, expected in (("alice", 0), ("bob", 1), ("cy", 1)):
        overdue = [
            m for m in inbox.to(f"{member}@example.com") if "overdue" in m["Subject"].lower()
        ]
        assert len(overdue) == expected, member
    manager.goto(cycle.get_absolute_url())
    assert board_state(manager, "alice") == "Reviewed"
    assert board_state(manager, "bob") == "Overdue"
    assert board_state(manager, "cy") == "Overdue"
