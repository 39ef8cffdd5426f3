"""Writes that touch several taxonomy models: the importers' database side.

Each public function is atomic. The parsers (`esco`, `onet`, `crosswalk`) read and
check the files first; these functions then make the database match them in one
transaction, counting what they created, updated, left alone and removed, so running
the same import twice reports "nothing changed" the second time.
"""

from __future__ import annotations

import functools
import getpass
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

from django.db import connection, models, transaction
from django.db.models import NOT_PROVIDED
from django.utils import timezone

from taxonomy import crosswalk, esco, onet
from taxonomy.models import (
    Competence,
    CrosswalkPair,
    ImportRun,
    Occupation,
    OccupationGroup,
    ProficiencyScale,
    Release,
    ReleaseChange,
    Requirement,
    version_key,
    version_of,
)
from taxonomy.tabular import DataError

Progress = Callable[[str], None]
ONET_ELEMENT_URI = "https://www.onetonline.org/find/descriptor/result/{}"
BATCH = 2000
PLAIN_FIELDS = {
    "BigAutoField",
    "ForeignKey",
    "CharField",
    "TextField",
    "PositiveSmallIntegerField",
}
PAIR_KEY = ("source_scheme", "source_code", "target_scheme", "target_code")
# Who an import run is recorded as, when not the process's own user (a queued import).
IMPORT_BY: ContextVar[str | None] = ContextVar("IMPORT_BY", default=None)


def _max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


# What the parsers may let through, read from the columns the fields end up in
# (taxonomy.tabular.Limits): a longer value stops the import with its file, record and
# column, before any write.
ESCO_LIMITS = {
    "group.uri": _max_length(OccupationGroup, "uri"),
    "group.title": _max_length(OccupationGroup, "title"),
    "occupation.uri": _max_length(Occupation, "uri"),
    "occupation.code": _max_length(Occupation, "code"),
    "occupation.title": _max_length(Occupation, "title"),
    "skill.uri": _max_length(Competence, "uri"),
    "skill.title": _max_length(Competence, "title"),
    "skill.group": _max_length(Competence, "group"),
}
ONET_LIMITS = {
    "occupation.title": _max_length(Occupation, "title"),
    # An element's ID goes into its competence's URI.
    "element.id": _max_length(Competence, "uri") - len(ONET_ELEMENT_URI.format("")),
    "element.name": _max_length(Competence, "title"),
}
CROSSWALK_LIMITS = {
    "title": min(_max_length(CrosswalkPair, f) for f in ("source_title", "target_title"))
}
PROFILE_LIMITS = {
    "competence_uri": _max_length(Competence, "uri"),
    "competence": _max_length(Competence, "title"),
    "group": _max_length(Competence, "group"),
}


def release_name_problem(name: str) -> str | None:
    """Why `name` cannot be recorded as a release, if it cannot."""
    limit = _max_length(Release, "name")
    if len(name) > limit:
        return f"The release name is longer than {limit} characters: pass a shorter --release."
    return None


def quiet(message: str) -> None:
    pass


def import_run_record(*, command: str, summaries: Iterable[object]) -> None:
    """One audit entry for an import run (bulk writes skip the per-row history)."""
    by = IMPORT_BY.get() or login_name()
    ImportRun.objects.create(command=command, summary="\n".join(map(str, summaries)), by=by)


def login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {self.removed} removed" if self.removed else "")


@dataclass
class ImportSummary:
    release: str
    counts: dict[str, Counts] = field(default_factory=dict)
    # What the files referred to but neither they nor the database define, by kind.
    unknown: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Relations the files still list for occupations a release retired: occupation -> count.
    retired: Counter[str] = field(default_factory=Counter)
    # What the release changed, by ReleaseChange.Kind.
    changes: Counter[str] = field(default_factory=Counter)
    conflicts: int = 0
    occupations_changed: set[int] = field(default_factory=set)
    # The release was imported before with this very content: nothing was read further.
    same_content: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes) or any(
            c.created or c.updated or c.removed for c in self.counts.values()
        )

    def lines(self) -> list[str]:
        if self.same_content:
            return ["the same content as already imported"]
        lines = [f"{name}: {counts}" for name, counts in self.counts.items()]
        for kind, refs in self.unknown.items():
            distinct = list(dict.fromkeys(refs))
            lines.append(
                f"skipped {len(refs)} reference(s) to {len(distinct)} unknown {kind}"
                f" (first: {', '.join(distinct[:3])})"
            )
        if self.retired:
            names = ", ".join(list(self.retired)[:3])
            lines.append(
                f"skipped {sum(self.retired.values())} relation(s) pointing at "
                f"{len(self.retired)} retired occupation(s) ({names})"
            )
        return lines

    def change_lines(self) -> list[str]:
        """The release's changes, one line per kind, in the order of ReleaseChange.Kind."""
        labels = dict(ReleaseChange.Kind.choices)
        lines = [f"{labels[k]}: {self.changes[k]}" for k in labels if self.changes.get(k)]
        if self.conflicts:
            lines.append(f"Conflicts with admin edits to settle: {self.conflicts}")
        return lines

    def __str__(self) -> str:
        verdict = "" if self.changed else " Nothing changed."
        return f"{self.release}: " + "; ".join(self.lines()) + "." + verdict


