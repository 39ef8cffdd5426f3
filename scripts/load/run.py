"""`make load`: 50 technicians for 60 seconds against gunicorn on loopback, then a check.

Two scenarios: `technicians` (the default) and `hammer`, the same with the full ESCO v1.1.1
loaded while one more person fires searches from eight tabs at once (the rate limit and
gunicorn's threads must keep everyone else's autosave p99 under 100 ms).

Sets up a database of its own (a new SQLite file, or the empty one --database-url names),
shares the rate-limit counts between the app's processes through Redis as production should
(REDIS_URL, else database 14 of a Redis on loopback when one answers),
the default taxonomy and 50 accounts; starts the app as `make serve` does;
runs Locust headless (users arrive over ten seconds; the figures count from when all are
in); prints requests/s, p50/p95/p99 per endpoint and the errors; then
checks that every autosave the server accepted is in the database. Exits 1 when a target
is missed: no errors, no lost rating, autosave p99 < 100 ms, pages p99 < 300 ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SETUP = """
from django.contrib.auth.models import Group, User
from django.contrib.auth.hashers import make_password
password = make_password("load-test-password-1")
users = User.objects.bulk_create(
    User(username=f"load-user-{{i}}", password=password) for i in range(1, {users} + 1)
)
hammer = User.objects.create(username="load-hammer", password=password)
Group.objects.get(name="technician").user_set.add(*users, hammer)
"""
STORED = """
import json
from assessments.models import Rating
rows = Rating.objects.filter(assessment__user__username__startswith="load-user-").values_list(
    "assessment__user__username", "competence_id", "answered", "level", "seq"
)
print(json.dumps([list(row) for row in rows]))
"""
TARGETS_MS = {"autosave": 100}
# Figures that are not pages a technician waits for: signing in is slow on purpose (Argon2),
# and the hammer's searches are the load itself.
UNTIMED = {
    "Aggregated",
    "sign in",
    "sign in (page)",
    "start or resume",
    "hammer sign in",
    "hammer sign in (page)",
    "hammer search",
}
ESCO = ROOT.parent / "shared" / "data" / "esco-v1.1.1"
PAGE_TARGET_MS = 300


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_counts() -> str:
    """The Redis the app's processes count rate limits in, emptied; "" when none answers."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.ConnectionError:
        print(f"No Redis at {url}: each app process counts the rate limits on its own.")
        return ""
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="Simulated users.")
    parser.add_argument("--seconds", type=int, default=60, help="Length of the run.")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes.")
    parser.add_argument(
        "--scenario",
        choices=["technicians", "hammer"],
        default="technicians",
        help="technicians: the users rate, read and search. hammer: the same, with the full "
        "ESCO v1.1.1 loaded, while one more user fires searches from eight tabs at once.",
    )
    parser.add_argument(
        "--database-url",
        help="An empty database for the run, e.g. postgres://postgres@127.0.0.1:5432/load "
        "(it gets written to); default: a new SQLite file in a temporary directory.",
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="gapwise-load-"))
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir}/load.sqlite3",
        "DEBUG": "0",
        "HTTPS": "0",
        "SECRET_KEY": "load-test-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GAPWISE_EXPECTED": str(workdir / "accepted.json"),
        "REDIS_URL": shared_counts(),
    }
    print(f"Setting up {env['DATABASE_URL']} ...", flush=True)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "collectstatic", "--no-input", "-v0")
    manage(env, "load_default_data", "-v0")
    if args.scenario == "hammer":
        manage(env, "import_esco", *map(str, sorted(ESCO.glob("*.zip"))), "-v0")
    manage(env, "shell", "-c", SETUP.format(users=args.users))
    classes = ["Technician", "SearchHammer"] if args.scenario == "hammer" else ["Technician"]
    users = args.users + (8 if args.scenario == "hammer" else 0)

    port = free_port()
    host = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            BIN / "gunicorn",
            *("-c", "python:config.gunicorn"),
            *("--workers", str(args.workers)),
            *("--bind", host[7:]),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{host}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        print(
            f"Locust, {args.scenario}: {users} users for {args.seconds} s against {host}",
            flush=True,
        )
        subprocess.run(
            [
                BIN / "locust",
                "-f",
                str(ROOT / "scripts" / "load" / "locustfile.py"),
                "--headless",
                "--only-summary",
                "--users",
                str(users),
                # Arrivals over ten seconds, and figures from when all are in: signing in
                # is Argon2, slow on purpose, and a burst of 50 would swamp two cores.
                "--spawn-rate",
                str(max(1, args.users // 10)),
                "--reset-stats",
                "--run-time",
                f"{args.seconds}s",
                "--host",
                host,
                "--csv",
                str(workdir / "stats"),
                *classes,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=args.seconds + 120,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return report(workdir, env)


def report(workdir: Path, env: dict[str, str]) -> int:
    with open(workdir / "stats_stats.csv") as f:
        rows = list(csv.DictReader(f))
    ok = True
    print(
        f"{'endpoint':<22} {'requests':>8} {'errors':>6} {'req/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  target"
    )
    for row in rows:
        name = row["Name"]
        p99 = float(row["99%"]) if row["99%"] != "N/A" else 0.0  # no request after the reset
        target = "" if name in UNTIMED else (TARGETS_MS.get(name, PAGE_TARGET_MS))
        missed = target != "" and p99 >= target
        ok &= not missed and int(row["Failure Count"]) == 0
        print(
            f"{name:<22} {row['Request Count']:>8} {row['Failure Count']:>6} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
            f"  {f'< {target}' if target != '' else ''}{'  MISSED' if missed else ''}"
        )
    expected = json.loads((workdir / "accepted.json").read_text())
    stored = {
        (user, str(competence)): (seq, level)
        for user, competence, answered, level, seq in json.loads(
            manage(env, "shell", "-c", STORED).splitlines()[-1]
        )
        if answered
    }
    wanted = {
        (user, competence): [tuple(value) if value else None for value in values]
        for user, ratings in expected.items()
        for competence, values in ratings.items()
    }
    lost = [key for key, values in wanted.items() if stored.get(key) not in values]
    print(f"accepted autosaves checked: {len(wanted)} ratings, lost or wrong: {len(lost)}")
    ok &= not lost and bool(wanted)
    print("all targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
