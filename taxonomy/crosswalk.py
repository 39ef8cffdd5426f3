"""Parse published occupation crosswalks (BLS ISCO-08 <-> SOC 2010, O*NET Center) into pairs.

A table is recognised by its header, not its file name. Both BLS tables come out in
the ISCO-08 -> SOC 2010 direction, so either file gives the same pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from taxonomy.tabular import (
    NO_LIMITS,
    DataError,
    Limits,
    check_length,
    file_source,
    read_header,
    read_table,
)

CODE_PATTERNS = {
    # Strings all the way: ISCO major group 0 codes keep their leading zero ("0110").
    # Two BLS rows map to 3-digit ISCO minor groups (211, 315), so 1-4 digits are valid.
    # ASCII digits: \d would take any script's digits, which no published code has.
    "ISCO-08": re.compile(r"[0-9]{1,4}"),
    "SOC 2010": re.compile(r"[0-9]{2}-[0-9]{4}"),
    "SOC 2018": re.compile(r"[0-9]{2}-[0-9]{4}"),
    "O*NET-SOC 2010": re.compile(r"[0-9]{2}-[0-9]{4}\.[0-9]{2}"),
    "O*NET-SOC 2019": re.compile(r"[0-9]{2}-[0-9]{4}\.[0-9]{2}"),
}


@dataclass(frozen=True)
class Pair:
    source_scheme: str
    source_code: str
    source_title: str
    target_scheme: str
    target_code: str
    target_title: str
    partial: bool


@dataclass(frozen=True)
class Layout:
    kind: str
    first_column: str
    source_scheme: str
    source_code: str
    source_title: str
    target_scheme: str
    target_code: str
    target_title: str
    part: str | None = None  # a column flagging partial pairs, in this direction

    def columns(self) -> list[str]:
        names = [self.source_code, self.source_title, self.target_code, self.target_title]
        return names + ([self.part] if self.part else [])


# `partial` means what the BLS `part` column means in the ISCO -> SOC table: the source
# code is split over several target codes, so this target covers only part of it. The
# BLS flag is relative to each file's first column (the SOC -> ISCO file flags split SOC
# codes; the two files disagree on 651 of 1,125 pairs), so that file's flag is not
# used and partial is worked out from the pairs themselves, as it is for the O*NET
# tables. No O*NET-SOC 2019 code maps to two SOC 2018 codes (each lies wholly
# within one), so those pairs are never partial; several O*NET codes sharing a SOC code
# is the other direction.
LAYOUTS = [
    Layout(
        "BLS ISCO-08 -> SOC 2010",
        "ISCO-08 Code",
        "ISCO-08",
        "ISCO-08 Code",
        "ISCO-08 Title EN",
        "SOC 2010",
        "2010 SOC Code",
        "2010 SOC Title",
        part="part",
    ),
    Layout(
        "BLS SOC 2010 -> ISCO-08, read as ISCO-08 -> SOC 2010",
        "2010 SOC Code",
        "ISCO-08",
        "ISCO-08 Code",
        "ISCO-08 Title EN",
        "SOC 2010",
        "2010 SOC Code",
        "2010 SOC Title",
    ),
    Layout(
        "O*NET-SOC 2010 -> O*NET-SOC 2019",
        "O*NET-SOC 2010 Code",
        "O*NET-SOC 2010",
        "O*NET-SOC 2010 Code",
        "O*NET-SOC 2010 Title",
        "O*NET-SOC 2019",
        "O*NET-SOC 2019 Code",
        "O*NET-SOC 2019 Title",
    ),
    Layout(
        "O*NET-SOC 2019 -> SOC 2018",
        "O*NET-SOC 2019 Code",
        "O*NET-SOC 2019",
        "O*NET-SOC 2019 Code",
        "O*NET-SOC 2019 Title",
        "SOC 2018",
        "2018 SOC Code",
        "2018 SOC Title",
    ),
]


def read_pairs(path: Path, *, limits: Limits = NO_LIMITS) -> tuple[str, list[Pair]]:
    """(kind of table, pairs sorted by source and target code) for one crosswalk CSV;
    `limits` (services.CROSSWALK_LIMITS) caps the titles' lengths."""
    name = str(path)
    try:
        source = file_source(path)
    except OSError as error:
        raise DataError(name, f"cannot read the file ({error.strerror})") from None
    layout = _layout(name, read_header(name, source.open()))

    rows: dict[tuple[str, str], tuple[str, str, bool | None, int]] = {}
    for record, row in read_table(name, source.open(), layout.columns()):
        source_code = _code(name, record, row, layout.source_code, layout.source_scheme)
        target_code = _code(name, record, row, layout.target_code, layout.target_scheme)
        flag = None
        if layout.part:
            part = row[layout.part].strip()
            if part not in ("", "*"):
                raise DataError(name, "neither '*' nor empty", record=record, column=layout.part)
            flag = part == "*"
        key = (source_code, target_code)
        if key in rows:
            first = rows[key]
            if first[2] != flag:
                raise DataError(
                    name,
                    f"pair {source_code} -> {target_code} repeats record {first[3]} "
                    "with a different part flag",
                    record=record,
                    column=layout.part,
                )
            continue
        titles = row[layout.source_title].strip(), row[layout.target_title].strip()
        for column, title in zip((layout.source_title, layout.target_title), titles, strict=True):
            check_length(name, record, column, title, limits.get("title"))
        rows[key] = (*titles, flag, record)

    targets: dict[str, int] = {}
    for source_code, _ in rows:
        targets[source_code] = targets.get(source_code, 0) + 1
    pairs = [
        Pair(
            layout.source_scheme,
            source_code,
            source_title,
            layout.target_scheme,
            target_code,
            target_title,
            flag if flag is not None else targets[source_code] > 1,
        )
        for (source_code, target_code), (source_title, target_title, flag, _) in rows.items()
    ]
    pairs.sort(key=lambda pair: (pair.source_code, pair.target_code))
    return layout.kind, pairs


def _layout(name: str, header: list[str]) -> Layout:
    for layout in LAYOUTS:
        if header[:1] == [layout.first_column] and set(layout.columns()) <= set(header):
            return layout
    supported = "; ".join(
        f"{layout.kind} (first column {layout.first_column!r}, columns {layout.columns()})"
        for layout in LAYOUTS
    )
    raise DataError(name, f"not a known crosswalk table; supported: {supported}", record=0)


def _code(name: str, record: int, row: dict[str, str], column: str, scheme: str) -> str:
    code = row[column].strip()
    if not CODE_PATTERNS[scheme].fullmatch(code):
        raise DataError(name, f"not a {scheme} code", record=record, column=column)
    return code