class ReleaseRefused(Exception):
    """An import the release history forbids (a downgrade): nothing was written."""


class ChangeLog:
    """What an import changed, collected as it writes and stored as ReleaseChange rows."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, int | None, int | None, str, str, bool]] = []

    def add(
        self,
        kind: str,
        *,
        occupation: int | None = None,
        competence: int | None = None,
        old: object = "",
        new: object = "",
        conflict: bool = False,
    ) -> None:
        self.rows.append((kind, occupation, competence, str(old), str(new), conflict))

    def write(self, release: Release, summary: ImportSummary) -> None:
        """Store the changes with the codes, URIs and titles they concern as they now are."""
        occupation_ids = list({r[1] for r in self.rows if r[1] is not None})
        competence_ids = list({r[2] for r in self.rows if r[2] is not None})
        occupations, competences = {}, {}
        for start in range(0, len(occupation_ids), BATCH):
            batch = occupation_ids[start : start + BATCH]
            for pk, code, title in Occupation.objects.filter(pk__in=batch).values_list(
                "pk", "code", "title"
            ):
                occupations[pk] = (code, title)
        for start in range(0, len(competence_ids), BATCH):
            batch = competence_ids[start : start + BATCH]
            for pk, uri, title in Competence.objects.filter(pk__in=batch).values_list(
                "pk", "uri", "title"
            ):
                competences[pk] = (uri or "", title)
        now = timezone.now()
        rows = []
        for kind, occupation, competence, old, new, conflict in self.rows:
            code, title = occupations.get(occupation, ("", ""))
            uri, label = competences.get(competence, ("", ""))
            subject = (occupation, code, title, competence, uri, label)
            rows.append((release.pk, kind, *subject, old, new, conflict, now))
            summary.changes[kind] += 1
            summary.conflicts += conflict
            if occupation is not None:
                summary.occupations_changed.add(occupation)
        fields = [
            "release_id",
            "kind",
            "occupation_id",
            "occupation_code",
            "occupation_title",
            "competence_id",
            "competence_uri",
            "competence_title",
            "old_value",
            "new_value",
            "conflict",
            "recorded_at",
        ]
        _insert(ReleaseChange, fields, rows)


class LineValues(NamedTuple):
    """What a profile line says, besides its occupation and competence."""

    relation: str
    target_level: int
    weight: Decimal
    release_id: int


def _sync(
    model: type[models.Model],
    key: str | tuple[str, ...],
    wanted: dict[Any, dict[str, Any]],
    rows: models.QuerySet,
    existing: dict[Any, int] | None = None,
    stamp: dict[str, Any] | None = None,
) -> tuple[Counts, dict[Any, int]]:
    """Create or update `model` rows so each key's fields equal `wanted`; never delete.

    `key` names the identifying field, or fields when the keys of `wanted` are tuples.
    `rows` are the candidates: a key names at most one of them, and created rows join
    them. `existing` maps keys to the ids of the rows they name, by default those of
    `rows`. `stamp` is written with every created or updated row but compared with
    none (the release that last changed a record). Returns the counts and the ids of the
    existing and created rows by key.
    """
    names = [key] if isinstance(key, str) else list(key)
    if existing is None:
        existing = _ids(rows, key)
    counts = Counts()
    if not wanted:
        return counts, existing
    fields = list(next(iter(wanted.values())))
    stamp = stamp or {}
    stamped = tuple(stamp.values())
    current = _current(model, fields, [existing[k] for k in wanted if k in existing])
    # A plain INSERT names every column but those the database fills itself (a db_default
    # without a Python default): the others get their model defaults.
    given = {*names, *fields, *stamp}
    others = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f.name not in given
        and f.attname not in given
        and (f.has_default() or f.db_default is NOT_PROVIDED)
    ]
    defaults = tuple(_default(f) for f in others)
    to_create, to_update = [], []
    for k, values in wanted.items():
        row = tuple(values[name] for name in fields)
        pk = existing.get(k)
        if pk is None:
            to_create.append(((k,) if isinstance(key, str) else k) + row + stamped + defaults)
        elif row != current[pk]:
            to_update.append((*row, *stamped, pk))
        else:
            counts.unchanged += 1
    _insert(model, [*names, *fields, *stamp, *(f.attname for f in others)], to_create)
    _update(model, [*fields, *stamp], to_update)
    counts.created, counts.updated = len(to_create), len(to_update)
    return counts, {**_ids(rows, key), **existing} if to_create else existing


def _ids(rows: models.QuerySet, key: str | tuple[str, ...]) -> dict[Any, int]:
    if isinstance(key, str):
        return dict(rows.values_list(key, "pk"))
    return {tuple(k): pk for *k, pk in rows.values_list(*key, "pk")}


def _current(model: type[models.Model], fields: list[str], ids: list[int]) -> dict[int, tuple]:
    """{id: (field values)} of the rows with these ids."""
    current = {}
    for start in range(0, len(ids), BATCH):
        rows = model.objects.filter(pk__in=ids[start : start + BATCH])
        for pk, *values in rows.values_list("pk", *fields):
            current[pk] = tuple(values)
    return current


def _insert(model: type[models.Model], fields: list[str], rows: list[tuple]) -> None:
    """Plain INSERTs: bulk_create compiles SQL per object, too slow for the 100,000+
    profile lines of a full ESCO import."""
    opts = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(opts.get_field(name).column) for name in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({marks})"
    _execute_many(model, sql, fields, rows)


def _update(model: type[models.Model], fields: list[str], rows: list[tuple]) -> None:
    """Plain UPDATEs by id; each row is the values of `fields` followed by the id."""
    opts = model._meta
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(opts.get_field(name).column)} = %s" for name in fields)
    sql = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {quote(opts.pk.column)} = %s"
    _execute_many(model, sql, [*fields, opts.pk.name], rows)


def _execute_many(
    model: type[models.Model], sql: str, fields: list[str], rows: list[tuple]
) -> None:
    """Run `sql` once per row. Values go through each field's own database preparation,
    as they would in bulk_create."""
    if not rows:
        return
    model_fields = [model._meta.get_field(name) for name in fields]
    # Integers and text go to every backend as they are; preparing them one by one
    # would cost more than the writes. Other columns (decimals) hold few distinct
    # values, each prepared once.
    prepare = [
        None if field.get_internal_type() in PLAIN_FIELDS else _preparer(field)
        for field in model_fields
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH * 10):
            cursor.executemany(
                sql,
                [
                    [
                        value if p is None else p(value)
                        for p, value in zip(prepare, row, strict=True)
                    ]
                    for row in rows[start : start + BATCH * 10]
                ],
            )


def _default(field: models.Field) -> Any:
    """What a new row holds in a column the caller did not give, as a model save does."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


