from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from taxonomy import esco, services
from taxonomy.tabular import DataError


class Command(BaseCommand):
    help = (
        "Import ISCO groups, occupations, skills and occupation profiles from the official "
        "ESCO CSV export (v1.1 or v1.2 layout), given as directories and/or the published zips."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths",
            nargs="+",
            type=Path,
            help="ESCO CSV directories or zip files (classification and relations).",
        )
        parser.add_argument(
            "--isco",
            action="append",
            default=[],
            metavar="CODE",
            help="Only import this ISCO-08 branch, e.g. 351; repeat for several branches.",
        )
        parser.add_argument(
            "--release",
            help="Release name to record, e.g. 'ESCO v1.2.0'; from the file names if omitted.",
        )

    def handle(self, *args, paths: list[Path], isco: list[str], release: str | None, **options):
        progress = self.stderr.write if options["verbosity"] >= 1 else services.quiet
        progress(f"reading {', '.join(str(p) for p in paths)}")
        try:
            dataset = esco.select_branches(
                esco.read_dataset(paths, limits=services.ESCO_LIMITS), isco
            )
        except DataError as error:
            raise CommandError(str(error)) from None
        name = release or dataset.release
        if not name:
            raise CommandError("Cannot tell the ESCO release from the file names: pass --release.")
        if problem := services.release_name_problem(name):
            raise CommandError(problem)
        try:
            with transaction.atomic():
                summary = services.esco_import(
                    dataset=dataset, release_name=name, progress=progress
                )
                services.import_run_record(command="import_esco", summaries=[summary])
        except DataError as error:  # what only the database can tell: a code already taken
            raise CommandError(str(error)) from None
        self.stdout.write(str(summary))
