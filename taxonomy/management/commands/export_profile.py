from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taxonomy.exports import write_profile_csv
from taxonomy.models import Occupation


class Command(BaseCommand):
    help = "Print an occupation's competence profile as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="Occupation code, e.g. 3512.4 or 15-1232.00.")

    def handle(self, *args, code: str, **options):
        try:
            occupation = Occupation.objects.get(code=code)
        except Occupation.DoesNotExist:
            raise CommandError(f"No occupation with code {code!r}.") from None
        write_profile_csv(occupation, self.stdout)