def _preparer(field: models.Field) -> Callable[[Any], Any]:
    """The field's own preparation of a value for the database, remembered per value;
    a value that cannot be remembered (a dict for a JSONField) is prepared each time."""
    prepare = functools.partial(field.get_db_prep_save, connection=connection)
    remembered = functools.cache(prepare)

    def prepared(value: Any) -> Any:
        try:
            return remembered(value)
        except TypeError:  # unhashable
            return prepare(value)

    return prepared


def _release(name: str, source: str) -> Release:
    release, _ = Release.objects.get_or_create(name=name, defaults={"source": source})
    return release


def _sync_groups(groups: Iterable[esco.Group], release: Release, summary: ImportSummary) -> None:
    wanted = {
        g.code: {
            "uri": g.uri,
            "title": g.title,
            "description": g.description,
            "level": len(g.code),
            "release_id": release.pk,
        }
        for g in groups
    }
    summary.counts["ISCO groups"], _ = _sync(
        OccupationGroup, "code", wanted, OccupationGroup.objects.all()
    )
    _link_parents()


def _group_uris_free(dataset: esco.Dataset) -> None:
    """Make way for the file's group URIs. A URI another group holds stops the import,
    unless that group is in the file too with another URI: it gives its URI up first."""
    holders = dict(OccupationGroup.objects.exclude(uri=None).values_list("uri", "code"))
    codes = {g.code for g in dataset.groups}
    giving_up = []
    for g in dataset.groups:
        holder = holders.get(g.uri)
        if holder is None or holder == g.code:
            continue
        if holder not in codes:
            raise DataError(
                dataset.files.get("groups", "ISCO groups"),
                f"this URI belongs to ISCO group {holder} in the database, which the file "
                "does not give another",
                record=g.record,
                column="conceptUri",
            )
        giving_up.append(holder)
    OccupationGroup.objects.filter(code__in=giving_up).update(uri=None)


