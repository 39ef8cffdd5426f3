from __future__ import annotations

import argparse
from pathlib import Path

from django.core.management import get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError, CommandParser

from taxonomy.services import login_name
from taxonomy.tasks import IMPORT_COMMANDS, run_import


class Command(BaseCommand):
    help = (
        "Queue an import for the task worker (manage.py db_worker) instead of running it "
        "here, e.g. `enqueue_import import_esco data/esco --isco 351`. The arguments are "
        "checked now; the import's summary becomes the task's result, shown in the admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "import_command", choices=sorted(IMPORT_COMMANDS), help="The import to run."
        )
        parser.add_argument(
            "arguments",
            nargs=argparse.REMAINDER,
            help="Its arguments and options, as you would give them to the command itself.",
        )

    def handle(self, *args, import_command: str, arguments: list[str], **options):
        command = load_command_class(get_commands()[import_command], import_command)
        try:
            parsed = command.create_parser("manage.py", import_command).parse_args(arguments)
        except CommandError as error:
            raise CommandError(f"{import_command}: {error}") from None
        paths = {
            str(value)
            for values in vars(parsed).values()
            for value in (values if isinstance(values, list) else [values])
            if isinstance(value, Path)
        }
        missing = sorted(p for p in paths if not Path(p).exists())
        if missing:
            raise CommandError(f"{import_command}: no such file or directory: {', '.join(missing)}")
        # The worker may run in another directory: hand it absolute paths.
        arguments = [str(Path(a).resolve()) if str(Path(a)) in paths else a for a in arguments]
        result = run_import.enqueue(import_command, arguments, login_name())
        self.stdout.write(
            f"Queued {import_command} as task {result.id}; `manage.py db_worker` runs it."
        )
