"""Backing up and restoring the database the settings point at, while the app runs.

A backup is one tar file: `manifest.json` (format, vendor, when, the applied migrations, every
table's row count, the data member's size and SHA-256) and the data member, a copy made by
SQLite's online backup API or a pg_dump of the `public` schema. The manifest is read from the
very copy it describes, so a restore can prove, before it touches anything, that the file is an
intact Gapwise backup of a schema this code knows; then it replaces the whole database or
nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

FORMAT = "gapwise-backup"
VERSION = 1
MANIFEST = "manifest.json"
DATA_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}

# Tables, counts and migrations the backup holds, as the manifest records them.
type Tables = dict[str, int]
type Migrations = list[list[str]]


class BackupError(Exception):
    pass


def backup(path: Path) -> str:
    """Write a consistent, self-describing copy of the database to `path`; returns a summary."""
    vendor = _vendor()
    try:
        if path.is_dir():
            raise BackupError(f"Cannot write {path}: it is a directory; give a file's path.")
        if not path.parent.is_dir():
            raise BackupError(f"Cannot write {path}: the directory {path.parent} does not exist.")
        # Everything is built beside `path` and renamed into place, so a failed backup never
        # leaves half a file there (nor replaces a good older one).
        work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as error:
        raise BackupError(f"Cannot write {path}: {error.strerror}.") from None
    try:
        data = work / DATA_MEMBERS[vendor]
        if vendor == "sqlite":
            tables, migrations = _copy_sqlite(data)
        else:
            tables, migrations = _dump_postgresql(data, path)
        if not migrations:
            raise BackupError("The database has no applied migrations: run manage.py migrate.")
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "vendor": vendor,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "migrations": migrations,
            "tables": tables,
            "data": {"name": data.name, "size": data.stat().st_size, "sha256": _sha256(data)},
        }
        archive = work / "backup.tar"
        with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
            content = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(content), int(time.time())
            tar.addfile(info, io.BytesIO(content))
            tar.add(data, arcname=data.name)
        archive.chmod(0o600)  # personal data and password hashes: the owner's eyes only
        with archive.open("rb+") as file:
            os.fsync(file.fileno())
        os.replace(archive, path)
    except (OSError, sqlite3.Error) as error:
        raise BackupError(f"Cannot write {path}: {error}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return (
        f"Backed up the {vendor} database to {path}: {len(tables)} tables, "
        f"{sum(tables.values()):,} rows, {path.stat().st_size:,} bytes."
    )


def restore(path: Path) -> str:
    """Replace the whole database with the backup at `path`, or refuse and change nothing."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    vendor = _vendor()
    try:
        with tempfile.TemporaryDirectory(
            prefix="gapwise-restore-", ignore_cleanup_errors=True
        ) as work:
            manifest = _read_manifest(path, vendor)
            _check_migrations_are_known(path, manifest["migrations"])
            data = _extract_data(path, manifest, Path(work))
            if vendor == "sqlite":
                _restore_sqlite(path, data, manifest)
            else:
                _restore_postgresql(path, data, manifest)
    except OSError as error:
        raise BackupError(f"Cannot restore {path}, the database is unchanged: {error}") from None
    tables = manifest["tables"]
    summary = (
        f"Restored the {vendor} database from {path} (backed up {manifest['created_at']}): "
        f"{len(tables)} tables, {sum(tables.values()):,} rows."
    )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    if set(loader.disk_migrations) - {tuple(pair) for pair in manifest["migrations"]}:
        summary += " It predates this code's migrations: run manage.py migrate next."
    return summary


def _vendor() -> str:
    if connection.vendor not in DATA_MEMBERS:
        raise BackupError(f"No backup method for {connection.vendor}.")
    return connection.vendor


def _copy_sqlite(target: Path) -> tuple[Tables, Migrations]:
    # The online backup API copies page by page under a read lock, so the copy is consistent
    # even while requests write (a file copy of a live WAL database is not).
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        # A rollback-journal copy opens anywhere without -wal and -shm files beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_contents(copy)
    finally:
        copy.close()


def _sqlite_contents(db: sqlite3.Connection) -> tuple[Tables, Migrations]:
    names = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
            "ESCAPE '\\' ORDER BY name"
        )
    ]
    tables = {}
    for name in names:
        quoted = name.replace('"', '""')
        tables[name] = db.execute(f'SELECT count(*) FROM "{quoted}"').fetchone()[0]
    migrations: Migrations = []
    if "django_migrations" in tables:
        migrations = sorted(map(list, db.execute("SELECT app, name FROM django_migrations")))
    return tables, migrations


