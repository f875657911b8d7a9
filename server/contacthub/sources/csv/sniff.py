"""Guess a CSV file's encoding and delimiter from its first bytes, and refuse binary files.

Encoding, in this order:

1. A byte-order mark decides: UTF-8 (``utf-8-sig``), UTF-16 LE or BE (``utf-16``, as Outlook
   and Excel's "Unicode text" write it).
2. Bytes that decode as UTF-8 are UTF-8 (``utf-8``): legacy 8-bit text with accented letters
   almost never happens to be valid UTF-8. So is a file of which at least as many lines
   with non-ASCII letters are UTF-8 as are not (a file in UTF-8 with a row that a legacy
   program added): the reader reads its other lines as cp1252 and reports them.
3. Otherwise ``cp1252``, what Windows Excel and Outlook write in Western Europe and America;
   charset-normalizer overrides it only when it reads the bytes as a non-Latin script (a
   Cyrillic cp1251 file, say). We do not take its first guess for Latin text: on short
   German or French samples it picks cp1250 or mac_roman, which turns "ß" or "€" into
   other letters, and it may call short files UTF-16 without a BOM.

Delimiter: comma, semicolon, tab or pipe, whichever splits the first records into the same
number of columns (more than one) most consistently, counting only delimiters outside quotes.
csv.Sniffer is not used: it guesses wrongly on files with few rows or quoted delimiters.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter

import charset_normalizer

from contacthub.errors import UserError

SAMPLE_SIZE = 64 * 1024
SAMPLE_RECORDS = 50

DELIMITER_NAMES: dict[str, str] = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}
CANDIDATE_DELIMITERS = tuple(DELIMITER_NAMES.values())

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters that have no place in contact data; tab, newline and carriage return do.
# U+FFFD stands for bytes the encoding could not decode (errors="replace"); one that was in
# the file already means it was damaged before.
INVALID_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
DECODE_ERRORS = "replace"
# Above this share of invalid characters in the sample, the file is binary, not a CSV file
# with a few bad cells.
_BINARY_SHARE = 0.05
_MIN_SCRIPT_LETTERS = 3


class NotCsvError(UserError):
    """The input is not a text file we can read as CSV; ``offset`` is the byte where it shows."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(f"this does not look like a CSV file: {reason} (at byte {offset})")
        self.reason = reason
        self.offset = offset


def bom_encoding(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def _is_utf8(head: bytes, complete: bool) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_utf8(head: bytes, complete: bool) -> bool:
    lines = head.split(b"\n")
    if not complete:
        lines.pop()  # the sample may end inside a line, or a character
    utf8 = other = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other += 1
        else:
            utf8 += 1
    return utf8 >= other > 0


def _non_latin_guess(head: bytes) -> str | None:
    best = charset_normalizer.from_bytes(head).best()
    if best is None or best.encoding.startswith(("utf_16", "utf_32")):
        return None
    # Trust it only for real text in another script: a few stray bytes read as one
    # half-width katakana must not turn a short Western file into Japanese.
    other = [
        ch
        for ch in str(best)
        if ord(ch) > 127 and ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN")
    ]
    non_ascii = sum(1 for ch in str(best) if ord(ch) > 127)
    if len(other) < _MIN_SCRIPT_LETTERS or len(other) < non_ascii / 2:
        return None
    return best.encoding


def detect_encoding(head: bytes, *, complete: bool = True) -> str:
    """The encoding of a file starting with ``head`` (``complete``: head is the whole file)."""
    by_bom = bom_encoding(head)
    if by_bom:
        return by_bom
    if _is_utf8(head, complete) or _mostly_utf8(head, complete):
        return "utf-8"
    try:
        head.decode("cp1252")
    except UnicodeDecodeError:
        # Bytes cp1252 leaves undefined (0x81, 0x8d, ...): some other legacy code page.
        return _non_latin_guess(head) or "latin-1"
    return _non_latin_guess(head) or "cp1252"


def check_encoding(name: str) -> str:
    """A codec name Python knows, or ValueError saying it does not."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"unknown encoding {name!r}") from None


def decode_sample(head: bytes, encoding: str, *, complete: bool) -> str:
    """The text of ``head``; undecodable bytes become U+FFFD."""
    decoder = codecs.getincrementaldecoder(encoding)(errors=DECODE_ERRORS)
    return decoder.decode(head, final=complete)


def _byte_offset(text: str, index: int, encoding: str) -> int:
    # Exact while text[:index] holds no U+FFFD; the encoders of utf-8-sig and utf-16 write
    # the BOM the file had, so it is counted too.
    return len(text[:index].encode(encoding, errors="replace"))


def _looks_like_utf16(head: bytes) -> bool:
    start = head[:200]
    return any(half.count(0) > 0.4 * len(half) for half in (start[0::2], start[1::2]) if half)


def check_not_binary(head: bytes, text: str, encoding: str) -> None:
    """Raise NotCsvError when the sample is binary data rather than text."""
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    if not wide and b"\x00" in head:
        raise NotCsvError(
            "it contains binary data (a NUL byte"
            + (
                "; if it is UTF-16 text without a byte-order mark, choose the encoding)"
                if _looks_like_utf16(head)
                else ")"
            ),
            head.index(b"\x00"),
        )
    invalid = INVALID_CHARACTER.findall(text)
    if invalid and ("\x00" in invalid or len(invalid) > _BINARY_SHARE * len(text)):
        first = INVALID_CHARACTER.search(text)
        assert first is not None
        raise NotCsvError(
            f"{len(invalid)} of its first {len(text)} characters are control characters "
            "or bytes that are not text",
            _byte_offset(text, first.start(), encoding),
        )


def _column_counts(sample: str, delimiter: str, complete: bool) -> list[int]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    counts = []
    try:
        for record in reader:
            if record:
                counts.append(len(record))
            if len(counts) > SAMPLE_RECORDS:
                break
    except csv.Error:
        pass
    if not complete and len(counts) <= SAMPLE_RECORDS and counts:
        counts.pop()  # the sample ends inside the last record
    return counts[:SAMPLE_RECORDS]


def detect_delimiter(sample: str, *, complete: bool = True) -> str:
    """The candidate delimiter that gives the most consistent column count above one."""
    best, best_score = ",", (0.0, 0)
    for delimiter in CANDIDATE_DELIMITERS:
        counts = _column_counts(sample, delimiter, complete)
        if not counts:
            continue
        columns, agreeing = Counter(counts).most_common(1)[0]
        if columns < 2:
            continue
        score = (agreeing / len(counts), columns)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def parse_delimiter(value: str) -> str:
    """A delimiter given by name ("comma", "semicolon", "tab", "pipe"), as ``\\t``, or as itself.

    "Other" is any single character except a quote, CR or LF.
    """
    named = DELIMITER_NAMES.get(value.strip().lower()) if len(value) > 1 else None
    if named:
        return named
    if value == "\\t":
        return "\t"
    if len(value) != 1:
        raise ValueError(
            f"a delimiter is one character or one of {', '.join(DELIMITER_NAMES)}; got {value!r}"
        )
    if value in '"\r\n':
        raise ValueError(f"{value!r} cannot be a delimiter")
    return value


def delimiter_name(delimiter: str) -> str:
    """ "comma", "semicolon", "tab", "pipe", or the character itself."""
    for name, char in DELIMITER_NAMES.items():
        if char == delimiter:
            return name
    return delimiter
