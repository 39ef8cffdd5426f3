from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from teams.demo import DEMO_ACCOUNTS
from tests.conftest import in_role, reload_default_data

PASSWORD = "a-long-password-1"
DEMO_PASSWORDS = {username: password for username, password, *_ in DEMO_ACCOUNTS}
# Short enough that a hang fails the test quickly, long enough for a cold page load.
TIMEOUT_MS = 10_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str | None:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed (apt-get install chromium): CI must run them")
        pytest.skip("Chromium is not installed (apt-get install chromium): browser tests skipped")
    with pytest.MonkeyPatch.context() as mp:
        # The sync API runs an event loop in this thread; without this Django's ORM refuses
        # to run in the test (fixtures creating users, assertions on the database).
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()


@pytest.fixture
def default_data(live_server) -> None:
    # live_server makes the test transactional, and a transactional test empties the database
    # when it ends. (serialized_rollback cannot help: once Playwright marks an event loop as
    # running in this thread, Django hands out new connection objects without the data.)
    reload_default_data()


@pytest.fixture
def alice(default_data) -> User:
    return in_role(User.objects.create_user("alice", "alice@example.com", PASSWORD))


@pytest.fixture
def demo_technician(default_data) -> User:
    """The demo technician of `make run`: a submitted assessment and a half-finished draft."""
    with override_settings(DEBUG=True):  # --demo is refused otherwise
        call_command("load_default_data", "--demo", verbosity=0, stdout=io.StringIO())
    return User.objects.get(username="technician")


@pytest.fixture
def new_page(browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context; keyword arguments go to new_context()."""
    contexts: list[BrowserContext] = []

    def new_page(**options) -> Page:
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


def fits_the_viewport(page: Page) -> bool:
    """The page does not scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(page: Page, username: str, password: str | None = None) -> None:
    """Sign in from the home page, as a demo account unless a password is given."""
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or DEMO_PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My assessments")).to_be_visible()
