from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from taxonomy import releases
from taxonomy.models import Occupation, ReleaseChange


class Command(BaseCommand):
    help = (
        "What the releases after OLD up to NEW changed (counts of each kind of change) and "
        "whom it affects; --occupation lists one occupation's changes line by line, --csv "
        "writes every change."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("old", help="The release before, e.g. 'ESCO v1.1.0'.")
        parser.add_argument("new", help="The release after, e.g. 'ESCO v1.1.1'.")
        parser.add_argument("--occupation", metavar="CODE", help="One occupation's changes.")
        parser.add_argument("--csv", type=Path, metavar="FILE", help="Write every change here.")

    def handle(self, *args, old: str, new: str, occupation: str | None, csv: Path | None, **o):
        try:
            before, after = releases.release_named(old), releases.release_named(new)
        except releases.UnknownRelease as error:
            raise CommandError(str(error)) from None
        between = releases.releases_between(before, after)
        changes = releases.changes_of(between)
        if occupation is not None:
            found = Occupation.objects.filter(code=occupation).first()
            if found is None:
                raise CommandError(f"No occupation with code {occupation!r}.")
            changes = changes.filter(occupation=found)
        names = ", ".join(r.name for r in between) or "none"
        self.stdout.write(f"{old} -> {new} (releases: {names})")
        for label, n in releases.kind_counts(changes).items():
            self.stdout.write(f"  {label}: {n}")
        conflicts = changes.filter(conflict=True).count()
        if conflicts:
            self.stdout.write(f"  Conflicts with admin edits to settle: {conflicts}")
        occupations = releases.changed_occupations(changes)
        self.stdout.write(f"Occupations changed: {len(occupations)}")
        for row in releases.impact(occupations):
            self.stdout.write(f"  {row}")
        if occupation is not None:
            for change in changes.order_by("kind", "competence_title", "pk"):
                self.stdout.write(_line(change))
        if csv is not None:
            try:
                with csv.open("w", newline="", encoding="utf-8") as out:
                    n = releases.changes_csv(changes, out)
            except OSError as error:
                raise CommandError(f"Cannot write {csv}: {error.strerror}.") from None
            self.stdout.write(f"Wrote {n} changes to {csv}.")


def _line(change: ReleaseChange) -> str:
    subject = change.competence_title or change.occupation_title
    values = " -> ".join(v for v in (change.old_value, change.new_value) if v)
    flag = " [conflict]" if change.conflict else ""
    return f"  {change.release}: {change.get_kind_display()}: {subject} {values}{flag}".rstrip()
