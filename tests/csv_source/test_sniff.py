"""Encoding and delimiter detection, overrides, and refusing binary input."""

from __future__ import annotations

import codecs

import pytest

from contacthub.sources.csv import CsvFile, NotCsvError, delimiter_name, parse_delimiter
from contacthub.sources.csv.sniff import detect_delimiter, detect_encoding

TEXT = "Name,City\nJürgen Weiß,München\nRenée,Köln\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + TEXT.encode(), "utf-8-sig"),
        (TEXT.encode(), "utf-8"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("cp1252"), "cp1252"),
        ("Name,Price\nCafé,5 €\n".encode("cp1252"), "cp1252"),
        (
            "Имя,Город\nИван Петров,Москва\nАнна Смирнова,Санкт-Петербург\n".encode("cp1251"),
            "cp1251",
        ),
        ("Όνομα,Πόλη\nΓιώργος,Αθήνα\n".encode("cp1253"), "cp1253"),
    ],
)
def test_encoding_detection(data: bytes, encoding: str) -> None:
    assert detect_encoding(data) == encoding


def test_bytes_cp1252_leaves_undefined_get_an_encoding_that_reads_them() -> None:
    data = "Name,Town\nJosé,Zürich\n".encode("cp1252") + b"A\x81\x8dB,x\n"
    encoding = detect_encoding(data)
    assert encoding != "cp1252"
    data.decode(encoding)  # strict: no byte is lost


def test_detected_encodings_decode_the_text() -> None:
    for data in (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), TEXT.encode("cp1252")):
        csv_file = CsvFile(data)
        assert csv_file.encoding_detected
        assert csv_file.preview(2) == [["Jürgen Weiß", "München"], ["Renée", "Köln"]]


def test_utf8_cut_in_the_middle_of_a_character_is_still_utf8() -> None:
    head = "Name\nJürgen\n".encode()[:7]  # ends inside "ü"
    assert detect_encoding(head, complete=False) == "utf-8"
    assert detect_encoding(head, complete=True) == "cp1252"  # "Ã", not a katakana


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2,5;3\n4;5,1;6\n", ";"),  # decimal commas do not fool it
        ('name;notes\n"Smith, John";"x, y, z"\n"Doe, Jane";"p, q"\n', ";"),
        ('name,notes\n"a;b;c;d",x\n"e;f;g;h",y\n', ","),  # semicolons inside quotes do not count
        ("a\tb\n1\t2\n", "\t"),
        ("a|b|c\n1|2|3\n", "|"),
        ("email\nx@example.com\n", ","),  # one column: nothing to detect, comma
        ("", ","),
        ("a,b;c\n1,2;3\n4,5;6,7\n", ";"),  # the consistent count wins
    ],
)
def test_delimiter_detection(sample: str, delimiter: str) -> None:
    assert detect_delimiter(sample) == delimiter


def test_overrides_win() -> None:
    data = "a;b\n1;2\n".encode("cp1252")
    csv_file = CsvFile(data, delimiter="comma", encoding="latin-1")
    assert (csv_file.delimiter, csv_file.encoding) == (",", "iso8859-1")
    assert not csv_file.delimiter_detected and not csv_file.encoding_detected
    assert csv_file.header == ["a;b"]
    other = CsvFile(b"a#b\n1#2\n", delimiter="#")
    assert other.header == ["a", "b"] and other.preview() == [["1", "2"]]


def test_utf8_override_on_a_file_with_bom_drops_the_bom() -> None:
    assert CsvFile(codecs.BOM_UTF8 + b"a,b\n", encoding="utf-8").header == ["a", "b"]


def test_utf16_without_bom_needs_the_encoding_given() -> None:
    data = "Name\tCity\nAnna\tRoma\n".encode("utf-16-le")
    with pytest.raises(NotCsvError, match="UTF-16 text without a byte-order mark"):
        CsvFile(data)
    csv_file = CsvFile(data, encoding="utf-16-le")
    assert (csv_file.delimiter, csv_file.header) == ("\t", ["Name", "City"])


def test_control_characters_everywhere_is_binary() -> None:
    data = bytes(range(1, 32)) * 20
    with pytest.raises(NotCsvError, match="control characters") as caught:
        CsvFile(data)
    assert caught.value.offset == 0


def test_unknown_encoding_and_bad_delimiters_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown encoding 'klingon'"):
        CsvFile(b"a,b\n", encoding="klingon")
    for bad in ("", "ab", '"', "\n"):
        with pytest.raises(ValueError):
            parse_delimiter(bad)


@pytest.mark.parametrize(
    ("given", "char"),
    [
        ("comma", ","),
        ("Semicolon", ";"),
        ("tab", "\t"),
        ("\\t", "\t"),
        ("pipe", "|"),
        ("#", "#"),
        ("\t", "\t"),
    ],
)
def test_delimiter_names(given: str, char: str) -> None:
    assert parse_delimiter(given) == char
    assert parse_delimiter(delimiter_name(char)) == char
