from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from taxonomy.services import import_run_record
from taxonomy.tabular import DataError, file_source, read_table
from teams.services import PEOPLE_COLUMNS, people_import


class Command(BaseCommand):
    help = (
        "Onboard people from a CSV with the columns "
        + ",".join(PEOPLE_COLUMNS)
        + " (role: member or manager). Creates or updates users, teams, memberships and "
        "managers; people missing from the file are left as they are. One transaction: a bad "
        "record stops it with nothing written. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The people CSV (UTF-8).")

    def handle(self, *args, file: Path, **options):
        try:
            source = file_source(file)
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        try:
            records = read_table(file.name, source.open(), PEOPLE_COLUMNS)
            with transaction.atomic():
                summary = people_import(name=file.name, records=records)
                import_run_record(command="import_people", summaries=[summary])
        except DataError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(summary))
