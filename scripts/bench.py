"""`make bench`: hot paths timed against a floor measured in the same run.

Ratios, not seconds, are the figures to compare between machines. Each timing is the
best of a few runs (--repeat). This is not a test: nothing here fails on a slow machine.

ESCO import: the full ESCO v1.1.1 export (two zips) into a fresh SQLite file, against a
floor that parses the same zips with the csv module and inserts the same rows into bare
SQLite tables with executemany. Targets: first import <= 5x, re-import <= 3x.

Web: the default data and demo accounts in a fresh SQLite file; the demo technician's
rating page (80 competences), one autosave and the gap report, each served through
Django's full request cycle (test client: middleware, session, auth, templates) against a
minimal login-required view served the same way. Each figure is the median of --requests.
Then the team report for teams of 50 and 500 members, each with a submitted assessment of
the 80-competence ICT technician profile (made through the same services as the app):
its time, the ratio between the sizes (linear growth would be 10x) and to the minimal view;
and the 500 members' report over the JSON API (a bearer token, every member at once).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import types
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ESCO = ROOT.parent / "shared" / "data" / "esco-v1.1.1"

FLOOR_TABLES = {
    "ISCOGroups_en.csv": ("groups", ["conceptUri", "code", "preferredLabel", "description"]),
    "occupations_en.csv": (
        "occupations",
        ["conceptUri", "code", "iscoGroup", "preferredLabel", "altLabels", "description"],
    ),
    "skills_en.csv": (
        "skills",
        ["conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels", "description"],
    ),
    "occupationSkillRelations.csv": (
        "relations",
        ["occupationUri", "relationType", "skillUri"],
    ),
}


def floor(zips: list[Path], database: Path) -> float:
    """The least any importer must do: read the records and insert them."""
    start = time.perf_counter()
    db = sqlite3.connect(database)
    for path in zips:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name not in FLOOR_TABLES:
                    continue
                table, columns = FLOOR_TABLES[name]
                text = archive.read(name).decode("utf-8-sig")
                reader = csv.DictReader(io.StringIO(text, newline=""))
                rows = [[row[c] for c in columns] for row in reader]
                db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {', '.join(columns)})")
                marks = ", ".join("?" * len(columns))
                db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    db.commit()
    db.close()
    return time.perf_counter() - start


def best(runs: list[float]) -> float:
    return min(runs)


def bench_esco(repeat: int, workdir: Path, database: Path) -> int:
    from django.core.management import call_command
    from django.db import connection

    zips = sorted(ESCO.glob("*.zip"))
    if len(zips) != 2:
        print(f"The ESCO v1.1.1 zips are not in {ESCO}: nothing to measure.", file=sys.stderr)
        return 2
    floors, firsts, agains = [], [], []
    for run in range(repeat):
        floors.append(floor(zips, workdir / f"floor-{run}.sqlite3"))

        connection.close()
        database.unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
        out = io.StringIO()
        start = time.perf_counter()
        call_command("import_esco", *map(str, zips), stdout=out, stderr=io.StringIO())
        firsts.append(time.perf_counter() - start)

        out = io.StringIO()
        start = time.perf_counter()
        call_command("import_esco", *map(str, zips), stdout=out, stderr=io.StringIO())
        agains.append(time.perf_counter() - start)
        if "Nothing changed." not in out.getvalue():
            print("re-import wrote something:", out.getvalue(), file=sys.stderr)
            return 1

    base = best(floors)
    print(f"ESCO v1.1.1 full import, SQLite, best of {repeat}:")
    print(f"  floor (csv + executemany)  {base:7.2f} s   1.00x")
    for label, runs, target in (
        ("first import              ", firsts, 5),
        ("re-import, nothing written", agains, 3),
    ):
        t = best(runs)
        print(f"  {label} {t:7.2f} s  {t / base:5.2f}x  (target <= {target}x)")
    return 0


def bench_releases(repeat: int, workdir: Path, database: Path) -> int:
    """Upgrading a full ESCO v1.1.0 database to v1.1.1 (diff and impact included), the
    release_diff of the two, and a plain re-import of an unchanged release as a process of
    its own, start-up included, against the import floor of the same run."""
    from django.core.management import call_command
    from django.db import connection

    older = sorted((ESCO.parent / "esco-v1.1.0").glob("*.zip"))
    zips = sorted(ESCO.glob("*.zip"))
    if len(zips) != 2 or len(older) != 2:
        print("The ESCO v1.1.0 and v1.1.1 zips are not both there: nothing to measure.")
        return 2
    floors, upgrades, diffs, processes = [], [], [], []
    for run in range(repeat):
        floors.append(floor(zips, workdir / f"release-floor-{run}.sqlite3"))
        connection.close()
        database.unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
        call_command("import_esco", *map(str, older), stdout=io.StringIO(), stderr=io.StringIO())
        out = io.StringIO()
        start = time.perf_counter()
        call_command("import_esco", *map(str, zips), stdout=out, stderr=io.StringIO())
        upgrades.append(time.perf_counter() - start)
        if "Profile line added: 305" not in out.getvalue():
            print("the upgrade did not record the release's changes:", out.getvalue())
            return 1
        start = time.perf_counter()
        call_command("release_diff", "ESCO v1.1.0", "ESCO v1.1.1", stdout=io.StringIO())
        diffs.append(time.perf_counter() - start)
        connection.close()
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "import_esco", *map(str, zips), "-v0"],
            env={**os.environ, "DATABASE_URL": f"sqlite:///{database}"},
            capture_output=True,
            text=True,
            check=False,
        )
        processes.append(time.perf_counter() - start)
        if "Nothing changed." not in done.stdout:
            print("the unchanged re-import wrote something:", done.stdout, done.stderr)
            return 1
    base = best(floors)
    print(f"ESCO releases, full exports, SQLite, best of {repeat}:")
    print(f"  floor (csv + executemany)            {base:7.2f} s   1.00x")
    print(
        f"  upgrade v1.1.0 -> v1.1.1, with diff  {best(upgrades):7.2f} s  "
        f"{best(upgrades) / base:5.2f}x  (target <= 4x)"
    )
    print(f"  release_diff v1.1.0 v1.1.1           {best(diffs):7.2f} s  (target <= 1 s)")
    print(
        f"  re-import unchanged, whole process   {best(processes):7.2f} s  "
        f"{best(processes) / base:5.2f}x  (target <= 2x)"
    )
    return 0


# The pages a technician goes through: each at most 8x the minimal view.
EIGHT_TIMES = ("rating step", "submit page", "gap report")


def bench_web(requests: int, database: Path) -> int:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.decorators import login_required
    from django.core.management import call_command
    from django.db import connection
    from django.http import HttpResponse
    from django.test import Client, override_settings
    from django.urls import include, path, reverse
    from django.utils import timezone

    from api.services import api_token_create
    from assessments import rating_page
    from assessments.models import Assessment
    from teams import exports
    from teams.models import TeamExport

    connection.close()
    database.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    with override_settings(DEBUG=True):
        call_command("load_default_data", "--demo", verbosity=0, stdout=io.StringIO())
    technician = get_user_model().objects.get(username="technician")
    draft = Assessment.objects.drafts().get(user=technician)
    submitted = Assessment.objects.submitted().get(user=technician)
    competence = draft.occupation.requirements.values_list("competence_id", flat=True)[0]

    @login_required
    def minimal(request):
        return HttpResponse("ok")

    urls = types.ModuleType("bench_urls")  # the project's URLs plus the minimal view
    urls.urlpatterns = [path("bench/minimal/", minimal), path("", include("config.urls"))]
    client = Client(SERVER_NAME="localhost")
    client.force_login(technician)
    field = f"c-{competence}"
    saves = iter(range(1, 10**9))

    def autosave():
        seq = next(saves)
        data = {field: str(seq % 5), "client": "bench", "seq": str(seq)}
        return client.post(rate_url, data, headers={"HX-Request": "true"})

    # The rate limits would refuse a benchmark's repeated requests: lifted here.
    unlimited = dict.fromkeys(RATE_SCOPES, "1000000/60")
    with override_settings(ROOT_URLCONF=urls, DEBUG=False, RATE_LIMITS=unlimited):
        rate_url = reverse("assessments:assessment-rate", args=[draft.pk])
        report_url = reverse("assessments:assessment-report", args=[submitted.pk])
        submit_url = reverse("assessments:assessment-submit", args=[draft.pk])
        profile = draft.occupation.requirements.select_related("competence")
        steps = range(1, len(rating_page.plan(list(profile), {})) + 1)
        cases: list[tuple[str, Callable]] = [
            ("minimal login-required view ", lambda: client.get("/bench/minimal/")),
            *(
                (f"rating step {n}{' ' * 15}", lambda n=n: client.get(rate_url, {"step": n}))
                for n in steps
            ),
            ("one autosave (htmx POST)    ", autosave),
            ("submit page                 ", lambda: client.get(submit_url)),
            ("gap report, 80 competences  ", lambda: client.get(report_url)),
        ]
        medians = {label: _median(request, requests) for label, request in cases}
        # A new round: the draft starts from the submitted assessment, 80 ratings carried.
        start_url = reverse("assessments:assessment-start")
        medians["start a carried-over draft  "] = _median(
            lambda: client.post(start_url, {"occupation": draft.occupation.code}),
            requests,
            before=lambda: Assessment.objects.drafts().filter(user=technician).delete(),
            status=302,
        )

        manager = get_user_model().objects.get(username="manager")
        client.force_login(manager)
        demo_team = manager.managed_teams.get()
        # Her latest: the one the team report links (the demo cycle made a second).
        member = (
            Assessment.objects.submitted().filter(user__username="amira").latest("submitted_at")
        )
        review_url = reverse("teams:team-review", args=[demo_team.pk, member.pk])
        medians["review page, by exception   "] = _median(lambda: client.get(review_url), requests)
        for size in (50, 500):
            team = _team(size, draft.occupation, manager)
            url = reverse("teams:team-report", args=[team.pk])
            label = f"team report, {size} members"
            medians[f"{label:<28}"] = _median(lambda u=url: client.get(u), max(5, requests // 5))
        # The same report as JSON, every member at once, with an API token of the manager.
        _token, secret = api_token_create(owner=manager, name="bench")
        api_url = f"/api/teams/{team.pk}/report"
        bearer = {"Authorization": f"Bearer {secret}"}
        medians["team report over the API, 500"] = _median(
            lambda: client.get(api_url, headers=bearer), max(5, requests // 5)
        )

        # The full export of the 500 members: the request only queues it (each time a new
        # one, as the previous is marked done first); the worker does the building.
        export_url = reverse("teams:team-export-list", args=[team.pk])
        medians["ask for a full export (POST)"] = _median(
            lambda: client.post(export_url, {"format": "xlsx"}),
            requests,
            before=lambda: TeamExport.objects.update(finished_at=timezone.now()),
            status=302,
        )
        build = min(_seconds(lambda: exports.team_export(team, "xlsx")) for _ in range(3))

    base = medians[cases[0][0]]
    print(f"Web, SQLite, Django test client, median of {requests} requests (team report: fewer):")
    for label, t in medians.items():
        target = "  (target <= 8x)" if label.startswith(EIGHT_TIMES) else ""
        print(f"  {label} {t * 1000:7.2f} ms  {t / base:6.2f}x{target}")
    small, large = (t for label, t in medians.items() if label.startswith("team report, "))
    print(f"  team report, 500 / 50 members  {large / small:5.2f}x  (linear: 10x)")
    print(
        f"  full export built by the worker, 500 members x 80 ratings, xlsx, best of 3:"
        f" {build:.2f} s, off the request"
    )
    return 0


def bench_full_esco(requests: int, database: Path) -> int:
    """The pages a red-team review found slow with the full ESCO v1.1.1 loaded (123,855
    profile lines), against the About page served the same way."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from assessments.models import Assessment

    connection.close()
    database.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    with override_settings(DEBUG=True):
        call_command("load_default_data", "--demo", verbosity=0, stdout=io.StringIO())
    zips = sorted(ESCO.glob("*.zip"))
    call_command("import_esco", *map(str, zips), stdout=io.StringIO(), stderr=io.StringIO())
    users = get_user_model().objects
    technician = Client(SERVER_NAME="localhost")
    technician.force_login(users.get(username="technician"))
    admin = Client(SERVER_NAME="localhost")
    admin.force_login(users.get(username="admin"))
    report = Assessment.objects.submitted().get(user__username="technician")
    pages = [
        ("About (the floor)", technician, "/about/"),
        ("occupations", technician, "/occupations/"),
        ("occupations, page 100", technician, "/occupations/?page=100"),
        ("occupations, page 999999", technician, "/occupations/?page=999999"),
        ("search ?q=a", technician, "/occupations/?q=a"),
        ("by essentials, page 100", technician, "/occupations/?sort=-essential_count&page=100"),
        ("by size, descending", technician, "/occupations/?sort=-requirement_count"),
        ("gap report, 80 competences", technician, f"/assessments/{report.pk}/report/"),
        ("admin: occupations", admin, "/admin/taxonomy/occupation/"),
        ("admin: occupations ?q=a", admin, "/admin/taxonomy/occupation/?q=a"),
        ("admin: competences", admin, "/admin/taxonomy/competence/"),
        ("admin: profile lines", admin, "/admin/taxonomy/requirement/"),
        ("admin: ratings", admin, "/admin/assessments/rating/"),
    ]
    with override_settings(DEBUG=False, RATE_LIMITS=dict.fromkeys(RATE_SCOPES, "1000000/60")):
        medians = {label: _median(lambda c=c, u=u: c.get(u), requests) for label, c, u in pages}
    base = medians[pages[0][0]]
    print(f"Full ESCO v1.1.1 loaded, SQLite, median of {requests} requests:")
    for label, t in medians.items():
        target = "  (target <= 10x)" if label.startswith(("occupations", "search", "by ")) else ""
        if label.startswith(("gap report", "admin")):
            target = "  (target < 100 ms)"
        print(f"  {label:<28} {t * 1000:7.2f} ms  {t / base:6.2f}x{target}")
    return 0


