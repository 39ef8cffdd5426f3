from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from taxonomy import onet
from taxonomy.onet import Element, Line, Occupation, profile_line
from taxonomy.tabular import DataError

TWO_CODES = ["15-1231.00", "15-1232.00"]


@pytest.mark.parametrize(
    ("importance", "level", "expected"),
    [
        (3.0, 3.5, ("essential", 2, Decimal("3.00"))),
        (2.99, 3.5, ("optional", 2, Decimal("2.99"))),
        (2.0, 0.0, ("optional", 0, Decimal("2.00"))),
        (1.99, 3.5, None),
        (1.0, 7.0, None),
        (4.12, 4.62, ("essential", 3, Decimal("4.12"))),  # 4.62 / 7 * 4 = 2.64
        (5.0, 7.0, ("essential", 4, Decimal("5.00"))),
        (3.0, 0.875, ("essential", 1, Decimal("3.00"))),  # exactly 0.5: half up, not to even
        (3.0, 0.874, ("essential", 0, Decimal("3.00"))),
        (3.0, 2.625, ("essential", 2, Decimal("3.00"))),  # 1.5
        (3.0, 4.375, ("essential", 3, Decimal("3.00"))),  # 2.5: banker's rounding would give 2
        (2.675, 1.0, ("optional", 1, Decimal("2.68"))),  # the float 2.675 is 2.67499...
    ],
)
def test_it_maps_importance_and_level_to_a_profile_line(
    importance: float, level: float, expected: tuple[str, int, Decimal] | None
) -> None:
    assert profile_line(importance, level, suppressed=False, not_relevant=False) == expected


def test_it_leaves_out_suppressed_and_not_relevant_ratings() -> None:
    assert profile_line(4.5, 5.0, suppressed=True, not_relevant=False) is None
    assert profile_line(4.5, 5.0, suppressed=False, not_relevant=True) is None


def test_it_rounds_half_up_on_other_scales_too() -> None:
    # 0.7 / 7 * 5 is 0.49999999999999994 in floating point; the exact value is 0.5.
    assert profile_line(3.0, 0.7, suppressed=False, not_relevant=False, scale_max=5) == (
        "essential",
        1,
        Decimal("3.00"),
    )


@pytest.mark.parametrize(
    ("importance", "level", "scale_max"),
    [
        (0.99, 3.0, 4),
        (5.01, 3.0, 4),
        (3.0, -0.01, 4),
        (3.0, 7.01, 4),
        (math.nan, 3.0, 4),
        (3, 3, 0),
    ],
)
def test_it_refuses_ratings_outside_the_scales(
    importance: float, level: float, scale_max: int
) -> None:
    with pytest.raises(ValueError):
        profile_line(importance, level, suppressed=False, not_relevant=False, scale_max=scale_max)


RANK = {None: 0, "optional": 1, "essential": 2}


@given(
    st.floats(min_value=1, max_value=5),
    st.floats(min_value=1, max_value=5),
    st.floats(min_value=0, max_value=7),
    st.integers(min_value=1, max_value=10),
)
def test_its_target_stays_on_the_scale_and_its_relation_grows_with_importance(
    first: float, second: float, level: float, scale_max: int
) -> None:
    low, high = sorted([first, second])
    lines = [
        profile_line(im, level, suppressed=False, not_relevant=False, scale_max=scale_max)
        for im in (low, high)
    ]

    for line in lines:
        if line is not None:
            assert 0 <= line[1] <= scale_max
            assert Decimal(1) <= line[2] <= Decimal(5)
    assert RANK[lines[0] and lines[0][0]] <= RANK[lines[1] and lines[1][0]]


@pytest.mark.parametrize(
    ("text", "release"),
    [
        ("O*NET 29.3 Database\nMay 2025 Release\n", "O*NET 29.3"),
        ("\n  O*NET 30.0 Database  \r\n", "O*NET 30.0"),
        ("Some other file\nO*NET 29.3 Database\n", None),
        ("", None),
    ],
)
def test_it_tells_the_release_from_the_read_me(text: str, release: str | None) -> None:
    assert onet.release_from_readme(text) == release


