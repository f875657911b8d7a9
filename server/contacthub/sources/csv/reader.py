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

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from contacthub.sources.csv.problems import Problem
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

    def _open_text(self, counter: list[int]) -> io.TextIOWrapper:
        counting = _CountingReader(self._open_binary(), counter)
        return io.TextIOWrapper(
            io.BufferedReader(counting), encoding=self.encoding, errors=DECODE_ERRORS, newline=""
        )

    def _records(self) -> Iterator[tuple[int, list[str] | None, str]]:
        """(first line, record or None if unreadable, csv error) for every non-blank record."""
        counter = [0]
        with self._open_text(counter) as text:
            reader = csv.reader(text, delimiter=self.delimiter)
            end = 0
            while True:
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
                    yield start, record, error

    def _read_header(self) -> list[str]:
        for _line, record, _error in self._records():
            if record is None:
                return []
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
        for line, record, error in records:
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
