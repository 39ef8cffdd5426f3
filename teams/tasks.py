"""Background work for teams, run by `manage.py db_worker`."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from teams import exports
from teams.models import TeamExport


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
