from __future__ import annotations

from django.core.management.base import BaseCommand

from teams.models import EXPORT_KEEP, TeamExport


class Command(BaseCommand):
    help = (
        "Delete the files of full team exports past their keeping time: they hold personal "
        "data. Who asked for which export stays, for the audit trail. Run it daily, beside "
        "`prune_db_task_results` for finished tasks."
    )

    def handle(self, *args, **options):
        cleared = TeamExport.objects.expired().update(content=None)
        self.stdout.write(
            f"Deleted the files of {cleared} export{'s' if cleared != 1 else ''} "
            f"older than {EXPORT_KEEP.days} days."
        )
