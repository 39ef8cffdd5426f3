from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from assessments.services import (
    AssessmentError,
    demo_assessments_create,
    demo_team_create,
    learning_resources_import,
)
from taxonomy import crosswalk, esco, onet, profiles, services
from taxonomy.models import Occupation
from taxonomy.tabular import DataError

DATA = Path(__file__).resolve().parents[2] / "data"
RESOURCES = Path(__file__).resolve().parents[3] / "assessments" / "data" / "learning-resources.csv"
DEMO_ACCOUNTS = [
    # username, password, role, staff, superuser
    ("admin", "gapwise-admin-demo", "taxonomy-admin", True, True),
    ("manager", "gapwise-manager-demo", "manager", False, False),
    ("technician", "gapwise-technician-demo", "technician", False, False),
]
DEMO_OCCUPATION = "3512.4"


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
        progress = self.stderr.write if options["verbosity"] >= 1 else services.quiet
        try:
            summaries = self.load(progress)
        except (DataError, AssessmentError) as error:
            raise CommandError(str(error)) from None
        for summary in summaries:
            self.stdout.write(str(summary))
        if demo:
            self.create_demo_accounts()

    @transaction.atomic
    def load(self, progress: services.Progress) -> list[services.ImportSummary | str]:
        groups = json.loads((DATA / "isco-351.json").read_text())
        seeded = {group["code"] for group in groups}
        summaries: list[services.ImportSummary | str] = [
            services.groups_import(groups=groups, release_name="ISCO-08 (ILO)")
        ]

        # The ICT technician page is newer than the v1.1.1 export: its profile and the
        # wording of its competences win, so it goes first and the export skips them.
        technician = json.loads((DATA / "esco-ict-technician-3512.4.json").read_text())
        name = "esco-ict-technician-3512.4.csv"
        lines = profiles.read_profile(name, (DATA / name).read_bytes())
        summaries.append(
            services.profile_import(
                occupation=technician, lines=lines, release_name=technician["release"]
            )
        )

        # Likewise the seed carries the richer text for 351 and its unit groups.
        dataset = esco.read_dataset([DATA / "esco-v1.1.1"])
        dataset.groups = [g for g in dataset.groups if g.code not in seeded]
        newer = {line.competence_uri for line in lines}
        dataset.skills = [s for s in dataset.skills if s.uri not in newer]
        summaries.append(
            services.esco_import(dataset=dataset, release_name="ESCO v1.1.1", progress=progress)
        )

        text = (DATA / "soc-2010-computer-occupations.csv").read_text()
        summaries.append(
            services.occupations_import(
                occupations=list(csv.DictReader(io.StringIO(text))),
                source=Occupation.Source.SOC,
                release_name="SOC 2010 (BLS)",
            )
        )

        tables = sorted((DATA / "crosswalks").glob("*.csv"))
        for table, pairs in (crosswalk.read_pairs(path) for path in tables):
            summaries.append(
                services.crosswalk_import(pairs=pairs, release_name="Crosswalks", table=table)
            )

        rows = list(csv.DictReader(io.StringIO(RESOURCES.read_text())))
        summaries.append(learning_resources_import(rows=rows, occupation_code=DEMO_OCCUPATION))

        onet_data = onet.read_dataset(DATA / "onet-29.3")
        summaries.append(
            services.onet_import(
                dataset=onet_data, release_name=onet_data.release or "O*NET", progress=progress
            )
        )
        services.import_run_record(command="load_default_data", summaries=summaries)
        return summaries

    @transaction.atomic
    def create_demo_accounts(self) -> None:
        User = get_user_model()
        for username, password, role, staff, superuser in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.is_staff, user.is_superuser = staff, superuser
                user.set_password(password)
                user.save()
                user.groups.add(Group.objects.get(name=role))
            self.stdout.write(f"demo account: {username} / {password} ({role})")
        technician = User.objects.get(username="technician")
        if not technician.assessments.exists():
            demo_assessments_create(user=technician, occupation_code=DEMO_OCCUPATION)
            self.stdout.write(
                f"demo assessments for technician: one submitted, one half-finished draft "
                f"({DEMO_OCCUPATION})"
            )
        manager = User.objects.get(username="manager")
        if not manager.managed_teams.exists():
            team = demo_team_create(
                manager=manager, technician=technician, occupation_code=DEMO_OCCUPATION
            )
            self.stdout.write(f"demo team for manager: {team.name}, {team.members.count()} members")
