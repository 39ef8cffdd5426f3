"""Read an occupation profile in the CSV layout `export_profile` writes.

Used for the shipped ICT technician profile; the `target_level`, `weight`, `description`
and `group` (ESCO's skills hierarchy, see esco.with_groups) columns are optional, so a
hand-written list of competences is enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from taxonomy.tabular import (
    NO_LIMITS,
    DataError,
    Limits,
    check_length,
    check_uri,
    quoted,
    read_table,
)

KINDS = {"knowledge", "skill", "unknown"}
REUSE_LEVELS = {
    "occupation-specific",
    "sector-specific",
    "cross-sector",
    "transversal",
    "unknown",
}
RELATIONS = {"essential", "optional"}


@dataclass(frozen=True)
class Line:
    competence_uri: str
    competence: str
    kind: str
    reuse_level: str
    relation: str
    target_level: int | None
    weight: Decimal | None
    description: str
    group: str = ""


def read_profile(name: str, data: bytes, *, limits: Limits = NO_LIMITS) -> list[Line]:
    """The lines of a profile file; `limits` (services.PROFILE_LIMITS) caps the fields' lengths."""
    columns = ["competence_uri", "competence", "kind", "reuse_level", "relation"]
    optional = ["target_level", "weight", "description", "group"]
    lines = []
    seen: dict[str, int] = {}
    for record, row in read_table(name, data, columns, optional=optional):

        def fail(column: str, message: str, record: int = record) -> DataError:
            return DataError(name, message, record=record, column=column)

        title = row["competence"].strip()
        if not title:
            raise fail("competence", "empty competence title")
        check_length(name, record, "competence", title, limits.get("competence"))
        check_length(name, record, "group", row.get("group", ""), limits.get("group"))
        uri = row["competence_uri"].strip()
        if uri:
            check_uri(name, record, "competence_uri", uri, limits.get("competence_uri"))
        key = row["competence_uri"].strip() or title
        if key in seen:
            raise fail("competence", f"listed twice (first at record {seen[key]})")
        seen[key] = record
        for column, allowed in (
            ("kind", KINDS),
            ("reuse_level", REUSE_LEVELS),
            ("relation", RELATIONS),
        ):
            if row[column] not in allowed:
                raise fail(column, f"{quoted(row[column])} is not one of {sorted(allowed)}")
        target = row.get("target_level", "").strip()
        if target and not (target.isdigit() and int(target) <= 10):
            raise fail("target_level", f"{quoted(target)} is not a level number")
        weight = row.get("weight", "").strip()
        try:
            weight_value = Decimal(weight) if weight else None
        except InvalidOperation:
            raise fail("weight", f"{quoted(weight)} is not a number") from None
        if weight_value is not None and not (weight_value.is_finite() and 0 < weight_value < 1000):
            raise fail("weight", f"{quoted(weight)} must be above 0 and below 1000")
        lines.append(
            Line(
                competence_uri=row["competence_uri"].strip(),
                competence=title,
                kind=row["kind"],
                reuse_level=row["reuse_level"],
                relation=row["relation"],
                target_level=int(target) if target else None,
                weight=weight_value,
                description=row.get("description", "").strip(),
                group=row.get("group", "").strip(),
            )
        )
    return lines