def _dump_postgresql(target: Path, path: Path) -> tuple[Tables, Migrations]:
    # pg_dump runs in a snapshot exported from this transaction, so the counts and migrations
    # read here describe exactly the rows it dumps, however many requests write meanwhile.
    try:
        with psycopg.connect(**connection.get_connection_params()) as db:
            db.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            db.read_only = True
            snapshot = db.execute("SELECT pg_export_snapshot()").fetchone()[0]
            names = [
                name
                for (name,) in db.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                )
            ]
            tables = {
                name: db.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", name))
                ).fetchone()[0]
                for name in names
            }
            migrations: Migrations = []
            if "django_migrations" in tables:
                rows = db.execute("SELECT app, name FROM public.django_migrations")
                migrations = sorted(map(list, rows))
            # Only `public`: that is the schema Django uses and the one a restore replaces.
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--schema=public",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                ],
                path,
            )
    except psycopg.Error as error:
        raise BackupError(f"Cannot back up the database: {error}") from None
    return tables, migrations


def _read_manifest(path: Path, vendor: str) -> dict[str, Any]:
    not_a_backup = f"{path}: not a Gapwise backup"
    try:
        with tarfile.open(path, "r:") as tar:
            member = tar.getmember(MANIFEST)
            file = tar.extractfile(member) if member.isfile() else None
            if file is None or member.size > 10_000_000:
                raise BackupError(f"{not_a_backup} (its {MANIFEST} is not a small file).")
            manifest = json.loads(file.read())
    except (tarfile.TarError, EOFError):
        raise BackupError(f"{not_a_backup} (not a tar archive holding {MANIFEST}).") from None
    except KeyError:
        raise BackupError(f"{not_a_backup} (it holds no {MANIFEST}).") from None
    except ValueError:
        raise BackupError(f"{not_a_backup} (its {MANIFEST} is not JSON).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{not_a_backup} (its manifest names another format).")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path}: backup format version {manifest.get('version')!r}; this code reads "
            f"version {VERSION}."
        )
    if manifest.get("vendor") != vendor:
        raise BackupError(
            f"{path}: a backup of a {manifest.get('vendor')} database; the configured database "
            f"is {vendor}."
        )
    if not _is_complete(manifest, vendor):
        raise BackupError(f"{not_a_backup} (its manifest is incomplete).")
    return manifest


def _is_complete(manifest: dict[str, Any], vendor: str) -> bool:
    tables, migrations, data = (
        manifest.get("tables"),
        manifest.get("migrations"),
        manifest.get("data"),
    )
    return (
        isinstance(manifest.get("created_at"), str)
        and isinstance(tables, dict)
        and all(type(count) is int and count >= 0 for count in tables.values())
        and isinstance(migrations, list)
        and bool(migrations)
        and all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(s, str) for s in pair)
            for pair in migrations
        )
        and isinstance(data, dict)
        and data.get("name") == DATA_MEMBERS[vendor]
        and type(data.get("size")) is int
        and isinstance(data.get("sha256"), str)
    )


def _check_migrations_are_known(path: Path, migrations: Migrations) -> None:
    # A backup from a newer Gapwise holds a schema this code cannot run on or migrate back.
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)  # squashed away, still recorded in old databases
    unknown = [f"{app}.{name}" for app, name in migrations if (app, name) not in known]
    if unknown:
        raise BackupError(
            f"{path}: refused: it was made with migrations this code does not know "
            f"({', '.join(unknown[:5])}); restore it with the Gapwise version that made it."
        )


def _extract_data(path: Path, manifest: dict[str, Any], work: Path) -> Path:
    expected = manifest["data"]
    target = work / expected["name"]
    try:
        with tarfile.open(path, "r:") as tar:
            member = tar.getmember(expected["name"])
            if not member.isfile() or member.size != expected["size"]:
                raise BackupError(
                    f"{path}: damaged: its {member.name} is {member.size:,} bytes, the manifest "
                    f"says {expected['size']:,}."
                )
            with tar.extractfile(member) as source, target.open("wb") as file:
                shutil.copyfileobj(source, file)
    except KeyError:
        raise BackupError(f"{path}: damaged: it holds no {expected['name']}.") from None
    except (tarfile.TarError, EOFError) as error:
        raise BackupError(f"{path}: damaged: {error}.") from None
    if _sha256(target) != expected["sha256"]:
        raise BackupError(f"{path}: damaged: its checksum does not match its manifest.")
    return target


