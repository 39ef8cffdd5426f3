from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


class WorkerHeartbeatQuerySet(models.QuerySet):
    # Times come from the database's clock, written and compared alike, so workers and app
    # servers on several machines need not agree on the time.
    def live(self) -> WorkerHeartbeatQuerySet:
        """Workers heard from within TASK_LEASE_SECONDS."""
        return self.filter(seen_at__gte=Now() - timedelta(seconds=settings.TASK_LEASE_SECONDS))

    def stale(self) -> WorkerHeartbeatQuerySet:
        return self.filter(seen_at__lt=Now() - timedelta(seconds=settings.TASK_LEASE_SECONDS))


class WorkerHeartbeat(models.Model):
    """A running task worker (`manage.py db_worker`), which updates seen_at every
    TASK_HEARTBEAT_SECONDS and deletes its row when it stops cleanly (config/tasks.py)."""

    worker_id = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField(db_default=Now())
    seen_at = models.DateTimeField(db_default=Now())

    objects = WorkerHeartbeatQuerySet.as_manager()

    def __str__(self) -> str:
        return self.worker_id
