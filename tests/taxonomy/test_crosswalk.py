from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from taxonomy.crosswalk import Pair, read_pairs
from taxonomy.tabular import DataError

ISCO_TO_SOC = "ISCO-08 Code,ISCO-08 Title EN,part,2010 SOC Code,2010 SOC Title,Comment 8/17/11\n"
SOC_TO_ISCO = (
    "2010 SOC Code,2010 SOC Title,part,ISCO-08 Code,ISCO-08 Title EN,Comment 8/17/11,ISCO-main\n"
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_reads_both_bls_tables_in_the_isco_to_soc_direction(tmp_path: Path) -> None:
    # The part flag marks a split of each file's first code: ISCO 1112 here, SOC 11-1011 there.
    forward = _write(
        tmp_path,
        "forward.csv",
        ISCO_TO_SOC
        + "0110,Commissioned armed forces officers,,55-1011,Air Crew Officers,\n"
        + "1112,Senior government officials,*,11-1011,Chief Executives,\n"
        + "1112,Senior government officials,*,11-1021,General Managers,\n"
        + "1120,Managing directors,,11-1011,Chief Executives,\n",
    )
    backward = _write(
        tmp_path,
        "backward.csv",
        SOC_TO_ISCO
        + "11-1011,Chief Executives,*,1112,Senior government officials,,1112\n"
        + "11-1011,Chief Executives,*,1120,Managing directors,,1120\n"
        + "11-1021,General Managers,,1112,Senior government officials,,1112\n"
        + "55-1011,Air Crew Officers,,0110,Commissioned armed forces officers,,0110\n",
    )

    kind, pairs = read_pairs(forward)

    assert kind == "BLS ISCO-08 -> SOC 2010"
    assert [(p.source_code, p.target_code, p.partial) for p in pairs] == [
        ("0110", "55-1011", False),
        ("1112", "11-1011", True),
        ("1112", "11-1021", True),
        ("1120", "11-1011", False),
    ]
    assert pairs[0] == Pair(
        "ISCO-08",
        "0110",
        "Commissioned armed forces officers",
        "SOC 2010",
        "55-1011",
        "Air Crew Officers",
        False,
    )
    assert read_pairs(backward)[1] == pairs


def test_it_marks_an_onet_2010_code_split_over_several_2019_codes_as_partial(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        "2010_to_2019.csv",
        "O*NET-SOC 2010 Code,O*NET-SOC 2010 Title,O*NET-SOC 2019 Code,O*NET-SOC 2019 Title\n"
        "15-1199.01,Software QA Engineers,15-1253.00,Software QA Analysts\n"
        "15-1199.01,Software QA Engineers,15-1252.00,Software Developers\n"
        "15-1132.00,Applications Developers,15-1252.00,Software Developers\n",
    )

    kind, pairs = read_pairs(path)

    assert kind == "O*NET-SOC 2010 -> O*NET-SOC 2019"
    assert [(p.source_code, p.target_code, p.partial) for p in pairs] == [
        ("15-1132.00", "15-1252.00", False),  # a merge: all of 15-1132.00 is in 15-1252.00
        ("15-1199.01", "15-1252.00", True),
        ("15-1199.01", "15-1253.00", True),
    ]


def test_it_drops_a_repeated_pair(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "repeated.csv",
        ISCO_TO_SOC
        + "3512,ICT user support technicians,,15-1151,Computer User Support Specialists,\n"
        + "3512,ICT user support technicians,,15-1151,Computer User Support Specialists,\n",
    )

    assert len(read_pairs(path)[1]) == 1


@pytest.mark.parametrize(
    ("rows", "record", "column", "message"),
    [
        (
            "3512,Support,,15-1151,Support,\n3512,Support,*,15-1151,Support,\n",
            2,
            "part",
            "repeats record 1 with a different part flag",
        ),
        ("3512,Support,yes,15-1151,Support,\n", 1, "part", "neither '*' nor empty"),
        ("35120,Support,,15-1151,Support,\n", 1, "ISCO-08 Code", "not a ISCO-08 code"),
        ("3512,Support,,15-1151.00,Support,\n", 1, "2010 SOC Code", "not a SOC 2010 code"),
        ("3512,Support,,,Support,\n", 1, "2010 SOC Code", "not a SOC 2010 code"),
    ],
)
def test_it_rejects_a_bad_row(
    tmp_path: Path, rows: str, record: int, column: str, message: str
) -> None:
    path = _write(tmp_path, "bad.csv", ISCO_TO_SOC + rows)

    with pytest.raises(DataError) as caught:
        read_pairs(path)

    error = caught.value
    assert (error.file, error.record, error.column) == (str(path), record, column)
    assert message in error.message


def test_it_rejects_an_unknown_header_listing_the_layouts_it_knows(tmp_path: Path) -> None:
    path = _write(tmp_path, "other.csv", "code,title,parent\n1,Managers,\n")

    with pytest.raises(DataError) as caught:
        read_pairs(path)

    assert caught.value.record == 0
    for layout in [
        "BLS ISCO-08 -> SOC 2010",
        "BLS SOC 2010 -> ISCO-08",
        "O*NET-SOC 2010 -> O*NET-SOC 2019",
        "O*NET-SOC 2019 -> SOC 2018",
    ]:
        assert layout in caught.value.message


def test_it_rejects_an_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="the file is empty"):
        read_pairs(_write(tmp_path, "empty.csv", ""))