def export_team_create(members: int, database: Path) -> None:
    """A new database with the default data and a team of `members`, each with 80 submitted
    ratings."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from assessments.models import Assessment, Rating
    from taxonomy.models import Occupation
    from teams.models import Membership, Team

    connection.close()
    database.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    call_command("load_default_data", verbosity=0, stdout=io.StringIO())
    occupation = Occupation.objects.get(code="3512.4")
    requirements = list(occupation.requirements.all())
    team = Team.objects.create(name="Big", occupation=occupation)
    User = get_user_model()
    users = User.objects.bulk_create(User(username=f"big-{i}") for i in range(members))
    Membership.objects.bulk_create(Membership(team=team, user=u) for u in users)
    now = timezone.now()
    assessments = Assessment.objects.bulk_create(
        Assessment(user=u, occupation=occupation, status="submitted", submitted_at=now)
        for u in users
    )
    Rating.objects.bulk_create(
        (
            Rating(
                assessment=a,
                competence_id=r.competence_id,
                answered=True,
                level=(i + j) % 5,
                relation=r.relation,
                target_level=r.target_level,
                weight=r.weight,
                evidence="ticket 4711, the March release",
            )
            for i, a in enumerate(assessments)
            for j, r in enumerate(requirements)
        ),
        batch_size=5000,
    )


def bench_export_memory(fmt: str) -> int:
    """The full export of team "Big", as the worker builds it; this process does nothing
    else, so its peak memory is the export's."""
    from teams import exports
    from teams.models import Team

    team = Team.objects.get(name="Big")
    start = time.perf_counter()
    content, rows = exports.team_export(team, fmt)
    took = time.perf_counter() - start
    # VmHWM, the peak of this address space: ru_maxrss would carry the parent's over exec.
    status = Path("/proc/self/status").read_text()
    peak = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])
    peak //= 1024
    print(
        f"  {fmt:<4} {rows:,} ratings  {took:6.1f} s  {len(content) / 2**20:5.1f} MiB file"
        f"  peak memory {peak} MiB  (target < 300 MiB)"
    )
    return 0


