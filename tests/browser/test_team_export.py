"""A full team export in a real browser: asked for, built by the worker, downloaded."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def ask_for_a_csv_export(page: Page) -> None:
    sign_in(page, "manager")
    page.get_by_role("link", name="My teams").click()
    page.get_by_role("link", name="ICT support").click()
    page.get_by_role("link", name="Full export").click()
    page.get_by_label("CSV: every rating").check()
    page.get_by_role("button", name="Prepare the export").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Export of ICT support"))).to_be_visible()


def downloaded_rows(page: Page) -> list[dict[str, str]]:
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(text.splitlines()))


def test_the_page_turns_to_ready_by_itself_when_the_worker_is_done(
    page: Page, demo_technician, run_worker
):
    violations: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    ask_for_a_csv_export(page)
    status = page.get_by_role("status")
    expect(status).to_contain_text("Waiting for the task worker to start it.")

    run_worker()
    # No reload: htmx asks again every 2 s and swaps the status in.
    expect(status).to_contain_text("Ready: 560 ratings", timeout=10_000)
    rows = downloaded_rows(page)
    assert len(rows) == 560  # 7 assessed members x 80 competences
    assert {row["Member"] for row in rows} >= {"Amira Haddad", "Björn Larsen"}
    assert violations == []


def test_without_javascript_check_again_shows_it_ready(
    new_page: Callable[..., Page], demo_technician, run_worker
):
    page = new_page(java_script_enabled=False)
    ask_for_a_csv_export(page)
    run_worker()
    page.get_by_role("link", name="check again").click()
    expect(page.get_by_role("status")).to_contain_text("Ready: 560 ratings")
    assert len(downloaded_rows(page)) == 560
