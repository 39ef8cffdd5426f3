"""An import's memory, measured on the process that runs it, as an operator would see it:
the red team's zip bomb is refused before it is read, and the full real ESCO export stays
far below 1 GB. Processes of their own, against a database of their own (tests/live.py).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.live import ROOT, child_env, manage, own_database

GIGABYTE_KB = 1024 * 1024
# manage.py, reporting the peak resident memory of its own process image when it exits.
# The kernel's VmHWM, not getrusage(): a child's ru_maxrss also counts the test process it
# was forked from, before exec.
MEASURED_MANAGE = """
import atexit, os, runpy, sys

def report():
    with open("/proc/self/status") as status, open(os.environ["PEAK_FILE"], "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])

atexit.register(report)
sys.argv[0] = "manage.py"
runpy.run_path("manage.py", run_name="__main__")
"""


def peak_memory_kb(env: dict[str, str], tmp_path: Path, *args: str) -> tuple[int, int, str]:
    """(exit code, peak resident memory in kB, stderr) of `manage.py *args`."""
    peak = tmp_path / "peak.txt"
    result = subprocess.run(
        [sys.executable, "-c", MEASURED_MANAGE, *map(str, args)],
        cwd=ROOT,
        env={**env, "PEAK_FILE": str(peak)},
        capture_output=True,
        text=True,
    )
    return result.returncode, int(peak.read_text()), result.stderr


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="reads Linux's /proc")
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
