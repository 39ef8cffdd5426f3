"""Parse the official ESCO CSV export (v1.1 and v1.2 layouts) into plain records.

Input is any mix of directories and the published zip files; files are found by name
and columns by header, so `occupationSkillRelations.csv` (v1.1, URIs only) and
`occupationSkillRelations_en.csv` (v1.2, with label columns) both work. The skills
hierarchy (`broaderRelationsSkillPillar.csv` with `skillGroups_en.csv`) is optional: where
it is there, each skill gets the label of the concept it sits under ("computer
programming" for Python), which the rating page groups by.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from taxonomy.tabular import (
    ISCO_CODE,
    NO_LIMITS,
    OCCUPATION_CODE,
    DataError,
    Limits,
    Source,
    check_length,
    check_size,
    check_uri,
    collect_sources,
    quoted,
    read_values,
)

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
HIERARCHY = {
    "skill_groups": re.compile(r"^skillGroups(_en)?\.csv$"),
    "broader_skills": re.compile(r"^broaderRelationsSkillPillar(_en)?\.csv$"),
}


# Named tuples: lighter than dataclasses, and a full export has 120,000 relations.
class Group(NamedTuple):
    uri: str
    code: str
    title: str
    description: str
    record: int  # where in its file, for an error the database side finds


class Occupation(NamedTuple):
    uri: str
    code: str
    isco_code: str
    title: str
    alt_labels: str
    description: str
    record: int


class Skill(NamedTuple):
    uri: str
    title: str
    alt_labels: str
    description: str
    kind: str
    reuse_level: str
    group: str = ""  # the label of the concept above it in ESCO's skills hierarchy


class Relation(NamedTuple):
    occupation_uri: str
    skill_uri: str
    relation: str


@dataclass
class Dataset:
    release: str | None
    # The file each kind of record came from ("occupations": "esco.zip/occupations_en.csv").
    files: dict[str, str] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    occupations: list[Occupation] = field(default_factory=list)
    skills: list[Skill] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    # Whether the export held the skills hierarchy, so that Skill.group means something.
    has_skill_groups: bool = False


def release_from_paths(paths: Iterable[Path]) -> str | None:
    """“ESCO v1.1.1” from a path such as “ESCO dataset - v1.1.1 - classification - en - csv.zip”."""
    for path in paths:
        match = re.search(r"v(\d+(?:\.\d+)+)", str(path))
        if match:
            return f"ESCO v{match.group(1)}"
    return None


def read_dataset(paths: Sequence[Path], *, limits: Limits = NO_LIMITS) -> Dataset:
    """The four files of an export; `limits` (services.ESCO_LIMITS) caps the fields' lengths."""
    sources = collect_sources(paths)
    found: dict[str, Source] = {}
    for name, source in sources.items():
        for key, pattern in (FILES | HIERARCHY).items():
            if pattern.match(name):
                found[key] = source
    missing = [FILES[key].pattern for key in FILES if key not in found]
    if missing:
        raise DataError(
            ", ".join(str(p) for p in paths),
            "ESCO export incomplete: no file matching " + ", ".join(missing),
        )
    for source in found.values():  # before reading any: the last may be the one too large
        check_size(str(source), source.size)
    skills = read_skills(found["skills"], limits)
    has_hierarchy = all(key in found for key in HIERARCHY)
    if has_hierarchy:
        skills = with_groups(
            skills, found["skill_groups"], found["broader_skills"], limits.get("skill.group")
        )
    return Dataset(
        release=release_from_paths(paths),
        files={key: str(source) for key, source in found.items()},
        groups=read_groups(found["groups"], limits),
        occupations=read_occupations(found["occupations"], limits),
        skills=skills,
        relations=read_relations(found["relations"], limits),
        has_skill_groups=has_hierarchy,
    )


def _unique(
    name: str, record: int, uri: str, seen: dict[str, int], column: str, limit: int | None
) -> None:
    if not uri:
        raise DataError(name, "empty URI", record=record, column=column)
    check_uri(name, record, column, uri, limit)
    _once(name, record, uri, seen, column, "URI")


def _once(name: str, record: int, value: str, seen: dict[str, int], column: str, what: str) -> None:
    """`value` is not in `seen` (values met so far, by record), and now is."""
    if value in seen:
        raise DataError(
            name, f"duplicate {what} (first at record {seen[value]})", record=record, column=column
        )
    seen[value] = record


def _labels(value: str) -> str:
    """ESCO separates alternative labels with newlines; keep one clean label per line."""
    return "\n".join(label.strip() for label in value.splitlines() if label.strip())


def read_groups(source: Source, limits: Limits = NO_LIMITS) -> list[Group]:
    name = str(source)
    seen: dict[str, int] = {}
    codes: dict[str, int] = {}
    groups = []
    for record, (uri, code, title, description) in read_values(
        name, source.open(), ["conceptUri", "code", "preferredLabel"], optional=["description"]
    ):
        _unique(name, record, uri, seen, "conceptUri", limits.get("group.uri"))
        code = code.strip()
        if not re.search(ISCO_CODE, code):
            raise DataError(name, "an ISCO-08 code is 1-4 digits", record=record, column="code")
        _once(name, record, code, codes, "code", "ISCO-08 code")
        title = title.strip()
        check_length(name, record, "preferredLabel", title, limits.get("group.title"))
        groups.append(Group(uri, code, title, description, record))
    return groups


