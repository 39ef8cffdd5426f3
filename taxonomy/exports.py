"""The occupation profile as CSV: one format for `export_profile` and the download link."""

from __future__ import annotations

import csv
import re
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
    # CRLF, as RFC 4180 has it: with "\n" alone the csv module leaves a field holding a
    # carriage return unquoted, and a spreadsheet starts a new row there.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PROFILE_COLUMNS)
    for r in occupation.requirements.select_related("competence").order_by(
        "relation", "competence__kind", "competence__title"
    ):
        c = r.competence
        row = [
            c.uri or "",
            c.title,
            c.kind,
            c.reuse_level,
            r.relation,
            r.target_level,
            r.weight.normalize() if r.weight == r.weight.to_integral() else r.weight,
        ]
        # Every text cell, not only the titles: a URI or a kind is text from a file or an
        # admin too, and a spreadsheet runs any cell that starts like a formula.
        writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])


# Characters no workbook cell may hold: C0 controls but tab, line feed and carriage
# return. openpyxl refuses them, failing the whole export; a pasted form feed is enough.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(text: str) -> str:
    """A cell a spreadsheet shows as the text it is: the characters no workbook may hold
    dropped first, and then, if it starts like a formula, quoted so it is never run."""
    text = CONTROL_CHARACTERS.sub("", text)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text
