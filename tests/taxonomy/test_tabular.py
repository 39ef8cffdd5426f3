from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from taxonomy import tabular
from taxonomy.tabular import DataError, collect_sources, read_sheet, read_table, read_values

MALFORMED = [
    pytest.param(
        b"code,title\n1,a\n", None, 0, "description", "required column missing", id="missing"
    ),
    pytest.param(
        b"code;title;description\n1;a;b\n",
        None,
        0,
        "code",
        "is the delimiter ','?",
        id="semicolons",
    ),
    pytest.param(
        b'code,title,description\n1,a,"two\nlines"\n2,b,c\n3,caf\xe9,d\n',
        None,
        3,
        None,
        "not UTF-8 text (byte 0xe9",
        id="latin-1-in-record-3",
    ),
    pytest.param(
        b'code,title,description\n1,a,b\n2,b,"caf\xe9\nau lait"\n',
        None,
        2,
        None,
        "not UTF-8 text",
        id="latin-1-inside-a-quoted-field",
    ),
    pytest.param(
        b"code,title,description\n1,a,b\n2,b\n3,c,d\n",
        None,
        2,
        None,
        "has 2 fields where the header has 3",
        id="truncated-record",
    ),
    pytest.param(
        b"code,title,description\n1,a,b\n2,b,c,d\n",
        None,
        2,
        None,
        "has 4 fields where the header has 3",
        id="stray-delimiter",
    ),
    pytest.param(
        b'code,title,description\n1,a,b\n2,b,"never closed\n3,c,d\n',
        None,
        2,
        None,
        "malformed or truncated record",
        id="unterminated-quote-at-end-of-file",
    ),
    pytest.param(b"", None, None, None, "the file is empty", id="empty"),
    pytest.param(b"\xef\xbb\xbf\r\n", None, None, None, "the file is empty", id="bom-only"),
    pytest.param(
        b"code\ttitle\tdescription\n1\ta\n", "\t", 1, None, "has 2 fields", id="tab-truncated"
    ),
]


@pytest.mark.parametrize("reader", [read_table, read_values])
@pytest.mark.parametrize(("data", "delimiter", "record", "column", "message"), MALFORMED)
def test_it_names_file_record_and_column_of_a_malformed_table(
    reader: Callable,
    data: bytes,
    delimiter: str | None,
    record: int | None,
    column: str | None,
    message: str,
) -> None:
    with pytest.raises(DataError) as caught:
        list(
            reader("people.csv", data, ["code", "title", "description"], delimiter=delimiter or ",")
        )
    error = caught.value
    assert (error.file, error.record, error.column) == ("people.csv", record, column)
    assert message in error.message


def test_it_reads_a_header_only_file_as_zero_records() -> None:
    assert list(read_table("people.csv", b"code,title\r\n", ["code", "title"])) == []


def test_it_counts_a_multi_line_quoted_field_as_one_record() -> None:
    data = b'code,title\n1,"first\nsecond\nthird"\n2,plain\n3,"x, y"\n'

    rows = list(read_table("people.csv", data, ["code", "title"]))

    assert rows == [
        (1, {"code": "1", "title": "first\nsecond\nthird"}),
        (2, {"code": "2", "title": "plain"}),
        (3, {"code": "3", "title": "x, y"}),
    ]


def test_it_matches_columns_by_name_and_keeps_optional_ones_only_when_present() -> None:
    data = "\ufeffextra,title,code\nx,Café,1\n".encode()

    rows = list(read_table("people.csv", data, ["code", "title"], optional=["note", "extra"]))

    assert rows == [(1, {"code": "1", "title": "Café", "extra": "x"})]


def test_read_values_lists_the_columns_as_asked_with_blanks_for_missing_optional_ones() -> None:
    data = "extra,title,code\nx,Café,1\ny,Tea,2\n".encode()

    rows = list(read_values("people.csv", data, ["code", "title"], optional=["note", "extra"]))

    assert rows == [(1, ["1", "Café", "", "x"]), (2, ["2", "Tea", "", "y"])]


