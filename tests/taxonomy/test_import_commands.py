"""The import commands against a real database: tiny fixtures, the real files, bad input."""

from __future__ import annotations

import io
import shutil
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from django.core.management import CommandError, call_command

from taxonomy import tabular
from taxonomy.models import (
    Competence,
    CrosswalkPair,
    ImportRun,
    Occupation,
    OccupationGroup,
    Release,
    Requirement,
)
from tests.taxonomy.test_onet import _text_edition as onet_text_edition
from tests.taxonomy.test_views import FORMULAS, hostile_profile_line, neutralised_row

pytestmark = pytest.mark.django_db

OCC = "http://example.org/occupation/"
SKILL = "http://example.org/skill/"

GROUPS = (
    "conceptType,conceptUri,code,preferredLabel,status,altLabels,inScheme,description\n"
    "ISCOGroup,http://example.org/isco/C9,9,Test major,released,,,\n"
    "ISCOGroup,http://example.org/isco/C99,99,Test sub-major,released,,,\n"
    "ISCOGroup,http://example.org/isco/C999,999,Test minor,released,,,\n"
    "ISCOGroup,http://example.org/isco/C9999,9999,Test unit,released,,,\n"
)
OCCUPATIONS = (
    "conceptType,conceptUri,iscoGroup,preferredLabel,altLabels,description,code\n"
    f'Occupation,{OCC}a,9999,Widget fixer,"gadget fixer\nwidget mender",Fixes widgets.,9999.1\n'
    f"Occupation,{OCC}b,9999,Widget tester,,Tests widgets.,9999.2\n"
)
SKILLS = (
    "conceptType,conceptUri,skillType,reuseLevel,preferredLabel,altLabels,description\n"
    f"KnowledgeSkillCompetence,{SKILL}1,knowledge,sector-specific,widget theory,,Theory.\n"
    f"KnowledgeSkillCompetence,{SKILL}2,skill/competence,transversal,use a spanner,,Spanners.\n"
    f"KnowledgeSkillCompetence,{SKILL}3,,,think,,Thinking.\n"
)
RELATIONS = (
    "occupationUri,relationType,skillType,skillUri\n"
    f"{OCC}a,essential,knowledge,{SKILL}1\n"
    f"{OCC}a,optional,skill/competence,{SKILL}2\n"
    f"{OCC}b,essential,,{SKILL}3\n"
)


def write_esco(directory: Path, **overrides: str) -> Path:
    files = {
        "ISCOGroups_en.csv": GROUPS,
        "occupations_en.csv": OCCUPATIONS,
        "skills_en.csv": SKILLS,
        "occupationSkillRelations.csv": RELATIONS,
    }
    files.update({name.replace("__", "."): text for name, text in overrides.items()})
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def run(*args: object) -> str:
    out = io.StringIO()
    call_command(*[str(a) for a in args], stdout=out, stderr=io.StringIO())
    return out.getvalue()


def snapshot() -> dict[str, list]:
    """Everything an import may touch, to prove a failed one changed nothing."""
    return {
        "groups": list(OccupationGroup.objects.values_list("code", "title", "parent__code")),
        "occupations": list(Occupation.objects.values_list("code", "title", "group__code")),
        "competences": list(Competence.objects.values_list("uri", "title", "description")),
        "requirements": list(
            Requirement.objects.values_list(
                "occupation__code", "competence__title", "relation", "target_level", "weight"
            )
        ),
        "pairs": CrosswalkPair.objects.count(),
        "releases": list(Release.objects.values_list("name", flat=True)),
    }


def test_it_imports_a_tiny_esco_export_with_default_targets_and_weights(tmp_path):
    output = run("import_esco", write_esco(tmp_path / "esco"), "--release", "ESCO test")

    assert "occupations: 2 created" in output
    fixer = Occupation.objects.get(code="9999.1")
    assert fixer.group.code == "9999"
    assert fixer.group.parent.code == "999"
    assert fixer.alt_label_list() == ["gadget fixer", "widget mender"]
    assert fixer.release.name == "ESCO test"
    lines = {r.competence.title: r for r in fixer.requirements.select_related("competence")}
    assert (lines["widget theory"].relation, lines["widget theory"].target_level) == (
        "essential",
        3,
    )
    assert lines["widget theory"].weight == 2
    assert (lines["use a spanner"].relation, lines["use a spanner"].target_level) == ("optional", 2)
    assert lines["use a spanner"].weight == 1
    think = Competence.objects.get(uri=f"{SKILL}3")
    assert (think.kind, think.reuse_level) == ("unknown", "unknown")
    run_entry = ImportRun.objects.first()  # the audit entry of this run
    assert run_entry.command == "import_esco" and run_entry.summary == output.strip()


