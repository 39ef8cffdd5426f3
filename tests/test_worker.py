"""The task worker as production runs it: a `manage.py db_worker` process beside gunicorn.

A manager asks for a full export over HTTP; the request returns at once, the worker
builds the file, the status page turns to "Ready" and the download is the workbook.
An import queued with `enqueue_import` runs in the same worker, which then stops cleanly.
A worker killed mid-export: the export shows as failed once the worker's heartbeat is
older than the lease, the manager asks again, and a restarted worker builds it.
"""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest

from tests.live import ROOT, gunicorn, manage, own_database, production_env, query, signed_in

SETUP = """
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from teams.demo import demo_team_create
call_command("load_default_data", verbosity=0)
boss = User.objects.create_user("boss", password="boss-password-123")
boss.groups.add(Group.objects.get(name="manager"))
technician = User.objects.create_user("tech")
team = demo_team_create(manager=boss, technician=technician, occupation_code="3512.4")
print(team.pk)
"""
BIG_TEAM = """
from django.contrib.auth.models import User
from teams.models import Team
from taxonomy.models import Occupation
from tests.teams.conftest import crowd
team = Team.objects.create(name="Big", occupation=Occupation.objects.get(code="3512.4"))
team.managers.add(User.objects.get(username="boss"))
crowd(team, 100)  # 8,000 ratings: a workbook that takes the worker a few seconds
print(team.pk)
"""
HEARTBEATS = "SELECT worker_id, seen_at FROM config_workerheartbeat"
EXPORT_TASKS = """
SELECT status, traceback FROM django_tasks_database_dbtaskresult
WHERE task_path = 'teams.tasks.team_export_build' ORDER BY enqueued_at
"""
IMPORT_RUNS = """
from taxonomy.models import ImportRun
import json
runs = ImportRun.objects.filter(command="import_crosswalk").values_list("summary", flat=True)
print(json.dumps(list(runs)))
"""


@dataclass
class App:
    """gunicorn and task workers against a database of their own, with a short lease."""

    base: str
    env: dict[str, str]
    database: str
    team: int
    log: Path
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen:
        with self.log.open("a") as log:
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--interval=0.2", "--no-startup-delay"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.workers.append(worker)
        return worker


@pytest.fixture
def app(tmp_path) -> Iterator[App]:
    with own_database(tmp_path, "worker") as database:
        # A heartbeat every second, dead after three: a killed worker shows in seconds.
        env = {**production_env(database), "TASK_HEARTBEAT_SECONDS": "1", "TASK_LEASE_SECONDS": "3"}
        manage(env, "migrate", "--no-input", "-v0")
        team = int(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
        log = tmp_path / "worker.log"
        log.touch()
        with gunicorn(env) as base:
            app = App(base, env, database, team, log)
            try:
                app.start_worker()
                yield app
            finally:
                for worker in app.workers:
                    if worker.poll() is None:
                        worker.kill()
                        worker.wait()
                print(log.read_text()[-3000:])  # shown when the test fails


def wait_for(check, what: str, seconds: float = 60, every: float = 0.2):
    deadline = time.monotonic() + seconds
    while (value := check()) is None:
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(every)
    return value


def test_the_worker_builds_an_export_and_runs_a_queued_import(app):
    base, worker = app.base, app.workers[0]
    opener, token = signed_in(base, "boss", "boss-password-123")
    exports = f"{base}/assessments/teams/{app.team}/exports/"

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
    manage(app.env, "enqueue_import", "import_crosswalk", str(csv), "--release", "Queued")
    runs = wait_for(
        lambda: json.loads(manage(app.env, "shell", "-c", IMPORT_RUNS).splitlines()[-1]) or None,
        "the queued import",
    )
    assert runs[0].startswith("Queued (BLS ISCO-08 -> SOC 2010): crosswalk pairs:")

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    assert query(app.database, "SELECT * FROM config_workerheartbeat") == []  # gone with it


def test_a_killed_workers_export_fails_within_the_lease_and_a_restarted_worker_builds_the_next(
    app,
):
    first = wait_for(lambda: query(app.database, HEARTBEATS) or None, "the worker's heartbeat")
    wait_for(lambda: query(app.database, HEARTBEATS) != first or None, "the next beat", seconds=10)
    big = int(manage(app.env, "shell", "-c", BIG_TEAM).strip().splitlines()[-1])
    opener, token = signed_in(app.base, "boss", "boss-password-123")
    exports = f"{app.base}/assessments/teams/{big}/exports/"

    def ask(fmt: str) -> str:
        body = urllib.parse.urlencode({"format": fmt, "csrfmiddlewaretoken": token}).encode()
        with opener.open(urllib.request.Request(exports, data=body), timeout=10) as response:
            return response.url  # the export's page, after the redirect

    def page(url: str) -> str:
        with opener.open(url, timeout=10) as response:
            return response.read().decode()

    def task_status(index: int) -> str:
        return query(app.database, EXPORT_TASKS)[index][0]

    def started(index: int) -> str | None:
        status = task_status(index)
        return None if status == "READY" else status

    def ready(url: str) -> str | None:
        html = page(url)
        return html if "Ready:" in html else None

    worker = app.workers[0]
    for _ in range(3):
        status_url = ask("xlsx")
        killed = len(query(app.database, EXPORT_TASKS)) - 1
        # Polled often, so the worker is killed early in the build.
        if wait_for(lambda: started(killed), "the build", every=0.02) == "RUNNING":  # noqa: B023
            worker.kill()
            worker.wait(timeout=10)
            if task_status(killed) == "RUNNING":
                break
        if worker.poll() is not None:  # it finished the export just before the kill
            worker = app.start_worker()
    else:
        pytest.fail("the worker finished every export before it could be killed")

    killed_at = time.monotonic()
    wait_for(
        lambda: "This export failed." in page(status_url) or None,
        "the export to show as failed",
        seconds=15,
    )
    assert time.monotonic() - killed_at < 10
    listed = page(exports)  # newest first: the killed one leads
    assert re.search(r'<td data-label="Status">(.*?)</td>', listed)[1] == (
        '<span class="error">Failed</span>'
    )

    again = ask("csv")
    assert again.startswith(exports) and again != status_url
    worker = app.start_worker()
    html = wait_for(lambda: ready(again), "the new export", seconds=120)
    assert "Ready: 8000 ratings" in html
    status, traceback = query(app.database, EXPORT_TASKS)[killed]
    assert status == "FAILED" and "The worker running this task stopped responding" in traceback

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    assert query(app.database, HEARTBEATS) == []  # the killed worker's went when it was reaped