def _occupation_codes_free(dataset: esco.Dataset, ids: dict[str, int]) -> None:
    """Make way for the file's occupation codes (`ids`: the id each URI of the file will
    write to). A code another occupation holds stops the import, unless that occupation is
    in the file too with another code (a release may move codes around): it is given a
    placeholder first, which its own record then replaces."""
    rows = Occupation.objects.values_list("code", "pk", "uri")
    holders = {code: (pk, uri) for code, pk, uri in rows}
    in_file = {ids[o.uri] for o in dataset.occupations if o.uri in ids}
    moving = []
    for o in dataset.occupations:
        pk, uri = holders.get(o.code, (None, None))
        if pk is None or pk == ids.get(o.uri):
            continue
        if pk not in in_file:
            raise DataError(
                dataset.files.get("occupations", "occupations"),
                "this code belongs to another occupation in the database "
                f"({uri or 'made by hand'}, id {pk}), which the file does not give another",
                record=o.record,
                column="code",
            )
        moving.append(pk)
    taken = set(holders) | {o.code for o in dataset.occupations}
    placeholders = []
    for pk in moving:
        code, n = f"moving-{pk}", 0
        while code in taken:
            n += 1
            code = f"moving-{pk}-{n}"
        taken.add(code)
        placeholders.append((code, pk))
    _update(Occupation, ["code"], placeholders)


def _link_parents() -> None:
    """ISCO codes nest by prefix (3512's parent is 351); link every group to its parent."""
    groups = list(OccupationGroup.objects.values_list("code", "pk", "parent_id"))
    ids = {code: pk for code, pk, _ in groups}
    relinked = []
    for code, pk, parent_id in groups:
        parent = ids.get(code[:-1]) if len(code) > 1 else None
        if parent_id != parent:
            relinked.append((parent, pk))
    _update(OccupationGroup, ["parent_id"], relinked)


def _sync_requirements(
    lines: dict[int, dict[int, LineValues]],
    summary: ImportSummary,
    *,
    keep_tuning: bool,
    log: ChangeLog | None = None,
    new_occupations: frozenset[int] = frozenset(),
) -> None:
    """Make the profile of every occupation in `lines` equal to its lines.

    `lines` maps occupation id -> competence id -> line values. With `keep_tuning`,
    a line whose relation did not change keeps the target and weight an admin set,
    because the files (ESCO) say nothing about them; where the relation changed on a
    line whose target or weight an admin had moved off the scale's defaults, `log`
    records a conflict. A line keeps the release that last changed it. `log` gets each
    added, removed and re-related line, but for `new_occupations` (added whole).
    """
    counts = Counts()
    fields = list(LineValues._fields)
    existing: dict[tuple[int, int], tuple[int, tuple]] = {}
    occupation_ids = list(lines)
    scale = ProficiencyScale.current() if log is not None and keep_tuning else None
    for start in range(0, len(occupation_ids), BATCH):
        rows = Requirement.objects.filter(occupation_id__in=occupation_ids[start : start + BATCH])
        for pk, occupation_id, competence_id, *values in rows.values_list(
            "pk", "occupation_id", "competence_id", *fields
        ):
            existing[(occupation_id, competence_id)] = (pk, tuple(values))
    to_create, to_update = [], []
    for occupation_id, profile in lines.items():
        logged = log is not None and occupation_id not in new_occupations
        for competence_id, values in profile.items():
            found = existing.pop((occupation_id, competence_id), None)
            if found is None:
                to_create.append((occupation_id, competence_id, *values))
                if logged:
                    log.add(
                        ReleaseChange.Kind.LINE_ADDED,
                        occupation=occupation_id,
                        competence=competence_id,
                        new=values.relation,
                    )
                continue
            pk, current = found
            if values[:3] != current[:3] and keep_tuning and values.relation == current[0]:
                values = values._replace(target_level=current[1], weight=current[2])
            if values[:3] == current[:3]:
                counts.unchanged += 1
                continue
            to_update.append((*values, pk))
            if logged and values.relation != current[0]:
                tuned = scale is not None and (
                    current[1] != scale.default_target(current[0])
                    or current[2] != scale.default_weight(current[0])
                )
                log.add(
                    ReleaseChange.Kind.LINE_RELATION,
                    occupation=occupation_id,
                    competence=competence_id,
                    old=f"{current[0]} (target {current[1]}, weight {current[2]})"
                    if tuned
                    else current[0],
                    new=values.relation,
                    conflict=tuned,
                )
    to_delete = [pk for pk, _ in existing.values()]
    if log is not None:
        for (occupation_id, competence_id), (_, current) in existing.items():
            if occupation_id not in new_occupations:
                log.add(
                    ReleaseChange.Kind.LINE_REMOVED,
                    occupation=occupation_id,
                    competence=competence_id,
                    old=current[0],
                )
    for start in range(0, len(to_delete), BATCH):
        Requirement.objects.filter(pk__in=to_delete[start : start + BATCH]).delete()
    _insert(Requirement, ["occupation_id", "competence_id", *fields], to_create)
    _update(Requirement, fields, to_update)
    if to_create or to_update or to_delete:
        for start in range(0, len(occupation_ids), BATCH):
            batch = occupation_ids[start : start + BATCH]
            Occupation.objects.filter(pk__in=batch).summarise_profiles()
    counts.created, counts.updated, counts.removed = len(to_create), len(to_update), len(to_delete)
    summary.counts["profile lines"] = counts


