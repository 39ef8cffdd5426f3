from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from config import backup


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup made by the backup command, once it is "
        "shown to be intact and of a schema this code knows; otherwise refuse and change "
        "nothing. Stop the app servers first: a restore is not meant to race live writes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The backup file to read.")

    def handle(self, *args, path: Path, **options):
        try:
            self.stdout.write(backup.restore(path))
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
