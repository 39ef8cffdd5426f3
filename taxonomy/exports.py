"""The occupation profile as CSV: one format for `export_profile` and the download link."""

from __future__ import annotations

import csv
from typing import TextIO

from taxonomy.models import Occupation

PROFILE_COLUMNS = [
    "competence_uri",
    "competence",
    "kind",
    "reuse_level",
    "relation",
    "target_level",
    "weight",
]


def write_profile_csv(occupation: Occupation, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PROFILE_COLUMNS)
    for r in occupation.requirements.select_related("competence").order_by(
        "relation", "competence__kind", "competence__title"
    ):
        c = r.competence
        writer.writerow(
            [
                c.uri or "",
                neutralise(c.title),
                c.kind,
                c.reuse_level,
                r.relation,
                r.target_level,
                r.weight.normalize() if r.weight == r.weight.to_integral() else r.weight,
            ]
        )


def neutralise(text: str) -> str:
    """Stop a spreadsheet from running a cell that starts like a formula."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
