"""Backing up and restoring the database the settings point at, while the app runs.

SQLite goes through its online backup API, page by page under a read lock, so the copy is
consistent even while requests write (a file copy of a live WAL database is not).
PostgreSQL goes through pg_dump's custom format and pg_restore.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection


class BackupError(Exception):
    pass


def backup(path: Path) -> str:
    """Write a consistent copy of the database to `path`; returns a one-line summary."""
    vendor = connection.vendor
    if vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    elif vendor == "postgresql":
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={path}"], path)
    else:
        raise BackupError(f"No backup method for {vendor}.")
    return f"Backed up the {vendor} database to {path} ({path.stat().st_size:,} bytes)."


def restore(path: Path) -> str:
    """Replace the database's content with the backup at `path`."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file")
    vendor = connection.vendor
    if vendor == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path}: not an intact SQLite database")
            connection.ensure_connection()
            source.backup(connection.connection)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path}: not a SQLite backup ({error})") from None
        finally:
            source.close()
    elif vendor == "postgresql":
        connection.close()  # pg_restore drops and recreates the tables
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={connection.settings_dict['NAME']}",
                str(path),
            ],
            path,
        )
    else:
        raise BackupError(f"No restore method for {vendor}.")
    return f"Restored the {vendor} database from {path}."


def _run(command: list[str], path: Path) -> None:
    """Run a PostgreSQL client tool against the configured database."""
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
        raise BackupError(f"{path}: {command[0]} failed: {result.stderr.strip()[:500]}")