def test_it_reads_the_first_sheet_of_a_workbook_as_text(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Code", "Title", "Value", "Unused"])
    sheet.append(["15-1232.00", "Support", 3.5, "x"])
    sheet.append([None, None, None, None])
    sheet.append(["15-1231.00", None, 4, "y"])
    workbook.create_sheet("Ignored").append(["Code"])
    path = tmp_path / "book.xlsx"
    workbook.save(path)

    rows = list(read_sheet("book.xlsx", path.read_bytes(), ["Code", "Value", "Title"]))

    # Blank rows are skipped but still counted, so record numbers match the sheet's rows.
    assert rows == [
        (1, {"Code": "15-1232.00", "Value": "3.5", "Title": "Support"}),
        (3, {"Code": "15-1231.00", "Value": "4", "Title": ""}),
    ]


def test_it_rejects_a_workbook_missing_a_column(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Code", "Title"])
    path = tmp_path / "book.xlsx"
    workbook.save(path)

    with pytest.raises(DataError) as caught:
        list(read_sheet("book.xlsx", path.read_bytes(), ["Code", "Value"]))

    assert (caught.value.record, caught.value.column) == (0, "Value")


def test_it_rejects_bytes_that_are_not_a_workbook() -> None:
    with pytest.raises(DataError, match=r"not a readable \.xlsx workbook"):
        list(read_sheet("book.xlsx", b"code,title\n", ["code"]))


def test_it_collects_files_from_directories_and_zips_by_base_name(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.csv").write_text("x\n1\n")
    with zipfile.ZipFile(tmp_path / "b.zip", "w") as archive:
        archive.writestr("nested/b.csv", "y\n2\n")

    sources = collect_sources([tmp_path / "dir", tmp_path / "b.zip"])

    assert sorted(sources) == ["a.csv", "b.csv"]
    assert sources["b.csv"].read() == b"y\n2\n"
    assert str(sources["b.csv"]) == "b.zip/b.csv"
    with pytest.raises(DataError, match="no such file"):
        collect_sources([tmp_path / "missing"])


def test_a_nul_character_is_refused_with_record_and_column():
    data = b"a,b\nx,y\nx,bad\x00value\n"
    with pytest.raises(DataError, match=r"f.csv, record 2, column 'b': holds a NUL character"):
        list(read_table("f.csv", data, ["a", "b"]))


class WholeReadRefused(io.BytesIO):
    """A file that fails the test when it is read whole rather than line by line."""

    def read(self, size: int | None = -1) -> bytes:
        assert size is not None and size >= 0, "read whole"
        return super().read(size)


def test_a_table_is_read_line_by_line_never_whole() -> None:
    data = b'code,title\n1,a\n2,"b\nc"\n'

    rows = list(read_values("big.csv", WholeReadRefused(data), ["code", "title"]))

    assert rows == [(1, ["1", "a"]), (2, ["2", "b\nc"])]


def test_lines_end_at_a_lone_carriage_return_as_they_did_when_read_whole() -> None:
    data = b'\xef\xbb\xbfcode,title\r1,a\r2,"b\rc"\r\n3,d'

    rows = list(read_table("mac.csv", data, ["code", "title"]))

    assert rows == [
        (1, {"code": "1", "title": "a"}),
        (2, {"code": "2", "title": "b\rc"}),
        (3, {"code": "3", "title": "d"}),
    ]


def test_a_file_larger_than_an_import_file_may_be_is_refused_unopened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "big.csv").write_bytes(b"x\n" * 60)
    with zipfile.ZipFile(tmp_path / "big.zip", "w") as archive:
        archive.writestr("inner.csv", b"y\n" * 60)
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 100)
    sources = collect_sources([tmp_path / "big.csv", tmp_path / "big.zip"])

    for name, size in (("big.csv", 120), ("inner.csv", 120)):
        source = sources[name]
        source = tabular.Source(source.name, source.location, _refused_opener, source.size)
        with pytest.raises(DataError) as caught:
            source.open()
        assert caught.value.file == str(source)
        assert caught.value.message.startswith(f"{size} bytes, more than the 100 bytes")


def _refused_opener():
    raise AssertionError("opened")


def test_a_workbook_part_larger_than_it_may_be_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Code"])
    path = tmp_path / "book.xlsx"
    workbook.save(path)
    with zipfile.ZipFile(path) as book:
        sizes = {part.filename: part.file_size for part in book.infolist()}
    sheet = sizes.pop("xl/worksheets/sheet1.xml")
    other = max(sizes.values())  # styles, theme, relations...
    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", sheet)
    monkeypatch.setattr(tabular, "MAX_XLSX_OTHER_PART_BYTES", other)
    assert list(read_sheet("book.xlsx", path.read_bytes(), ["Code"])) == []

    for limits in ((sheet - 1, other), (sheet, other - 1)):
        monkeypatch.setattr(tabular, "MAX_FILE_BYTES", limits[0])
        monkeypatch.setattr(tabular, "MAX_XLSX_OTHER_PART_BYTES", limits[1])
        with pytest.raises(DataError) as caught:
            list(read_sheet("book.xlsx", path.read_bytes(), ["Code"]))
        assert caught.value.file == "book.xlsx"
        assert caught.value.message.startswith("a part of the workbook unpacks to ")
