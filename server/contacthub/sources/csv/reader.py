"""Read a CSV file as a header and a stream of rows, with problems as values.

``CsvFile`` sniffs the encoding and delimiter from the first 64 KB (see ``sniff``), unless the
caller gives them, and reads the header. ``rows()`` streams the records from disk each time it
is called; the file is never held in memory whole.

Line numbers are physical lines of the file, 1-based, the header being line 1; a record that
spans several lines (a quoted field with newlines) has the number of its first line.

Each ``Row`` has exactly as many cells as the header: extra cells are dropped and missing
ones are empty, both reported. Cells holding control characters (other than tab, CR, LF) or
bytes the encoding cannot decode are reported as "Invalid characters found" and listed in
``Row.invalid``. Header names are stripped; an empty one is called "Column N" and a repeated
one gets " (2)", " (3)"... so that every column has a unique name for mappings and reports.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from contacthub.errors import UserError
from contacthub.sources.csv.problems import NOT_UTF8, Problem
from contacthub.sources.csv.sniff import (
    DECODE_ERRORS,
    INVALID_CHARACTER,
    SAMPLE_SIZE,
    bom_encoding,
    check_encoding,
    check_not_binary,
    decode_sample,
    detect_delimiter,
    detect_encoding,
    parse_delimiter,
)
from contacthub.vcard.fields import INVALID_CHARACTERS

# A CSV file of contacts has tens of columns; these bound what one record may cost to read
# (an 11-million-column header took 3 GB). A line longer than a record may hold is refused
# as it is read, before the csv module splits it into cells.
MAX_COLUMNS = 500
MAX_RECORD_CHARS = 1024 * 1024
FALLBACK_ENCODING = "cp1252"


class TooLargeError(ValueError, UserError):
    """A record over MAX_COLUMNS or MAX_RECORD_CHARS; ``line`` is where it starts."""

    def __init__(self, message: str, line: int) -> None:
        UserError.__init__(self, message, line=line)


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    cells: list[str]
    problems: tuple[Problem, ...] = ()
    invalid: frozenset[int] = frozenset()
    # The csv module could not read the record at all; its cells are all empty.
    broken: bool = False


class _CountingReader(io.RawIOBase):
    """Counts the bytes read, for progress bars (TextIOWrapper disables tell() while iterating)."""

    def __init__(self, raw: io.BufferedIOBase, counter: list[int]) -> None:
        self._raw = raw
        self._counter = counter

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        count = self._raw.readinto(buffer)
        self._counter[0] += count
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for index, raw in enumerate(names, start=1):
        name = raw.strip() or f"Column {index}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        seen.setdefault(name, 1)
        unique.append(name)
    return unique


class CsvFile:
    """A CSV file opened from a path or from bytes.

    Raises ``NotCsvError`` for binary data and ``ValueError`` for an unknown encoding or an
    impossible delimiter.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | bytes,
        *,
        delimiter: str | None = None,
        encoding: str | None = None,
    ) -> None:
        if isinstance(source, bytes | bytearray | memoryview):
            self._data: bytes | None = bytes(source)
            self._path: Path | None = None
            self.size = len(self._data)
        else:
            self._data = None
            self._path = Path(source)
            self.size = self._path.stat().st_size
        self.bytes_read = 0
        with self._open_binary() as stream:
            head = stream.read(SAMPLE_SIZE)
        complete = len(head) >= self.size
        self.encoding_detected = encoding is None
        if encoding is None:
            self.encoding = detect_encoding(head, complete=complete)
        else:
            self.encoding = check_encoding(encoding)
            if self.encoding == "utf-8" and bom_encoding(head) == "utf-8-sig":
                self.encoding = "utf-8-sig"
        sample = decode_sample(head, self.encoding, complete=complete)
        check_not_binary(head, sample, self.encoding)
        self.delimiter_detected = delimiter is None
        self.delimiter = (
            detect_delimiter(sample, complete=complete)
            if delimiter is None
            else parse_delimiter(delimiter)
        )
        self.header: list[str] = self._read_header()

    @property
    def is_empty(self) -> bool:
        """True when the file holds nothing at all, not even a header."""
        return not self.header

    def _open_binary(self) -> io.BufferedIOBase:
        if self._data is not None:
            return io.BytesIO(self._data)
        assert self._path is not None
        return open(self._path, "rb")  # noqa: SIM115 - closed by the caller's with

    def _lines(self, counter: list[int]) -> _Lines:
        binary = io.BufferedReader(_CountingReader(self._open_binary(), counter))
        if self.encoding_detected and self.encoding in ("utf-8", "utf-8-sig"):
            return _Utf8Lines(binary)
        text = io.TextIOWrapper(binary, encoding=self.encoding, errors=DECODE_ERRORS, newline="")
        return _TextLines(text)

    def _records(self) -> Iterator[tuple[int, list[str] | None, str, list[str]]]:
        """(first line, record or None if unreadable, csv error, the record's lines as read
        without the fallback encoding: empty unless a line of it needed it) for every
        non-blank record."""
        counter = [0]
        with self._lines(counter) as lines:
            reader = csv.reader(lines, delimiter=self.delimiter)
            end = 0
            while True:
                lines.start_record(end + 1)
                try:
                    record: list[str] | None = next(reader)
                    error = ""
                except StopIteration:
                    return
                except csv.Error as exc:
                    record, error = None, str(exc)
                start, end = end + 1, reader.line_num
                self.bytes_read = counter[0]
                if record != []:
                    yield start, record, error, lines.undecodable()

    def _read_header(self) -> list[str]:
        for line, record, _error, _undecodable in self._records():
            if record is None:
                return []
            if len(record) > MAX_COLUMNS:
                raise TooLargeError(
                    f"line {line}, the header, has {len(record):,} columns; "
                    f"a CSV file may have at most {MAX_COLUMNS}",
                    line,
                )
            if record:
                record[0] = record[0].removeprefix("\ufeff")
            return _unique_names(record)
        return []

    def rows(self) -> Iterator[Row]:
        """The data rows, streamed from the file; blank lines are skipped."""
        header = self.header
        width = len(header)
        records = self._records()
        next(records, None)  # the header
        for line, record, error, undecodable in records:
            if record is None:
                reason = f"could not read this record: {error}"
                yield Row(line, [""] * width, (Problem(line, None, reason),), broken=True)
                continue
            problems: list[Problem] = []
            if len(record) != width:
                problems.append(Problem(line, None, _ragged(len(record), width)))
                record = (
                    record[:width]
                    if len(record) > width
                    else (record + [""] * (width - len(record)))
                )
            if undecodable:
                problems.extend(
                    Problem(line, header[index], NOT_UTF8)
                    for index in _undecodable_cells(undecodable, self.delimiter, width)
                )
            invalid: frozenset[int] = frozenset()
            if INVALID_CHARACTER.search("".join(record)):
                invalid = frozenset(
                    index for index, cell in enumerate(record) if INVALID_CHARACTER.search(cell)
                )
                problems.extend(
                    Problem(line, header[index], INVALID_CHARACTERS) for index in sorted(invalid)
                )
            yield Row(line, record, tuple(problems), invalid)

    def preview(self, n: int = 10) -> list[list[str]]:
        """The first ``n`` data rows as parsed, one string per header column."""
        return [row.cells for row in islice(self.rows(), n)]


