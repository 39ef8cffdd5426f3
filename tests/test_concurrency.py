"""Concurrent autosave through a real server: 8 threads x 200 rating changes, nothing lost.

The app runs under gunicorn (several worker processes) on loopback, against a database of
its own: a SQLite file by default, a fresh PostgreSQL database when DATABASE_URL points at
PostgreSQL (as in CI). Every change goes through the real view with its session and CSRF
token, as one page's overlapping saves (one client, one count). A change answered 200 was
stored; one overtaken by a later change of the page is answered 409 and never "Saved".
Afterwards each rating must hold the change with the highest sequence number answered 200.
"""

from __future__ import annotations

import itertools
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest

from tests.live import gunicorn, manage, own_database, production_env, signed_in

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


@pytest.fixture
def server(tmp_path) -> Iterator[tuple[str, dict]]:
    with own_database(tmp_path, "concurrency") as database:
        env = production_env(database)
        manage(env, "migrate", "--no-input", "-v0")
        made = json.loads(manage(env, "shell", "-c", SETUP).strip().splitlines()[-1])
        with gunicorn(env) as base:
            yield base, {**made, "env": env}


def test_eight_threads_of_autosaves_lose_nothing(server):
    base, made = server
    url = f"{base}/assessments/{made['draft']}/rate/"
    competences = made["competences"][:40]  # threads overlap on the same ratings
    sequence = itertools.count(1)
    lock = threading.Lock()
    accepted: dict[int, tuple[int, int]] = {}  # competence -> (seq, level) of the latest 200
    overtaken: dict[int, int] = {}  # competence -> highest seq answered 409
    failures: list[str] = []

    def worker(number: int) -> None:
        opener, token = signed_in(base, "racer", "racing-password-1")
        for i in range(CHANGES):
            competence = competences[(number * 7 + i) % len(competences)]
            level = (number + i) % 5
            with lock:
                seq = next(sequence)
            body = urllib.parse.urlencode(
                {f"c-{competence}": level, "client": "racer-page", "seq": seq}
            ).encode()
            request = urllib.request.Request(
                url, data=body, headers={"HX-Request": "true", "X-CSRFToken": token}
            )
            try:
                with opener.open(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            if status == 409:
                with lock:
                    overtaken[competence] = max(seq, overtaken.get(competence, 0))
                continue
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
    # A change is only refused when a later one of the same page had been stored.
    assert all(seq < accepted[competence][0] for competence, seq in overtaken.items())