def test_running_the_same_import_again_changes_nothing_and_says_so(tmp_path):
    directory = write_esco(tmp_path / "esco")
    run("import_esco", directory, "--release", "ESCO test")
    before = snapshot()

    output = run("import_esco", directory, "--release", "ESCO test")

    assert "Nothing changed." in output
    assert "the same content as already imported" in output
    assert snapshot() == before


def test_a_reimport_makes_the_profile_equal_to_the_files_and_counts_removals(tmp_path):
    run("import_esco", write_esco(tmp_path / "v1"), "--release", "ESCO test")
    fewer = RELATIONS.replace(f"{OCC}a,optional,skill/competence,{SKILL}2\n", "").replace(
        f"{OCC}a,essential,knowledge", f"{OCC}a,optional,knowledge"
    )

    output = run(
        "import_esco",
        write_esco(tmp_path / "v2", occupationSkillRelations__csv=fewer),
        "--release",
        "ESCO test",
    )

    assert "profile lines: 0 created, 1 updated, 1 unchanged, 1 removed" in output
    line = Requirement.objects.get(occupation__code="9999.1")
    assert (line.competence.title, line.relation, line.target_level) == (
        "widget theory",
        "optional",
        2,
    )


def test_a_reimport_keeps_an_admins_target_and_weight_when_the_relation_is_unchanged(tmp_path):
    directory = write_esco(tmp_path / "esco")
    run("import_esco", directory, "--release", "ESCO test")
    Requirement.objects.filter(competence__uri=f"{SKILL}1").update(target_level=4, weight=5)

    assert "Nothing changed." in run("import_esco", directory, "--release", "ESCO test")
    line = Requirement.objects.get(competence__uri=f"{SKILL}1")
    assert (line.target_level, line.weight) == (4, 5)


def test_a_reimport_updates_changed_occupations_and_competences_in_place(tmp_path):
    run("import_esco", write_esco(tmp_path / "v1"), "--release", "ESCO test")
    fixer = Occupation.objects.get(code="9999.1")
    directory = write_esco(
        tmp_path / "v2",
        occupations_en__csv=OCCUPATIONS.replace("Fixes widgets.", "Mends widgets."),
        skills_en__csv=SKILLS.replace("Spanners.", "Wrenches."),
    )

    output = run("import_esco", directory, "--release", "ESCO test")

    assert "occupations: 0 created, 1 updated, 1 unchanged" in output
    assert "competences: 0 created, 1 updated, 2 unchanged" in output
    assert Occupation.objects.get(pk=fixer.pk).description == "Mends widgets."
    assert Competence.objects.get(uri=f"{SKILL}2").description == "Wrenches."
    assert Requirement.objects.filter(occupation=fixer).count() == 2


def test_it_adopts_a_hand_made_occupation_with_the_same_code(tmp_path):
    local = Occupation.objects.create(code="9999.1", title="Our widget fixer")

    output = run("import_esco", write_esco(tmp_path / "esco"), "--release", "ESCO test")

    assert "occupations: 1 created, 1 updated, 0 unchanged" in output
    local.refresh_from_db()
    assert (local.title, local.source, local.group.code) == ("Widget fixer", "esco", "9999")
    assert local.requirements.count() == 2
    assert "Nothing changed." in run(
        "import_esco", write_esco(tmp_path / "esco"), "--release", "ESCO test"
    )


def test_it_reads_the_v1_2_relations_file_with_label_columns(tmp_path):
    v12 = (
        "occupationUri,occupationLabel,relationType,skillType,skillUri,skillLabel\n"
        f"{OCC}a,Widget fixer,essential,knowledge,{SKILL}1,widget theory\n"
    )
    directory = write_esco(tmp_path / "esco")
    (directory / "occupationSkillRelations.csv").unlink()
    (directory / "occupationSkillRelations_en.csv").write_text(v12)

    run("import_esco", directory, "--release", "ESCO v1.2.0")

    assert Requirement.objects.filter(occupation__code="9999.1").count() == 1


