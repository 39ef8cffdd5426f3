"""The task worker as production runs it: a `manage.py db_worker` process beside gunicorn.

A manager asks for a full export over HTTP; the request returns at once, the worker
builds the file, the status page turns to "Ready" and the download is the workbook.
An import queued with `enqueue_import` runs in the same worker, which then stops cleanly.
"""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator

import openpyxl
import pytest

from tests.live import ROOT, gunicorn, manage, own_database, production_env, signed_in

SETUP = """
from django.contrib.auth.models import User
from django.core.management import call_command
from assessments.services import demo_team_create
call_command("load_default_data", verbosity=0)
boss = User.objects.create_user("boss", password="boss-password-123")
technician = User.objects.create_user("tech")
team = demo_team_create(manager=boss, technician=technician, occupation_code="3512.4")
print(team.pk)
"""
IMPORT_RUNS = """
from taxonomy.models import ImportRun
import json
runs = ImportRun.objects.filter(command="import_crosswalk").values_list("summary", flat=True)
print(json.dumps(list(runs)))
"""


@pytest.fixture
def app(tmp_path) -> Iterator[tuple[str, dict, subprocess.Popen]]:
    with own_database(tmp_path, "worker") as database:
        env = production_env(database)
        manage(env, "migrate", "--no-input", "-v0")
        team = int(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
        log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            with gunicorn(env) as base:
                yield base, {"env": env, "team": team}, worker
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            log.close()
            print((tmp_path / "worker.log").read_text()[-3000:])  # shown when the test fails


def wait_for(check, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while (value := check()) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.2)
    return value


def test_the_worker_builds_an_export_and_runs_a_queued_import(app):
    base, made, worker = app
    opener, token = signed_in(base, "boss", "boss-password-123")
    exports = f"{base}/assessments/teams/{made['team']}/exports/"

    body = urllib.parse.urlencode({"format": "xlsx", "csrfmiddlewaretoken": token}).encode()
    with opener.open(urllib.request.Request(exports, data=body), timeout=10) as response:
        status_url = response.url  # after the redirect to the export's page
        assert "Export of ICT support" in response.read().decode()
    assert status_url.startswith(exports) and status_url != exports

    def ready() -> str | None:
        with opener.open(status_url, timeout=10) as response:
            html = response.read().decode()
        return html if "Ready:" in html else None

    html = wait_for(ready, "the export")
    assert "Ready: 480 ratings" in html  # 6 assessed members x 80 competences
    with opener.open(f"{status_url}download/", timeout=10) as response:
        book = openpyxl.load_workbook(io.BytesIO(response.read()))
    assert book.sheetnames == ["Members", "Competences 3512.4", "Ratings"]
    assert book["Ratings"].max_row == 1 + 480

    csv = ROOT / "taxonomy" / "data" / "crosswalks" / "isco08_to_soc2010.csv"
    manage(made["env"], "enqueue_import", "import_crosswalk", str(csv), "--release", "Queued")
    runs = wait_for(
        lambda: (
            json.loads(manage(made["env"], "shell", "-c", IMPORT_RUNS).splitlines()[-1]) or None
        ),
        "the queued import",
    )
    assert runs[0].startswith("Queued (BLS ISCO-08 -> SOC 2010): crosswalk pairs:")

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
