"""Reading published data tables (CSV, tab-delimited text, Excel) strictly.

No Django here: the ESCO, O*NET and crosswalk parsers build on these helpers and are
tested without a database. Every problem is a `DataError` that names the file, the
record (1 = first row after the header) and the column, because the person fixing a
100,000-row file needs to know where to look.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

csv.field_size_limit(10_000_000)

# An occupation code is part of its page's address, so it holds only what real codes hold:
# letters, digits, dots and hyphens (ESCO 3512.4 and 2269.8.3, SOC 15-1151, O*NET-SOC
# 15-1232.00, a local T-1), starting with a letter or digit. \A and \Z mean the same in
# Python and PostgreSQL regular expressions, so the models' check constraints use these
# very patterns.
OCCUPATION_CODE = r"\A[0-9A-Za-z][0-9A-Za-z.-]*\Z"
ISCO_CODE = r"\A[0-9]{1,4}\Z"

# An address a page may link to: http or https, a host, no whitespace or control
# characters. Anything else (javascript:, data:) would run or load something on a click.
HTTP_URL = re.compile(r"\Ahttps?://[^\s\x00-\x1f\x7f/?#\\]+[^\s\x00-\x1f\x7f]*\Z", re.IGNORECASE)

# The most characters each field of a parser's records may hold, by name ("occupation.title");
# services.py reads them from the models, so a parser stays free of Django. A field without
# a limit is not checked.
Limits = Mapping[str, int]
NO_LIMITS: Limits = MappingProxyType({})


class DataError(Exception):
    def __init__(
        self, file: str, message: str, *, record: int | None = None, column: str | None = None
    ) -> None:
        self.file = file
        self.record = record
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [self.file]
        if self.record is not None:
            where.append("header" if self.record == 0 else f"record {self.record}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


def is_http_url(text: str) -> bool:
    return HTTP_URL.match(text) is not None


def check_length(name: str, record: int, column: str, value: str, limit: int | None) -> None:
    if limit is not None and len(value) > limit:
        raise DataError(name, f"longer than {limit} characters", record=record, column=column)


def check_uri(name: str, record: int, column: str, uri: str, limit: int | None) -> None:
    """An http(s) address of at most `limit` characters: it becomes a link on our pages."""
    if not is_http_url(uri):
        raise DataError(
            name,
            "not an http:// or https:// address (or it holds a space)",
            record=record,
            column=column,
        )
    check_length(name, record, column, uri, limit)


@dataclass(frozen=True)
class Source:
    """A named file, on disk or inside a zip archive, read on demand."""

    name: str
    location: str
    read: Callable[[], bytes]

    def __str__(self) -> str:
        return f"{self.location}/{self.name}" if self.location else self.name


def collect_sources(paths: Sequence[Path]) -> dict[str, Source]:
    """Index the files of directories, zip archives and plain files by base name."""
    sources: dict[str, Source] = {}
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file():
                    sources[child.name] = Source(child.name, str(path), child.read_bytes)
        elif path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.is_dir():
                        continue
                    name = info.filename.rsplit("/", 1)[-1]
                    sources[name] = Source(name, path.name, _zip_reader(path, info.filename))
        elif path.is_file():
            sources[path.name] = Source(path.name, str(path.parent), path.read_bytes)
        else:
            raise DataError(str(path), "no such file, directory or zip archive")
    return sources


def _zip_reader(path: Path, member: str) -> Callable[[], bytes]:
    def read() -> bytes:
        with zipfile.ZipFile(path) as archive:
            return archive.read(member)

    return read


def decode(name: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8-sig", errors="replace")
        # Rows read so far, counting the one the bad byte sits in; the header is record 0.
        rows = 0
        try:
            for _ in csv.reader(io.StringIO(before + "x", newline="")):
                rows += 1
        except csv.Error:  # the bad byte sits inside a quoted field
            rows += 1
        raise DataError(
            name,
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "save the file as UTF-8",
            record=rows - 1,
        ) from None
    # Checked after decoding: a UTF-8 byte order mark alone is an empty file too.
    if not text.strip():
        raise DataError(name, "the file is empty")
    return text


def read_table(
    name: str,
    data: bytes,
    columns: Sequence[str],
    *,
    optional: Sequence[str] = (),
    delimiter: str = ",",
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (record number, {column: value}) for the named columns of a delimited file.

    Columns are matched by header name, so extra or reordered columns are fine; a
    missing one, a short record or an unterminated quote is a DataError.
    """
    index, records = _records(name, data, columns, optional, delimiter)
    for record, row in records:
        yield record, {column: row[i] for column, i in index.items()}


