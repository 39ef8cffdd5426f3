from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from taxonomy import esco, services
from taxonomy.models import Release
from taxonomy.releases import release_report
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
        parser.add_argument(
            "--allow-downgrade",
            action="store_true",
            help="Import a release older than one already imported.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what the release changes and whom it affects; write nothing.",
        )

    def handle(self, *args, paths: list[Path], isco: list[str], release: str | None, **options):
        progress = self.stderr.write if options["verbosity"] >= 1 else services.quiet
        name = release or esco.release_from_paths(paths)
        try:
            checksum = services.files_checksum(paths, isco)
        except OSError:
            checksum = None  # the reader says what is wrong with the paths
        if (
            name
            and checksum
            and services.release_unchanged(name=name, source=Release.Source.ESCO, checksum=checksum)
        ):
            self.stdout.write(str(services.ImportSummary(release=name, same_content=True)))
            return
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
                    dataset=dataset,
                    release_name=name,
                    progress=progress,
                    scope=isco,
                    allow_downgrade=options["allow_downgrade"],
                    checksum=checksum,
                )
                changes = release_report(summary)
                if options["dry_run"]:
                    transaction.set_rollback(True)
                elif summary.changed:
                    services.import_run_record(command="import_esco", summaries=[summary, *changes])
        except (services.ReleaseRefused, DataError) as error:
            # DataError: what only the database can tell, such as a code already taken.
            raise CommandError(str(error)) from None
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
        self.stdout.write(str(summary))
        for line in changes:
            self.stdout.write(line)