def test_unknown_uris_are_reported_and_skipped(tmp_path):
    relations = (
        RELATIONS + f"{OCC}a,essential,knowledge,{SKILL}missing\n{OCC}gone,optional,,{SKILL}1\n"
    )
    directory = write_esco(tmp_path / "esco", occupationSkillRelations__csv=relations)

    output = run("import_esco", directory, "--release", "ESCO test")

    assert f"skipped 1 reference(s) to 1 unknown skill URI (first: {SKILL}missing)" in output
    assert f"skipped 1 reference(s) to 1 unknown occupation URI (first: {OCC}gone)" in output
    assert Requirement.objects.filter(occupation__code__startswith="9999.").count() == 3


def test_isco_option_limits_the_import_to_a_branch(tmp_path):
    groups = GROUPS + "ISCOGroup,http://example.org/isco/C8,8,Other,released,,,\n"
    occupations = OCCUPATIONS + f"Occupation,{OCC}c,8,Other job,,Other.,8.1\n"
    relations = RELATIONS + f"{OCC}c,essential,knowledge,{SKILL}1\n"
    directory = write_esco(
        tmp_path / "esco",
        ISCOGroups_en__csv=groups,
        occupations_en__csv=occupations,
        occupationSkillRelations__csv=relations,
    )

    run("import_esco", directory, "--isco", "99", "--release", "ESCO test")

    assert not Occupation.objects.filter(code="8.1").exists()
    assert not OccupationGroup.objects.filter(code="8").exists()
    assert OccupationGroup.objects.filter(code="9").exists()  # an ancestor of the branch
    assert Occupation.objects.filter(code__startswith="9999.").count() == 2