def _ragged(cells: int, width: int) -> str:
    if cells > width:
        return f"the row has {cells} cells, the header {width}: the extra cells are ignored"
    return f"the row has {cells} cells, the header {width}: the missing cells are empty"


def _undecodable_cells(lines: list[str], delimiter: str, width: int) -> list[int]:
    """The cells of a record, read from ``lines`` (undecodable bytes as U+FFFD), that hold
    bytes that are not UTF-8: the bytes never are a delimiter, quote or line break, so the
    cells are those of the record as read with the fallback encoding."""
    try:
        cells = next(csv.reader(lines, delimiter=delimiter), [])
    except csv.Error:
        return [0] if width else []
    return [index for index, cell in enumerate(cells[:width]) if "\ufffd" in cell] or [0]


class _Lines:
    """The physical lines of a file for the csv module, at most MAX_RECORD_CHARS a record:
    a longer record is refused before it is split into cells."""

    def __init__(self) -> None:
        self._record_line = 1
        self._record_size = 0

    def start_record(self, line: int) -> None:
        self._record_line, self._record_size = line, 0

    def undecodable(self) -> list[str]:
        return []

    def _counted(self, line: str, size: int) -> str:
        self._record_size += size
        if self._record_size > MAX_RECORD_CHARS:
            raise TooLargeError(
                f"the row starting on line {self._record_line} is longer than "
                f"{MAX_RECORD_CHARS // (1024 * 1024)} MB; a row of a CSV file may hold at most "
                f"{MAX_COLUMNS} columns and {MAX_RECORD_CHARS // (1024 * 1024)} MB",
                self._record_line,
            )
        return line

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Lines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _TextLines(_Lines):
    def __init__(self, text: io.TextIOWrapper) -> None:
        super().__init__()
        self._text = text

    def __next__(self) -> str:
        line = self._text.readline(MAX_RECORD_CHARS + 1)
        if not line:
            raise StopIteration
        return self._counted(line, len(line))

    def close(self) -> None:
        self._text.close()


_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


class _Utf8Lines(_Lines):
    """A file detected as UTF-8, line by line: a line that is not UTF-8 (a row saved by a
    legacy program into an otherwise UTF-8 file) is read as cp1252, which gives Western
    letters back, and kept as read without it so its row can report the cells."""

    def __init__(self, binary: io.BufferedIOBase) -> None:
        super().__init__()
        self._binary = binary
        self._pending: list[str] = []
        self._first = True
        self._record_lines: list[str] = []
        self._undecodable = False

    def start_record(self, line: int) -> None:
        super().start_record(line)
        self._record_lines.clear()
        self._undecodable = False

    def undecodable(self) -> list[str]:
        return list(self._record_lines) if self._undecodable else []

    def __next__(self) -> str:
        if not self._pending:
            raw = self._binary.readline(MAX_RECORD_CHARS + 1)
            if not raw:
                raise StopIteration
            self._counted("", len(raw))
            if self._first:
                raw, self._first = raw.removeprefix(codecs.BOM_UTF8), False
            try:
                text = raw.decode("utf-8")
                as_read = text
            except UnicodeDecodeError:
                text = raw.decode("utf-8", errors="cp1252-fallback")
                as_read = raw.decode("utf-8", errors=DECODE_ERRORS)
                self._undecodable = True
            self._record_lines.append(as_read)
            # Mac line ends (a lone CR) end lines too, as in the csv module's text mode.
            self._pending = _LONE_CR.split(text)[::-1] if "\r" in text[:-1] else [text]
        return self._pending.pop()

    def close(self) -> None:
        self._binary.close()


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return bytes(bad).decode(FALLBACK_ENCODING, errors=DECODE_ERRORS), error.end


codecs.register_error("cp1252-fallback", _cp1252_fallback)