RATE_SCOPES = ("search", "report", "team-report", "export", "api")


def bench_cycles(requests: int, database: Path) -> int:
    """Review cycles: opening one for 500 members with 80 carried-over ratings each, the
    cycle board for 500 members against the minimal view, send_reminders for 5,000."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.decorators import login_required
    from django.core.management import call_command
    from django.db.models import Value
    from django.db.models.functions import Concat
    from django.http import HttpResponse
    from django.test import Client, override_settings
    from django.urls import include, path, reverse
    from django.utils import timezone

    from assessments.models import Assessment, Rating
    from teams.models import Assignment, Membership, Notification, ReviewCycle, Team
    from teams.services import cycle_populate

    export_team_create(500, database)  # "Big": 500 members, 80 submitted ratings each
    team = Team.objects.get(name="Big")
    User = get_user_model()
    User.objects.update(email=Concat("username", Value("@example.com")))
    manager = User.objects.create_user("bench-manager", password="bench-password-1")
    call_command("load_default_data", verbosity=0, stdout=io.StringIO())  # the roles' rights
    from django.contrib.auth.models import Group

    manager.groups.add(Group.objects.get(name="manager"))
    team.managers.add(manager)
    today = timezone.localdate()
    form = {
        "name": "Bench cycle",
        "opens_on": today.isoformat(),
        "self_due": (today + timedelta(days=14)).isoformat(),
        "review_due": (today + timedelta(days=28)).isoformat(),
    }

    @login_required
    def minimal(request):
        return HttpResponse("ok")

    urls = types.ModuleType("bench_urls")
    urls.urlpatterns = [path("bench/minimal/", minimal), path("", include("config.urls"))]
    client = Client(SERVER_NAME="localhost")
    client.force_login(manager)
    unlimited = dict.fromkeys(RATE_SCOPES, "1000000/60")

    def reset() -> None:
        ReviewCycle.objects.all().delete()
        Assessment.objects.drafts().delete()  # its carried ratings and history go with it

    # The POST is the web process's work and the build the worker's: each timed on its own,
    # so neither pays for what the other left in this one process (its garbage, its caches).
    builds = []
    with override_settings(ROOT_URLCONF=urls, DEBUG=False, RATE_LIMITS=unlimited):
        create_url = reverse("teams:cycle-create", args=[team.pk])
        base = _median(lambda: client.get("/bench/minimal/"), requests)
        post = _median(
            lambda: client.post(create_url, form), max(11, requests // 5), before=reset, status=302
        )
        for _ in range(5):
            reset()
            response = client.post(create_url, form)
            assert response.status_code == 302, response.content[:500]
            cycle = ReviewCycle.objects.get()
            builds.append(_seconds(lambda c=cycle: cycle_populate(cycle=c)))  # what the task runs
        cycle = ReviewCycle.objects.get()
        carried = Rating.objects.filter(assessment__status="draft", carried=True).count()
        board_url = cycle.get_absolute_url()
        board = _median(lambda: client.get(board_url), max(5, requests // 5))

    # send_reminders for 5,000 assignments: ten cycles of 500, a day their overdue notice
    # is due. The assignments are written directly (no drafts needed to remind people).
    members = list(team.memberships.values_list("user_id", flat=True))
    ReviewCycle.objects.all().delete()
    day = today - timedelta(days=1)
    for n in range(10):
        other = Team.objects.create(name=f"Bench reminders {n}", occupation=team.occupation)
        other.managers.add(manager)
        cycle = ReviewCycle.objects.create(
            team=other,
            name=f"Reminders {n}",
            opens_on=day - timedelta(days=14),
            self_due=day,
            review_due=day + timedelta(days=14),
            status="open",
            opened_at=timezone.now(),
        )
        Membership.objects.bulk_create(Membership(team=other, user_id=u) for u in members)
        Assignment.objects.bulk_create(
            Assignment(cycle=cycle, user_id=u, occupation=team.occupation) for u in members
        )
    with override_settings(
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    ):
        start = time.perf_counter()
        out = io.StringIO()
        call_command("send_reminders", f"--today={today.isoformat()}", stdout=out)
        reminders = time.perf_counter() - start
        again = _seconds(
            lambda: call_command("send_reminders", f"--today={today.isoformat()}", stdout=out)
        )
    sent = Notification.objects.exclude(sent_at=None).count()

    print(f"Review cycles, SQLite, Django test client (median of {requests} requests):")
    print(f"  minimal login-required view      {base * 1000:7.2f} ms   1.00x")
    print(
        f"  open a cycle for 500 members     {post * 1000:7.2f} ms  {post / base:6.2f}x"
        f"  (the POST, median of {max(11, requests // 5)}; target <= 10 ms)"
    )
    print(
        f"  the worker builds it: 500 drafts, {carried:,} ratings carried over (best of 5):"
        f" {min(builds):.2f} s  (target <= 5 s)"
    )
    print(f"  cycle board, 500 members         {board * 1000:7.2f} ms  {board / base:6.2f}x")
    print(
        f"  send_reminders, 5,000 assignments: {reminders:.2f} s for {sent:,} e-mails"
        f" (locmem backend; target <= 10 s); run again: {again:.2f} s, nothing sent twice"
    )
    return 0


def _median(
    request: Callable, n: int, *, before: Callable = lambda: None, status: int = 200
) -> float:
    """Median seconds of n requests, after three that warm caches; any other status stops.
    `before` runs untimed ahead of each request."""
    times = []
    for _ in range(n + 3):
        before()
        start = time.perf_counter()
        response = request()
        times.append(time.perf_counter() - start)
        if response.status_code != status:
            raise SystemExit(f"{response.request['PATH_INFO']}: HTTP {response.status_code}")
    return statistics.median(times[3:])


def _seconds(work: Callable) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _team(size: int, occupation, manager):
    """A team of `size` members, each with a submitted assessment made by the services."""
    from django.contrib.auth import get_user_model

    from assessments.services import Answer, assessment_start, assessment_submit, ratings_save
    from teams.models import Membership, Team

    team = Team.objects.create(name=f"Bench {size}", occupation=occupation)
    team.managers.add(manager)
    competences = list(occupation.requirements.values_list("competence_id", flat=True))
    for i in range(size):
        user = get_user_model().objects.create(username=f"bench-{size}-{i}")
        Membership.objects.create(team=team, user=user)
        assessment = assessment_start(user=user, occupation=occupation)
        answers = [Answer(c, True, (i + j) % 5, "", "") for j, c in enumerate(competences)]
        ratings_save(assessment=assessment, answers=answers)
        assessment_submit(assessment=assessment, user=user)
    return team


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Import runs per timing (best kept).")
    parser.add_argument("--requests", type=int, default=50, help="Requests per web timing.")
    parser.add_argument(
        "--only",
        choices=["esco", "releases", "web", "full-esco", "export", "export-memory", "cycles"],
        help="Run one part only.",
    )
    parser.add_argument("--members", type=int, default=3000, help="Team size of the export.")
    parser.add_argument("--format", default="xlsx", help="export-memory: csv or xlsx.")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="gapwise-bench-"))
    database = Path(os.environ.get("GAPWISE_BENCH_DB", workdir / "bench.sqlite3"))
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    status = 0
    if args.only in (None, "esco"):
        status = bench_esco(args.repeat, workdir, database)
    if args.only in (None, "releases") and status == 0:
        print()
        status = bench_releases(args.repeat, workdir, database)
    if args.only in (None, "web") and status == 0:
        print()
        status = bench_web(args.requests, database)
    if args.only in (None, "full-esco") and status == 0:
        print()
        status = bench_full_esco(args.requests, database)
    if args.only in (None, "cycles") and status == 0:
        print()
        status = bench_cycles(args.requests, database)
    if args.only == "export-memory":
        return bench_export_memory(args.format)
    if args.only in (None, "export") and status == 0:
        print()
        print(
            f"Full export of {args.members:,} members x 80 ratings, each in a process of its own:"
        )
        export_team_create(args.members, database)
        for fmt in ("csv", "xlsx"):
            status = (
                status
                or subprocess.run(
                    [sys.executable, __file__, "--only", "export-memory", "--format", fmt],
                    env={**os.environ, "GAPWISE_BENCH_DB": str(database)},
                    check=False,
                ).returncode
            )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