MALFORMED = [
    pytest.param(
        {"skills_en__csv": SKILLS.replace("skillType", "kind")},
        "skills_en.csv, header, column 'skillType': required column missing",
        id="missing column",
    ),
    pytest.param(
        {"occupations_en__csv": OCCUPATIONS.replace(",", ";")},
        "occupations_en.csv, header, column 'conceptUri': required column missing (only one "
        "column found: is the delimiter ','?)",
        id="wrong delimiter",
    ),
    pytest.param(
        {"skills_en__csv": SKILLS + f"KnowledgeSkillCompetence,{SKILL}9,knowledge\n"},
        "skills_en.csv, record 4: has 3 fields where the header has 7",
        id="truncated record",
    ),
    pytest.param(
        {"occupationSkillRelations__csv": RELATIONS + f'{OCC}a,optional,"knowledge,{SKILL}9\n'},
        "occupationSkillRelations.csv, record 4: malformed or truncated record",
        id="unterminated quote",
    ),
    pytest.param({"skills_en__csv": ""}, "skills_en.csv: the file is empty", id="empty file"),
    pytest.param(
        {"skills_en__csv": SKILLS + f"KnowledgeSkillCompetence,{SKILL}1,knowledge,,again,,\n"},
        "skills_en.csv, record 4, column 'conceptUri': duplicate URI (first at record 1)",
        id="duplicate URI",
    ),
    pytest.param(
        {"skills_en__csv": SKILLS.replace("skill/competence", "talent")},
        "skills_en.csv, record 2, column 'skillType': unknown skill type 'talent'",
        id="unknown skill type",
    ),
    pytest.param(
        # A "/" in a code broke every page that links the occupation (reverse() fails).
        {"occupations_en__csv": OCCUPATIONS.replace(",9999.2\n", ",9999/2\n")},
        "occupations_en.csv, record 2, column 'code': an occupation code is letters, digits, "
        "dots and hyphens, starting with a letter or digit",
        id="slash in an occupation code",
    ),
    pytest.param(
        {"occupations_en__csv": OCCUPATIONS.replace(",9999.1\n", ",..\n")},
        "occupations_en.csv, record 1, column 'code': an occupation code is",
        id="dot-dot occupation code",
    ),
    pytest.param(
        {"occupations_en__csv": OCCUPATIONS.replace(",9999.1\n", ",9999 1\n")},
        "occupations_en.csv, record 1, column 'code': an occupation code is",
        id="space in an occupation code",
    ),
    pytest.param(
        {"occupations_en__csv": OCCUPATIONS.replace(f"{OCC}b,9999,", f"{OCC}b,99/9,")},
        "occupations_en.csv, record 2, column 'iscoGroup': an ISCO-08 group is 1-4 digits",
        id="slash in an ISCO group of an occupation",
    ),
    pytest.param(
        {"ISCOGroups_en__csv": GROUPS.replace("C9999,9999,", "C9999,٩٩٩٩,")},
        "ISCOGroups_en.csv, record 4, column 'code': an ISCO-08 code is 1-4 digits",
        id="arabic-indic digits in a group code",
    ),
    pytest.param(
        # It became a clickable link on the occupation page.
        {"occupations_en__csv": OCCUPATIONS.replace(f"{OCC}b", "javascript:alert(1)//")},
        "occupations_en.csv, record 2, column 'conceptUri': not an http:// or https:// address",
        id="javascript URI of an occupation",
    ),
    pytest.param(
        {"skills_en__csv": SKILLS.replace(f"{SKILL}2", "data:text/html;x")},
        "skills_en.csv, record 2, column 'conceptUri': not an http:// or https:// address",
        id="data URI of a skill",
    ),
    pytest.param(
        {"ISCOGroups_en__csv": GROUPS.replace("http://example.org/isco/C99,", "ftp://x/C99,")},
        "ISCOGroups_en.csv, record 2, column 'conceptUri': not an http:// or https:// address",
        id="ftp URI of a group",
    ),
    pytest.param(
        {"occupations_en__csv": OCCUPATIONS.replace(f"{OCC}b", f"{OCC}b c")},
        "occupations_en.csv, record 2, column 'conceptUri': not an http:// or https:// address",
        id="space in a URI",
    ),
    pytest.param(
        {"occupations_en__csv": OCCUPATIONS.replace(f"{OCC}b", f"{OCC}{'b' * 250}")},
        "occupations_en.csv, record 2, column 'conceptUri': longer than 255 characters",
        id="overlong URI",
    ),
    pytest.param(
        {"occupationSkillRelations__csv": RELATIONS.replace(f"{OCC}b,", "javascript:x,")},
        "occupationSkillRelations.csv, record 3, column 'occupationUri': not an http:// or",
        id="javascript URI in a relation",
    ),
    pytest.param(
        # SQLite stored it in a 255 column; PostgreSQL stopped with a bare DataError.
        {"occupations_en__csv": OCCUPATIONS.replace("Widget tester", "W" * 10_000)},
        "occupations_en.csv, record 2, column 'preferredLabel': longer than 255 characters",
        id="overlong occupation title",
    ),
    pytest.param(
        {"ISCOGroups_en__csv": GROUPS.replace("Test minor", "M" * 256)},
        "ISCOGroups_en.csv, record 3, column 'preferredLabel': longer than 255 characters",
        id="overlong group title",
    ),
    pytest.param(
        {"skills_en__csv": SKILLS.replace("use a spanner", "s" * 256)},
        "skills_en.csv, record 2, column 'preferredLabel': longer than 255 characters",
        id="overlong skill title",
    ),
    pytest.param(
        {"occupations_en__csv": OCCUPATIONS.replace(",9999.2\n", ",9999.2.3.4.5.6.7.8.9.1\n")},
        "occupations_en.csv, record 2, column 'code': longer than 20 characters",
        id="overlong occupation code",
    ),
    pytest.param(
        # A bare IntegrityError on both databases.
        {"occupations_en__csv": OCCUPATIONS.replace(",9999.2\n", ",9999.1\n")},
        "occupations_en.csv, record 2, column 'code': duplicate occupation code (first at "
        "record 1)",
        id="duplicate occupation code",
    ),
    pytest.param(
        {"ISCOGroups_en__csv": GROUPS + "ISCOGroup,http://example.org/isco/X,9999,Again,,,,\n"},
        "ISCOGroups_en.csv, record 5, column 'code': duplicate ISCO-08 code (first at record 4)",
        id="duplicate group code",
    ),
    pytest.param(
        {"occupationSkillRelations__csv": RELATIONS.replace("optional", "nice-to-have")},
        "occupationSkillRelations.csv, record 2, column 'relationType': unknown relation type",
        id="unknown relation",
    ),
]


@pytest.mark.parametrize("overrides,message", MALFORMED)
def test_a_malformed_export_stops_with_file_record_and_column_and_writes_nothing(
    tmp_path, overrides, message
):
    run("import_esco", write_esco(tmp_path / "good"), "--release", "ESCO test")
    before = snapshot()
    directory = write_esco(tmp_path / "bad", **overrides)

    with pytest.raises(CommandError) as error:
        run("import_esco", directory, "--release", "ESCO test 2")

    assert message in str(error.value)
    assert snapshot() == before


