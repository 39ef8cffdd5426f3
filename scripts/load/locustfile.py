"""Locust users for `make load`: technicians who sign in, rate with autosave and read reports.

Each user signs in as their own account (load-user-N, made by scripts/load/run.py), opens
their ICT technician draft and then, until the run ends, mostly autosaves ratings, now and
then reloading the rating page, opening the report preview, their assessment list or a
search. Every autosave the server accepted is remembered, and written at the end to the
file named by GAPWISE_EXPECTED, so run.py can check each one reached the database. A save
the end of the run cut off before its answer came may or may not have been stored: either
value is then right.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, constant, events, task

PASSWORD = "load-test-password-1"
# user -> competence -> the (seq, level) pairs the database may hold: the last accepted
# save, and any later one cut off before it was answered.
accepted: dict[str, dict[str, list[tuple[int, int | None] | None]]] = {}
users = itertools.count(1)


class Technician(HttpUser):
    """50 of these (--users) in every scenario."""

    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.username = f"load-user-{next(users)}"
        self.seq = itertools.count(1)
        self.client.get("/accounts/login/", name="sign in (page)")
        response = self.client.post(
            "/accounts/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": self.token},
            name="sign in",
        )
        response = self.client.post(
            "/assessments/start/",
            {"occupation": "3512.4", "csrfmiddlewaretoken": self.token},
            name="start or resume",
        )
        self.rate_url = re.search(r"/assessments/\d+/rate/", response.url)[0]
        self.report_url = self.rate_url.replace("/rate/", "/report/")
        self.competences = re.findall(r'name="c-(\d+)"', response.text)
        self.mine = accepted.setdefault(self.username, {})

    @property
    def token(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    @task(10)
    def autosave(self) -> None:
        competence = random.choice(self.competences)
        level = random.choice(["0", "1", "2", "3", "4", "dk"])
        seq = next(self.seq)
        value = (seq, None if level == "dk" else int(level))
        # Until it is answered (or if the end of the run cuts it off) the save may or may
        # not be stored: either value is then right.
        maybe = self.mine.setdefault(competence, [None])  # None: nothing stored
        maybe.append(value)
        with self.client.post(
            self.rate_url,
            {f"c-{competence}": level, "client": self.username, "seq": seq},
            headers={"HX-Request": "true", "X-CSRFToken": self.token},
            name="autosave",
            catch_response=True,
        ) as response:
            if response.status_code == 200 and "Saved" in response.text:
                response.success()
                self.mine[competence] = [value]
            elif response.status_code == 0:  # no answer: the connection was lost
                response.failure("no answer")
            else:  # refused: must not have been stored
                maybe.remove(value)
                response.failure(f"HTTP {response.status_code}")

    @task(2)
    def rating_page(self) -> None:
        self.client.get(self.rate_url, name="rating page")

    @task(2)
    def report(self) -> None:
        self.client.get(self.report_url, name="report")

    @task(1)
    def assessment_list(self) -> None:
        self.client.get("/assessments/", name="my assessments")

    @task(1)
    def search(self) -> None:
        term = random.choice(["network", "help desk", "3512", "web"])
        self.client.get("/occupations/", params={"q": term}, name="search")


@events.test_stop.add_listener
def write_expected(environment, **kwargs) -> None:
    with open(os.environ["GAPWISE_EXPECTED"], "w") as out:
        json.dump(accepted, out)


class SearchHammer(HttpUser):
    """The hammer scenario (`run.py --scenario hammer`): one person with eight browser tabs
    firing searches back to back, to show that they cannot starve everyone else. Their
    429s are the rate limit doing its work, so they count as answered."""

    fixed_count = 8
    wait_time = constant(0)
    words = ["a", "e", "technician", "manager", "data", "network", "engineer", "help desk"]

    def on_start(self) -> None:
        self.client.get("/accounts/login/", name="hammer sign in (page)")
        self.client.post(
            "/accounts/login/",
            {"username": "load-hammer", "password": PASSWORD, "csrfmiddlewaretoken": self.token},
            name="hammer sign in",
        )

    @property
    def token(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    @task
    def search(self) -> None:
        word = random.choice(self.words)
        with self.client.get(
            "/occupations/", params={"q": word}, name="hammer search", catch_response=True
        ) as response:
            if response.status_code in (200, 429):
                response.success()
            else:
                response.failure(f"HTTP {response.status_code}")
