from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api.models import ApiToken
from api.services import api_token_create


class Command(BaseCommand):
    help = (
        "Make an API token for a user and print it, alone on the last line. It is shown "
        "this once: only its hash is kept. The token acts as that user."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", help="Whose token: it sees what they may see.")
        parser.add_argument(
            "--scope",
            choices=ApiToken.Scope.values,
            default=ApiToken.Scope.READ,
            help="read (default), or write: may also start, rate and submit assessments.",
        )
        parser.add_argument(
            "--kind",
            choices=ApiToken.Kind.values,
            default=ApiToken.Kind.PERSONAL,
            help="personal (default), or service: another system acting as this user.",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=90,
            help="Days until the token expires (default 90; 0: it does not expire).",
        )
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(
        self, *args, username: str, scope: str, kind: str, days: int, name: str, **options
    ) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        if days < 0:
            raise CommandError("--days must be 0 (no expiry) or more.")
        if len(name) > 100:
            raise CommandError("--name must be at most 100 characters.")
        token, secret = api_token_create(
            owner=user, name=name or f"{kind} token", scope=scope, kind=kind, days=days or None
        )
        expires = f"expires {token.expires_at:%Y-%m-%d}" if token.expires_at else "does not expire"
        self.stdout.write(
            f"API token {token.prefix}… for {username}, scope {scope}, {expires}; copy it now,"
            " it is not shown again:"
        )
        self.stdout.write(secret)
