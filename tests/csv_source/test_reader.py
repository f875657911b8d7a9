"""Line numbers, problems as values, undecodable bytes, and streaming a 50 MB file."""

from __future__ import annotations

import importlib.util
import tracemalloc
from itertools import islice
from pathlib import Path

import pytest

from contacthub.sources.csv import CsvFile, Problem, contact_rows, suggest_mapping
from contacthub.sources.csv.reader import TooLargeError

GENERATOR = Path(__file__).resolve().parent.parent / "data" / "csv" / "generate_big_csv.py"


def test_line_numbers_count_physical_lines_with_any_line_ending() -> None:
    data = b'h1,h2\r\n"a\r\nb",x\r\n\r\nc,"d\n\ne"\rf,g\r'
    csv_file = CsvFile(data)
    assert [(row.line, row.cells) for row in csv_file.rows()] == [
        (2, ["a\r\nb", "x"]),
        (5, ["c", "d\n\ne"]),
        (8, ["f", "g"]),
    ]


def test_path_and_bytes_read_the_same(tmp_path: Path) -> None:
    data = "Name;Phone\nÅsa;+46 8 1\n".encode("cp1252")
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    from_path, from_bytes = CsvFile(path), CsvFile(data)
    assert (from_path.encoding, from_path.delimiter, from_path.header) == (
        from_bytes.encoding,
        from_bytes.delimiter,
        from_bytes.header,
    )
    assert list(from_path.rows()) == list(from_bytes.rows())
    assert from_path.size == len(data)


def test_duplicate_and_empty_header_names_become_unique() -> None:
    csv_file = CsvFile(b"Email, ,Email,Email\n")
    assert csv_file.header == ["Email", "Column 2", "Email (2)", "Email (3)"]


def test_undecodable_bytes_are_invalid_characters() -> None:
    # UTF-8 was chosen; a cp1252 "é" (0xE9) on line 3 cannot be decoded.
    csv_file = CsvFile(b"Name,Notes\nok,fine\nRen\xe9e,x\n", encoding="utf-8")
    rows = list(csv_file.rows())
    assert rows[0].problems == ()
    assert rows[1].problems == (Problem(3, "Name", "Invalid characters found"),)
    assert rows[1].cells[0] == "Ren\ufffde" and rows[1].invalid == frozenset({0})


def test_bytes_beyond_the_sample_that_are_not_utf8(tmp_path: Path) -> None:
    good = "Name,Notes\n" + "".join(f"Müller {n},note\n" for n in range(8000))
    path = tmp_path / "late.csv"
    path.write_bytes(good.encode() + b"Bad \x96 dash,x\n")
    csv_file = CsvFile(path)
    assert csv_file.encoding == "utf-8"
    last = list(csv_file.rows())[-1]
    assert last.line == 8002
    # Issue 12: the line is read as cp1252 (0x96 is an en dash) and reported.
    assert last.problems == (Problem(8002, "Name", "not UTF-8; read as cp1252"),)
    assert last.cells[0] == "Bad \u2013 dash" and last.invalid == frozenset()


def test_an_oversized_field_is_a_problem_not_an_exception() -> None:
    data = ('a,b\n1,2\n"' + "z" * 200_000 + "\n3,4\n").encode()
    rows = list(CsvFile(data).rows())
    assert rows[0].cells == ["1", "2"]
    broken = rows[1]
    assert broken.broken and broken.line == 3
    assert broken.problems[0].reason.startswith("could not read this record: field larger")
    assert rows[-1].cells == ["3", "4"]


def test_a_50_megabyte_file_streams(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("generate_big_csv", GENERATOR)
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    path = tmp_path / "big.csv"
    row_count = generator.write_big_csv(path)
    assert path.stat().st_size >= 50 * 1024 * 1024

    csv_file = CsvFile(path)
    assert csv_file.header[:3] == ["First Name", "Last Name", "E-mail Address"]
    tracemalloc.start()
    try:
        first = list(islice(contact_rows(csv_file, suggest_mapping(csv_file.header)), 20_000))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(first) == 20_000
    assert peak < 40 * 1024 * 1024  # the rows kept here, not the 50 MB file

    count, last = 0, None
    for row in csv_file.rows():
        count, last = count + 1, row
    assert count == row_count and last is not None
    # Every 1,000th row's note has a line break: each adds a physical line.
    assert last.line == 1 + row_count + row_count // 1000
    assert csv_file.bytes_read == csv_file.size


def test_a_row_longer_than_1_mb_is_refused_before_it_is_split() -> None:
    header = "Name," + "x," * (600 * 1024) + "y\n"
    with pytest.raises(TooLargeError, match="line 1 is longer than 1 MB") as refused:
        CsvFile(header.encode())
    assert refused.value.line == 1
    late = "Name,Notes\nAnn,1\n" + "a," * (600 * 1024) + "\n"
    for encoding in (None, "cp1252"):
        csv_file = CsvFile(late.encode(), encoding=encoding)
        with pytest.raises(TooLargeError, match="the row starting on line 3"):
            list(csv_file.rows())
