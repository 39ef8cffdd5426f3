"""Parse an O*NET database (Excel or tab-delimited text edition) into occupation profiles.

Skills and Knowledge give every occupation two ratings per element: importance (IM,
1-5) and level (LV, 0-7). `profile_line` turns such a pair into one profile line. The
two editions differ only in file format and in the Excel edition's extra `Title` and
`Scale Name` columns, so files are found by name and columns by header.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from taxonomy.tabular import (
    NO_LIMITS,
    DataError,
    Limits,
    Source,
    check_length,
    collect_sources,
    quoted,
    read_sheet,
    read_table,
)

PROFILE_FILES = {"Skills": "skill", "Knowledge": "knowledge"}
PROFILE_COLUMNS = [
    "O*NET-SOC Code",
    "Element ID",
    "Element Name",
    "Scale ID",
    "Data Value",
    "Recommend Suppress",
    "Not Relevant",
]
RANGES = {"IM": (1.0, 5.0), "LV": (0.0, 7.0)}
# Every O*NET-SOC code of the real files looks so (15-1232.00); anything else is a wrong file.
ONET_CODE = r"\A[0-9]{2}-[0-9]{4}\.[0-9]{2}\Z"
# Element IDs are dotted outline numbers (2.A.1.a); each becomes part of a competence's URI.
ELEMENT_ID = r"\A[0-9A-Za-z]+(\.[0-9A-Za-z]+)*\Z"
LEVEL_MAX = 7


@dataclass(frozen=True)
class Occupation:
    code: str
    title: str
    description: str


@dataclass(frozen=True)
class Element:
    element_id: str
    name: str
    description: str
    kind: str


@dataclass(frozen=True)
class Line:
    occupation_code: str
    element_id: str
    relation: str
    target_level: int
    weight: Decimal


@dataclass
class Dataset:
    release: str | None
    occupations: list[Occupation] = field(default_factory=list)
    elements: list[Element] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    # Profile files the folder lacks ("Knowledge"): their kind of lines is left as it was.
    missing: list[str] = field(default_factory=list)


def profile_line(
    importance: float,
    level: float,
    *,
    suppressed: bool,
    not_relevant: bool,
    scale_max: int = 4,
) -> tuple[str, int, Decimal] | None:
    """(relation, target level, weight) for one element of an occupation, or None to leave it out.

    Importance 3 and up is essential, 2 up to 3 optional, below 2 not part of the profile.
    """
    if not (math.isfinite(importance) and 1 <= importance <= 5):
        raise ValueError(f"importance {importance} is outside 1-5")
    if not (math.isfinite(level) and 0 <= level <= LEVEL_MAX):
        raise ValueError(f"level {level} is outside 0-{LEVEL_MAX}")
    if scale_max < 1:
        raise ValueError(f"scale_max {scale_max} is below 1")
    # Decimal from the shortest repr, so 2.995 is the 2.995 in the file, not 2.99499999...
    im = Decimal(str(importance))
    if suppressed or not_relevant or im < 2:
        return None
    relation = "essential" if im >= 3 else "optional"
    # Multiply before dividing so a level exactly halfway between steps stays exact and
    # rounds up, where round() on a float would round half to even or miss by an ulp.
    scaled = Decimal(str(level)) * scale_max / LEVEL_MAX
    target = int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return relation, target, im.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def release_from_readme(text: str) -> str | None:
    """“O*NET 29.3” from the first line of Read Me.txt, “O*NET 29.3 Database”."""
    for line in text.splitlines():
        if line.strip():
            match = re.match(r"O\*NET\s+(\d+(?:\.\d+)*)\s+Database\b", line.strip(), re.IGNORECASE)
            return f"O*NET {match.group(1)}" if match else None
    return None


def read_dataset(
    directory: Path, codes: Sequence[str] = (), *, limits: Limits = NO_LIMITS
) -> Dataset:
    """Read occupations and their Skills and Knowledge profiles; `codes` limits the occupations,
    `limits` (services.ONET_LIMITS) the fields' lengths."""
    sources = collect_sources([directory])
    found = {stem: _find(sources, stem) for stem in ["Occupation Data", *PROFILE_FILES]}
    missing = [stem for stem, source in found.items() if source is None]
    # One profile file is enough: a folder of Skills alone imports the skills.
    if "Occupation Data" in missing or len(missing) == len(PROFILE_FILES):
        raise DataError(
            str(directory),
            "O*NET database incomplete: no "
            + ", ".join(f"'{stem}.xlsx' or '{stem}.txt'" for stem in missing),
        )
    wanted = {code.strip() for code in codes}

    occupations = read_occupations(found["Occupation Data"], wanted, limits)
    names: dict[str, tuple[str, str]] = {}
    lines: list[Line] = []
    for stem, kind in PROFILE_FILES.items():
        if found[stem] is not None:
            lines.extend(read_profiles(found[stem], kind, wanted, names, limits))

    descriptions: dict[str, str] = {}
    reference = _find(sources, "Content Model Reference")
    if reference is not None:
        descriptions = read_descriptions(reference)
    elements = [
        Element(element_id, name, descriptions.get(element_id, ""), kind)
        for element_id, (name, kind) in names.items()
    ]
    readme = sources.get("Read Me.txt")
    release = None
    if readme is not None:
        release = release_from_readme(readme.read().decode("utf-8-sig", errors="replace"))
    return Dataset(
        release=release, occupations=occupations, elements=elements, lines=lines, missing=missing
    )


