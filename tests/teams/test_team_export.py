"""Full team exports: asked for in a request, built by the task worker, downloaded later."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments.models import RatingState
from config.models import WorkerHeartbeat
from config.tasks import reap_dead_tasks
from teams import exports
from teams.models import Membership, Team, TeamExport
from teams.services import Validation, review_save, team_export_request
from teams.tasks import team_export_build
from tests.conftest import ALICE
from tests.teams.conftest import crowd

pytestmark = pytest.mark.django_db


def ask(client, team: Team, fmt: str = "xlsx"):
    return client.post(reverse("teams:team-export-list", args=[team.pk]), {"format": fmt})


def detail_url(export: TeamExport) -> str:
    return reverse("teams:team-export-detail", args=[export.team_id, export.pk])


def download_url(export: TeamExport) -> str:
    return reverse("teams:team-export-download", args=[export.team_id, export.pk])


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def running_on_a_worker(export: TeamExport, heard_seconds_ago: float) -> None:
    """Its task claimed by a worker last heard from that long ago (the lease is 60 s)."""
    worker_id = f"worker-{export.pk}"
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, seen_at=timezone.now() - timedelta(seconds=heard_seconds_ago)
    )
    DBTaskResult.objects.filter(id=export.task_id).update(
        status="RUNNING", started_at=timezone.now(), worker_ids=[worker_id]
    )


def list_states(client, team: Team) -> dict[int, str]:
    """The status each export's row of the list shows, by export, as plain lower-case text."""
    html = client.get(reverse("teams:team-export-list", args=[team.pk])).content.decode()
    states = {}
    for row in re.findall(r"<tr>\s*<td data-label=\"Requested\">.*?</tr>", html, re.DOTALL):
        pk = int(re.search(r"/exports/(\d+)/", row).group(1))
        cell = re.search(r'<td data-label="Status">(.*?)</td>', row, re.DOTALL).group(1)
        states[pk] = text(cell)
    return states


def page_state(client, export: TeamExport) -> str:
    """The status the export's own page shows, as plain lower-case text."""
    html = client.get(detail_url(export)).content.decode()
    return text(re.search(r'<div id="export-status".*?</div>', html, re.DOTALL).group(0))


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).lower()


# What the list and the export's page both say for each state.
STATE_WORDS = {
    "ready": "ready: 12 ratings",
    "failed": "failed",
    "queued": "waiting for the task worker",
    "running": "being prepared",
}


def test_asking_for_an_export_queues_a_task_and_returns_at_once(mia_client, mia, six_team):
    team, _ = six_team
    response = ask(mia_client, team)

    export = TeamExport.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(export)
    assert (export.requested_by, export.format, export.content) == (mia, "xlsx", None)
    assert export.state == "queued"
    assert team_export_build.get_result(export.task_id).status == TaskResultStatus.READY