def test_a_code_another_occupation_holds_stops_the_import_and_writes_nothing(tmp_path):
    run("import_esco", write_esco(tmp_path / "v1"), "--release", "ESCO test")
    before = snapshot()
    # Widget fixer is gone from the release and a new occupation took its code.
    taken = OCCUPATIONS.replace(f"{OCC}a,", f"{OCC}new,")

    with pytest.raises(CommandError) as error:
        run(
            "import_esco",
            write_esco(tmp_path / "v2", occupations_en__csv=taken),
            "--release",
            "ESCO test 2",
        )

    assert str(error.value).endswith(
        f"occupations_en.csv, record 1, column 'code': this code belongs to another "
        f"occupation in the database ({OCC}a, id {Occupation.objects.get(code='9999.1').pk}), "
        "which the file does not give another"
    )
    assert snapshot() == before


def test_a_code_a_hand_made_occupation_holds_stops_the_import(tmp_path):
    run("import_esco", write_esco(tmp_path / "v1"), "--release", "ESCO test")
    Occupation.objects.create(code="9999.3", title="Our own")
    before = snapshot()
    moved = OCCUPATIONS.replace(",9999.2\n", ",9999.3\n")

    with pytest.raises(CommandError, match=r"record 2, column 'code': .*\(made by hand, id"):
        run("import_esco", write_esco(tmp_path / "v2", occupations_en__csv=moved), "--release", "x")

    assert snapshot() == before


def test_a_release_may_move_codes_between_its_occupations(tmp_path):
    run("import_esco", write_esco(tmp_path / "v1"), "--release", "ESCO test")
    swapped = OCCUPATIONS.replace(",9999.1\n", ",9999.X\n").replace(",9999.2\n", ",9999.1\n")
    swapped = swapped.replace(",9999.X\n", ",9999.2\n")

    output = run(
        "import_esco", write_esco(tmp_path / "v2", occupations_en__csv=swapped), "--release", "x"
    )

    assert "occupations: 0 created, 2 updated" in output
    assert Occupation.objects.get(uri=f"{OCC}a").code == "9999.2"
    assert Occupation.objects.get(uri=f"{OCC}b").code == "9999.1"
    assert not Occupation.objects.filter(code__startswith="moving-").exists()


def test_a_group_uri_another_group_holds_stops_the_import_and_writes_nothing(tmp_path):
    run("import_esco", write_esco(tmp_path / "v1"), "--release", "ESCO test")
    before = snapshot()
    groups = GROUPS.replace(",9999,Test unit,", ",9998,Test unit,")
    occupations = OCCUPATIONS.replace(",9999,", ",9998,")

    with pytest.raises(CommandError) as error:
        run(
            "import_esco",
            write_esco(tmp_path / "v2", ISCOGroups_en__csv=groups, occupations_en__csv=occupations),
            "--release",
            "ESCO test 2",
        )

    assert str(error.value).endswith(
        "ISCOGroups_en.csv, record 4, column 'conceptUri': this URI belongs to ISCO group "
        "9999 in the database, which the file does not give another"
    )
    assert snapshot() == before


def test_a_release_may_move_uris_between_its_groups(tmp_path):
    run("import_esco", write_esco(tmp_path / "v1"), "--release", "ESCO test")
    swapped = GROUPS.replace("/C999,", "/X,").replace("/C9999,", "/C999,").replace("/X,", "/C9999,")

    run("import_esco", write_esco(tmp_path / "v2", ISCOGroups_en__csv=swapped), "--release", "x")

    assert OccupationGroup.objects.get(code="999").uri == "http://example.org/isco/C9999"
    assert OccupationGroup.objects.get(code="9999").uri == "http://example.org/isco/C999"


@pytest.mark.parametrize("command", ["import_esco", "import_crosswalk"])
def test_a_release_name_longer_than_its_column_is_refused(tmp_path, shared_data, command):
    before = snapshot()
    path = write_esco(tmp_path / "esco")
    if command == "import_crosswalk":
        path = shared_data / "crosswalks" / "isco08_to_soc2010.csv"

    with pytest.raises(CommandError, match="longer than 100 characters"):
        run(command, path, "--release", "R" * 101)

    assert snapshot() == before