def dataset_checksum(dataset: esco.Dataset, scope: Sequence[str] = ()) -> str:
    """What an ESCO import would write, as one hash: the same files (in any record
    order within a file) give the same hash."""
    digest = hashlib.sha256(repr(sorted(scope)).encode())
    for records in (
        sorted(g[:4] for g in dataset.groups),
        sorted(o[:6] for o in dataset.occupations),
        sorted(dataset.skills),
        sorted(dataset.relations),
    ):
        digest.update(repr(records).encode())
    digest.update(repr(dataset.has_skill_groups).encode())
    return digest.hexdigest()


def files_checksum(paths: Sequence[Path], scope: Sequence[str] = ()) -> str:
    """The files as given (zips or directories), byte for byte, with the branches asked
    for: the same again means the same content without reading a record."""
    digest = hashlib.sha256(repr(sorted(scope)).encode())
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(file.name.encode())
            with file.open("rb") as data:
                while chunk := data.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()


def release_unchanged(*, name: str, source: str, checksum: str) -> bool:
    """Whether `name` is the release last imported for its source, with this content."""
    latest = Release.objects.filter(source=source).order_by("-imported_at").first()
    return latest is not None and latest.name == name and latest.checksum == checksum


def downgrade_check(*, name: str, source: str) -> None:
    """Refuse a release older than one of the same source already imported."""
    version = version_of(name)
    if not version:
        return  # a name without a version is never refused
    newer = [
        (version_key(v), n)
        for n, v in Release.objects.filter(source=source)
        .exclude(name=name)
        .exclude(version="")
        .values_list("name", "version")
        if version_key(v) > version_key(version)
    ]
    if newer:
        raise ReleaseRefused(
            f"{name} is older than {max(newer)[1]}, already imported: nothing was written. "
            "Pass --allow-downgrade to import it all the same."
        )


