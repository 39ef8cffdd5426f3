from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config import backup


class Command(BaseCommand):
    help = (
        "Back up the database while the app runs, into one tar file: a manifest (migrations, "
        "row counts, SHA-256) and a copy made by SQLite's online backup API or by pg_dump."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The backup file to write.")

    def handle(self, *args, path: Path, **options):
        try:
            self.stdout.write(backup.backup(path))
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