def _raw(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


def test_it_reads_the_real_bls_tables(shared_data: Path) -> None:
    directory = shared_data / "crosswalks"
    raw = _raw(directory / "isco08_to_soc2010.csv")

    kind, pairs = read_pairs(directory / "isco08_to_soc2010.csv")

    assert kind == "BLS ISCO-08 -> SOC 2010"
    assert len(pairs) == len(raw) == 1_125
    assert sum(p.partial for p in pairs) == sum(row["part"] == "*" for row in raw)
    found = {(p.source_code, p.target_code): p.partial for p in pairs}
    assert found[("3511", "43-9011")] is False
    assert found[("3512", "15-1151")] is False
    assert found[("3513", "15-1152")] is False
    assert found[("3514", "15-1134")] is True
    assert found[("3514", "15-1142")] is True
    # Armed forces codes keep their leading zero.
    assert {code for code, _ in found if code.startswith("0")} == {"0110", "0210", "0310"}
    assert {code for code, _ in found if len(code) < 4} == {"211", "315"}
    assert read_pairs(directory / "soc2010_to_isco08.csv")[1] == pairs


def test_it_reads_the_real_onet_tables(shared_data: Path) -> None:
    directory = shared_data / "crosswalks"

    raw = _raw(directory / "2010_to_2019_Crosswalk.csv")
    kind, pairs = read_pairs(directory / "2010_to_2019_Crosswalk.csv")

    assert kind == "O*NET-SOC 2010 -> O*NET-SOC 2019"
    assert len(pairs) == len(raw)
    splits = Counter(row["O*NET-SOC 2010 Code"] for row in raw)
    assert sum(p.partial for p in pairs) == sum(n for n in splits.values() if n > 1)
    found = {(p.source_code, p.target_code): p.partial for p in pairs}
    assert found[("15-1151.00", "15-1232.00")] is False
    assert found[("15-1152.00", "15-1231.00")] is False

    raw = _raw(directory / "2019_to_SOC_Crosswalk.csv")
    kind, pairs = read_pairs(directory / "2019_to_SOC_Crosswalk.csv")

    assert kind == "O*NET-SOC 2019 -> SOC 2018"
    assert len(pairs) == len(raw) == 1_016
    assert not any(p.partial for p in pairs)
    found = {(p.source_code, p.target_code): p for p in pairs}
    assert found[("15-1232.00", "15-1232")].target_title == "Computer User Support Specialists"
