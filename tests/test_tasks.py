"""Task workers' heartbeats (config/tasks.py): a task whose worker stopped responding fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import BaseCommand, get_commands
from django.db import connection
from django.tasks import TaskResultStatus
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.management.commands import db_worker as library
from django_tasks_db.models import DBTaskResult

from config.management.commands import db_worker as ours
from config.models import WorkerHeartbeat
from config.tasks import beat, heartbeat, reap_dead_tasks, task_statuses

pytestmark = pytest.mark.django_db

LEASE = 60


@pytest.fixture(autouse=True)
def lease(settings):
    settings.TASK_LEASE_SECONDS = LEASE


def worker(worker_id: str, heard_seconds_ago: float) -> WorkerHeartbeat:
    return WorkerHeartbeat.objects.create(
        worker_id=worker_id, seen_at=timezone.now() - timedelta(seconds=heard_seconds_ago)
    )


def running_on(*worker_ids: str) -> DBTaskResult:
    """A task claimed by each worker in turn, the last one still running it."""
    return DBTaskResult.objects.create(
        args_kwargs={"args": [0], "kwargs": {}},
        task_path="teams.tasks.team_export_build",
        backend_name="default",
        run_after=timezone.now(),
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now(),
        worker_ids=list(worker_ids),
    )


def status(task: DBTaskResult) -> str:
    task.refresh_from_db()
    return task.status


def test_reaping_fails_the_tasks_of_silent_workers_and_leaves_live_workers_alone():
    worker("alive", heard_seconds_ago=LEASE - 5)
    worker("silent", heard_seconds_ago=LEASE + 1)
    alive = running_on("alive")
    silent = running_on("silent")
    vanished = running_on("never-heard-of")
    moved_on = running_on("silent", "alive")  # the last worker to claim it counts

    assert reap_dead_tasks() == 2

    assert [status(t) for t in (alive, silent, vanished, moved_on)] == [
        "RUNNING",
        "FAILED",
        "FAILED",
        "RUNNING",
    ]
    assert silent.finished_at is not None
    assert silent.exception_class_path == "config.tasks.WorkerStoppedResponding"
    assert "stopped responding (no heartbeat for 60 seconds" in silent.traceback
    # What admin and django.tasks show for it.
    error = silent.task_result.errors[0]
    assert "The worker running this task stopped responding" in error.traceback
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["alive"]


def test_reaping_leaves_finished_and_queued_tasks_alone():
    finished = running_on("gone")
    DBTaskResult.objects.filter(pk=finished.pk).update(status=TaskResultStatus.SUCCESSFUL)
    queued = running_on()
    DBTaskResult.objects.filter(pk=queued.pk).update(status=TaskResultStatus.READY)

    assert reap_dead_tasks() == 0
    assert (status(finished), status(queued)) == ("SUCCESSFUL", "READY")


def test_task_statuses_count_a_dead_workers_task_as_failed_before_it_is_reaped():
    worker("alive", heard_seconds_ago=1)
    worker("silent", heard_seconds_ago=LEASE + 1)
    alive, silent = running_on("alive"), running_on("silent")
    queued = running_on()
    DBTaskResult.objects.filter(pk=queued.pk).update(status=TaskResultStatus.READY)
    ids = [str(t.pk) for t in (alive, silent, queued)]

    assert task_statuses([*ids, "c0ffee00-0000-4000-8000-000000000000", ""]) == {
        ids[0]: "RUNNING",
        ids[1]: "FAILED",
        ids[2]: "READY",
    }
    assert status(silent) == "RUNNING"  # reading writes nothing


def test_task_statuses_run_the_same_queries_for_any_number_of_tasks():
    worker("alive", heard_seconds_ago=1)
    counts = []
    for n in (1, 30):
        tasks = [running_on("alive" if i % 2 else "silent") for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            task_statuses(str(t.pk) for t in tasks)
        counts.append(len(queries))
    assert counts == [2, 2]


def test_a_worker_beats_while_it_runs_and_its_row_goes_when_it_stops():
    with heartbeat("w1"):
        row = WorkerHeartbeat.objects.get(worker_id="w1")
        assert WorkerHeartbeat.objects.live().filter(pk=row.pk).exists()
        WorkerHeartbeat.objects.filter(pk=row.pk).update(
            seen_at=timezone.now() - timedelta(seconds=LEASE + 1)
        )
        beat("w1")
        assert WorkerHeartbeat.objects.live().filter(pk=row.pk).exists()
    assert not WorkerHeartbeat.objects.exists()


def test_a_worker_that_was_taken_for_dead_beats_again_from_scratch():
    worker("paused", heard_seconds_ago=LEASE + 1)
    reap_dead_tasks()  # another worker forgets it
    beat("paused")
    assert WorkerHeartbeat.objects.live().filter(worker_id="paused").exists()


def test_a_starting_worker_reaps_dead_tasks_and_its_own_previous_life():
    worker("host-1", heard_seconds_ago=1)  # killed a moment ago, restarted with the same id
    worker("alive", heard_seconds_ago=1)
    earlier, other, dead = running_on("host-1"), running_on("alive"), running_on("gone")

    with heartbeat("host-1"):
        assert [status(t) for t in (earlier, other, dead)] == ["FAILED", "RUNNING", "FAILED"]


def test_the_db_worker_command_keeps_its_options_and_leaves_no_heartbeat(run_worker):
    dead = running_on("gone")
    run_worker()  # call_command("db_worker", batch=True, ...) with the library's options
    assert status(dead) == "FAILED"
    assert not WorkerHeartbeat.objects.exists()


def test_db_worker_is_this_projects_own_with_every_option_of_the_librarys():
    def options(command: type[BaseCommand]) -> list[tuple[list[str], str | None]]:
        parser = command().create_parser("manage.py", "db_worker")
        return [(action.option_strings, action.help) for action in parser._actions]

    assert get_commands()["db_worker"] == "config"
    assert issubclass(ours.Command, library.Command)
    assert options(ours.Command) == options(library.Command)
