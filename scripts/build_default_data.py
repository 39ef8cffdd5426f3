from __future__ import annotations

# Build the small default dataset shipped in ``taxonomy/data/`` from ``../shared``.
#
# The app never reads ``../shared`` at run time; this script extracts what it needs and is
# re-runnable: the same inputs always give byte-identical outputs.
#
# Usage: ``python scripts/build_default_data.py [--shared ../shared]``
#
# Outputs (under ``taxonomy/data/``):
#
# * ``esco-v1.1.1/``: the ESCO v1.1.1 ICT slice (groups, occupations, skills, relations) without
#   the ICT technician (3512.4), whose profile comes from the newer seed instead.
# * ``isco-351.json``: ISCO-08 minor group 351 and its unit groups, parsed from the seed.
# * ``esco-ict-technician-3512.4.csv`` / ``.json``: the newer ESCO ICT technician profile.
# * ``onet-29.3/``: a tab-delimited text-edition extract of O*NET 29.3 for 15-1231.00, 15-1232.00.
# * ``crosswalks/``: copies of the BLS and O*NET crosswalks.
# * ``soc-2010-computer-occupations.csv``: SOC 2010 computer occupations, cleaned from an OCR seed.
# * ``ATTRIBUTION.txt``: the attribution lines the app must show.
import argparse
import csv
import io
import json
import re
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "taxonomy" / "data"

ESCO_RELATIONS = "occupationSkillRelations.csv"
ESCO_ZIP_EN = "ESCO dataset - v1.1.1 - classification - en - csv.zip"
ICT_TECHNICIAN_CODE = "3512.4"
ICT_TECHNICIAN_LABEL = "ICT technician"

ONET_CODES = ("15-1231.00", "15-1232.00")
ONET_RATING_COLUMNS = (
    "O*NET-SOC Code",
    "Element ID",
    "Element Name",
    "Scale ID",
    "Data Value",
    "N",
    "Standard Error",
    "Lower CI Bound",
    "Upper CI Bound",
    "Recommend Suppress",
    "Not Relevant",
    "Date",
    "Domain Source",
)
ONET_ELEMENT_PREFIXES = ("2.A", "2.B", "2.C")

CROSSWALK_FILES = (
    "2010_to_2019_Crosswalk.csv",
    "2019_to_SOC_Crosswalk.csv",
    "isco08_to_soc2010.csv",
    "soc2010_to_isco08.csv",
)

ISCO_CODES = ("351", "3511", "3512", "3513", "3514")


