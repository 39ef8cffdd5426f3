"""`backup` and `restore`: a round trip gives back the same rows, on SQLite and PostgreSQL, and a
file that is not an intact Gapwise backup of a known schema is refused with the database untouched.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from assessments.models import Assessment, LearningResource
from assessments.services import assessment_start
from taxonomy.models import Occupation
from tests.conftest import reload_default_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def default_data():
    if not Occupation.objects.exists():  # an earlier transactional test emptied it
        reload_default_data()


def everything() -> dict[str, list[tuple]]:
    """Every row of every table the project's apps own, in a fixed order."""
    return {
        model._meta.label: sorted(map(repr, model.objects.values_list()))
        for app in ("taxonomy", "assessments", "auth")
        for model in apps.get_app_config(app).get_models()
    }


def database() -> tuple[dict[str, list[tuple]], list[str]]:
    """What a refused restore must leave alone: the rows, and every table."""
    return everything(), sorted(connection.introspection.table_names())


@pytest.fixture
def made_backup(tmp_path) -> Path:
    path = tmp_path / "gapwise.backup"
    call_command("backup", str(path))
    return path


def unpack(path: Path) -> tuple[dict, str, bytes]:
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        name = manifest["data"]["name"]
        return manifest, name, tar.extractfile(name).read()


def pack(path: Path, manifest: dict, name: str, data: bytes) -> Path:
    with tarfile.open(path, "w") as tar:
        for member, content in (("manifest.json", json.dumps(manifest).encode()), (name, data)):
            info = tarfile.TarInfo(member)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def other_vendor() -> str:
    return "postgresql" if connection.vendor == "sqlite" else "sqlite"


def test_a_backup_restores_exactly_what_was_there(tmp_path, alice):
    assessment_start(user=alice, occupation=Occupation.objects.get(code="3512.4"))
    before = everything()
    assert sum(map(len, before.values())) > 1000
    path = tmp_path / "gapwise.backup"

    call_command("backup", str(path))
    LearningResource.objects.all().delete()
    Assessment.objects.all().delete()
    Occupation.objects.filter(code="3512.1").update(title="changed after the backup")
    call_command("restore", str(path))

    assert everything() == before