def test_bad_encoding_names_the_record(tmp_path):
    directory = write_esco(tmp_path / "esco")
    data = SKILLS.encode().replace(b"Spanners.", "Spänners.".encode("latin-1"))
    (directory / "skills_en.csv").write_bytes(data)

    with pytest.raises(CommandError, match=r"skills_en.csv, record 2: not UTF-8 text"):
        run("import_esco", directory, "--release", "ESCO test")
    assert not Release.objects.filter(name="ESCO test").exists()


def zip_export(path: Path, directory: Path, **members: Callable[[IO[bytes]], None]) -> Path:
    """The files of `directory` as a zip, some of them replaced by what a writer writes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(directory.iterdir()):
            if file.name not in members:
                archive.write(file, f"esco/{file.name}")
        for name, write in members.items():
            with archive.open(f"esco/{name}", "w", force_zip64=True) as member:
                write(member)
    return path


def spaces(megabytes: int) -> Callable[[IO[bytes]], None]:
    def write(member: IO[bytes]) -> None:
        member.write(RELATIONS.encode())
        for _ in range(megabytes):
            member.write(b" " * 1_000_000)

    return write


def test_a_zip_member_larger_than_an_import_file_may_be_is_refused_unread(tmp_path):
    # 120 MB of spaces pack into 120 kB; the red team's 1.8 MB zip held 524 MB and drove
    # the import to 3.1 GB.
    bomb = zip_export(
        tmp_path / "bomb.zip",
        write_esco(tmp_path / "esco"),
        **{"occupationSkillRelations.csv": spaces(120)},
    )
    assert bomb.stat().st_size < 200_000
    before = snapshot()

    tracemalloc.start()
    try:
        with pytest.raises(CommandError) as error:
            run("import_esco", bomb, "--release", "ESCO test")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert str(error.value) == (
        f"bomb.zip/occupationSkillRelations.csv: {120_000_000 + len(RELATIONS):,} bytes, "
        "more than the "
        "100,000,000 bytes an import file may hold (the README's import limits)"
    )
    assert peak < 5_000_000  # nothing of it was read
    assert snapshot() == before


def test_a_zip_member_that_unpacks_beyond_its_declared_size_is_refused(tmp_path):
    honest = zip_export(
        tmp_path / "honest.zip",
        write_esco(tmp_path / "esco"),
        **{"occupationSkillRelations.csv": spaces(5)},
    )
    # The zip's own directory, and the member's header, now say it holds 1,000 bytes.
    data = bytearray(honest.read_bytes())
    with zipfile.ZipFile(honest) as archive:
        info = archive.getinfo("esco/occupationSkillRelations.csv")
    for signature, size_at in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        for start in range(len(data)):
            start = data.find(signature, start)
            name_at = start + (46 if signature == b"PK\x01\x02" else 30)
            if data[name_at : name_at + len(info.filename)] == info.filename.encode():
                break
        data[start + size_at : start + size_at + 4] = (1000).to_bytes(4, "little")
        if data[start + size_at - 4 : start + size_at] == b"\xff" * 4:  # zip64 sizes
            extra = data.find(b"\x01\x00", name_at + len(info.filename))
            data[extra + 4 : extra + 12] = (1000).to_bytes(8, "little")
    lying = tmp_path / "lying.zip"
    lying.write_bytes(bytes(data))
    with zipfile.ZipFile(lying) as archive:
        assert archive.getinfo("esco/occupationSkillRelations.csv").file_size == 1000
    before = snapshot()

    with pytest.raises(CommandError) as error:
        run("import_esco", lying, "--release", "ESCO test")

    assert str(error.value).startswith("lying.zip/occupationSkillRelations.csv")
    assert snapshot() == before


def test_the_size_limit_is_the_one_every_import_file_meets(tmp_path, monkeypatch, shared_data):
    """The same limit for files on disk and inside a workbook, lowered so the real files
    are too large for it."""
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 20_000_000)
    before = snapshot()

    with pytest.raises(CommandError) as error:
        run("import_onet", shared_data / "onet-29.3", "--code", "15-1232.00")
    assert str(error.value).endswith(
        "Skills.xlsx: a part of the workbook unpacks to 35,454,876 bytes, more than the "
        "20,000,000 bytes such a part may hold (the README's import limits)"
    )

    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 100)
    crosswalk = shared_data / "crosswalks" / "isco08_to_soc2010.csv"
    with pytest.raises(CommandError, match=r"isco08_to_soc2010\.csv: [\d,]+ bytes, more than"):
        run("import_crosswalk", crosswalk)
    people = tmp_path / "people.csv"
    people.write_text("username,email,full_name,team,role,occupation_code\n" + "x" * 200)
    with pytest.raises(CommandError, match=r"people\.csv: 251 bytes, more than the 100 bytes"):
        run("import_people", people)
    assert snapshot() == before


def test_a_failure_while_writing_rolls_the_whole_import_back(tmp_path, monkeypatch):
    """The parser checks the files; this proves the database side is one transaction too."""
    before = snapshot()
    from taxonomy import services

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_sync_requirements", explode)
    with pytest.raises(RuntimeError):
        run("import_esco", write_esco(tmp_path / "esco"), "--release", "ESCO test")
    assert snapshot() == before


def test_a_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file, directory or zip archive"):
        run("import_esco", tmp_path / "nowhere", "--release", "ESCO test")


def test_it_imports_the_full_esco_v1_1_1_zips_and_reimports_with_nothing_written(shared_data):
    zips = sorted((shared_data / "esco-v1.1.1").glob("*.zip"))

    output = run("import_esco", *zips)

    assert output.startswith("ESCO v1.1.1:")
    assert Occupation.objects.filter(release__name="ESCO v1.1.1").count() == 3007
    assert Competence.objects.filter(release__name="ESCO v1.1.1").count() == 13896
    # v1.1.1 replaces even the newer default profile of 3512.4: the files are the truth.
    # (A line keeps the release that last changed it; the occupations are all as of v1.1.1.)
    esco_lines = Requirement.objects.filter(occupation__release__name="ESCO v1.1.1")
    # 67 relations of the real export name an occupation the export does not define.
    assert "skipped 67 reference(s) to 1 unknown occupation URI" in output
    assert esco_lines.count() == 123855 - 67
    assert esco_lines.filter(relation="essential").count() == 64946 - 55
    assert OccupationGroup.objects.count() == 619

    python = Competence.objects.get(title="Python (computer programming)")
    assert python.group == "computer programming"  # from the skills hierarchy files

    output = run("import_esco", *zips)
    assert "Nothing changed." in output


def test_an_export_without_the_skills_hierarchy_leaves_the_groups_as_they_are(tmp_path):
    hierarchy = {
        "skillGroups_en.csv": "conceptType,conceptUri,preferredLabel\n"
        "SkillGroup,http://example.org/group/tools,tools\n",
        "broaderRelationsSkillPillar.csv": "conceptType,conceptUri,broaderType,broaderUri\n"
        f"KnowledgeSkillCompetence,{SKILL}2,SkillGroup,http://example.org/group/tools\n",
    }
    run("import_esco", write_esco(tmp_path / "with", **hierarchy), "--release", "ESCO test")
    assert Competence.objects.get(uri=f"{SKILL}2").group == "tools"

    output = run("import_esco", write_esco(tmp_path / "without"), "--release", "ESCO test")

    assert "Nothing changed." in output
    assert Competence.objects.get(uri=f"{SKILL}2").group == "tools"


def test_it_imports_the_real_onet_excel_files_for_two_occupations(shared_data):
    output = run(
        "import_onet", shared_data / "onet-29.3", "--code", "15-1232.00", "--code", "15-1231.00"
    )

    assert output.startswith("O*NET 29.3:")
    support = Occupation.objects.get(code="15-1232.00")
    assert support.title == "Computer User Support Specialists"
    assert support.group.code == "3512"  # through the shipped crosswalks
    assert support.requirements.exists()
    assert "Nothing changed." in run(
        "import_onet", shared_data / "onet-29.3", "--code", "15-1232.00", "--code", "15-1231.00"
    )


def test_import_onet_refuses_a_directory_without_the_files(tmp_path):
    before = snapshot()
    with pytest.raises(CommandError):
        run("import_onet", tmp_path)
    assert snapshot() == before


def test_it_imports_the_real_crosswalks(shared_data):
    CrosswalkPair.objects.all().delete()
    files = sorted((shared_data / "crosswalks").glob("*.csv"))

    output = run("import_crosswalk", *files)

    assert "1125 created" in output
    pair = CrosswalkPair.objects.get(source_code="3512", target_scheme="SOC 2010")
    assert (pair.target_code, pair.partial) == ("15-1151", False)
    assert CrosswalkPair.objects.get(source_code="3514", target_code="15-1134").partial


def test_import_crosswalk_refuses_a_title_longer_than_its_column(tmp_path):
    before = snapshot()
    path = tmp_path / "isco08_to_soc2010.csv"
    path.write_text(
        "ISCO-08 Code,ISCO-08 Title EN,part,2010 SOC Code,2010 SOC Title\n"
        f"3512,ICT user support technicians,,15-1151,{'T' * 256}\n"
    )

    with pytest.raises(CommandError) as error:
        run("import_crosswalk", path)

    assert str(error.value).endswith(
        "isco08_to_soc2010.csv, record 1, column '2010 SOC Title': longer than 255 characters"
    )
    assert snapshot() == before


@pytest.mark.parametrize(
    ("file", "column", "value", "message"),
    [
        ("Occupation Data.txt", "Title", "T" * 256, "longer than 255 characters"),
        ("Skills.txt", "Element Name", "N" * 256, "longer than 255 characters"),
        ("Skills.txt", "Element ID", "2.A." + "1" * 250, "longer than 205 characters"),
        (
            "Skills.txt",
            "Element ID",
            "2.A.1/a",
            "an element ID is letters and digits separated by dots (e.g. 2.A.1.a)",
        ),
    ],
)
def test_import_onet_refuses_a_field_its_column_cannot_hold(tmp_path, file, column, value, message):
    directory = onet_text_edition(tmp_path / "db")
    path = directory / file
    lines = path.read_bytes().decode().split("\r\n")
    header = lines[0].split("\t")
    row = lines[1].split("\t")
    row[header.index(column)] = value
    lines[1] = "\t".join(row)
    path.write_text("\r\n".join(lines))
    before = snapshot()

    with pytest.raises(CommandError) as error:
        run("import_onet", directory)

    assert str(error.value).endswith(f"{file}, record 1, column '{column}': {message}")
    assert snapshot() == before


def test_import_crosswalk_rejects_an_unknown_table_and_keeps_the_others(tmp_path, shared_data):
    before = snapshot()
    good = shared_data / "crosswalks" / "isco08_to_soc2010.csv"
    bad = tmp_path / "mystery.csv"
    bad.write_text("a,b,c\n1,2,3\n")

    with pytest.raises(CommandError, match=r"mystery\.csv"):
        run("import_crosswalk", good, bad)
    assert snapshot() == before


def test_export_profile_prints_the_profile_as_csv():
    output = run("export_profile", "3512.4")

    lines = output.splitlines()
    assert lines[0] == "competence_uri,competence,kind,reuse_level,relation,target_level,weight"
    assert len(lines) == 81
    assert "digital systems,knowledge,cross-sector,essential,3,2" in output


@pytest.mark.parametrize("formula", FORMULAS)
def test_export_profile_neutralises_every_text_cell(formula):
    hostile_profile_line(formula)

    output = run("export_profile", "3512.4")

    quoted = "'" + formula
    assert neutralised_row(output, formula) == [
        quoted,
        quoted,
        quoted[:11],
        quoted[:21],
        quoted[:11],
    ]


def test_export_profile_rejects_an_unknown_code():
    with pytest.raises(CommandError, match=r"No occupation with code '0000\.0'"):
        run("export_profile", "0000.0")


def test_the_import_runs_a_fixed_number_of_queries_per_table(
    tmp_path, django_assert_max_num_queries
):
    """Bulk writes: the query count must not follow the number of rows."""
    many = SKILLS + "".join(
        f"KnowledgeSkillCompetence,{SKILL}x{i},knowledge,sector-specific,extra {i},,\n"
        for i in range(300)
    )
    relations = RELATIONS + "".join(f"{OCC}a,optional,knowledge,{SKILL}x{i}\n" for i in range(300))
    directory = write_esco(
        tmp_path / "esco", skills_en__csv=many, occupationSkillRelations__csv=relations
    )
    # A fixed ~45: the release's checks, retirement and change log add a few per import.
    with django_assert_max_num_queries(50):
        run("import_esco", directory, "--release", "ESCO test")


@pytest.fixture
def shipped_copy(tmp_path) -> Path:
    source = Path(__file__).resolve().parents[2] / "taxonomy" / "data" / "esco-v1.1.1"
    return Path(shutil.copytree(source, tmp_path / "esco-v1.1.1"))


def test_the_release_is_read_from_the_path(shipped_copy):
    assert run("import_esco", shipped_copy).startswith("ESCO v1.1.1:")


def test_a_path_without_a_release_needs_the_option(tmp_path):
    with pytest.raises(CommandError, match="pass --release"):
        run("import_esco", write_esco(tmp_path / "esco"))