def _restore_sqlite(path: Path, data: Path, manifest: dict[str, Any]) -> None:
    try:
        copy = sqlite3.connect(f"file:{data}?mode=ro", uri=True)
        try:
            if copy.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
                raise BackupError(f"{path}: damaged: its database fails SQLite's integrity check.")
            tables, migrations = _sqlite_contents(copy)
        finally:
            copy.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path}: damaged: its database cannot be read ({error}).") from None
    if tables != manifest["tables"]:
        raise BackupError(f"{path}: refused: its tables or row counts differ from its manifest.")
    if migrations != sorted(manifest["migrations"]):
        raise BackupError(f"{path}: refused: its migrations differ from its manifest.")
    connection.ensure_connection()
    copy = sqlite3.connect(f"file:{data}?mode=ro", uri=True)
    try:
        # One step (pages=-1) in one write transaction: the live database becomes an exact
        # copy, tables made since included, or stays as it was if anything fails.
        copy.backup(connection.connection)
    except sqlite3.Error as error:
        raise BackupError(f"Could not restore {path}, the database is unchanged: {error}") from None
    finally:
        copy.close()


# Run by psql after the restored script, inside its transaction: a difference raises, and the
# whole restore rolls back. The expected values come in as transaction-local settings.
_POSTGRESQL_CHECK = """
DO $check$
DECLARE
    expected jsonb := current_setting('gapwise.tables')::jsonb;
    counts jsonb := '{}';
    tbl text;
    found bigint;
BEGIN
    FOR tbl IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
        EXECUTE format('SELECT count(*) FROM public.%I', tbl) INTO found;
        counts := counts || jsonb_build_object(tbl, found);
    END LOOP;
    IF counts <> expected THEN
        RAISE EXCEPTION 'the restored tables and row counts differ from the manifest: %', counts;
    END IF;
    IF (
        SELECT jsonb_agg(jsonb_build_array(app, name) ORDER BY app COLLATE "C", name COLLATE "C")
        FROM public.django_migrations
    ) IS DISTINCT FROM current_setting('gapwise.migrations')::jsonb THEN
        RAISE EXCEPTION 'the restored migrations differ from the manifest';
    END IF;
END
$check$;
"""


def _restore_postgresql(path: Path, data: Path, manifest: dict[str, Any]) -> None:
    listing = _run(["pg_restore", "--list", str(data)], path)
    dumped = set(re.findall(r"^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ", listing, re.MULTILINE))
    if dumped != {("public", name) for name in manifest["tables"]}:
        raise BackupError(f"{path}: refused: the tables in its dump differ from its manifest.")
    # The script goes to a file rather than a pipe: psql must only commit once pg_restore has
    # written all of it, indexes and constraints included.
    script = data.with_suffix(".sql")
    _run(["pg_restore", "--no-owner", "--no-privileges", f"--file={script}", str(data)], path)
    expected = (
        f"SELECT set_config('gapwise.tables', {_literal(manifest['tables'])}, true), "
        f"set_config('gapwise.migrations', {_literal(sorted(manifest['migrations']))}, true);"
    )
    connection.close()  # its locks or open transaction would hold up the DROP
    # With --schema, pg_dump writes CREATE SCHEMA public itself, so only the DROP comes first.
    try:
        _run(
            [
                "psql",
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--command=SET client_min_messages = warning; DROP SCHEMA public CASCADE;",
                f"--file={script}",
                f"--command={expected}{_POSTGRESQL_CHECK}",
            ],
            path,
        )
    except BackupError as error:
        raise BackupError(f"{error} (rolled back: the database is unchanged)") from None


def _literal(value: object) -> str:
    # json.dumps escapes everything outside printable ASCII, so doubling quotes is enough.
    return "'" + json.dumps(value).replace("'", "''") + "'"


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _run(command: list[str], path: Path) -> str:
    """Run a PostgreSQL client tool against the configured database; returns its output."""
    settings = connection.settings_dict
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)")
    env = {
        **os.environ,
        "PGHOST": settings["HOST"] or "",
        "PGPORT": str(settings["PORT"] or ""),
        "PGUSER": settings["USER"] or "",
        "PGPASSWORD": settings["PASSWORD"] or "",
        "PGDATABASE": settings["NAME"],
    }
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "ERROR" in line]
        message = (errors[0] if errors else result.stderr.strip())[:500]
        raise BackupError(f"{path}: {command[0]} failed: {message}")
    return result.stdout
