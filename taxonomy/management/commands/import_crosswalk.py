from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from taxonomy import crosswalk, services
from taxonomy.tabular import DataError


class Command(BaseCommand):
    help = (
        "Import crosswalk tables: the BLS ISCO-08 <-> SOC 2010 tables and the O*NET Center's "
        "O*NET-SOC 2010 -> 2019 and 2019 -> SOC 2018 tables, recognised by their headers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help="Crosswalk CSV files.")
        parser.add_argument(
            "--release",
            default="Crosswalks",
            help="Release name to record for these tables (default: %(default)s).",
        )

    def handle(self, *args, files: list[Path], release: str, **options):
        if problem := services.release_name_problem(release):
            raise CommandError(problem)
        try:
            tables = [
                crosswalk.read_pairs(path, limits=services.CROSSWALK_LIMITS) for path in files
            ]
        except DataError as error:
            raise CommandError(str(error)) from None
        with transaction.atomic():
            summaries = [
                services.crosswalk_import(pairs=pairs, release_name=release, table=table)
                for table, pairs in tables
            ]
            services.import_run_record(command="import_crosswalk", summaries=summaries)
        for summary in summaries:
            self.stdout.write(str(summary))
