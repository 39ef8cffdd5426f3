from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from teams import mail
from teams.services import reminders_run
from teams.tasks import reminders_keep_scheduled


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today {value[:20]!r}: a date as YYYY-MM-DD is needed.") from None


class Command(BaseCommand):
    help = (
        "Review cycles' daily schedule: open the cycles whose day has come, record the day's "
        "reminders, overdue notices and managers' digests, and send what is waiting. Safe to "
        "run any number of times, and beside the worker, which runs the same each day."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=_day, help="Run as on this day (YYYY-MM-DD).")

    def handle(self, *args, today: date | None = None, **options):
        summary = reminders_run(today=today or timezone.localdate())
        sent, failed = mail.deliver()
        reminders_keep_scheduled()
        self.stdout.write(f"{summary} Sent: {sent}. Failed, to retry: {failed}.")