def test_while_it_waits_the_page_says_so_and_htmx_asks_again(mia_client, six_team):
    team, _ = six_team
    ask(mia_client, team)
    export = TeamExport.objects.get()

    html = mia_client.get(detail_url(export)).content.decode()
    assert "Waiting for the task worker to start it." in html
    assert 'hx-trigger="every 2s"' in html
    assert f'href="{detail_url(export)}">check again</a>' in html  # without JavaScript

    fragment = mia_client.get(detail_url(export), headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<div id="export-status"')
    assert "<html" not in fragment.content.decode()
    assert f'hx-get="{detail_url(export)}?shown=queued"' in fragment.content.decode()


def test_htmx_gets_204_until_the_state_changes_so_nothing_is_announced_twice(
    mia_client, six_team, run_worker
):
    team, _ = six_team
    ask(mia_client, team)
    export = TeamExport.objects.get()
    htmx = {"HX-Request": "true"}

    unchanged = mia_client.get(detail_url(export), {"shown": "queued"}, headers=htmx)
    assert (unchanged.status_code, unchanged.content) == (204, b"")
    run_worker()
    changed = mia_client.get(detail_url(export), {"shown": "queued"}, headers=htmx)
    assert changed.status_code == 200 and "Ready: 12 ratings" in changed.content.decode()


def test_the_worker_builds_a_workbook_the_manager_then_downloads(mia_client, six_team, run_worker):
    team, _ = six_team
    ask(mia_client, team)
    run_worker()

    export = TeamExport.objects.get()
    html = mia_client.get(detail_url(export)).content.decode()
    assert "Ready: 12 ratings" in html and "hx-trigger" not in html
    assert team_export_build.get_result(export.task_id).status == TaskResultStatus.SUCCESSFUL

    response = mia_client.get(download_url(export))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Cache-Control"] == "private, no-store"
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Members", "Competences SIX", "Ratings"]
    members = [[c.value for c in row] for row in book["Members"].iter_rows(min_row=2)]
    assert [(m[0], m[2]) for m in members] == [("alice", 60), ("bob", 100), ("Cleo Ng", None)]
    competences = list(book["Competences SIX"].iter_rows(min_row=2, values_only=True))
    assert len(competences) == 6
    ratings = list(book["Ratings"].iter_rows(values_only=True))
    assert ratings[0] == tuple(exports.RATING_HEADERS)
    alice = [r for r in ratings[1:] if r[1] == "alice"]
    # Essentials first (lines 0 and 3), then the optional ones, each by title.
    by_line = [alice[0], alice[2], alice[3], alice[1], alice[4], alice[5]]
    for line, row in enumerate(by_line):
        relation, target = ("essential", 3) if line in (0, 3) else ("optional", 2)
        own = ALICE[line]
        expected = (
            relation,
            target,
            RatingState.DONT_KNOW.label if own is None else own,
            None,
            own or 0,
            max(target - (own or 0), 0),
        )
        assert (row[5], row[6], row[7], row[8], row[9], row[10]) == expected
        assert row[3] == f"SIX competence {line:03}"
    assert len(ratings) == 1 + 12  # cleo has no assessment yet


def test_the_csv_export_counts_validated_levels_and_neutralises_formulas(
    mia_client, mia, six_team, alice, run_worker
):
    team, ids = six_team
    alice.first_name, alice.last_name = "=HYPERLINK(evil)", "<b>A</b>"
    alice.save()
    latest = alice.assessments.get()
    review_save(
        assessment=latest,
        reviewer=mia,
        validations=[Validation(ids[2], 1, "+1 from the on-call week")],
        done=False,
    )
    ask(mia_client, team, "csv")
    run_worker()

    rows = csv_rows(mia_client.get(download_url(TeamExport.objects.get())))
    line = next(r for r in rows if r["Competence"] == "SIX competence 002")
    assert line["Member"] == "'=HYPERLINK(evil) <b>A</b>"
    assert (line["Self level"], line["Validated level"], line["Level counted"]) == ("0", "1", "1")
    assert (line["Target level"], line["Gap"]) == ("2", "1")
    assert line["Manager's comment"] == "'+1 from the on-call week"
    assert len(rows) == 12


def test_a_control_character_in_a_note_neither_breaks_the_workbook_nor_hides_a_formula(
    six_team, alice
):
    # openpyxl refuses a form feed (pasted from a word processor) and failed the whole
    # export; dropped after the formula check, "\x01=..." would have become a formula.
    team, _ = six_team
    alice.assessments.get().ratings.update(evidence="\x01=HYPERLINK(1)", review_comment="a\x0cb")

    content, _ = exports.team_export(team, "xlsx")

    rows = openpyxl.load_workbook(io.BytesIO(content))["Ratings"].iter_rows(values_only=True)
    header = next(rows)
    notes = {
        (row[header.index("Evidence")], row[header.index("Manager's comment")]) for row in rows
    }
    assert ("'=HYPERLINK(1)", "ab") in notes


def test_a_failed_build_says_so_and_keeps_the_reason_for_operators(
    mia_client, six_team, run_worker
):
    team, _ = six_team
    ask(mia_client, team)
    TeamExport.objects.update(format="pdf")  # a row no view would write
    run_worker()

    export = TeamExport.objects.get()
    assert export.failed_at is not None and export.content is None
    result = team_export_build.get_result(export.task_id)
    assert result.status == TaskResultStatus.FAILED
    assert "Unknown export format 'pdf'" in result.errors[0].traceback
    html = mia_client.get(detail_url(export)).content.decode()
    assert "This export failed." in html and "hx-trigger" not in html
    assert mia_client.get(download_url(export)).status_code == 404


@pytest.mark.parametrize(
    "stuck",
    [
        "never picked up within the hour",
        "worker stopped by force while building it",
        "task result pruned",
    ],
)
def test_an_export_whose_task_died_shows_as_failed_and_a_new_one_can_be_asked_for(
    mia_client, six_team, stuck
):
    team, _ = six_team
    ask(mia_client, team)
    export = TeamExport.objects.get()
    task = DBTaskResult.objects.filter(id=export.task_id)
    if stuck == "never picked up within the hour":
        TeamExport.objects.update(requested_at=timezone.now() - timedelta(hours=2))
    elif stuck == "worker stopped by force while building it":
        task.update(status="FAILED")
    else:
        task.delete()

    html = mia_client.get(detail_url(export)).content.decode()
    assert "This export failed." in html and "hx-trigger" not in html
    assert ask(mia_client, team)["Location"] != detail_url(export)
    assert TeamExport.objects.count() == 2


def test_an_export_whose_worker_stopped_responding_fails_at_once_and_can_be_asked_again(
    mia_client, six_team
):
    team, _ = six_team
    ask(mia_client, team)
    export = TeamExport.objects.get()
    running_on_a_worker(export, heard_seconds_ago=61)  # killed a minute ago, not reaped yet

    assert page_state(mia_client, export).startswith("this export failed.")
    assert list_states(mia_client, team) == {export.pk: "failed"}
    response = ask(mia_client, team, "csv")
    again = TeamExport.objects.exclude(pk=export.pk).get()
    assert response["Location"] == detail_url(again)
    assert team_export_build.get_result(again.task_id).status == TaskResultStatus.READY

    reap_dead_tasks()  # what the next worker does
    assert team_export_build.get_result(export.task_id).status == TaskResultStatus.FAILED
    assert list_states(mia_client, team) == {
        export.pk: "failed",
        again.pk: "waiting for the task worker",
    }


def test_an_export_running_on_a_live_worker_is_being_prepared_and_not_asked_for_twice(
    mia_client, six_team
):
    team, _ = six_team
    first = ask(mia_client, team)
    export = TeamExport.objects.get()
    running_on_a_worker(export, heard_seconds_ago=50)  # within the lease

    assert page_state(mia_client, export).startswith("being prepared.")
    assert list_states(mia_client, team) == {export.pk: "being prepared"}
    second = ask(mia_client, team, "csv")
    assert second["Location"] == first["Location"]
    assert TeamExport.objects.count() == DBTaskResult.objects.count() == 1
    page = mia_client.get(second["Location"]).content.decode()
    assert "Your previous export is still being prepared." in page

    reap_dead_tasks()
    assert team_export_build.get_result(export.task_id).status == TaskResultStatus.RUNNING


def test_the_list_and_the_export_page_show_the_same_state(mia_client, mia, six_team, run_worker):
    team, _ = six_team
    made = {
        "ready": team_export_request(team=team, user=mia, fmt="csv"),
        "failed by its task": team_export_request(team=team, user=mia, fmt="xlsx"),
    }
    TeamExport.objects.filter(pk=made["failed by its task"].pk).update(format="pdf")
    run_worker()
    for case in ("queued", "running", "failed by a dead worker", "failed by timeout"):
        made[case] = team_export_request(team=team, user=mia, fmt="csv")
    running_on_a_worker(made["running"], heard_seconds_ago=1)
    running_on_a_worker(made["failed by a dead worker"], heard_seconds_ago=61)
    TeamExport.objects.filter(pk=made["failed by timeout"].pk).update(
        requested_at=timezone.now() - timedelta(hours=2)
    )

    listed = list_states(mia_client, team)
    assert sorted(listed) == sorted(export.pk for export in made.values())
    for case, export in made.items():
        state = case.split()[0]
        page = page_state(mia_client, export)
        assert STATE_WORDS[state] in listed[export.pk] and STATE_WORDS[state] in page, case
        for other, words in STATE_WORDS.items():
            if other != state:
                assert words not in listed[export.pk] and words not in page, (case, other)


@pytest.mark.parametrize("data", [{"format": "pdf"}, {"format": ""}, {}, {"format": "XLSX"}])
def test_a_tampered_format_is_refused_and_nothing_is_queued(mia_client, six_team, data):
    team, _ = six_team
    response = mia_client.post(reverse("teams:team-export-list", args=[team.pk]), data)
    assert response.status_code == 400
    assert "Choose a format" in response.content.decode()
    assert not TeamExport.objects.exists() and not DBTaskResult.objects.exists()


def test_asking_again_while_one_is_pending_opens_that_one(mia_client, six_team):
    team, _ = six_team
    first = ask(mia_client, team)
    second = ask(mia_client, team, "csv")
    assert second["Location"] == first["Location"]
    assert TeamExport.objects.count() == DBTaskResult.objects.count() == 1
    page = mia_client.get(second["Location"]).content.decode()
    assert "Your previous export is still being prepared." in page


def test_the_list_shows_the_managers_own_current_exports(
    mia_client, mia, six_team, other_team, run_worker
):
    team, _ = six_team
    done = team_export_request(team=team, user=mia, fmt="csv")
    run_worker()
    pending = team_export_request(team=team, user=mia, fmt="xlsx")
    old = team_export_request(team=team, user=mia, fmt="csv")
    TeamExport.objects.filter(pk=old.pk).update(requested_at=timezone.now() - timedelta(days=8))
    colleague = User.objects.create_user("max")
    team.managers.add(colleague)
    theirs = team_export_request(team=team, user=colleague, fmt="csv")

    html = mia_client.get(reverse("teams:team-export-list", args=[team.pk])).content.decode()
    assert f'href="{download_url(done)}"' in html and "Ready: 12 ratings" in html
    assert f'href="{detail_url(pending)}"' in html and "Waiting for the task worker" in html
    for gone in (old, theirs):
        assert detail_url(gone) not in html and download_url(gone) not in html
    assert '<input type="radio" name="format" value="xlsx" checked>' in html
    assert "<legend>Format</legend>" in html


def test_other_people_get_404_for_someone_elses_export(client, mia, six_team, other_team, alice):
    team, _ = six_team
    export = team_export_request(team=team, user=mia, fmt="csv")
    colleague = User.objects.create_user("max")
    team.managers.add(colleague)  # manages the same team, but did not ask for it
    for user in (colleague, other_team.managers.get(), alice):
        client.force_login(user)
        for url in (detail_url(export), download_url(export)):
            assert client.get(url).status_code == 404, (user, url)
    client.force_login(alice)
    assert ask(client, team).status_code == 404
    assert TeamExport.objects.count() == 1


def test_an_export_past_its_keeping_time_is_gone_and_pruned(mia_client, mia, six_team, run_worker):
    team, _ = six_team
    old = team_export_request(team=team, user=mia, fmt="csv")
    kept = team_export_request(team=team, user=mia, fmt="xlsx")
    run_worker()
    TeamExport.objects.filter(pk=old.pk).update(requested_at=timezone.now() - timedelta(days=8))
    assert mia_client.get(download_url(old)).status_code == 404
    assert mia_client.get(download_url(kept)).status_code == 200

    out = io.StringIO()
    call_command("prune_exports", stdout=out)
    assert out.getvalue().strip() == "Deleted the files of 1 export older than 7 days."
    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.content is None and old.requested_by == mia  # the record of who stays
    assert kept.content is not None


def test_posting_without_the_csrf_token_fails(mia, six_team):
    team, _ = six_team
    client = Client(enforce_csrf_checks=True)
    client.force_login(mia)
    assert ask(client, team).status_code == 403
    assert not TeamExport.objects.exists()


def test_the_team_report_links_to_full_exports(mia_client, six_team):
    team, _ = six_team
    html = mia_client.get(reverse("teams:team-report", args=[team.pk])).content.decode()
    assert f'href="{reverse("teams:team-export-list", args=[team.pk])}"' in html


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_building_an_export_runs_the_same_queries_for_any_team_size(mia, make_profile, fmt):
    counts = []
    for size in (3, 60):
        team = Team.objects.create(name=f"E{size}", occupation=make_profile(10, f"E{size}"))
        crowd(team, size)
        with CaptureQueriesContext(connection) as queries:
            _, rows = exports.team_export(team, fmt)
        assert rows == size * 10
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("heard_seconds_ago", [None, 1, 61], ids=["queued", "live", "dead"])
def test_the_list_runs_the_same_queries_for_any_number_of_exports(
    mia_client, mia, six_team, heard_seconds_ago
):
    team, _ = six_team
    url = reverse("teams:team-export-list", args=[team.pk])
    counts = []
    for n in (1, 20):
        while TeamExport.objects.count() < n:
            export = team_export_request(team=team, user=mia, fmt="csv")
            if heard_seconds_ago is not None:
                running_on_a_worker(export, heard_seconds_ago)
        with CaptureQueriesContext(connection) as queries:
            assert mia_client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_longest_occupation_code_makes_a_sheet_title_of_31_characters(
    team, alice, make_profile
):
    # A code holds no \ / ? * [ ] : (taxonomy.tabular.OCCUPATION_CODE); the longest it may be.
    local = make_profile(2, "L-s.t2-abcdefghijklm")
    Membership.objects.filter(team=team, user=alice).update(occupation=local)
    content, _ = exports.team_export(team, "xlsx")
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == [
        "Members",
        "Competences 3512.4",
        "Competences L-s.t2-abcdefghijkl",  # 31 characters, the most a title has
        "Ratings",
    ]


def test_asking_for_full_exports_is_rate_limited(mia_client, six_team, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": "1/60"}
    team, _ = six_team
    assert ask(mia_client, team).status_code == 302

    refused = ask(mia_client, team, "csv")

    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert TeamExport.objects.count() == 1
