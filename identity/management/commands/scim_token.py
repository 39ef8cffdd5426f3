from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from identity.models import ScimToken


class Command(BaseCommand):
    help = (
        "Make a bearer token for SCIM provisioning and print it, alone on the last line. "
        "It is shown this once: only its hash is kept."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="What the token is for, e.g. entra-id (unique).")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days until the token expires (default: it does not expire).",
        )

    def handle(self, *args, name: str, days: int | None, **options) -> None:
        if ScimToken.objects.filter(name=name).exists():
            raise CommandError(
                f"A token named {name!r} exists; revoke it in admin or pick another name."
            )
        if days is not None and days < 1:
            raise CommandError("--days must be 1 or more.")
        token = ScimToken(
            name=name, expires_at=timezone.now() + timedelta(days=days) if days else None
        )
        secret = token.new_secret()
        token.save()
        expires = f"expires {token.expires_at:%Y-%m-%d}" if token.expires_at else "does not expire"
        self.stdout.write(
            f"SCIM token {name} made ({expires}); copy it now, it is not shown again:"
        )
        self.stdout.write(secret)
