from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from taxonomy import onet, services
from taxonomy.tabular import DataError


class Command(BaseCommand):
    help = (
        "Import O*NET occupations with their Skills and Knowledge profiles from an O*NET "
        "database directory (Excel or tab-delimited text edition). Importance becomes the "
        "weight, level the target; elements of importance below 2 or suppressed are left out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="The O*NET database directory.")
        parser.add_argument(
            "--code",
            action="append",
            default=[],
            metavar="CODE",
            help="Only import this O*NET-SOC code, e.g. 15-1232.00; repeat for several.",
        )
        parser.add_argument(
            "--release",
            help="Release name to record, e.g. 'O*NET 29.3'; read from 'Read Me.txt' if omitted.",
        )

    def handle(self, *args, directory: Path, code: list[str], release: str | None, **options):
        progress = self.stderr.write if options["verbosity"] >= 1 else services.quiet
        progress(f"reading {directory}")
        try:
            dataset = onet.read_dataset(directory, codes=code, limits=services.ONET_LIMITS)
        except DataError as error:
            raise CommandError(str(error)) from None
        name = release or dataset.release
        if not name:
            raise CommandError("Cannot tell the O*NET release (no 'Read Me.txt'): pass --release.")
        if problem := services.release_name_problem(name):
            raise CommandError(problem)
        with transaction.atomic():
            summary = services.onet_import(dataset=dataset, release_name=name, progress=progress)
            services.import_run_record(command="import_onet", summaries=[summary])
        self.stdout.write(str(summary))
        for line in summary.change_lines():
            self.stdout.write(line)
        for stem in dataset.missing:
            self.stdout.write(f"No '{stem}' file in the folder: its lines were left as they were.")