# A small database in the shape of the real one. Columns: code, element ID, element
# name, scale, value, Recommend Suppress, Not Relevant (None where the text edition
# says "n/a").
OCCUPATIONS = [
    ("15-1232.00", "Computer User Support Specialists", "Provide technical assistance."),
    ("15-1231.00", "Computer Network Support Specialists", "Analyze, test, troubleshoot."),
]
SKILLS = [
    ("15-1232.00", "2.A.1.a", "Reading Comprehension", "IM", "4.12", "N", None),
    ("15-1232.00", "2.A.1.a", "Reading Comprehension", "LV", "4.62", "N", "N"),
    ("15-1232.00", "2.A.1.b", "Active Listening", "IM", "2.50", "N", None),
    ("15-1232.00", "2.A.1.b", "Active Listening", "LV", "0.875", "N", "N"),
    ("15-1232.00", "2.A.1.c", "Writing", "IM", "1.99", "N", None),
    ("15-1232.00", "2.A.1.c", "Writing", "LV", "3", "N", "N"),
    ("15-1232.00", "2.A.1.d", "Speaking", "IM", "3.5", "N", None),
    ("15-1232.00", "2.A.1.d", "Speaking", "LV", "2", "N", "Y"),
    ("15-1231.00", "2.A.1.a", "Reading Comprehension", "LV", "3.5", "N", "N"),
    ("15-1231.00", "2.A.1.a", "Reading Comprehension", "IM", "3.00", "N", None),
    ("15-1231.00", "2.A.1.b", "Active Listening", "IM", "4", "Y", None),
    ("15-1231.00", "2.A.1.b", "Active Listening", "LV", "5", "N", "N"),
    ("15-1231.00", "2.A.1.c", "Writing", "IM", "2", "N", None),
    ("15-1231.00", "2.A.1.c", "Writing", "LV", "7", "N", "N"),
    ("15-1231.00", "2.A.1.d", "Speaking", "IM", "3", None, None),
    ("15-1231.00", "2.A.1.d", "Speaking", "LV", "4", "Y", "N"),
]
KNOWLEDGE = [
    ("15-1232.00", "2.C.3.a", "Computers and Electronics", "IM", "4.5", "N", None),
    ("15-1232.00", "2.C.3.a", "Computers and Electronics", "LV", "4.375", "N", "N"),
    ("99-9999.00", "2.C.3.a", "Computers and Electronics", "IM", "3.1", "N", None),
    ("99-9999.00", "2.C.3.a", "Computers and Electronics", "LV", "1", "N", "N"),
]
CONTENT_MODEL = [
    ("2.A.1.a", "Reading Comprehension", "Understanding written sentences."),
    ("2.A.1.b", "Active Listening", "Giving full attention."),
    ("2.C.3.a", "Computers and Electronics", "Knowledge of circuit boards."),
]
EXPECTED_LINES = [
    Line("15-1232.00", "2.A.1.a", "essential", 3, Decimal("4.12")),
    Line("15-1232.00", "2.A.1.b", "optional", 1, Decimal("2.50")),
    Line("15-1231.00", "2.A.1.a", "essential", 2, Decimal("3.00")),
    Line("15-1231.00", "2.A.1.c", "optional", 4, Decimal("2.00")),
    Line("15-1232.00", "2.C.3.a", "essential", 3, Decimal("4.50")),
    # Not in Occupation Data: kept, for the importer to report.
    Line("99-9999.00", "2.C.3.a", "essential", 1, Decimal("3.10")),
]
DATED = ["08/2023", "Analyst"]  # Date, Domain Source
TEXT_COLUMNS = [
    "O*NET-SOC Code",
    "Element ID",
    "Element Name",
    "Scale ID",
    "Data Value",
    "N",
    "Standard Error",
    "Lower CI Bound",
    "Upper CI Bound",
    "Recommend Suppress",
    "Not Relevant",
    "Date",
    "Domain Source",
]


def _text_rows(rows: list[tuple]) -> list[list[str]]:
    statistics = ["8", "0.1", "n/a", "n/a"]  # N, Standard Error, CI bounds
    return [
        [code, element, name, scale, value, *statistics, *(f or "n/a" for f in flags), *DATED]
        for code, element, name, scale, value, *flags in rows
    ]