@transaction.atomic
def esco_import(
    *,
    dataset: esco.Dataset,
    release_name: str,
    progress: Progress = quiet,
    scope: Sequence[str] = (),
    allow_downgrade: bool = False,
    checksum: str | None = None,
) -> ImportSummary:
    """Make the database match an ESCO export and record what its release changed.

    `scope` names the ISCO branches the dataset was cut to (--isco): with the unit groups
    the dataset itself covers, it bounds what the release may retire. An occupation or
    competence an ESCO release brought and this one, covering its branch, lacks is retired,
    never deleted. The same content again, or a release that changes nothing, writes nothing.
    """
    checksum = checksum or dataset_checksum(dataset, scope)
    if release_unchanged(name=release_name, source=Release.Source.ESCO, checksum=checksum):
        return ImportSummary(release=release_name, same_content=True)
    found = Release.objects.filter(name=release_name).first()
    if not allow_downgrade:
        downgrade_check(name=release_name, source=Release.Source.ESCO)
    release = found or _release(release_name, Release.Source.ESCO)
    summary = ImportSummary(release=release.name)
    log = ChangeLog()
    scale = ProficiencyScale.current()

    progress(f"  writing ISCO groups: {len(dataset.groups):,}")
    _group_uris_free(dataset)
    _sync_groups(dataset.groups, release, summary)
    groups = dict(OccupationGroup.objects.values_list("code", "pk"))

    progress(f"  writing occupations: {len(dataset.occupations):,}")
    rows = Occupation.objects.filter(uri__isnull=False)
    before = {
        uri: (pk, title, retired)
        for uri, pk, title, retired in rows.values_list("uri", "pk", "title", "retired_in__name")
    }
    existing = {uri: pk for uri, (pk, _, _) in before.items()}
    by_code = dict(Occupation.objects.filter(uri__isnull=True).values_list("code", "pk"))
    wanted = {}
    for o in dataset.occupations:
        if o.isco_code and o.isco_code not in groups:
            summary.unknown["ISCO group"].append(o.isco_code)
        if o.uri not in existing and o.code in by_code:
            existing[o.uri] = by_code[o.code]  # adopt a hand-made occupation with this code
        wanted[o.uri] = {
            "source": Occupation.Source.ESCO,
            "code": o.code,
            "title": o.title,
            "alt_labels": o.alt_labels,
            "description": o.description,
            "group_id": groups.get(o.isco_code),
            "retired_in_id": None,
        }
    _occupation_codes_free(dataset, existing)
    summary.counts["occupations"], occupations = _sync(
        Occupation, "uri", wanted, rows, existing, stamp={"release_id": release.pk}
    )
    new_occupations = frozenset(
        occupations[o.uri] for o in dataset.occupations if o.uri not in existing
    )
    K = ReleaseChange.Kind
    for o in dataset.occupations:
        pk, title, retired = before.get(o.uri, (None, "", None))
        if pk is None or retired:
            old = f"retired in {retired}" if retired else ""
            log.add(K.OCCUPATION_ADDED, occupation=occupations[o.uri], old=old, new=o.title)
        elif title != o.title:
            log.add(K.OCCUPATION_RELABELLED, occupation=pk, old=title, new=o.title)
    in_file = [occupations[o.uri] for o in dataset.occupations]

    # What this import covers: the unit groups of its occupations and of its groups
    # file, within the branches asked for. Only there may it retire anything.
    covered = {o.isco_code for o in dataset.occupations} | {
        g.code for g in dataset.groups if len(g.code) == 4
    }
    if scope:
        covered = {c for c in covered if any(c.startswith(p) for p in scope)}
    brought = Occupation.objects.filter(
        source=Occupation.Source.ESCO,
        uri__isnull=False,
        retired_in=None,
        release__source=Release.Source.ESCO,
    )
    file_uris = {o.uri for o in dataset.occupations}
    retiring = [
        (pk, count)
        for pk, uri, count in brought.filter(group__code__in=covered).values_list(
            "pk", "uri", "requirement_count"
        )
        if uri not in file_uris
    ]
    Occupation.objects.filter(pk__in=[pk for pk, _ in retiring]).update(retired_in=release)
    for pk, count in retiring:
        log.add(K.OCCUPATION_REMOVED, occupation=pk, old=f"{count} profile lines, kept")
    whole = (
        not brought.exclude(pk__in=[pk for pk, _ in retiring])
        .exclude(group__code__in=covered)
        .exists()
    )

    progress(f"  writing competences: {len(dataset.skills):,}")
    competence_rows = Competence.objects.filter(uri__isnull=False)
    before_skills = {
        uri: values
        for uri, *values in competence_rows.values_list(
            "uri", "pk", "title", "description", "kind", "reuse_level", "retired_in__name"
        )
    }
    wanted = {
        s.uri: {
            "title": s.title,
            "alt_labels": s.alt_labels,
            "description": s.description,
            "kind": s.kind,
            "reuse_level": s.reuse_level,
            "retired_in_id": None,
            # An export without the skills hierarchy leaves the groups as they are.
            **({"group": s.group} if dataset.has_skill_groups else {}),
        }
        for s in dataset.skills
    }
    summary.counts["competences"], competences = _sync(
        Competence, "uri", wanted, competence_rows, stamp={"release_id": release.pk}
    )
    for s in dataset.skills:
        pk, title, description, kind, reuse_level, retired = before_skills.get(
            s.uri, (None, "", "", "", "", None)
        )
        if pk is None or retired:
            old = f"retired in {retired}" if retired else ""
            log.add(K.COMPETENCE_ADDED, competence=competences[s.uri], old=old, new=s.title)
            continue
        for change, was, now in (
            (K.COMPETENCE_RELABELLED, title, s.title),
            (K.COMPETENCE_REDESCRIBED, description, s.description),
            (K.COMPETENCE_KIND, kind, s.kind),
            (K.COMPETENCE_REUSE, reuse_level, s.reuse_level),
        ):
            if was != now:
                log.add(change, competence=pk, old=was, new=now)
    # A competence leaves with the release when an ESCO release brought it and this
    # import covers every occupation that uses it (every one, for a whole export).
    skill_uris = {s.uri for s in dataset.skills}
    gone = {
        pk
        for pk, uri in Competence.objects.filter(
            uri__isnull=False, retired_in=None, release__source=Release.Source.ESCO
        ).values_list("pk", "uri")
        if uri not in skill_uris
    }
    if gone and not whole:
        lines_of = Requirement.objects.filter(competence_id__in=list(gone))
        inside = set(
            lines_of.filter(occupation__group__code__in=covered).values_list(
                "competence_id", flat=True
            )
        )
        outside = set(
            lines_of.exclude(occupation__group__code__in=covered).values_list(
                "competence_id", flat=True
            )
        )
        gone = inside - outside
    gone_ids = sorted(gone)
    for start in range(0, len(gone_ids), BATCH):
        batch = gone_ids[start : start + BATCH]
        Competence.objects.filter(pk__in=batch).update(retired_in=release)
    for pk in gone_ids:
        log.add(K.COMPETENCE_REMOVED, competence=pk)

    progress(f"  writing profile lines: {len(dataset.relations):,}")
    defaults = {
        relation: LineValues(
            relation, scale.default_target(relation), scale.default_weight(relation), release.pk
        )
        for relation in Requirement.Relation.values
    }
    retired = dict(Occupation.objects.exclude(retired_in=None).values_list("uri", "code"))
    lines: dict[int, dict[int, LineValues]] = {pk: {} for pk in in_file}
    for r in dataset.relations:
        if r.occupation_uri in retired:
            summary.retired[retired[r.occupation_uri]] += 1
            continue
        occupation_id = occupations.get(r.occupation_uri)
        competence_id = competences.get(r.skill_uri)
        if occupation_id is None:
            summary.unknown["occupation URI"].append(r.occupation_uri)
            continue
        if competence_id is None:
            summary.unknown["skill URI"].append(r.skill_uri)
            continue
        lines.setdefault(occupation_id, {})[competence_id] = defaults[r.relation]
    _sync_requirements(lines, summary, keep_tuning=True, log=log, new_occupations=new_occupations)
    log.write(release, summary)
    if not summary.changed and found is not None:
        transaction.set_rollback(True)  # the release again, changing nothing: write nothing
        return summary
    # The occupations it covered are now as of this release, changed or not.
    for start in range(0, len(in_file), BATCH):
        batch = in_file[start : start + BATCH]
        Occupation.objects.filter(pk__in=batch).exclude(release=release).update(release=release)
    release.checksum = checksum
    release.save()
    return summary


