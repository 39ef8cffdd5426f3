"""Reading the release history: what releases changed, between two of them, and whom
that affects.

The apps above the taxonomy know who is affected (drafts, assessments, teams): each
registers a function in IMPACTS that, given the ids of the changed occupations, returns
its Impact rows, so the taxonomy never imports them.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from django.db.models import Count, QuerySet

from taxonomy.exports import neutralise
from taxonomy.models import Occupation, Release, ReleaseChange, version_key

if TYPE_CHECKING:
    from taxonomy.services import ImportSummary


@dataclass(frozen=True)
class Impact:
    """Who a set of changed occupations affects, in one respect: "open drafts" 3, of
    which 2 of 3513.2 and 1 of 3514.1."""

    what: str
    total: int
    by_occupation: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        where = ", ".join(f"{code}: {n}" for code, n in sorted(self.by_occupation.items()))
        return f"{self.what}: {self.total}" + (f" ({where})" if where else "")


IMPACTS: list[Callable[[list[int]], list[Impact]]] = []

CSV_COLUMNS = [
    "release",
    "kind",
    "occupation_code",
    "occupation",
    "competence_uri",
    "competence",
    "old_value",
    "new_value",
    "conflict",
]


class UnknownRelease(Exception):
    pass


def release_named(name: str) -> Release:
    release = Release.objects.filter(name=name).first()
    if release is None:
        known = ", ".join(Release.objects.order_by("name").values_list("name", flat=True))
        raise UnknownRelease(f"No release named {name!r}; known: {known or 'none'}.")
    return release


def releases_between(old: Release, new: Release) -> list[Release]:
    """The releases after `old` up to and including `new`, of `new`'s source, in
    version order (imports order those without a version)."""
    releases = [
        r
        for r in Release.objects.filter(source=new.source)
        if r.pk != old.pk and release_order(old) < release_order(r) <= release_order(new)
    ]
    return sorted(releases, key=release_order)


def release_order(release: Release) -> tuple:
    """The sort key of releases of one source: by version, then in the order imported."""
    return (version_key(release.version), release.imported_at, release.pk)


def changes_of(releases: Iterable[Release]) -> QuerySet[ReleaseChange]:
    return ReleaseChange.objects.filter(release__in=list(releases))


def kind_counts(changes: QuerySet[ReleaseChange]) -> dict[str, int]:
    """{kind label: count} in the order of ReleaseChange.Kind, kinds with none left out."""
    counted = dict(changes.order_by().values_list("kind").annotate(n=Count("pk")))
    return {label: counted[k] for k, label in ReleaseChange.Kind.choices if counted.get(k)}


def changed_occupations(changes: QuerySet[ReleaseChange]) -> list[int]:
    """The occupations whose profile or record the changes touch."""
    rows = changes.exclude(occupation=None).order_by().values_list("occupation_id", flat=True)
    return sorted(set(rows))


def impact(occupation_ids: list[int]) -> list[Impact]:
    return [row for provider in IMPACTS for row in provider(occupation_ids)]


def occupation_codes(ids: Iterable[int]) -> dict[int, str]:
    return dict(Occupation.objects.filter(pk__in=list(ids)).values_list("pk", "code"))


def per_occupation(counts: Iterable[tuple[int, int]]) -> dict[str, int]:
    """{code: n} from (occupation id, n) rows."""
    rows = list(counts)
    codes = occupation_codes(pk for pk, _ in rows)
    total: Counter[str] = Counter()
    for pk, n in rows:
        total[codes.get(pk, str(pk))] += n
    return dict(total)


def release_report(summary: ImportSummary) -> list[str]:
    """What an import changed and whom it affects, as lines for a command to print."""
    lines = summary.change_lines()
    if summary.occupations_changed:
        lines += [str(row) for row in impact(sorted(summary.occupations_changed))]
    return lines


def changes_csv(changes: QuerySet[ReleaseChange], out: IO[str]) -> int:
    """Every change as a CSV row; returns how many."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    n = 0
    rows = changes.select_related("release").order_by("release__imported_at", "pk")
    for change in rows.iterator(chunk_size=2000):
        writer.writerow(
            [
                neutralise(change.release.name),
                change.kind,
                neutralise(change.occupation_code),
                neutralise(change.occupation_title),
                neutralise(change.competence_uri),
                neutralise(change.competence_title),
                neutralise(change.old_value),
                neutralise(change.new_value),
                "conflict" if change.conflict else "",
            ]
        )
        n += 1
    return n
