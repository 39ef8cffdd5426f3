"""Task workers' heartbeats, and what becomes of a task whose worker stopped responding.

django-tasks-db marks a task RUNNING when a worker claims it; if that worker is killed
(SIGKILL, out of memory, its machine lost) nothing ever finishes the task. So each worker
records a heartbeat while it runs (config.models.WorkerHeartbeat), and a RUNNING task whose
worker has not been heard from for TASK_LEASE_SECONDS is dead: it reads as failed at once
(task_statuses) and the workers mark it failed in the database (reap_dead_tasks).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from traceback import format_exception
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.models.functions import Now
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.models import WorkerHeartbeat

logger = logging.getLogger(__name__)


class WorkerStoppedResponding(Exception):
    """The failure recorded for a task whose worker stopped responding."""


def dead_tasks(running: Iterable[tuple[UUID, list[str]]]) -> set[UUID]:
    """Of RUNNING tasks given as (id, worker_ids), those whose worker (the last to claim
    it) has no heartbeat fresher than TASK_LEASE_SECONDS. One query, or none."""
    running = list(running)
    last = {workers[-1] for _, workers in running if workers}
    live = set(
        WorkerHeartbeat.objects.live()
        .filter(worker_id__in=last)
        .values_list("worker_id", flat=True)
    )
    return {pk for pk, workers in running if not workers or workers[-1] not in live}


def task_statuses(task_ids: Iterable[str]) -> dict[str, str]:
    """Each task's status by id, a RUNNING task whose worker stopped responding counted as
    FAILED before any worker reaps it; tasks not found (pruned) are left out. At most two
    queries, whatever the number of tasks."""
    ids = [task_id for task_id in task_ids if task_id]
    rows = list(DBTaskResult.objects.filter(id__in=ids).values_list("id", "status", "worker_ids"))
    dead = dead_tasks(
        (pk, workers) for pk, status, workers in rows if status == TaskResultStatus.RUNNING
    )
    return {str(pk): TaskResultStatus.FAILED if pk in dead else status for pk, status, _ in rows}


def reap_dead_tasks() -> int:
    """Mark FAILED the RUNNING tasks whose worker stopped responding, with a reason that
    admin shows as their traceback, and forget stale heartbeats. Returns how many tasks."""
    dead = dead_tasks(DBTaskResult.objects.running().values_list("id", "worker_ids"))
    error = WorkerStoppedResponding(
        f"The worker running this task stopped responding (no heartbeat for "
        f"{settings.TASK_LEASE_SECONDS} seconds, TASK_LEASE_SECONDS): it was probably killed. "
        f"The task did not finish."
    )
    # Still RUNNING in the update itself: a task that finished meanwhile keeps its result.
    reaped = (
        DBTaskResult.objects.running()
        .filter(id__in=dead)
        .update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path=f"{type(error).__module__}.{type(error).__qualname__}",
            traceback="".join(format_exception(error)),
        )
    )
    # A killed worker never deletes its row; a stale row and none mean the same.
    WorkerHeartbeat.objects.stale().delete()
    if reaped:
        logger.warning("Marked %d task(s) failed: their worker stopped responding.", reaped)
    return reaped


def beat(worker_id: str) -> None:
    """Record that the worker is alive; again from scratch if a reaper, seeing it silent
    for too long (a paused process, the database away), deleted its row."""
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=Now()):
        WorkerHeartbeat.objects.create(worker_id=worker_id)


def _keep_beating(worker_id: str, stop: threading.Event) -> None:
    reaped_at = time.monotonic()
    while not stop.wait(settings.TASK_HEARTBEAT_SECONDS):
        try:
            beat(worker_id)
            # Here rather than in the worker's loop: it goes on while a long task runs.
            if time.monotonic() - reaped_at >= settings.TASK_LEASE_SECONDS / 2:
                reap_dead_tasks()
                reaped_at = time.monotonic()
        except Exception:
            # The database away for a moment must not end the heartbeat; the next one retries.
            logger.exception("Task worker %s could not record its heartbeat.", worker_id)
        finally:
            connection.close()  # this thread's own; short writes, no connection left idle


@contextmanager
def heartbeat(worker_id: str) -> Iterator[None]:
    """The worker is alive while the block runs: a thread of its own records a heartbeat
    every TASK_HEARTBEAT_SECONDS and reaps dead workers' tasks every half lease. Dead
    workers' tasks are also reaped at the start; the row goes at a clean stop."""
    # Starting, this worker runs nothing: a task still RUNNING under its id (the same
    # --worker-id given again after a kill) is a previous life's, and is reaped with the rest.
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
    reap_dead_tasks()
    WorkerHeartbeat.objects.create(worker_id=worker_id)
    stop = threading.Event()
    thread = threading.Thread(
        target=_keep_beating, args=(worker_id, stop), name="heartbeat", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(settings.TASK_LEASE_SECONDS)  # a beat being written, then the row goes
        WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()
