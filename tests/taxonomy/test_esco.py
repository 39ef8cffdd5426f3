from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from taxonomy import esco
from taxonomy.tabular import DataError

OCC = "http://data.europa.eu/esco/occupation/"
SKILL = "http://data.europa.eu/esco/skill/"
GROUP = "http://data.europa.eu/esco/isco/C"


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _groups() -> list[list[str]]:
    header = ["conceptType", "conceptUri", "code", "preferredLabel", "description"]
    codes = {
        "2": "Professionals",
        "25": "ICT professionals",
        "251": "Software and applications developers and analysts",
        "2512": "Software developers",
        "3": "Technicians and associate professionals",
        "35": "Information and communications technicians",
        "351": "ICT operations and user support technicians",
        "3512": "ICT user support technicians",
    }
    return [header] + [["ISCOGroup", GROUP + c, c, t, ""] for c, t in codes.items()]


def _occupations() -> list[list[str]]:
    return [
        ["conceptType", "conceptUri", "iscoGroup", "preferredLabel", "altLabels", "code"],
        [
            "Occupation",
            OCC + "dev",
            "2512",
            "software developer",
            "coder\n\n programmer ",
            "2512.4",
        ],
        ["Occupation", OCC + "tech", "3512", "ICT technician", "", "3512.4"],
        ["Occupation", OCC + "desk", "3512", "ICT help desk agent", "", "3512.1"],
    ]


def _skills() -> list[list[str]]:
    return [
        ["conceptUri", "skillType", "reuseLevel", "preferredLabel", "description"],
        [SKILL + "python", "knowledge", "sector-specific", "Python", "A language."],
        [SKILL + "fix", "skill/competence", "cross-sector", "fix hardware", ""],
        [SKILL + "listen", "skill/competence", "transversal", "listen actively", ""],
        [SKILL + "cloud", "", "", "implement cloud security", ""],
    ]


RELATIONS = [
    (OCC + "dev", "essential", SKILL + "python"),
    (OCC + "dev", "optional", SKILL + "listen"),
    (OCC + "tech", "essential", SKILL + "fix"),
    (OCC + "tech", "optional", SKILL + "cloud"),
    (OCC + "desk", "essential", SKILL + "listen"),
]


def _write_v11(directory: Path) -> Path:
    directory.mkdir()
    (directory / "ISCOGroups_en.csv").write_text(_csv(_groups()))
    (directory / "occupations_en.csv").write_text(_csv(_occupations()))
    (directory / "skills_en.csv").write_text(_csv(_skills()))
    rows = [["occupationUri", "relationType", "skillType", "skillUri"]]
    rows += [[o, relation, "", s] for o, relation, s in RELATIONS]
    (directory / "occupationSkillRelations.csv").write_text(_csv(rows))
    return directory


def _write_v12(directory: Path) -> Path:
    directory.mkdir()
    (directory / "ISCOGroups_en.csv").write_text(_csv(_groups()))
    (directory / "occupations_en.csv").write_text(_csv(_occupations()))
    (directory / "skills_en.csv").write_text(_csv(_skills()))
    header = [
        "occupationUri",
        "occupationLabel",
        "relationType",
        "skillType",
        "skillUri",
        "skillLabel",
    ]
    rows = [header] + [[o, "label", relation, "", s, "label"] for o, relation, s in RELATIONS]
    (directory / "occupationSkillRelations_en.csv").write_text(_csv(rows))
    return directory


def test_it_reads_the_v1_1_layout(tmp_path: Path) -> None:
    dataset = esco.read_dataset([_write_v11(tmp_path / "esco")])

    assert [g.code for g in dataset.groups][:4] == ["2", "25", "251", "2512"]
    developer = dataset.occupations[0]
    assert (developer.code, developer.isco_code, developer.title) == (
        "2512.4",
        "2512",
        "software developer",
    )
    assert developer.alt_labels == "coder\nprogrammer"
    assert [(s.title, s.kind, s.reuse_level) for s in dataset.skills] == [
        ("Python", "knowledge", "sector-specific"),
        ("fix hardware", "skill", "cross-sector"),
        ("listen actively", "skill", "transversal"),
        ("implement cloud security", "unknown", "unknown"),
    ]
    assert [(r.occupation_uri, r.relation, r.skill_uri) for r in dataset.relations] == RELATIONS


def _write_hierarchy(directory: Path) -> None:
    group = "http://data.europa.eu/esco/isced-f/0613"
    (directory / "skillGroups_en.csv").write_text(
        _csv([["conceptType", "conceptUri", "preferredLabel"], ["SkillGroup", group, "software"]])
    )
    rows = [
        ["conceptType", "conceptUri", "broaderType", "broaderUri"],
        ["KnowledgeSkillCompetence", SKILL + "python", "SkillGroup", group],
        ["KnowledgeSkillCompetence", SKILL + "fix", "SkillGroup", group],
        ["KnowledgeSkillCompetence", SKILL + "fix", "KnowledgeSkillCompetence", SKILL + "listen"],
        ["KnowledgeSkillCompetence", SKILL + "cloud", "SkillGroup", group + "-unknown"],
        ["SkillGroup", group, "SkillGroup", group],
    ]
    (directory / "broaderRelationsSkillPillar.csv").write_text(_csv(rows))


def test_it_reads_what_each_skill_sits_under_when_the_export_has_the_hierarchy(
    tmp_path: Path,
) -> None:
    without = esco.read_dataset([_write_v11(tmp_path / "esco")])
    _write_hierarchy(tmp_path / "esco")
    dataset = esco.read_dataset([tmp_path / "esco"])

    assert not without.has_skill_groups and {s.group for s in without.skills} == {""}
    assert dataset.has_skill_groups
    assert {s.title: s.group for s in dataset.skills} == {
        "Python": "software",
        "fix hardware": "listen actively",  # a broader skill comes before a skill group
        "listen actively": "",
        "implement cloud security": "",  # a group the export does not have: none
    }