class BuildError(Exception):
    """An input does not look the way this builder expects."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise BuildError(message)


# Outputs are collected here and written only once every step has succeeded, so a failed run
# leaves taxonomy/data/ as it was.
PENDING: dict[Path, bytes] = {}


def write_bytes(path: Path, data: bytes) -> None:
    check(path not in PENDING, f"{path}: written twice")
    PENDING[path] = data


def flush() -> None:
    for path, data in PENDING.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path.relative_to(REPO_ROOT)} ({len(data):,} bytes)")
    PENDING.clear()


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, value: object) -> None:
    write_text(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def csv_text(rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n").writerows(rows)
    return out.getvalue()


def read_csv_rows(text: str, name: str) -> list[list[str]]:
    """Parse CSV and prove that re-writing it reproduces the original bytes exactly."""
    check("\r" not in text, f"{name}: expected \\n line ends, found \\r")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    check(csv_text(rows) == text, f"{name}: csv round-trip does not reproduce the original")
    return rows


# --- 1. ESCO v1.1.1 ICT slice -----------------------------------------------------------------


def build_esco_slice(shared: Path) -> None:
    source = shared / "data" / "esco-v1.1.1-ict"
    target = OUT_DIR / "esco-v1.1.1"

    names = ("ISCOGroups_en.csv", "skills_en.csv", "skillGroups_en.csv")
    for name in (*names, "broaderRelationsSkillPillar.csv"):
        write_bytes(target / name, (source / name).read_bytes())

    name = "occupations_en.csv"
    rows = read_csv_rows((source / name).read_text(encoding="utf-8"), name)
    header = rows[0]
    code_col, label_col = header.index("code"), header.index("preferredLabel")
    uri_col = header.index("conceptUri")
    dropped = [r for r in rows[1:] if r[code_col] == ICT_TECHNICIAN_CODE]
    check(len(dropped) == 1, f"{name}: expected one {ICT_TECHNICIAN_CODE} row, got {len(dropped)}")
    check(dropped[0][label_col] == ICT_TECHNICIAN_LABEL, f"{name}: 3512.4 is not ICT technician")
    occupation_uri = dropped[0][uri_col]
    kept = [header] + [r for r in rows[1:] if r[code_col] != ICT_TECHNICIAN_CODE]
    write_text(target / name, csv_text(kept))

    name = ESCO_RELATIONS
    rows = read_csv_rows((source / name).read_text(encoding="utf-8"), name)
    occ_col = rows[0].index("occupationUri")
    removed = sum(1 for r in rows[1:] if r[occ_col] == occupation_uri)
    check(removed == 80, f"{name}: expected 80 ICT technician relations, got {removed}")
    kept = [rows[0]] + [r for r in rows[1:] if r[occ_col] != occupation_uri]
    write_text(target / name, csv_text(kept))


# --- 2. ISCO-08 group 351 ----------------------------------------------------------------------


DASH = "\u2013"  # the en dash of "Tasks include" and of list items in the ISCO seed


def parse_isco_351(text: str) -> list[dict[str, object]]:
    lines = [line.strip() for line in text.splitlines()]
    heading = re.compile(r"^(35\d{0,2}) - (.+)$")
    starts = [i for i, line in enumerate(lines) if heading.match(line)]
    groups: list[dict[str, object]] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        match = heading.match(lines[start])
        assert match is not None
        code = match.group(1)
        descriptions: list[str] = []
        tasks: list[str] = []
        examples: list[str] = []
        related: list[dict[str, str]] = []
        section = ""
        for line in lines[start + 1 : end]:
            if line in ("Description", f"Tasks include {DASH}", "Alternative titles"):
                section = line.split()[0].lower()
            elif line == "Examples of the occupations classified here:":
                section = "examples"
            elif line == "Some related occupations classified elsewhere:":
                section = "related"
            elif line in ("Child Topics", "ISCO Group", "Sources"):
                section = "skip"
            elif not line or section in ("skip", "alternative"):
                continue
            elif section == "description":
                descriptions.append(line)
            elif section == "tasks":
                task = re.fullmatch(r"\([a-z]\) (.+)", line)
                check(task is not None, f"ISCO {code}: odd task line {line!r}")
                assert task is not None
                tasks.append(task.group(1))
            elif section == "examples":
                check(line.startswith(f"{DASH} "), f"ISCO {code}: odd example {line!r}")
                examples.append(line[2:])
            elif section == "related":
                other = re.fullmatch(rf"{DASH} (.+) {DASH} (\d{{4}})", line)
                check(other is not None, f"ISCO {code}: odd related line {line!r}")
                assert other is not None
                related.append({"title": other.group(1), "code": other.group(2)})
            else:
                raise BuildError(f"ISCO {code}: unexpected line {line!r}")
        check(len(descriptions) <= 1, f"ISCO {code}: {len(descriptions)} description paragraphs")
        groups.append(
            {
                "code": code,
                "title": match.group(2),
                "description": descriptions[0] if descriptions else "",
                "tasks": tasks,
                "examples": examples,
                "related": related,
            }
        )
    check(
        [g["code"] for g in groups] == list(ISCO_CODES),
        f"ISCO seed: expected codes {ISCO_CODES}, got {[g['code'] for g in groups]}",
    )
    for group in groups[1:]:
        check(bool(group["description"]) and bool(group["tasks"]), f"ISCO {group['code']}: empty")
    return groups


def build_isco_351(shared: Path) -> None:
    seed = shared / "seeds" / "isco08-351-ict-operations-and-user-support-technicians.txt"
    write_json(OUT_DIR / "isco-351.json", parse_isco_351(seed.read_text(encoding="utf-8")))


# --- 3. ESCO ICT technician profile (newer release) --------------------------------------------

RELATION_HEADINGS = re.compile(
    r"^(Essential|Optional) (knowledge|skills and competences) (\d+) competences?$"
)
REUSE_BUCKETS = {
    "Occupation specific": "occupation-specific",
    "Sector-specific": "sector-specific",
    "Cross-sector": "cross-sector",
    "Transversal": "transversal",
}
BUCKET_COUNT = re.compile(r"^(\d+) competences?$")
EMPTY_BUCKET = "No competences in this bucket."
END_OF_ENTRY = "ESCO source"
SCOPE_NOTE = "Scope note"
TAGS = frozenset({"digital", "digComp", "digCompdigital", "green", "language", "transversal"})
PROFILE_COLUMNS = (
    "competence_uri",
    "competence",
    "kind",
    "reuse_level",
    "relation",
    "description",
    "group",
)


@dataclass(frozen=True)
class Competence:
    title: str
    kind: str
    reuse_level: str
    relation: str
    description: str
    scope_note: str


@dataclass(frozen=True)
class Profile:
    title: str
    description: str
    code: str
    isco_code: str
    competences: list[Competence]


def parse_profile(text: str) -> Profile:
    lines = [line.rstrip() for line in text.splitlines()]
    pos = 0

    def next_nonblank() -> str:
        nonlocal pos
        while pos < len(lines) and not lines[pos].strip():
            pos += 1
        check(pos < len(lines), "ESCO seed: unexpected end of file")
        line = lines[pos].strip()
        pos += 1
        return line

    def expect(line: str) -> None:
        got = next_nonblank()
        check(got == line, f"ESCO seed: expected {line!r}, got {got!r}")

    expect("Skip to content")
    expect("ESCO occupation")
    title = next_nonblank()
    expect("Back to ESCO occupations")
    description = next_nonblank()
    facts = re.fullmatch(r"(\d{4}\.\d+) ISCO (\d{4}) ESCO source", next_nonblank())
    check(facts is not None, "ESCO seed: no '<code> ISCO <group> ESCO source' line")
    assert facts is not None
    totals: dict[str, int] = {}
    for label in ("Competences", "Groups", "Essential", "Optional"):
        expect(label)
        totals[label] = int(next_nonblank())
    expect("Competences and skills")
    expect(f"{totals['Competences']} ESCO relations")

    competences: list[Competence] = []
    relation = kind = reuse = ""
    section_expected = bucket_expected = 0
    section_start = bucket_start = 0

    def close_bucket() -> None:
        if reuse:
            got = len(competences) - bucket_start
            check(got == bucket_expected, f"ESCO seed: {relation} {kind} {reuse}: {got} entries")

    def close_section() -> None:
        if relation:
            got = len(competences) - section_start
            check(got == section_expected, f"ESCO seed: {relation} {kind}: {got} entries")

    while True:
        while pos < len(lines) and not lines[pos].strip():
            pos += 1
        if pos >= len(lines):
            break
        line = next_nonblank()
        heading = RELATION_HEADINGS.match(line)
        if heading:
            close_bucket()
            close_section()
            relation = heading.group(1).lower()
            kind = "knowledge" if heading.group(2) == "knowledge" else "skill"
            section_expected, section_start, reuse = int(heading.group(3)), len(competences), ""
            continue
        if line in REUSE_BUCKETS:
            close_bucket()
            check(bool(relation), f"ESCO seed: bucket {line!r} outside a relation section")
            reuse = REUSE_BUCKETS[line]
            count = BUCKET_COUNT.match(next_nonblank())
            check(count is not None, f"ESCO seed: no count after bucket {line!r}")
            assert count is not None
            bucket_expected, bucket_start = int(count.group(1)), len(competences)
            if bucket_expected == 0:
                expect(EMPTY_BUCKET)
            continue
        # A competence: title, blank, description paragraph, tag lines, "ESCO source".
        check(bool(reuse), f"ESCO seed: competence {line!r} outside a bucket")
        entry_title = line
        paragraph: list[str] = []
        while not lines[pos].strip():
            pos += 1
        while lines[pos].strip():
            paragraph.append(lines[pos].strip())
            pos += 1
        scope_note = ""
        while True:
            tag = next_nonblank()
            if tag == END_OF_ENTRY:
                break
            if tag == SCOPE_NOTE:
                scope_note = next_nonblank()
            else:
                check(tag in TAGS, f"ESCO seed: unknown tag line {tag!r} in {entry_title!r}")
        competences.append(
            Competence(entry_title, kind, reuse, relation, " ".join(paragraph), scope_note)
        )
    close_bucket()
    close_section()

    count = {
        "total": len(competences),
        "essential": sum(c.relation == "essential" for c in competences),
        "optional": sum(c.relation == "optional" for c in competences),
        "knowledge": sum(c.kind == "knowledge" for c in competences),
        "skill": sum(c.kind == "skill" for c in competences),
    }
    expected = {"total": 80, "essential": 23, "optional": 57, "knowledge": 57, "skill": 23}
    check(count == expected, f"ESCO seed: counts {count}, expected {expected}")
    check(
        (totals["Competences"], totals["Essential"], totals["Optional"]) == (80, 23, 57),
        f"ESCO seed: header totals {totals}",
    )
    titles = [c.title for c in competences]
    check(len(set(titles)) == len(titles), "ESCO seed: duplicate competence titles")
    return Profile(title, description, facts.group(1), facts.group(2), competences)


def read_zip_csv(zip_path: Path, member: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(zip_path) as archive:
        text = archive.read(member).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def skill_uri_index(skills: list[dict[str, str]]) -> dict[str, dict[str, list[str]]]:
    index: dict[str, dict[str, list[str]]] = {"exact": {}, "folded": {}, "alt": {}}
    for skill in skills:
        uri, label = skill["conceptUri"], skill["preferredLabel"]
        index["exact"].setdefault(label, []).append(uri)
        index["folded"].setdefault(label.casefold(), []).append(uri)
        for alt in skill["altLabels"].split("\n"):
            if alt.strip():
                index["alt"].setdefault(alt.strip().casefold(), []).append(uri)
    return index


def find_skill_uri(
    index: dict[str, dict[str, list[str]]], title: str, tables: Sequence[str]
) -> str:
    keys = {"exact": title, "folded": title.casefold(), "alt": title.casefold()}
    for table in tables:
        uris = sorted(set(index[table].get(keys[table], [])))
        if len(uris) == 1:
            return uris[0]
        check(not uris, f"ESCO v1.1.1: {title!r} is ambiguous ({table}): {uris}")
    return ""


def match_skill_uris(index: dict[str, dict[str, list[str]]], titles: Sequence[str]) -> list[str]:
    """URIs by preferredLabel (exact, then case-insensitive), then by an altLabels line.

    The altLabels fallback runs last and may not reuse a URI that another competence of the
    profile already matched by its preferred label: in v1.1.1 "Visual Basic" is an altLabel of
    "computer programming", which the profile lists separately, so "Visual Basic" stays empty.
    """
    uris = [find_skill_uri(index, title, ("exact", "folded")) for title in titles]
    claimed = set(filter(None, uris))
    for i, title in enumerate(titles):
        if not uris[i]:
            alt = find_skill_uri(index, title, ("alt",))
            if alt and alt not in claimed:
                uris[i] = alt
                claimed.add(alt)
    found = [uri for uri in uris if uri]
    check(len(found) == len(set(found)), "ESCO v1.1.1: two competences matched one URI")
    return uris


def skill_groups(export: Path) -> dict[str, str]:
    """Each skill's place in the skills hierarchy of the whole export, read as the app does."""
    sys.path.insert(0, str(REPO_ROOT))
    from taxonomy import esco

    dataset = esco.read_dataset(sorted(export.glob("*.zip")))
    check(dataset.has_skill_groups, f"{export}: no skills hierarchy")
    return {skill.uri: skill.group for skill in dataset.skills if skill.group}


