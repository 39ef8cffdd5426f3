"""django-tasks-db's `db_worker`, with every option as it is, plus a heartbeat.

The config app comes before django_tasks_db in INSTALLED_APPS, so this command is the one
`manage.py db_worker` runs.
"""

from __future__ import annotations

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from config.tasks import heartbeat


class Command(db_worker.Command):
    help = (
        "Run a database background worker. It records a heartbeat while it runs; a task "
        "whose worker stopped responding for TASK_LEASE_SECONDS is marked failed."
    )

    def handle(self, *args, worker_id: str, reload: bool, batch: bool, **options) -> None:
        options.update(worker_id=worker_id, reload=reload, batch=batch)
        # With --reload (and not --batch, which turns it off) this process only watches
        # the files and starts a child `db_worker` that runs tasks and beats for itself.
        if reload and not batch and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            return super().handle(*args, **options)
        with heartbeat(worker_id):
            return super().handle(*args, **options)
