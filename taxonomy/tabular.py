"""Reading published data tables (CSV, tab-delimited text, Excel) strictly.

No Django here: the ESCO, O*NET and crosswalk parsers build on these helpers and are
tested without a database. Every problem is a `DataError` that names the file, the
record (1 = first row after the header) and the column, because the person fixing a
100,000-row file needs to know where to look.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import IO

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


def quoted(value: str, limit: int = 20) -> str:
    """A value of a known-format field (a relation type, a number), quoted for an error
    message, cut to `limit` characters. An error names what was expected and where, and
    never echoes more of a file that may not be an import file at all (a queued import's
    error is kept in the task's result, shown in admin)."""
    return repr(value[:limit]) + ("…" if len(value) > limit else "")


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


# The most bytes one import file, or one member of a zip, may hold. The largest real one,
# ESCO's occupationSkillRelations.csv, is 21 MB (and the sheet inside O*NET's Skills.xlsx
# 35 MB). A larger one is refused from the size the file system or the zip's directory
# declares, before a byte is read: a 2 MB zip can unpack into gigabytes, and zipfile never
# hands out more than a member declares (it stops there and fails its checksum).
MAX_FILE_BYTES = 100_000_000
# The parts of an .xlsx other than its sheets and shared strings (styles, relations...)
# are a few kilobytes in any real workbook, but openpyxl builds objects from them all.
MAX_XLSX_OTHER_PART_BYTES = 10_000_000


def check_size(name: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise DataError(
            name,
            f"{size:,} bytes, more than the {MAX_FILE_BYTES:,} bytes an import file may hold "
            "(the README's import limits)",
        )


@dataclass(frozen=True)
class Source:
    """A named file, on disk or inside a zip archive, opened on demand."""

    name: str
    location: str
    opener: Callable[[], IO[bytes]]
    size: int  # as the file system or the zip's directory declares it

    def __str__(self) -> str:
        return f"{self.location}/{self.name}" if self.location else self.name

    def open(self) -> IO[bytes]:
        """A stream of the file's bytes; refused unread when it is too large."""
        check_size(str(self), self.size)
        return self.opener()

    def read(self) -> bytes:
        with self.open() as stream, _unreadable_as_data_error(str(self)):
            return stream.read()


def file_source(path: Path) -> Source:
    """One file on disk (OSError when it cannot be found)."""
    path = Path(path)
    return Source(path.name, str(path.parent), partial(path.open, "rb"), path.stat().st_size)


def collect_sources(paths: Sequence[Path]) -> dict[str, Source]:
    """Index the files of directories, zip archives and plain files by base name."""
    sources: dict[str, Source] = {}
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.iterdir()):
                if child.is_file():
                    sources[child.name] = file_source(child)
        elif path.is_file() and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.is_dir():
                        continue
                    name = info.filename.rsplit("/", 1)[-1]
                    opener = _zip_opener(path, info.filename)
                    sources[name] = Source(name, path.name, opener, info.file_size)
        elif path.is_file():
            sources[path.name] = file_source(path)
        else:
            raise DataError(str(path), "no such file, directory or zip archive")
    return sources


def _zip_opener(path: Path, member: str) -> Callable[[], IO[bytes]]:
    def open_member() -> IO[bytes]:
        # The member's stream keeps the archive's file open after the archive is closed.
        with zipfile.ZipFile(path) as archive:
            return archive.open(member)

    return open_member


@contextmanager
def _unreadable_as_data_error(name: str) -> Iterator[None]:
    """A damaged zip member shows only as it is read (a bad checksum, a truncated stream)."""
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        raise DataError(name, "unreadable: a damaged zip archive or file") from None


class _BadByte(Exception):
    def __init__(self, offset: int, byte: int) -> None:
        self.offset, self.byte = offset, byte


class _Lines:
    """The text lines of a stream of UTF-8 bytes, decoded one at a time, so neither the
    bytes nor the text are ever held whole. Lines end where universal newlines do (LF,
    CRLF or a lone CR), endings kept, which is what the csv module reads; a byte that is
    not UTF-8 raises _BadByte with its offset. `nul` says whether a NUL character was met."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.nul = False

    def __iter__(self) -> Iterator[str]:
        offset = 0
        for raw in self.stream:  # split after each LF
            if offset == 0 and raw.startswith(codecs.BOM_UTF8):
                raw, offset = raw[3:], 3
            cr = raw.find(b"\r")
            if cr == -1 or (cr == len(raw) - 2 and raw.endswith(b"\n")):
                parts = [raw]
            else:
                parts = raw.splitlines(keepends=True)  # a lone CR ends a line too
            for part in parts:
                try:
                    line = part.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise _BadByte(offset + error.start, part[error.start]) from None
                offset += len(part)
                if "\x00" in line:
                    self.nul = True
                yield line


def _not_utf8(name: str, error: _BadByte, record: int) -> DataError:
    return DataError(
        name,
        f"not UTF-8 text (byte 0x{error.byte:02x} at offset {error.offset}); "
        "save the file as UTF-8",
        record=record,
    )


def _stream(data: bytes | IO[bytes]) -> IO[bytes]:
    return io.BytesIO(data) if isinstance(data, bytes | bytearray) else data


def read_table(
    name: str,
    data: bytes | IO[bytes],
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
    data: bytes | IO[bytes],
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
    name: str,
    data: bytes | IO[bytes],
    columns: Sequence[str],
    optional: Sequence[str],
    delimiter: str,
) -> tuple[dict[str, int], Iterator[tuple[int, list[str]]]]:
    """The header's {column: position} and the records, each checked to be complete. A
    stream is read as the records are, and closed at the end."""
    stream = _stream(data)
    try:
        lines = _Lines(stream)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        header = _header(name, reader)
        index = _header_index(name, header, columns, optional, delimiter)
    except BaseException:
        stream.close()
        raise
    return index, _complete_records(name, stream, reader, lines, len(header), index)


def _header(name: str, reader: Iterator[list[str]]) -> list[str]:
    try:
        with _unreadable_as_data_error(name):
            first = next(reader, None)
            # Blank lines alone (a byte order mark, whitespace) are an empty file too.
            if (first is None or not "".join(first).strip()) and all(
                not "".join(row).strip() for row in reader
            ):
                raise DataError(name, "the file is empty")
    except _BadByte as error:
        raise _not_utf8(name, error, 0) from None
    except csv.Error as error:
        raise DataError(name, f"unreadable header ({error})", record=0) from None
    return [h.strip() for h in first or []]


def read_header(name: str, data: bytes | IO[bytes]) -> list[str]:
    """The first record's column names, the rest of the file left unread."""
    stream = _stream(data)
    with stream:
        return _header(name, csv.reader(_Lines(stream), strict=True))


def _complete_records(
    name: str,
    stream: IO[bytes],
    reader: Iterator[list[str]],
    lines: _Lines,
    width: int,
    index: dict[str, int],
) -> Iterator[tuple[int, list[str]]]:
    """The records, each checked to be as wide as the header; once the text has shown a
    NUL character, a record holding one in a column read (`index`) is refused."""
    record = 0
    try:
        with stream, _unreadable_as_data_error(name):
            for row in reader:
                record += 1
                if not row:
                    continue
                if len(row) != width:
                    raise DataError(
                        name,
                        f"has {len(row)} fields where the header has {width} "
                        "(truncated record or stray delimiter?)",
                        record=record,
                    )
                if lines.nul:  # no text holds one, and PostgreSQL refuses it
                    for column, i in index.items():
                        if "\x00" in row[i]:
                            raise DataError(
                                name, "holds a NUL character", record=record, column=column
                            )
                yield record, row
    except _BadByte as error:
        # The bad byte sits in the record after the last one the reader returned.
        raise _not_utf8(name, error, record + 1) from None
    except csv.Error as error:
        raise DataError(
            name, f"malformed or truncated record ({error})", record=record + 1
        ) from None


def read_sheet(
    name: str, data: bytes, columns: Sequence[str], *, optional: Sequence[str] = ()
) -> Iterator[tuple[int, dict[str, str]]]:
    """Like read_table, for the first sheet of an .xlsx workbook; values come back as text."""
    import openpyxl  # Imported here: only Excel input needs it, and it is slow to import.

    _check_workbook_parts(name, data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        # The type only: a message may quote the workbook's parts.
        raise DataError(name, f"not a readable .xlsx workbook ({type(error).__name__})") from None
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


def _check_workbook_parts(name: str, data: bytes) -> None:
    """An .xlsx is a zip: refuse a part that would unpack larger than an import file may be
    (the sheets, the shared strings), or a part of another kind larger than any real one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            parts = book.infolist()
    except zipfile.BadZipFile:
        raise DataError(name, "not a readable .xlsx workbook (not a zip archive)") from None
    for part in parts:
        big = part.filename.startswith("xl/worksheets/") or part.filename.endswith(
            "sharedStrings.xml"
        )
        limit = MAX_FILE_BYTES if big else MAX_XLSX_OTHER_PART_BYTES
        if part.file_size > limit:
            raise DataError(
                name,
                f"a part of the workbook unpacks to {part.file_size:,} bytes, more than the "
                f"{limit:,} bytes such a part may hold (the README's import limits)",
            )


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
        # What was expected, not what was found: the header may be any file's first line.
        raise DataError(
            name,
            f"required column missing{hint}; expected the columns {', '.join(columns)}",
            record=0,
            column=missing[0],
        )
    wanted = [*columns, *(column for column in optional if column in positions)]
    return {column: positions[column] for column in wanted}
