"""Concurrent autosave through a real server: 8 threads x 200 rating changes, nothing lost.

The app runs under gunicorn (several worker processes) on loopback, against a database of
its own: a SQLite file by default, a fresh PostgreSQL database when DATABASE_URL points at
PostgreSQL (as in CI). Every change goes through the real view with its session and CSRF
token; afterwards each rating must hold the change with the highest sequence number.
"""

from __future__ import annotations

import http.cookiejar
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dj_database_url
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]
THREADS, CHANGES = 8, 200
SETUP = """
import json
from django.contrib.auth.models import User
from django.core.management import call_command
from assessments.services import assessment_start
from taxonomy.models import Occupation
call_command("load_default_data", verbosity=0)
user = User.objects.create_user("racer", password="racing-password-1")
occupation = Occupation.objects.get(code="3512.4")
draft = assessment_start(user=user, occupation=occupation)
ids = list(occupation.requirements.values_list("competence_id", flat=True))
print(json.dumps({"draft": draft.pk, "competences": ids}))
"""
FINAL = """
import json
from assessments.models import Rating
rows = Rating.objects.filter(assessment_id={draft}).values_list("competence_id", "level", "seq")
print(json.dumps([list(row) for row in rows]))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database(tmp_path) -> Iterator[str]:
    """A DATABASE_URL of the test's own, of the kind the suite runs on."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path}/concurrency.sqlite3"
        return
    config = dj_database_url.parse(url)
    name = f"gapwise_concurrency_{os.getpid()}"
    admin = psycopg.connect(
        host=config["HOST"],
        port=config["PORT"],
        user=config["USER"],
        password=config["PASSWORD"],
        dbname=config["NAME"],
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    yield url.rsplit("/", 1)[0] + f"/{name}"
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def server(database) -> Iterator[tuple[str, dict]]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": database,
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "concurrency-test-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "collectstatic", "--no-input", "-v0")  # the manifest DEBUG=0 pages need
    made = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "config.wsgi", "--workers", "4", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"gunicorn did not start: {process.stderr.read()[-2000:]}")
            time.sleep(0.2)
    yield base, {**made, "env": env}
    process.terminate()
    process.wait(timeout=20)


def signed_in(base: str) -> tuple[urllib.request.OpenerDirector, str]:
    """A browser-like client of its own, signed in as the racer; returns it and its token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/", timeout=10)
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode(
        {"username": "racer", "password": "racing-password-1", "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data), timeout=10)
    token = next(c.value for c in jar if c.name == "csrftoken")  # rotated at sign-in
    assert any(c.name == "sessionid" for c in jar), "sign-in failed"
    return opener, token


def test_eight_threads_of_autosaves_lose_nothing(server):
    base, made = server
    url = f"{base}/assessments/{made['draft']}/rate/"
    competences = made["competences"][:40]  # threads overlap on the same ratings
    sequence = itertools.count(1)
    lock = threading.Lock()
    accepted: dict[int, tuple[int, int]] = {}  # competence -> (seq, level) of the latest 200
    failures: list[str] = []

    def worker(number: int) -> None:
        opener, token = signed_in(base)
        for i in range(CHANGES):
            competence = competences[(number * 7 + i) % len(competences)]
            level = (number + i) % 5
            with lock:
                seq = next(sequence)
            body = urllib.parse.urlencode({f"c-{competence}": level, "seq": seq}).encode()
            request = urllib.request.Request(
                url, data=body, headers={"HX-Request": "true", "X-CSRFToken": token}
            )
            try:
                with opener.open(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            if status != 200:
                failures.append(f"thread {number}, change {i}: HTTP {status}")
                continue
            with lock:
                if seq > accepted.get(competence, (0, 0))[0]:
                    accepted[competence] = (seq, level)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert failures == []
    rows = json.loads(
        manage(made["env"], "shell", "-c", FINAL.format(draft=made["draft"])).splitlines()[-1]
    )
    stored = {competence: (seq, level) for competence, level, seq in rows}
    assert stored == accepted
    assert len(stored) == len(competences)
