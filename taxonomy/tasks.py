"""Background work for the taxonomy, run by `manage.py db_worker`."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.tasks import task

from taxonomy.services import IMPORT_BY

# The commands the worker may run: the taxonomy's own, and those other apps add from their
# AppConfig.ready() (teams: import_people). A queued row naming any other is refused.
IMPORT_COMMANDS = {"import_esco", "import_onet", "import_crosswalk"}


@task()
def run_import(command: str, arguments: list[str], by: str) -> str:
    """Run an import command in the worker, recorded as run by `by` (who queued it); its
    summary becomes the task's result."""
    if command not in IMPORT_COMMANDS:
        raise ValueError(f"{command} is not an import command.")
    out = io.StringIO()
    token = IMPORT_BY.set(f"{by} (queued)"[:150])
    try:
        call_command(command, *arguments, stdout=out, verbosity=0)
    finally:
        IMPORT_BY.reset(token)
    return out.getvalue().strip()