def read_values(
    name: str,
    data: bytes,
    columns: Sequence[str],
    *,
    optional: Sequence[str] = (),
    delimiter: str = ",",
) -> Iterator[tuple[int, list[str]]]:
    """Like read_table, but yield each record's values as a list: `columns` then `optional`,
    in that order, with "" for an optional column the file lacks.

    For files of 100,000 records, where a dict per record shows in the import time.
    """
    index, records = _records(name, data, columns, optional, delimiter)
    positions = [index.get(column) for column in [*columns, *optional]]
    for record, row in records:
        yield record, ["" if i is None else row[i] for i in positions]


def _records(
    name: str, data: bytes, columns: Sequence[str], optional: Sequence[str], delimiter: str
) -> tuple[dict[str, int], Iterator[tuple[int, list[str]]]]:
    """The header's {column: position} and the records, each checked to be complete."""
    text = decode(name, data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error as error:
        raise DataError(name, f"unreadable header ({error})", record=0) from None
    index = _header_index(name, header, columns, optional, delimiter)
    return index, _complete_records(name, reader, header, nul="\x00" in text)


def _complete_records(
    name: str, reader: Iterator[list[str]], header: list[str], *, nul: bool
) -> Iterator[tuple[int, list[str]]]:
    """The records, each checked to be as wide as the header; with `nul`, the text holds a
    NUL character somewhere, and the record holding it is refused."""
    record = 0
    try:
        for row in reader:
            record += 1
            if not row:
                continue
            if len(row) != len(header):
                raise DataError(
                    name,
                    f"has {len(row)} fields where the header has {len(header)} "
                    "(truncated record or stray delimiter?)",
                    record=record,
                )
            if nul:  # no text holds one, and PostgreSQL refuses it
                for column, value in zip(header, row, strict=True):
                    if "\x00" in value:
                        raise DataError(name, "holds a NUL character", record=record, column=column)
            yield record, row
    except csv.Error as error:
        # The reader failed on the record after the last one it returned.
        raise DataError(
            name, f"malformed or truncated record ({error})", record=record + 1
        ) from None


def read_sheet(
    name: str, data: bytes, columns: Sequence[str], *, optional: Sequence[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Like read_table, for the first sheet of an .xlsx workbook; values come back as text."""
    import openpyxl  # Imported here: only Excel input needs it, and it is slow to import.

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise DataError(name, f"not a readable .xlsx workbook ({error})") from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            raise DataError(name, "the file is empty")
        header = ["" if h is None else str(h).strip() for h in first]
        index = _header_index(name, header, columns, optional, None)
        for record, row in enumerate(rows, start=1):
            if not any(value is not None for value in row):
                continue
            yield record, {column: _cell(row, i) for column, i in index.items()}
    finally:
        workbook.close()


def _cell(row: tuple, i: int) -> str:
    value = row[i] if i < len(row) else None
    return "" if value is None else str(value)


def _header_index(
    name: str,
    header: list[str],
    columns: Sequence[str],
    optional: Sequence[str],
    delimiter: str | None,
) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, column in enumerate(header):
        positions.setdefault(column, i)
    missing = [column for column in columns if column not in positions]
    if missing:
        hint = ""
        if len(header) == 1 and delimiter:
            hint = f" (only one column found: is the delimiter {delimiter!r}?)"
        raise DataError(
            name, f"required column missing{hint}; found {header[:12]}", record=0, column=missing[0]
        )
    wanted = [*columns, *(column for column in optional if column in positions)]
    return {column: positions[column] for column in wanted}