def test_a_skill_group_label_over_the_length_limit_is_refused(tmp_path: Path) -> None:
    _write_hierarchy(_write_v11(tmp_path / "esco"))

    with pytest.raises(DataError, match=r"skillGroups_en\.csv.*preferredLabel"):
        esco.read_dataset([tmp_path / "esco"], limits={"skill.group": 5})


def test_it_reads_the_v1_2_layout_with_label_columns_the_same_way(tmp_path: Path) -> None:
    old = esco.read_dataset([_write_v11(tmp_path / "v11")])
    new = esco.read_dataset([_write_v12(tmp_path / "v12")])

    assert new.relations == old.relations
    assert (new.groups, new.occupations, new.skills) == (old.groups, old.occupations, old.skills)


def test_it_reads_the_published_zips(tmp_path: Path) -> None:
    directory = _write_v12(tmp_path / "esco")
    classification = tmp_path / "ESCO dataset - v1.2.0 - classification - en - csv.zip"
    with zipfile.ZipFile(classification, "w") as archive:
        for path in directory.iterdir():
            archive.write(path, f"some folder/{path.name}")

    dataset = esco.read_dataset([classification])

    assert dataset.release == "ESCO v1.2.0"
    assert dataset.relations == esco.read_dataset([directory]).relations
    assert len(dataset.skills) == 4


def test_it_rejects_a_duplicate_uri(tmp_path: Path) -> None:
    directory = _write_v11(tmp_path / "esco")
    skills = _skills()
    skills.append([SKILL + "fix", "skill/competence", "cross-sector", "fix it again", ""])
    (directory / "skills_en.csv").write_text(_csv(skills))

    with pytest.raises(DataError) as caught:
        esco.read_dataset([directory])

    error = caught.value
    assert (Path(error.file).name, error.record, error.column) == ("skills_en.csv", 5, "conceptUri")
    assert "first at record 2" in error.message


def test_it_rejects_an_unknown_skill_type(tmp_path: Path) -> None:
    directory = _write_v11(tmp_path / "esco")
    skills = _skills()
    skills[3][1] = "attitude"
    (directory / "skills_en.csv").write_text(_csv(skills))

    with pytest.raises(DataError) as caught:
        esco.read_dataset([directory])

    error = caught.value
    assert (Path(error.file).name, error.record, error.column) == ("skills_en.csv", 3, "skillType")
    assert "'attitude'" in error.message


def test_it_rejects_an_export_without_relations(tmp_path: Path) -> None:
    directory = _write_v11(tmp_path / "esco")
    (directory / "occupationSkillRelations.csv").unlink()

    with pytest.raises(DataError, match="occupationSkillRelations"):
        esco.read_dataset([directory])


def test_it_keeps_a_branch_with_its_ancestors_and_the_skills_it_uses(tmp_path: Path) -> None:
    dataset = esco.read_dataset([_write_v11(tmp_path / "esco")])

    branch = esco.select_branches(dataset, ["351"])

    assert [g.code for g in branch.groups] == ["3", "35", "351", "3512"]
    assert [o.code for o in branch.occupations] == ["3512.4", "3512.1"]
    assert [r.skill_uri for r in branch.relations] == [
        SKILL + "fix",
        SKILL + "cloud",
        SKILL + "listen",
    ]
    assert sorted(s.title for s in branch.skills) == [
        "fix hardware",
        "implement cloud security",
        "listen actively",
    ]
    assert esco.select_branches(dataset, []) is dataset


@pytest.mark.parametrize(
    ("paths", "release"),
    [
        (["ESCO dataset - v1.1.1 - classification - en - csv.zip"], "ESCO v1.1.1"),
        (
            ["/data/esco", "/data/ESCO dataset - v1.2.0 - classification -  - csv.zip"],
            "ESCO v1.2.0",
        ),
        (["/data/esco-v1.1.1-ict"], "ESCO v1.1.1"),
        (["/data/esco/export.zip"], None),
    ],
)
def test_it_tells_the_release_from_the_paths(paths: list[str], release: str | None) -> None:
    assert esco.release_from_paths([Path(p) for p in paths]) == release


def test_it_reads_the_real_esco_v1_1_1_export(shared_data: Path) -> None:
    dataset = esco.read_dataset(sorted((shared_data / "esco-v1.1.1").glob("*.zip")))

    assert dataset.release == "ESCO v1.1.1"
    assert len(dataset.occupations) == 3_007
    assert len(dataset.skills) == 13_896
    assert Counter(s.kind for s in dataset.skills) == {
        "knowledge": 3_059,
        "skill": 10_831,
        "unknown": 6,
    }
    assert len(dataset.groups) == 619
    assert len(dataset.relations) == 123_855
    assert Counter(r.relation for r in dataset.relations)["essential"] == 64_946

    ict = esco.select_branches(dataset, ["351"])

    assert len(ict.occupations) == 8
    assert len(ict.relations) == 402
    assert sum(r.relation == "essential" for r in ict.relations) == 138
    assert len(ict.skills) == 250
    # The skills hierarchy: what each skill sits under, a broader skill before a group.
    assert dataset.has_skill_groups and ict.has_skill_groups
    groups = {s.title: s.group for s in dataset.skills}
    assert groups["Python (computer programming)"] == "computer programming"
    assert groups["LDAP"] == "query languages"
    assert groups["ICT system programming"] == "software and applications development and analysis"
    assert sum(bool(s.group) for s in dataset.skills) > 13_000