def _find(sources: dict[str, Source], stem: str) -> Source | None:
    return sources.get(f"{stem}.xlsx") or sources.get(f"{stem}.txt")


def _rows(
    source: Source, columns: Sequence[str], optional: Sequence[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    if source.name.endswith(".xlsx"):  # openpyxl needs the whole workbook at hand
        return read_sheet(str(source), source.read(), columns, optional=optional)
    return read_table(str(source), source.open(), columns, optional=optional, delimiter="\t")


def read_occupations(
    source: Source, wanted: Collection[str] = (), limits: Limits = NO_LIMITS
) -> list[Occupation]:
    name = str(source)
    seen: dict[str, int] = {}
    occupations = []
    for record, row in _rows(source, ["O*NET-SOC Code", "Title"], optional=["Description"]):
        code = row["O*NET-SOC Code"].strip()
        if not code:
            raise DataError(name, "empty O*NET-SOC code", record=record, column="O*NET-SOC Code")
        _check_code(name, record, code)
        if code in seen:
            raise DataError(
                name,
                f"duplicate O*NET-SOC code {code} (first at record {seen[code]})",
                record=record,
                column="O*NET-SOC Code",
            )
        seen[code] = record
        if wanted and code not in wanted:
            continue
        title = row["Title"].strip()
        check_length(name, record, "Title", title, limits.get("occupation.title"))
        occupations.append(Occupation(code, title, row.get("Description", "").strip()))
    return occupations


def read_descriptions(source: Source) -> dict[str, str]:
    columns = ["Element ID", "Description"]
    return {
        row["Element ID"].strip(): row["Description"].strip() for _, row in _rows(source, columns)
    }


def read_profiles(
    source: Source,
    kind: str,
    wanted: Collection[str],
    names: dict[str, tuple[str, str]],
    limits: Limits = NO_LIMITS,
) -> list[Line]:
    """Pair the IM and LV rows of Skills or Knowledge into lines.

    Element names and kinds go into `names`, shared by both files.
    """
    name = str(source)
    seen: dict[tuple[str, str, str], int] = {}
    # (code, element) -> scale -> (record, value, suppressed, not relevant)
    ratings: dict[tuple[str, str], dict[str, tuple[int, float, bool, bool]]] = {}
    for record, row in _rows(source, PROFILE_COLUMNS):
        code = row["O*NET-SOC Code"].strip()
        if wanted and code not in wanted:
            continue
        element_id = row["Element ID"].strip()
        for column, value in (("O*NET-SOC Code", code), ("Element ID", element_id)):
            if not value:
                raise DataError(name, "empty value", record=record, column=column)
        _check_code(name, record, code)
        if not re.search(ELEMENT_ID, element_id):
            raise DataError(
                name,
                "an element ID is letters and digits separated by dots (e.g. 2.A.1.a)",
                record=record,
                column="Element ID",
            )
        check_length(name, record, "Element ID", element_id, limits.get("element.id"))
        scale = row["Scale ID"].strip()
        if scale not in RANGES:
            # Skills and Knowledge carry only IM and LV; anything else means a wrong file.
            raise DataError(
                name,
                f"unknown scale {quoted(scale)}; expected IM or LV",
                record=record,
                column="Scale ID",
            )
        key = (code, element_id, scale)
        if key in seen:
            raise DataError(
                name,
                f"duplicate {scale} row for {code} {element_id} (first at record {seen[key]})",
                record=record,
                column="Scale ID",
            )
        seen[key] = record
        value = _value(name, record, row["Data Value"], scale)
        element_name = row["Element Name"].strip()
        check_length(name, record, "Element Name", element_name, limits.get("element.name"))
        if element_id not in names:
            names[element_id] = (element_name, kind)
        elif names[element_id][1] != kind:
            raise DataError(
                name,
                f"element {element_id} is already {names[element_id][1]}, not {kind}",
                record=record,
                column="Element ID",
            )
        ratings.setdefault((code, element_id), {})[scale] = (
            record,
            value,
            row["Recommend Suppress"].strip().upper() == "Y",
            row["Not Relevant"].strip().upper() == "Y",
        )

    lines = []
    for (code, element_id), scales in ratings.items():
        if len(scales) < 2:
            have = next(iter(scales))
            record = scales[have][0]
            lacking = "LV" if have == "IM" else "IM"
            raise DataError(
                name,
                f"{code} {element_id} has an {have} row but no {lacking} row",
                record=record,
                column="Scale ID",
            )
        _, importance, im_suppressed, _ = scales["IM"]
        _, level, lv_suppressed, not_relevant = scales["LV"]
        line = profile_line(
            importance,
            level,
            suppressed=im_suppressed or lv_suppressed,
            not_relevant=not_relevant,
        )
        if line is not None:
            lines.append(Line(code, element_id, *line))
    return lines


def _check_code(name: str, record: int, code: str) -> None:
    if not re.search(ONET_CODE, code):
        raise DataError(
            name,
            "an O*NET-SOC code is two digits, a hyphen, four digits, a dot and two digits "
            "(e.g. 15-1232.00)",
            record=record,
            column="O*NET-SOC Code",
        )


def _value(name: str, record: int, text: str, scale: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(
            name, f"{quoted(text)} is not a number", record=record, column="Data Value"
        ) from None
    low, high = RANGES[scale]
    if not (math.isfinite(value) and low <= value <= high):
        raise DataError(
            name,
            f"{scale} value {value:g} is outside {low:g}-{high:g}",
            record=record,
            column="Data Value",
        )
    return value