def build_ict_technician(shared: Path) -> None:
    seed = shared / "seeds" / "esco-occupation-ict-technician.txt"
    profile = parse_profile(seed.read_text(encoding="utf-8"))
    check(profile.code == ICT_TECHNICIAN_CODE, f"ESCO seed: code {profile.code}")
    check(profile.title == ICT_TECHNICIAN_LABEL, f"ESCO seed: title {profile.title!r}")

    skills = read_zip_csv(shared / "data" / "esco-v1.1.1" / ESCO_ZIP_EN, "skills_en.csv")
    uris = match_skill_uris(skill_uri_index(skills), [c.title for c in profile.competences])
    groups = skill_groups(shared / "data" / "esco-v1.1.1")
    rows: list[Sequence[str]] = [PROFILE_COLUMNS]
    for uri, c in zip(uris, profile.competences, strict=True):
        description = c.description
        if c.scope_note:  # only "use access control software" has one: kept as paragraph 2
            description = f"{description}\n\n{c.scope_note}"
        row = (uri, c.title, c.kind, c.reuse_level, c.relation, description, groups.get(uri, ""))
        rows.append(row)
    write_text(OUT_DIR / "esco-ict-technician-3512.4.csv", csv_text(rows))

    occupations = read_csv_rows(
        (shared / "data" / "esco-v1.1.1-ict" / "occupations_en.csv").read_text(encoding="utf-8"),
        "occupations_en.csv",
    )
    header = occupations[0]
    found = [r for r in occupations[1:] if r[header.index("code")] == ICT_TECHNICIAN_CODE]
    check(len(found) == 1, "ESCO v1.1.1: ICT technician row not found")
    row = dict(zip(header, found[0], strict=True))
    check(row["iscoGroup"] == profile.isco_code, f"ESCO v1.1.1: iscoGroup {row['iscoGroup']}")
    facts = {
        "code": profile.code,
        "isco_code": profile.isco_code,
        "title": profile.title,
        "uri": row["conceptUri"],
        "alt_labels": [a.strip() for a in row["altLabels"].split("\n") if a.strip()],
        "description": profile.description,
        "release": "ESCO (esco.ec.europa.eu occupation page, newer than v1.1.1)",
    }
    write_json(OUT_DIR / "esco-ict-technician-3512.4.json", facts)


