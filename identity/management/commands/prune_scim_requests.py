from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from identity.models import ScimRequest


class Command(BaseCommand):
    help = (
        "Delete the record of SCIM provisioning requests older than --days: a provider "
        "syncing every 40 minutes writes thousands a day. Run it daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=365,
            help="Keep the requests of this many days (default 365).",
        )

    def handle(self, *args, days: int, **options) -> None:
        if days < 1:
            raise CommandError("--days must be 1 or more.")
        deleted, _ = ScimRequest.objects.filter(
            at__lt=timezone.now() - timedelta(days=days)
        ).delete()
        self.stdout.write(
            f"Deleted {deleted} SCIM request{'s' if deleted != 1 else ''} older than {days} days."
        )
