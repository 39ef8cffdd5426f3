"""A browser signs in through the company's identity provider (a real one on loopback:
django-oauth-toolkit in OIDC mode, tests/idp) and out again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import fits_the_viewport
from tests.browser.test_accessibility import violations
from tests.idp import PEOPLE, running_idp
from tests.live import free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def idp(tmp_path_factory):
    with running_idp(tmp_path_factory.mktemp("idp"), free_port()) as idp:
        yield idp


@pytest.fixture
def sso(settings, idp, default_data):
    settings.OIDC_ISSUER = idp.issuer
    settings.OIDC_RP_CLIENT_ID = idp.client_id
    settings.OIDC_RP_CLIENT_SECRET = idp.client_secret
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_ROLE_MAP = {"gapwise-managers": "manager"}
    # What config/settings.py adds when OIDC_ISSUER is set at start-up.
    origin = idp.issuer.rsplit("/", 1)[0]
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "form-action": [*settings.SECURE_CSP["form-action"], origin],
    }
    return idp


def watch_csp(page: Page) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return violations


def test_a_person_signs_in_through_the_identity_provider_and_out_again(page: Page, sso):
    violations = watch_csp(page)
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()

    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Provider username").fill("dana")
    page.get_by_label("Provider password").fill(PEOPLE[0]["password"])
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="My assessments")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out (dana)")).to_be_visible()

    page.get_by_role("button", name="Sign out (dana)").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # The provider's session ended too: single sign-on asks for the password again.
    page.get_by_role("link", name="Sign in with single sign-on").click()
    expect(page.get_by_label("Provider username")).to_be_visible()
    assert violations == []


def test_a_refusal_is_explained_on_the_sign_in_page(page: Page, sso, alice):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    page.get_by_label("Provider username").fill("eve")
    page.get_by_label("Provider password").fill(PEOPLE[1]["password"])
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("has not verified alice@example.com")


def test_the_sign_in_page_with_single_sign_on_fits_a_phone_and_the_keyboard(
    new_page: Callable[..., Page], sso
):
    page = new_page(viewport={"width": 360, "height": 740})
    page.goto("/accounts/login/")

    assert fits_the_viewport(page)
    page.keyboard.press("Tab")  # the skip link first
    link = page.get_by_role("link", name="Sign in with single sign-on")
    for _ in range(10):
        page.keyboard.press("Tab")
        if link.evaluate("element => element === document.activeElement"):
            break
    expect(link).to_be_focused()


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_the_sign_in_page_with_single_sign_on_has_no_accessibility_violation(
    new_page: Callable[..., Page], sso, width: int, height: int
):
    page = new_page(viewport={"width": width, "height": height})
    page.goto("/accounts/login/")
    expect(page.get_by_role("link", name="Sign in with single sign-on")).to_be_visible()

    assert violations(page) == []