@transaction.atomic
def onet_import(
    *, dataset: onet.Dataset, release_name: str, progress: Progress = quiet
) -> ImportSummary:
    release = _release(release_name, Release.Source.ONET)
    summary = ImportSummary(release=release.name)
    log = ChangeLog()

    progress(f"  writing occupations: {len(dataset.occupations):,}")
    _onet_codes_follow(dataset, release, log)
    wanted = {
        o.code: {
            "source": Occupation.Source.ONET,
            "title": o.title,
            "description": o.description,
            "release_id": release.pk,
        }
        for o in dataset.occupations
    }
    summary.counts["occupations"], occupations = _sync(
        Occupation, "code", wanted, Occupation.objects.filter(code__in=list(wanted))
    )

    progress(f"  writing competences: {len(dataset.elements):,}")
    wanted = {
        ONET_ELEMENT_URI.format(e.element_id): {
            "title": e.name,
            "description": e.description,
            "kind": e.kind,
            "release_id": release.pk,
        }
        for e in dataset.elements
    }
    summary.counts["competences"], competences = _sync(
        Competence, "uri", wanted, Competence.objects.filter(uri__in=list(wanted))
    )

    progress(f"  writing profile lines: {len(dataset.lines):,}")
    lines: dict[int, dict[int, LineValues]] = {pk: {} for pk in occupations.values()}
    # A kind whose file the folder lacks keeps its lines as they are.
    kept = Requirement.objects.filter(
        occupation_id__in=list(lines),
        competence__kind__in=[onet.PROFILE_FILES[stem] for stem in dataset.missing],
    ).values_list("occupation_id", "competence_id", *LineValues._fields)
    for occupation_id, competence_id, *values in kept:
        lines[occupation_id][competence_id] = LineValues(*values)
    for line in dataset.lines:
        occupation_id = occupations.get(line.occupation_code)
        if occupation_id is None:
            summary.unknown["O*NET-SOC code"].append(line.occupation_code)
            continue
        competence_id = competences[ONET_ELEMENT_URI.format(line.element_id)]
        lines[occupation_id][competence_id] = LineValues(
            line.relation, line.target_level, line.weight, release.pk
        )
    _sync_requirements(lines, summary, keep_tuning=False)
    occupations_link_isco()
    log.write(release, summary)
    return summary