def _write_text(path: Path, header: list[str], rows: list[list[str]]) -> None:
    lines = ["\t".join(header)] + ["\t".join(row) for row in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def _text_edition(
    directory: Path, skills: list[list[str]] | None = None, header: list[str] = TEXT_COLUMNS
) -> Path:
    directory.mkdir()
    (directory / "Read Me.txt").write_text("O*NET 29.3 Database\nMay 2025 Release\n")
    _write_text(
        directory / "Occupation Data.txt",
        ["O*NET-SOC Code", "Title", "Description"],
        [list(o) for o in OCCUPATIONS],
    )
    _write_text(directory / "Skills.txt", header, _text_rows(SKILLS) if skills is None else skills)
    _write_text(directory / "Knowledge.txt", TEXT_COLUMNS, _text_rows(KNOWLEDGE))
    _write_text(
        directory / "Content Model Reference.txt",
        ["Element ID", "Element Name", "Description"],
        [list(e) for e in CONTENT_MODEL],
    )
    return directory


def _write_sheet(path: Path, header: list[str], rows: list[list]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def _excel_rows(rows: list[tuple]) -> list[list]:
    scale_names = {"IM": "Importance", "LV": "Level"}
    titles = {code: title for code, title, _ in OCCUPATIONS}
    statistics = [8, 0.1, None, None]
    return [
        [
            code,
            titles.get(code, "?"),
            element,
            name,
            scale,
            scale_names[scale],
            float(value),
            *statistics,
            *flags,
            *DATED,
        ]
        for code, element, name, scale, value, *flags in rows
    ]


EXCEL_COLUMNS = [*TEXT_COLUMNS[:1], "Title", *TEXT_COLUMNS[1:4], "Scale Name", *TEXT_COLUMNS[4:]]


def _excel_edition(directory: Path, skills: list[list] | None = None) -> Path:
    directory.mkdir()
    _write_sheet(
        directory / "Occupation Data.xlsx",
        ["O*NET-SOC Code", "Title", "Description"],
        [list(o) for o in OCCUPATIONS],
    )
    _write_sheet(
        directory / "Skills.xlsx", EXCEL_COLUMNS, _excel_rows(SKILLS) if skills is None else skills
    )
    _write_sheet(directory / "Knowledge.xlsx", EXCEL_COLUMNS, _excel_rows(KNOWLEDGE))
    return directory


def test_it_reads_the_text_edition(tmp_path: Path) -> None:
    dataset = onet.read_dataset(_text_edition(tmp_path / "db"))

    assert dataset.release == "O*NET 29.3"
    assert dataset.occupations == [Occupation(*o) for o in OCCUPATIONS]
    assert dataset.elements == [
        Element("2.A.1.a", "Reading Comprehension", "Understanding written sentences.", "skill"),
        Element("2.A.1.b", "Active Listening", "Giving full attention.", "skill"),
        Element("2.A.1.c", "Writing", "", "skill"),
        Element("2.A.1.d", "Speaking", "", "skill"),
        Element(
            "2.C.3.a", "Computers and Electronics", "Knowledge of circuit boards.", "knowledge"
        ),
    ]
    assert dataset.lines == EXPECTED_LINES


def test_it_reads_the_excel_edition_with_its_extra_columns(tmp_path: Path) -> None:
    dataset = onet.read_dataset(_excel_edition(tmp_path / "db"))

    # No Read Me.txt and no Content Model Reference: no release, empty descriptions.
    assert dataset.release is None
    assert dataset.occupations == [Occupation(*o) for o in OCCUPATIONS]
    assert [(e.element_id, e.description) for e in dataset.elements][-1] == ("2.C.3.a", "")
    assert dataset.lines == EXPECTED_LINES


def test_it_limits_the_dataset_to_the_codes_asked_for(tmp_path: Path) -> None:
    dataset = onet.read_dataset(_text_edition(tmp_path / "db"), codes=["15-1231.00"])

    assert [o.code for o in dataset.occupations] == ["15-1231.00"]
    assert dataset.lines == [
        line for line in EXPECTED_LINES if line.occupation_code == "15-1231.00"
    ]
    assert [e.element_id for e in dataset.elements] == ["2.A.1.a", "2.A.1.b", "2.A.1.c", "2.A.1.d"]


def test_it_reads_each_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = _text_edition(tmp_path / "db")
    reads: Counter[str] = Counter()
    open_file = Path.open

    def counting(path: Path, *args, **kwargs):
        reads[path.name] += 1
        return open_file(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", counting)
    onet.read_dataset(directory)

    assert max(reads.values()) == 1
    assert set(reads) == {p.name for p in directory.iterdir()}


def _replace(record: int, column: str, value: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[record - 1][TEXT_COLUMNS.index(column)] = value

    return change


def _delete(record: int) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        del rows[record - 1]

    return change


def _repeat(record: int) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows.append(list(rows[record - 1]))

    return change


@pytest.mark.parametrize(
    ("change", "record", "column", "message"),
    [
        (_delete(4), 3, "Scale ID", "has an IM row but no LV row"),
        (_delete(9), 9, "Scale ID", "has an IM row but no LV row"),  # the LV came first
        (_delete(1), 1, "Scale ID", "has an LV row but no IM row"),
        (_replace(1, "Data Value", "n/a"), 1, "Data Value", "'n/a' is not a number"),
        (_replace(2, "Data Value", "nan"), 2, "Data Value", "outside 0-7"),
        (_replace(2, "Scale ID", "RT"), 2, "Scale ID", "unknown scale 'RT'"),
        (_repeat(3), 17, "Scale ID", "duplicate IM row for 15-1232.00 2.A.1.b (first at record 3)"),
        (_replace(1, "Data Value", "5.01"), 1, "Data Value", "IM value 5.01 is outside 1-5"),
        (_replace(1, "Data Value", "0.99"), 1, "Data Value", "IM value 0.99 is outside 1-5"),
        (_replace(2, "Data Value", "7.5"), 2, "Data Value", "LV value 7.5 is outside 0-7"),
        (_replace(2, "Data Value", "-0.1"), 2, "Data Value", "LV value -0.1 is outside 0-7"),
        (_replace(5, "Element ID", " "), 5, "Element ID", "empty value"),
        (_replace(3, "O*NET-SOC Code", "15/1232.00"), 3, "O*NET-SOC Code", "an O*NET-SOC code"),
    ],
)
def test_it_rejects_a_malformed_profile_row(
    tmp_path: Path,
    change: Callable[[list[list[str]]], None],
    record: int,
    column: str,
    message: str,
) -> None:
    rows = _text_rows(SKILLS)
    change(rows)

    with pytest.raises(DataError) as caught:
        onet.read_dataset(_text_edition(tmp_path / "db", skills=rows))

    error = caught.value
    assert (Path(error.file).name, error.record, error.column) == ("Skills.txt", record, column)
    assert message in error.message


@pytest.mark.parametrize("code", ["15-1232/00", "15-1232.00.", "../x", "１５-１２３２.００"])
def test_it_refuses_an_occupation_code_of_another_shape(tmp_path: Path, code: str) -> None:
    directory = _text_edition(tmp_path / "db")
    data = directory / "Occupation Data.txt"
    data.write_text(data.read_text().replace("15-1231.00", code))

    with pytest.raises(DataError) as caught:
        onet.read_dataset(directory)

    error = caught.value
    assert (Path(error.file).name, error.record, error.column) == (
        "Occupation Data.txt",
        2,
        "O*NET-SOC Code",
    )
    assert code not in str(error)


def test_it_rejects_a_profile_file_missing_a_column(tmp_path: Path) -> None:
    drop = TEXT_COLUMNS.index("Not Relevant")
    header = TEXT_COLUMNS[:drop] + TEXT_COLUMNS[drop + 1 :]
    rows = [row[:drop] + row[drop + 1 :] for row in _text_rows(SKILLS)]

    with pytest.raises(DataError) as caught:
        onet.read_dataset(_text_edition(tmp_path / "db", skills=rows, header=header))

    assert (Path(caught.value.file).name, caught.value.record, caught.value.column) == (
        "Skills.txt",
        0,
        "Not Relevant",
    )


def test_it_names_the_record_of_a_bad_value_in_a_workbook(tmp_path: Path) -> None:
    rows = _excel_rows(SKILLS)
    rows[5][EXCEL_COLUMNS.index("Data Value")] = "high"

    with pytest.raises(DataError) as caught:
        onet.read_dataset(_excel_edition(tmp_path / "db", skills=rows))

    assert (Path(caught.value.file).name, caught.value.record, caught.value.column) == (
        "Skills.xlsx",
        6,
        "Data Value",
    )


def test_a_database_without_knowledge_reads_what_it_has_and_says_what_is_missing(
    tmp_path: Path,
) -> None:
    directory = _text_edition(tmp_path / "db")
    (directory / "Knowledge.txt").unlink()

    dataset = onet.read_dataset(directory)

    assert dataset.missing == ["Knowledge"]
    assert {element.kind for element in dataset.elements} == {"skill"}


def test_it_rejects_a_database_without_skills_and_knowledge(tmp_path: Path) -> None:
    directory = _text_edition(tmp_path / "db")
    (directory / "Knowledge.txt").unlink()
    (directory / "Skills.txt").unlink()

    with pytest.raises(DataError, match=r"no 'Skills\.xlsx' or 'Skills\.txt', 'Knowledge"):
        onet.read_dataset(directory)


@pytest.fixture(scope="module")
def onet_dir(shared_data: Path) -> Path:
    return shared_data / "onet-29.3"


@pytest.fixture(scope="module")
def raw_lines(onet_dir: Path) -> set[tuple[str, str, str, int, Decimal]]:
    """The profile lines worked out straight from the workbooks, without the parser."""
    lines = set()
    for name in ("Skills.xlsx", "Knowledge.xlsx"):
        workbook = openpyxl.load_workbook(onet_dir / name, read_only=True)
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        column = {heading: i for i, heading in enumerate(next(rows))}
        ratings: dict[tuple[str, str], dict[str, tuple]] = defaultdict(dict)
        for row in rows:
            key = row[column["O*NET-SOC Code"]], row[column["Element ID"]]
            ratings[key][row[column["Scale ID"]]] = row
        workbook.close()
        for (code, element), scales in ratings.items():
            im, lv = scales["IM"], scales["LV"]
            importance, level = im[column["Data Value"]], lv[column["Data Value"]]
            flags = [
                im[column["Recommend Suppress"]],
                lv[column["Recommend Suppress"]],
                lv[column["Not Relevant"]],
            ]
            if "Y" in flags or importance < 2:
                continue
            relation = "essential" if importance >= 3 else "optional"
            # The real values have two decimals, so none sits exactly on a half step.
            target = math.floor(level * 4 / 7 + 0.5)
            lines.add((code, element, relation, target, Decimal(f"{importance:.2f}")))
    return lines


def _as_tuples(lines: list[Line]) -> list[tuple[str, str, str, int, Decimal]]:
    return [
        (line.occupation_code, line.element_id, line.relation, line.target_level, line.weight)
        for line in lines
    ]


def test_it_reads_two_real_occupations_from_the_excel_edition(
    onet_dir: Path, raw_lines: set[tuple[str, str, str, int, Decimal]]
) -> None:
    dataset = onet.read_dataset(onet_dir, codes=TWO_CODES)

    expected = {line for line in raw_lines if line[0] in TWO_CODES}
    got = _as_tuples(dataset.lines)
    assert len(got) == len(expected)
    assert set(got) == expected
    assert Counter((line[0], line[2]) for line in got) == Counter(
        (line[0], line[2]) for line in expected
    )
    assert [(o.code, o.title) for o in dataset.occupations] == [
        ("15-1231.00", "Computer Network Support Specialists"),
        ("15-1232.00", "Computer User Support Specialists"),
    ]
    assert Counter(e.kind for e in dataset.elements) == {"skill": 35, "knowledge": 33}


def test_it_reads_the_whole_real_excel_edition(
    onet_dir: Path, raw_lines: set[tuple[str, str, str, int, Decimal]]
) -> None:
    dataset = onet.read_dataset(onet_dir)

    assert dataset.release == "O*NET 29.3"
    assert len(dataset.occupations) == 1_016
    assert Counter(e.kind for e in dataset.elements) == {"skill": 35, "knowledge": 33}
    assert all(e.description for e in dataset.elements)
    got = _as_tuples(dataset.lines)
    assert len(got) == len(raw_lines)
    assert set(got) == raw_lines