def read_occupations(source: Source, limits: Limits = NO_LIMITS) -> list[Occupation]:
    name = str(source)
    columns = ["conceptUri", "iscoGroup", "preferredLabel", "code"]
    seen: dict[str, int] = {}
    codes: dict[str, int] = {}
    occupations = []
    for record, (uri, isco_code, title, code, alt_labels, description) in read_values(
        name, source.open(), columns, optional=["altLabels", "description"]
    ):
        _unique(name, record, uri, seen, "conceptUri", limits.get("occupation.uri"))
        code = code.strip()
        if not code:
            raise DataError(name, "empty occupation code", record=record, column="code")
        if not re.search(OCCUPATION_CODE, code):
            raise DataError(
                name,
                "an occupation code is letters, digits, dots and hyphens, starting with a "
                "letter or digit (e.g. 3512.4)",
                record=record,
                column="code",
            )
        check_length(name, record, "code", code, limits.get("occupation.code"))
        _once(name, record, code, codes, "code", "occupation code")
        isco_code = isco_code.strip()
        if isco_code and not re.search(ISCO_CODE, isco_code):
            raise DataError(
                name, "an ISCO-08 group is 1-4 digits", record=record, column="iscoGroup"
            )
        title = title.strip()
        check_length(name, record, "preferredLabel", title, limits.get("occupation.title"))
        occupations.append(
            Occupation(
                uri=uri,
                code=code,
                isco_code=isco_code,
                title=title,
                alt_labels=_labels(alt_labels),
                description=description.strip(),
                record=record,
            )
        )
    return occupations


def read_skills(source: Source, limits: Limits = NO_LIMITS) -> list[Skill]:
    name = str(source)
    columns = ["conceptUri", "skillType", "reuseLevel", "preferredLabel"]
    seen: dict[str, int] = {}
    skills = []
    for record, (uri, skill_type, reuse, title, alt_labels, description) in read_values(
        name, source.open(), columns, optional=["altLabels", "description"]
    ):
        _unique(name, record, uri, seen, "conceptUri", limits.get("skill.uri"))
        kind = KINDS.get(skill_type.strip())
        if kind is None:
            raise DataError(
                name,
                f"unknown skill type {quoted(skill_type)}; expected one of {sorted(KINDS)}",
                record=record,
                column="skillType",
            )
        reuse = reuse.strip()
        if reuse and reuse not in REUSE_LEVELS:
            raise DataError(
                name,
                f"unknown reuse level {quoted(reuse)}; expected one of {sorted(REUSE_LEVELS)}",
                record=record,
                column="reuseLevel",
            )
        title = title.strip()
        check_length(name, record, "preferredLabel", title, limits.get("skill.title"))
        skills.append(
            Skill(
                uri=uri,
                title=title,
                alt_labels=_labels(alt_labels),
                description=description.strip(),
                kind=kind,
                reuse_level=reuse or "unknown",
            )
        )
    return skills


def with_groups(
    skills: list[Skill], groups: Source, broader: Source, limit: int | None
) -> list[Skill]:
    """The skills, each with the label of what it sits under: a broader skill where ESCO
    has one ("computer programming" above Python), else its skill group ("software and
    applications development and analysis"). Unknown URIs are left out, not refused:
    the hierarchy only adds to the profile."""
    labels = {s.uri: s.title for s in skills}
    name = str(groups)
    for record, (uri, title) in read_values(name, groups.open(), ["conceptUri", "preferredLabel"]):
        check_length(name, record, "preferredLabel", title.strip(), limit)
        labels.setdefault(uri, title.strip())
    above: dict[str, tuple[int, str]] = {}  # skill: (preference, label)
    columns = ["conceptType", "conceptUri", "broaderType", "broaderUri"]
    for _, (kind, uri, broader_kind, broader_uri) in read_values(
        str(broader), broader.open(), columns
    ):
        label = labels.get(broader_uri)
        if kind != "KnowledgeSkillCompetence" or not label:
            continue
        candidate = (0 if broader_kind == "KnowledgeSkillCompetence" else 1, label)
        above[uri] = min(above.get(uri, candidate), candidate)
    return [s._replace(group=above[s.uri][1]) if s.uri in above else s for s in skills]


def read_relations(source: Source, limits: Limits = NO_LIMITS) -> list[Relation]:
    name = str(source)
    columns = ["occupationUri", "relationType", "skillUri"]
    relations = []
    seen: dict[tuple[str, str], int] = {}
    # A few thousand URIs make 100,000+ relations: each is checked once and then shared,
    # one string object for all its relations rather than one per record.
    uris: dict[str, str] = {}
    relation_types = {r: r for r in RELATIONS}
    for record, (occupation_uri, relation, skill_uri) in read_values(name, source.open(), columns):
        for column, uri, kind in (
            ("occupationUri", occupation_uri, "occupation"),
            ("skillUri", skill_uri, "skill"),
        ):
            if uri not in uris:
                # Looked up, not stored, but an unknown one is named in the summary.
                check_uri(name, record, column, uri, limits.get(f"{kind}.uri"))
                uris[uri] = uri
        occupation_uri, skill_uri = uris[occupation_uri], uris[skill_uri]
        relation = relation_types.get(relation.strip(), relation)
        if relation not in RELATIONS:
            raise DataError(
                name,
                f"unknown relation type {quoted(relation)}; expected essential or optional",
                record=record,
                column="relationType",
            )
        key = (occupation_uri, skill_uri)
        if key in seen:
            raise DataError(
                name,
                f"duplicate relation (first at record {seen[key]})",
                record=record,
                column="skillUri",
            )
        seen[key] = record
        relations.append(Relation(occupation_uri, skill_uri, relation))
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
        files=dataset.files,
        groups=[g for g in dataset.groups if in_branch(g.code) or ancestor(g.code)],
        occupations=occupations,
        skills=[s for s in dataset.skills if s.uri in used],
        relations=relations,
        has_skill_groups=dataset.has_skill_groups,
    )