def _onet_codes_follow(dataset: onet.Dataset, release: Release, log: ChangeLog) -> None:
    """Carry O*NET occupations stored under O*NET-SOC 2010 codes over to the dataset's
    2019 codes through the stored crosswalk, so that each stays one occupation: a 1:1 or
    n:1 mapping keeps the (first) occupation under its new code, the other sources of a
    merge retire; a split keeps it under the target of the same title, else the first,
    and records the other targets as split from it."""
    S = CrosswalkPair.Scheme
    in_file = {o.code: o.title for o in dataset.occupations}
    stored = dict(
        Occupation.objects.filter(source=Occupation.Source.ONET).values_list("code", "pk")
    )
    new_codes = [code for code in in_file if code not in stored]
    if not new_codes:
        return
    pairs = CrosswalkPair.objects.filter(
        source_scheme=S.ONET2010, target_scheme=S.ONET2019, source_code__in=list(stored)
    ).exclude(source_code__in=list(in_file))
    targets: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for source, source_title, target in pairs.order_by("source_code", "pk").values_list(
        "source_code", "source_title", "target_code"
    ):
        if target in in_file:
            targets[source].append((target, source_title, in_file[target]))
    K = ReleaseChange.Kind
    taken: dict[str, str] = {}  # 2019 code -> the 2010 code whose occupation it became
    recoded = []
    for source, options in sorted(targets.items()):
        free = [o for o in options if o[0] not in taken and o[0] not in stored]
        if not free:
            # n:1: the target already became another source's occupation.
            target = options[0][0]
            Occupation.objects.filter(pk=stored[source]).update(retired_in=release)
            log.add(K.OCCUPATION_MERGED, occupation=stored[source], old=source, new=target)
            continue
        keeper = next((o for o in free if o[2] == o[1]), free[0])[0]
        taken[keeper] = source
        recoded.append((keeper, stored[source]))
        log.add(K.OCCUPATION_RECODED, occupation=stored[source], old=source, new=keeper)
        for other, *_ in options:
            if other != keeper and other not in stored:
                log.add(K.OCCUPATION_SPLIT, occupation=stored[source], old=source, new=other)
    _update(Occupation, ["code"], recoded)


@transaction.atomic
def crosswalk_import(
    *, pairs: list[crosswalk.Pair], release_name: str, table: str
) -> ImportSummary:
    release = _release(release_name, Release.Source.CROSSWALK)
    summary = ImportSummary(release=f"{release.name} ({table})")
    wanted = {
        (p.source_scheme, p.source_code, p.target_scheme, p.target_code): {
            "source_title": p.source_title,
            "target_title": p.target_title,
            "partial": p.partial,
            "release_id": release.pk,
        }
        for p in pairs
    }
    rows = CrosswalkPair.objects.none()
    for source_scheme, target_scheme in {(p.source_scheme, p.target_scheme) for p in pairs}:
        rows |= CrosswalkPair.objects.filter(
            source_scheme=source_scheme, target_scheme=target_scheme
        )
    existing = _ids(rows, PAIR_KEY)
    counts, _ = _sync(CrosswalkPair, PAIR_KEY, wanted, rows, existing)
    # The table is the whole truth for its pair of schemes: drop what it no longer lists.
    stale = [pk for k, pk in existing.items() if k not in wanted]
    CrosswalkPair.objects.filter(pk__in=stale).delete()
    counts.removed = len(stale)
    summary.counts["crosswalk pairs"] = counts
    occupations_link_isco()
    return summary


def occupations_link_isco() -> int:
    """Give O*NET and SOC occupations without an ISCO group one through the crosswalks.

    O*NET-SOC 2019 -> O*NET-SOC 2010 -> SOC 2010 -> ISCO-08, preferring a full match
    over a partial one. Occupations an admin already placed are left alone.
    """
    unplaced = list(
        Occupation.objects.filter(
            group__isnull=True, source__in=[Occupation.Source.ONET, Occupation.Source.SOC]
        )
    )
    if not unplaced:
        return 0
    onet_to_2010: dict[str, list[str]] = defaultdict(list)
    for onet_code, soc in CrosswalkPair.objects.onet2019_to_soc2010().values_list(
        "target_code", "soc2010"
    ):
        onet_to_2010[onet_code].append(soc)
    soc_to_isco: dict[str, list[tuple[bool, str]]] = defaultdict(list)
    for isco, soc, partial in CrosswalkPair.objects.soc2010_to_isco().values_list(
        "source_code", "target_code", "partial"
    ):
        soc_to_isco[soc].append((partial, isco))
    groups = dict(OccupationGroup.objects.filter(level=4).values_list("code", "pk"))
    placed = []
    for occupation in unplaced:
        if occupation.source == Occupation.Source.ONET:
            socs = onet_to_2010.get(occupation.code, [])
        else:
            socs = [occupation.code]
        candidates = sorted(c for soc in socs for c in soc_to_isco.get(soc, []))
        for _partial, isco in candidates:
            if isco in groups:
                occupation.group_id = groups[isco]
                placed.append(occupation)
                break
    Occupation.objects.bulk_update(placed, ["group"], batch_size=BATCH)
    return len(placed)
