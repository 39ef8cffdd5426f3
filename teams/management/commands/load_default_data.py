from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from assessments.seed import default_learning_resources_load
from assessments.services import AssessmentError
from taxonomy.seed import default_taxonomy_load
from taxonomy.services import ImportSummary, Progress, import_run_record, quiet
from taxonomy.tabular import DataError
from teams.demo import demo_accounts_create


class Command(BaseCommand):
    help = (
        "Load the default ICT taxonomy shipped in taxonomy/data/: ISCO-08 group 351, the ESCO "
        "v1.1.1 occupations of 3511-3514, the newer ESCO ICT technician profile, SOC 2010 "
        "computer occupations, O*NET 29.3 profiles of 15-1231.00 and 15-1232.00, and the "
        "crosswalks, plus learning resources for the ICT technician's competences. Safe to run "
        "again: it changes only what differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Also create demo accounts and print their passwords (refused when DEBUG is off).",
        )

    def handle(self, *args, demo: bool, **options):
        if demo and not settings.DEBUG:
            raise CommandError("Demo accounts are for development only (DEBUG is off).")
        progress = self.stderr.write if options["verbosity"] >= 1 else quiet
        try:
            summaries = self.load(progress)
        except (DataError, AssessmentError) as error:
            raise CommandError(str(error)) from None
        for summary in summaries:
            self.stdout.write(str(summary))
        if demo:
            for line in demo_accounts_create():
                self.stdout.write(line)

    @transaction.atomic
    def load(self, progress: Progress) -> list[ImportSummary | str]:
        summaries: list[ImportSummary | str] = [*default_taxonomy_load(progress=progress)]
        summaries.append(default_learning_resources_load())
        import_run_record(command="load_default_data", summaries=summaries)
        return summaries
