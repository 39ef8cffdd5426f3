"""An import's memory, measured on the process that runs it, as an operator would see it:
the red team's zip bomb is refused before it is read, and the full real ESCO export stays
far below 1 GB. Processes of their own, against a database of their own (tests/live.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.live import ROOT, child_env, manage, own_database

GIGABYTE_KB = 1024 * 1024  # ru_maxrss counts kilobytes on Linux


def peak_memory_kb(env: dict[str, str], tmp_path: Path, *args: str) -> tuple[int, int, str]:
    """(exit code, peak resident memory in kB, stderr) of `manage.py *args`."""
    err = tmp_path / "stderr.txt"
    with open(os.devnull, "wb") as out, err.open("wb") as errors:
        child = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=out, stderr=errors
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the suite's
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage.ru_maxrss, err.read_text()


def test_a_zip_bomb_is_refused_unread_and_the_full_esco_import_stays_below_a_gigabyte(
    tmp_path, shared_data
):
    zips = sorted((shared_data / "esco-v1.1.1").glob("*.zip"))
    classification = next(z for z in zips if " en " in z.name)
    # As the red team built it: a small zip whose relations file unpacks to 524 MB.
    bomb = tmp_path / "ESCO dataset - v1.1.1 - bomb.zip"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("occupationSkillRelations.csv", "w", force_zip64=True) as member,
    ):
        member.write(b"occupationUri,relationType,skillType,skillUri\n")
        for _ in range(524):
            member.write(b" " * 1024 * 1024)
    assert bomb.stat().st_size < 2_000_000

    with own_database(tmp_path, "import_memory") as database:
        env = child_env(DATABASE_URL=database)
        manage(env, "migrate", "--no-input", "-v0")

        code, bomb_kb, errors = peak_memory_kb(env, tmp_path, "import_esco", classification, bomb)
        assert code == 1
        assert "occupationSkillRelations.csv: 549,453,870 bytes, more than the" in errors
        assert bomb_kb < GIGABYTE_KB / 4

        code, full_kb, errors = peak_memory_kb(env, tmp_path, "import_esco", *zips)
        assert code == 0, errors
        assert full_kb < GIGABYTE_KB