# --- 4. O*NET 29.3 text-edition extract --------------------------------------------------------


def excel_display(value: object) -> str:
    """A cell value as Excel's General format shows it (4.12, 8, 0.125; empty for blank)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise BuildError(f"O*NET: unexpected boolean cell {value!r}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        check("e" not in text and len(text) <= 12, f"O*NET: number {text} needs formatting")
        return text
    check(isinstance(value, str), f"O*NET: unexpected cell type {type(value).__name__}")
    return str(value)


def read_workbook(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook.active.iter_rows(values_only=True)  # type: ignore[union-attr]
        header = [str(h) for h in next(rows)]
        records = [dict(zip(header, map(excel_display, row), strict=True)) for row in rows]
    finally:
        workbook.close()
    return header, records


def tab_text(columns: Sequence[str], records: Iterable[dict[str, str]], name: str) -> str:
    lines = ["\t".join(columns)]
    for record in records:
        values = [record[column] for column in columns]
        for value in values:
            check(not re.search(r"[\t\r\n]", value), f"{name}: tab or newline in {value!r}")
        lines.append("\t".join(values))
    return "\n".join(lines) + "\n"


def build_onet(shared: Path) -> None:
    source = shared / "data" / "onet-29.3"
    target = OUT_DIR / "onet-29.3"

    _, occupations = read_workbook(source / "Occupation Data.xlsx")
    chosen = [r for r in occupations if r["O*NET-SOC Code"] in ONET_CODES]
    check(len(chosen) == len(ONET_CODES), f"O*NET: occupations found {len(chosen)}")
    columns = ("O*NET-SOC Code", "Title", "Description")
    write_text(target / "Occupation Data.txt", tab_text(columns, chosen, "Occupation Data"))

    for name, elements in (("Skills", 35), ("Knowledge", 33)):
        header, records = read_workbook(source / f"{name}.xlsx")
        missing = set(ONET_RATING_COLUMNS) - set(header)
        check(not missing, f"O*NET {name}: missing columns {sorted(missing)}")
        chosen = [r for r in records if r["O*NET-SOC Code"] in ONET_CODES]
        expected = len(ONET_CODES) * elements * 2  # scales IM and LV
        check(len(chosen) == expected, f"O*NET {name}: {len(chosen)} rows, expected {expected}")
        write_text(target / f"{name}.txt", tab_text(ONET_RATING_COLUMNS, chosen, name))

    _, elements_ref = read_workbook(source / "Content Model Reference.xlsx")
    chosen = [r for r in elements_ref if r["Element ID"].startswith(ONET_ELEMENT_PREFIXES)]
    check(bool(chosen), "O*NET: no 2.A/2.B/2.C elements in Content Model Reference")
    columns = ("Element ID", "Element Name", "Description")
    write_text(
        target / "Content Model Reference.txt",
        tab_text(columns, chosen, "Content Model Reference"),
    )

    write_bytes(target / "Read Me.txt", (source / "Read Me.txt").read_bytes())


# --- 5. Crosswalks -----------------------------------------------------------------------------


def build_crosswalks(shared: Path) -> None:
    for name in CROSSWALK_FILES:
        write_bytes(
            OUT_DIR / "crosswalks" / name, (shared / "data" / "crosswalks" / name).read_bytes()
        )


# --- 6. SOC 2010 computer occupations ----------------------------------------------------------

# Written by hand from seeds/soc-onet-computer-occupations.txt, an OCR'd table whose description
# cells are garbled. Fixes: typos ("mesures", "safeguar", "operato", "rusers", "asleguard digital
# lies", "Coupations", "Analysis" for "Analysts"), OCR'd codes ("FS1+122", "15- 1142"), "NAN"/"IAM"
# for WAN/LAN, "spitsen" for system, the duplicated "clustomize software for client" run, and
# single quotes normalised to double quotes. Text lost in the OCR (the opening of 15-1142, the
# middle of 15-1152, "printing, installation, word" in 15-1151, "techniques of" in 15-1133,
# "solutions. Design software or" in 15-1132) is restored from the official SOC 2010 definitions,
# which the O*NET 29.3 descriptions of the successor codes (15-1244.00, 15-1231.00, 15-1232.00,
# 15-1252.00) corroborate. The seed's 15-1199 cell is empty; its text is O*NET's 15-1299.00
# description. Titles match the 2010 SOC Title column of the BLS crosswalk (checked below).
SOC_2010_COMPUTER_OCCUPATIONS: dict[str, tuple[str, str]] = {
    "15-1111": (
        "Computer and Information Research Scientists",
        "Conduct research into fundamental computer and information science as theorists, "
        "designers, or inventors. Develop solutions to problems in the field of computer "
        "hardware and software.",
    ),
    "15-1121": (
        "Computer Systems Analysts",
        "Analyze science, engineering, business, and other data processing problems to implement "
        "and improve computer systems. Analyze user requirements, procedures, and problems to "
        "automate or improve existing systems and review computer system capabilities, workflow, "
        "and scheduling limitations. May analyze or recommend commercially available software.",
    ),
    "15-1131": (
        "Computer Programmers",
        "Create, modify, and test the code, forms, and script that allow computer applications "
        "to run. Work from specifications drawn up by software developers or other individuals. "
        "May assist software developers by analyzing user needs and designing software "
        "solutions. May develop and write computer programs to store, locate, and retrieve "
        "specific documents, data, and information.",
    ),
    "15-1132": (
        "Software Developers, Applications",
        "Develop, create, and modify general computer applications software or specialized "
        "utility programs. Analyze user needs and develop software solutions. Design software "
        "or customize software for client use with the aim of optimizing operational "
        "efficiency. May analyze and design databases within an application area, working "
        "individually or coordinating database development as part of a team. May supervise "
        "computer programmers.",
    ),
    "15-1133": (
        "Software Developers, Systems Software",
        "Research, design, develop, and test operating systems-level software, compilers, and "
        "network distribution software for medical, industrial, military, communications, "
        "aerospace, business, scientific, and general computing applications. Set operational "
        "specifications and formulate and analyze software requirements. May design embedded "
        "systems software. Apply principles and techniques of computer science, engineering, "
        "and mathematical analysis.",
    ),
    "15-1141": (
        "Database Administrators",
        "Administer, test, and implement computer databases, applying knowledge of database "
        "management systems. Coordinate changes to computer databases. May plan, coordinate, "
        "and implement security measures to safeguard computer databases. Excludes "
        '"Information Security Analysts" (15-1122).',
    ),
    "15-1142": (
        "Network and Computer Systems Administrators",
        "Install, configure, and support an organization's local area network (LAN), wide area "
        "network (WAN), and Internet systems or a segment of a network system. Monitor network "
        "to ensure network availability to all system users and may perform necessary "
        "maintenance to support network availability. May monitor and test Web site "
        "performance to ensure Web sites operate correctly and without interruption. May "
        "assist in network modeling, analysis, planning, and coordination between network and "
        "data communications hardware and software. May supervise computer user support "
        "specialists and computer network support specialists. May administer network "
        'security measures. Excludes "Information Security Analysts" (15-1122).',
    ),
    "15-1151": (
        "Computer User Support Specialists",
        "Provide technical assistance to computer users. Answer questions or resolve computer "
        "problems for clients in person, or via telephone or electronically. May provide "
        "assistance concerning the use of computer hardware and software, including printing, "
        "installation, word processing, electronic mail, and operating systems. Excludes "
        '"Network and Computer Systems Administrators" (15-1142).',
    ),
    "15-1152": (
        "Computer Network Support Specialists",
        "Analyze, test, troubleshoot, and evaluate existing network systems, such as local area "
        "network (LAN), wide area network (WAN), and Internet systems or a segment of a network "
        "system. Perform network maintenance to ensure networks operate correctly with minimal "
        'interruption. Excludes "Network and Computer Systems Administrators" (15-1142) and '
        '"Computer Network Architects" (15-1143).',
    ),
    "15-1122": (
        "Information Security Analysts",
        "Plan, implement, upgrade, or monitor security measures for the protection of computer "
        "networks and information. May ensure appropriate security controls are in place that "
        "will safeguard digital files and vital electronic infrastructure. May respond to "
        'computer security breaches and viruses. Excludes "Computer Network Architects" '
        "(15-1143).",
    ),
    "15-1134": (
        "Web Developers",
        "Design, create, and modify Web sites. Analyze user needs to implement Web site content, "
        "graphics, performance, and capacity. May integrate Web sites with other computer "
        "applications. May convert written, graphic, audio, and video components to compatible "
        "Web formats by using software designed to facilitate the creation of Web and "
        'multimedia content. Excludes "Multimedia Artists and Animators" (27-1014).',
    ),
    "15-1199": (
        "Computer Occupations, All Other",
        "All computer occupations not listed separately.",
    ),
    "11-3021": (
        "Computer and Information Systems Managers",
        "Plan, direct, or coordinate activities in such fields as electronic data processing, "
        "information systems, systems analysis, and computer programming. Excludes "
        '"Computer Occupations" (15-1111 through 15-1199).',
    ),
}


def build_soc(shared: Path) -> None:
    seed = (shared / "seeds" / "soc-onet-computer-occupations.txt").read_text(encoding="utf-8")
    seed_codes = set(re.findall(r"\b(1[15]-\d{4})\b", seed.splitlines()[0]))
    seed_codes -= {"15-1150", "15-1179"}  # broad groups in the OCR'd header, not occupations
    check(
        seed_codes == set(SOC_2010_COMPUTER_OCCUPATIONS),
        f"SOC seed: codes {sorted(seed_codes)} differ from the table",
    )
    with (shared / "data" / "crosswalks" / "soc2010_to_isco08.csv").open(
        encoding="utf-8", newline=""
    ) as handle:
        bls = {r["2010 SOC Code"]: r["2010 SOC Title"] for r in csv.DictReader(handle)}
    for code, (title, description) in SOC_2010_COMPUTER_OCCUPATIONS.items():
        check(bls.get(code) == title, f"SOC {code}: title {title!r} vs BLS {bls.get(code)!r}")
        check("  " not in description, f"SOC {code}: double space")
        check(not re.search(r"'(?!s )", description), f"SOC {code}: single quote left")
    rows: list[Sequence[str]] = [("code", "title", "description")]
    rows += [(code, t, d) for code, (t, d) in SOC_2010_COMPUTER_OCCUPATIONS.items()]
    write_text(OUT_DIR / "soc-2010-computer-occupations.csv", csv_text(rows))


# --- 7. Attribution ----------------------------------------------------------------------------


def build_attribution(shared: Path) -> None:
    readme = (shared / "data" / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"^## Attribution the app must show.*?\n(.*?)(?=^## |\Z)", readme, re.S | re.M
    )
    check(match is not None, "README: no 'Attribution the app must show' section")
    assert match is not None
    items: list[str] = []
    for line in match.group(1).splitlines():
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif line.strip() and items:
            items[-1] += " " + line.strip()
    # The README quotes two of the lines; the attribution text itself is unquoted.
    lines = [item[1:-1] if item.startswith('"') and item.endswith('"') else item for item in items]
    # The last bullet ("SFIA content is NOT openly licensed: do not ship it.") is a rule, not
    # an attribution.
    lines = [line for line in lines if not line.startswith("SFIA")]
    check(len(lines) == 3, f"README: {len(lines)} attribution lines, expected 3")
    write_text(OUT_DIR / "ATTRIBUTION.txt", "\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the default dataset in taxonomy/data/ from ../shared."
    )
    parser.add_argument(
        "--shared",
        type=Path,
        default=REPO_ROOT.parent / "shared",
        help="the shared folder holding data/ and seeds/ (default: ../shared)",
    )
    args = parser.parse_args(argv)
    shared: Path = args.shared.resolve()
    try:
        check((shared / "data").is_dir(), f"{shared}: no data/ folder")
        check((shared / "seeds").is_dir(), f"{shared}: no seeds/ folder")
        build_esco_slice(shared)
        build_isco_351(shared)
        build_ict_technician(shared)
        build_onet(shared)
        build_crosswalks(shared)
        build_soc(shared)
        build_attribution(shared)
    except BuildError as error:
        print(f"build_default_data: {error}", file=sys.stderr)
        return 1
    flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
