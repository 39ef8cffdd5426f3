"""Parse the official ESCO CSV export (v1.1 and v1.2 layouts) into plain records.

Input is any mix of directories and the published zip files; files are found by name
and columns by header, so `occupationSkillRelations.csv` (v1.1, URIs only) and
`occupationSkillRelations_en.csv` (v1.2, with label columns) both work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from taxonomy.tabular import DataError, Source, collect_sources, read_table

KINDS = {"knowledge": "knowledge", "skill/competence": "skill", "": "unknown"}
REUSE_LEVELS = {
    "occupation-specific",
    "sector-specific",
    "cross-sector",
    "transversal",
}
RELATIONS = {"essential", "optional"}

FILES = {
    "groups": re.compile(r"^ISCOGroups(_en)?\.csv$"),
    "occupations": re.compile(r"^occupations(_en)?\.csv$"),
    "skills": re.compile(r"^skills(_en)?\.csv$"),
    "relations": re.compile(r"^occupationSkillRelations(_en)?\.csv$"),
}


@dataclass(frozen=True)
class Group:
    uri: str
    code: str
    title: str
    description: str


@dataclass(frozen=True)
class Occupation:
    uri: str
    code: str
    isco_code: str
    title: str
    alt_labels: str
    description: str


@dataclass(frozen=True)
class Skill:
    uri: str
    title: str
    alt_labels: str
    description: str
    kind: str
    reuse_level: str


@dataclass(frozen=True)
class Relation:
    occupation_uri: str
    skill_uri: str
    relation: str


@dataclass
class Dataset:
    release: str | None
    groups: list[Group] = field(default_factory=list)
    occupations: list[Occupation] = field(default_factory=list)
    skills: list[Skill] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)


def release_from_paths(paths: Iterable[Path]) -> str | None:
    """“ESCO v1.1.1” from a path such as “ESCO dataset - v1.1.1 - classification - en - csv.zip”."""
    for path in paths:
        match = re.search(r"v(\d+(?:\.\d+)+)", str(path))
        if match:
            return f"ESCO v{match.group(1)}"
    return None


def read_dataset(paths: Sequence[Path]) -> Dataset:
    sources = collect_sources(paths)
    found: dict[str, Source] = {}
    for name, source in sources.items():
        for key, pattern in FILES.items():
            if pattern.match(name):
                found[key] = source
    missing = [FILES[key].pattern for key in FILES if key not in found]
    if missing:
        raise DataError(
            ", ".join(str(p) for p in paths),
            "ESCO export incomplete: no file matching " + ", ".join(missing),
        )
    return Dataset(
        release=release_from_paths(paths),
        groups=read_groups(found["groups"]),
        occupations=read_occupations(found["occupations"]),
        skills=read_skills(found["skills"]),
        relations=read_relations(found["relations"]),
    )


def _unique(name: str, record: int, uri: str, seen: dict[str, int], column: str) -> None:
    if not uri:
        raise DataError(name, "empty URI", record=record, column=column)
    if uri in seen:
        raise DataError(
            name, f"duplicate URI {uri} (first at record {seen[uri]})", record=record, column=column
        )
    seen[uri] = record


def _labels(value: str) -> str:
    """ESCO separates alternative labels with newlines; keep one clean label per line."""
    return "\n".join(label.strip() for label in value.splitlines() if label.strip())


def read_groups(source: Source) -> list[Group]:
    columns = ["conceptUri", "code", "preferredLabel"]
    seen: dict[str, int] = {}
    groups = []
    for record, row in read_table(str(source), source.read(), columns, optional=["description"]):
        _unique(str(source), record, row["conceptUri"], seen, "conceptUri")
        code = row["code"].strip()
        if not re.fullmatch(r"\d{1,4}", code):
            raise DataError(
                str(source), f"ISCO code {code!r} is not 1-4 digits", record=record, column="code"
            )
        groups.append(
            Group(
                row["conceptUri"], code, row["preferredLabel"].strip(), row.get("description", "")
            )
        )
    return groups


def read_occupations(source: Source) -> list[Occupation]:
    columns = ["conceptUri", "iscoGroup", "preferredLabel", "code"]
    optional = ["altLabels", "description"]
    seen: dict[str, int] = {}
    occupations = []
    for record, row in read_table(str(source), source.read(), columns, optional=optional):
        _unique(str(source), record, row["conceptUri"], seen, "conceptUri")
        if not row["code"].strip():
            raise DataError(str(source), "empty occupation code", record=record, column="code")
        occupations.append(
            Occupation(
                uri=row["conceptUri"],
                code=row["code"].strip(),
                isco_code=row["iscoGroup"].strip(),
                title=row["preferredLabel"].strip(),
                alt_labels=_labels(row.get("altLabels", "")),
                description=row.get("description", "").strip(),
            )
        )
    return occupations


def read_skills(source: Source) -> list[Skill]:
    columns = ["conceptUri", "skillType", "reuseLevel", "preferredLabel"]
    optional = ["altLabels", "description"]
    seen: dict[str, int] = {}
    skills = []
    for record, row in read_table(str(source), source.read(), columns, optional=optional):
        _unique(str(source), record, row["conceptUri"], seen, "conceptUri")
        kind = KINDS.get(row["skillType"].strip())
        if kind is None:
            raise DataError(
                str(source),
                f"unknown skill type {row['skillType']!r}; expected one of {sorted(KINDS)}",
                record=record,
                column="skillType",
            )
        reuse = row["reuseLevel"].strip()
        if reuse and reuse not in REUSE_LEVELS:
            raise DataError(
                str(source),
                f"unknown reuse level {reuse!r}; expected one of {sorted(REUSE_LEVELS)}",
                record=record,
                column="reuseLevel",
            )
        skills.append(
            Skill(
                uri=row["conceptUri"],
                title=row["preferredLabel"].strip(),
                alt_labels=_labels(row.get("altLabels", "")),
                description=row.get("description", "").strip(),
                kind=kind,
                reuse_level=reuse or "unknown",
            )
        )
    return skills


def read_relations(source: Source) -> list[Relation]:
    columns = ["occupationUri", "relationType", "skillUri"]
    relations = []
    seen: dict[tuple[str, str], int] = {}
    for record, row in read_table(str(source), source.read(), columns):
        relation = row["relationType"].strip()
        if relation not in RELATIONS:
            raise DataError(
                str(source),
                f"unknown relation type {relation!r}; expected essential or optional",
                record=record,
                column="relationType",
            )
        key = (row["occupationUri"], row["skillUri"])
        if key in seen:
            raise DataError(
                str(source),
                f"duplicate relation {key[0]} -> {key[1]} (first at record {seen[key]})",
                record=record,
                column="skillUri",
            )
        seen[key] = record
        relations.append(Relation(key[0], key[1], relation))
    return relations


def select_branches(dataset: Dataset, prefixes: Sequence[str]) -> Dataset:
    """Keep only the ISCO branches starting with `prefixes` (and their ancestors).

    Skills are kept when an occupation of the branch uses them.
    """
    if not prefixes:
        return dataset

    def in_branch(code: str) -> bool:
        return any(code.startswith(prefix) for prefix in prefixes)

    def ancestor(code: str) -> bool:
        return any(prefix.startswith(code) for prefix in prefixes)

    occupations = [o for o in dataset.occupations if in_branch(o.isco_code)]
    kept = {o.uri for o in occupations}
    relations = [r for r in dataset.relations if r.occupation_uri in kept]
    used = {r.skill_uri for r in relations}
    return Dataset(
        release=dataset.release,
        groups=[g for g in dataset.groups if in_branch(g.code) or ancestor(g.code)],
        occupations=occupations,
        skills=[s for s in dataset.skills if s.uri in used],
        relations=relations,
    )
