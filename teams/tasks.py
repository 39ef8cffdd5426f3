"""Background work for teams, run by `manage.py db_worker`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from teams import exports, mail
from teams.models import Notification, TeamExport


@task()
def team_export_build(export_id: int) -> int:
    """Build a requested full team export; returns its number of rating rows."""
    export = TeamExport.objects.select_related("team").defer("content").get(pk=export_id)
    try:
        export.content, export.rows = exports.team_export(export.team, export.format)
        export.finished_at = timezone.now()
        export.save(update_fields=["content", "rows", "finished_at"])
    except BaseException:  # SystemExit too: the worker stopped by a second signal
        # The user sees that it failed; the task result keeps the traceback for operators.
        TeamExport.objects.filter(pk=export_id).update(failed_at=timezone.now())
        raise
    return export.rows


@task()
def notifications_send() -> int:
    """Send the e-mails recorded and not yet sent; those that failed are tried again by a
    later run of this task, queued for when the first of them is due (backoff)."""
    sent, failed = mail.deliver()
    if failed:
        retry = (
            Notification.objects.filter(sent_at=None, attempts__lt=mail.MAX_ATTEMPTS)
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        if retry is not None:
            notifications_send.using(run_after=retry).enqueue()
    return sent


DAILY_AT = time(6, 0)  # UTC: before people start work in Europe


@task()
def reminders_daily() -> str:
    """The day's schedule (teams.services.reminders_run); queues itself
    for the next day, so the schedule keeps running with nobody starting it."""
    from teams.services import reminders_run  # services queues this module's tasks

    summary = reminders_run(today=timezone.localdate())  # queues notifications_send
    reminders_keep_scheduled(after=True)
    return str(summary)


def reminders_keep_scheduled(*, after: bool = False) -> None:
    """Queue the daily schedule unless a run is queued already. `after`: called by the run
    itself, which counts as none."""
    name = reminders_daily.module_path
    queued = DBTaskResult.objects.filter(task_path=name, status=TaskResultStatus.READY).exists()
    if queued:
        return
    tomorrow = timezone.localdate() + timedelta(days=1)
    run_after = datetime.combine(tomorrow, DAILY_AT, tzinfo=UTC)
    reminders_daily.using(run_after=run_after).enqueue()


@task()
def cycle_build(cycle_id: int) -> int:
    """Make the assignments and drafts of a cycle just opened, and see that the daily
    schedule is queued; returns how many."""
    from teams.models import ReviewCycle
    from teams.services import cycle_populate  # services queues this module's tasks

    cycle = cycle_populate(cycle=ReviewCycle.objects.get(pk=cycle_id))
    reminders_keep_scheduled()
    return cycle.assignments.count()