def test_a_backup_is_one_tar_whose_manifest_describes_its_data(made_backup):
    manifest, name, data = unpack(made_backup)

    assert (manifest["format"], manifest["version"], manifest["vendor"]) == (
        "gapwise-backup",
        1,
        connection.vendor,
    )
    assert (
        name == {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[connection.vendor]
    )
    assert manifest["data"]["size"] == len(data)
    assert manifest["tables"]["taxonomy_occupation"] == Occupation.objects.count()
    assert set(connection.introspection.table_names()) == set(manifest["tables"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        assert sorted(map(list, cursor.fetchall())) == manifest["migrations"]
    assert [path.name for path in made_backup.parent.iterdir()] == [made_backup.name]
    assert made_backup.stat().st_mode & 0o777 == 0o600  # personal data: the owner's only


def test_a_restore_drops_tables_made_since_and_brings_back_deleted_rows(made_backup, capsys):
    before = database()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE extra_table (id int)")
    Occupation.objects.filter(code="3512.1").delete()

    call_command("restore", str(made_backup))

    assert database() == before
    assert "extra_table" not in connection.introspection.table_names()
    assert Occupation.objects.filter(code="3512.1").exists()
    summary = capsys.readouterr().out
    assert f"Restored the {connection.vendor} database from {made_backup}" in summary
    assert f"{len(before[1])} tables" in summary
    assert "migrate next" not in summary  # made by this very code


def test_restoring_a_file_that_is_not_a_backup_fails_and_changes_nothing(tmp_path):
    before = everything()
    bad = tmp_path / "not-a-backup"
    bad.write_text("hello")
    with pytest.raises(CommandError, match="not-a-backup"):
        call_command("restore", str(bad))
    with pytest.raises(CommandError, match="no such backup file"):
        call_command("restore", str(tmp_path / "missing"))
    assert everything() == before


def test_restoring_an_empty_file_is_refused(tmp_path):
    before = database()
    empty = tmp_path / "empty.backup"
    empty.touch()

    with pytest.raises(CommandError, match=r"empty\.backup: not a Gapwise backup"):
        call_command("restore", str(empty))

    assert database() == before


def another_database_file(tmp_path: Path) -> Path:
    """A valid database file of the configured vendor that is no Gapwise backup: a SQLite file,
    or a pg_dump of a tiny separate PostgreSQL database."""
    path = tmp_path / "other.db"
    if connection.vendor == "sqlite":
        with sqlite3.connect(path) as other:
            other.execute("CREATE TABLE intruder (id int)")
        other.close()
        return path
    name = f"{connection.settings_dict['NAME']}_other"
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    with psycopg.connect(**params, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
        try:
            with psycopg.connect(**{**params, "dbname": name}) as other:
                other.execute("CREATE TABLE intruder (id int)")
            settings = connection.settings_dict
            env = {
                **os.environ,
                "PGHOST": settings["HOST"] or "",
                "PGPORT": str(settings["PORT"] or ""),
                "PGUSER": settings["USER"] or "",
                "PGPASSWORD": settings["PASSWORD"] or "",
            }
            subprocess.run(
                ["pg_dump", "--format=custom", f"--file={path}", name], env=env, check=True
            )
        finally:
            server.execute(f'DROP DATABASE "{name}"')
    return path


def test_restoring_another_database_is_refused(tmp_path):
    before = database()
    other = another_database_file(tmp_path)

    with pytest.raises(CommandError, match=r"other\.db: not a Gapwise backup"):
        call_command("restore", str(other))

    assert database() == before
    assert "intruder" not in connection.introspection.table_names()


def test_a_backup_with_one_byte_changed_is_refused_as_damaged(made_backup):
    manifest, name, data = unpack(made_backup)
    middle = len(data) // 2
    changed = data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
    pack(made_backup, manifest, name, changed)
    before = database()

    with pytest.raises(CommandError, match="damaged: its checksum does not match"):
        call_command("restore", str(made_backup))

    assert database() == before


def from_the_future(manifest: dict) -> None:
    manifest["migrations"].append(["taxonomy", "9999_from_the_future"])


def with_a_count_off_by_one(manifest: dict) -> None:
    manifest["tables"]["taxonomy_occupation"] += 1


def from_the_other_vendor(manifest: dict) -> None:
    manifest["vendor"] = other_vendor()


def in_format_version_2(manifest: dict) -> None:
    manifest["version"] = 2


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (from_the_future, "migrations this code does not know .*9999_from_the_future"),
        (with_a_count_off_by_one, "row counts differ from"),
        (from_the_other_vendor, "a backup of a .* database; the configured database is"),
        (in_format_version_2, "backup format version 2; this code reads version 1"),
    ],
)
def test_a_backup_whose_manifest_does_not_hold_is_refused(
    made_backup, edit: Callable[[dict], None], message: str
):
    manifest, name, data = unpack(made_backup)
    edit(manifest)
    pack(made_backup, manifest, name, data)
    before = database()
    with connection.cursor() as cursor:  # a restore that went through would drop it
        cursor.execute("CREATE TABLE extra_table (id int)")

    with pytest.raises(CommandError, match=message):
        call_command("restore", str(made_backup))

    assert "extra_table" in connection.introspection.table_names()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE extra_table")
    assert database() == before


def test_a_backup_into_a_directory_that_takes_no_files_fails_clearly():
    """The attack was an unwritable path. sysfs takes no new file from anyone, root included
    (the suite may run as root, to whom file modes mean nothing)."""
    with pytest.raises(
        CommandError,
        match=r"^Cannot write /sys/gapwise\.backup: (Operation not permitted|Permission denied)\.$",
    ):
        call_command("backup", "/sys/gapwise.backup")


def test_a_backup_into_a_missing_directory_fails_clearly_and_writes_nothing(tmp_path):
    path = tmp_path / "missing" / "gapwise.backup"

    with pytest.raises(CommandError, match=r"the directory .*missing does not exist"):
        call_command("backup", str(path))

    assert list(tmp_path.iterdir()) == []
