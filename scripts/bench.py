"""`make bench`: hot paths timed against a floor measured in the same run.

Ratios, not seconds, are the figures to compare between machines. Each timing is the
best of a few runs (--repeat). This is not a test: nothing here fails on a slow machine.

ESCO import: the full ESCO v1.1.1 export (two zips) into a fresh SQLite file, against a
floor that parses the same zips with the csv module and inserts the same rows into bare
SQLite tables with executemany. Targets: first import <= 5x, re-import <= 3x.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sqlite3
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ESCO = ROOT.parent / "shared" / "data" / "esco-v1.1.1"

FLOOR_TABLES = {
    "ISCOGroups_en.csv": ("groups", ["conceptUri", "code", "preferredLabel", "description"]),
    "occupations_en.csv": (
        "occupations",
        ["conceptUri", "code", "iscoGroup", "preferredLabel", "altLabels", "description"],
    ),
    "skills_en.csv": (
        "skills",
        ["conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels", "description"],
    ),
    "occupationSkillRelations.csv": (
        "relations",
        ["occupationUri", "relationType", "skillUri"],
    ),
}


def floor(zips: list[Path], database: Path) -> float:
    """The least any importer must do: read the records and insert them."""
    start = time.perf_counter()
    db = sqlite3.connect(database)
    for path in zips:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name not in FLOOR_TABLES:
                    continue
                table, columns = FLOOR_TABLES[name]
                text = archive.read(name).decode("utf-8-sig")
                reader = csv.DictReader(io.StringIO(text, newline=""))
                rows = [[row[c] for c in columns] for row in reader]
                db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, {', '.join(columns)})")
                marks = ", ".join("?" * len(columns))
                db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    db.commit()
    db.close()
    return time.perf_counter() - start


def best(runs: list[float]) -> float:
    return min(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="Runs per timing (best is kept).")
    args = parser.parse_args()
    zips = sorted(ESCO.glob("*.zip"))
    if len(zips) != 2:
        print(f"The ESCO v1.1.1 zips are not in {ESCO}: nothing to measure.", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="gapwise-bench-"))
    database = workdir / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    floors, firsts, agains = [], [], []
    for run in range(args.repeat):
        floors.append(floor(zips, workdir / f"floor-{run}.sqlite3"))

        connection.close()
        database.unlink(missing_ok=True)
        call_command("migrate", verbosity=0)
        out = io.StringIO()
        start = time.perf_counter()
        call_command("import_esco", *map(str, zips), stdout=out, stderr=io.StringIO())
        firsts.append(time.perf_counter() - start)

        out = io.StringIO()
        start = time.perf_counter()
        call_command("import_esco", *map(str, zips), stdout=out, stderr=io.StringIO())
        agains.append(time.perf_counter() - start)
        if "Nothing changed." not in out.getvalue():
            print("re-import wrote something:", out.getvalue(), file=sys.stderr)
            return 1

    base = best(floors)
    print(f"ESCO v1.1.1 full import, SQLite, best of {args.repeat}:")
    print(f"  floor (csv + executemany)  {base:7.2f} s   1.00x")
    for label, runs, target in (
        ("first import              ", firsts, 5),
        ("re-import, nothing written", agains, 3),
    ):
        t = best(runs)
        print(f"  {label} {t:7.2f} s  {t / base:5.2f}x  (target <= {target}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
