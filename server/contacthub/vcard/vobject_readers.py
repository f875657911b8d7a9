"""Two of vobject's readers, in time linear in a card's length and fast on long values.

vobject 0.9.9 (the newest release; its main branch reads the same way) is slow on the
long value of a photo in two places:

- finding the logical lines. With quoted-printable soft breaks allowed, as Radicale reads
  every PUT (`radicale.item.read_components`), it copies the whole logical line read so
  far after each physical line (`StringIO.getvalue()`): quadratic in a line's length. A
  5 MB photo folded at 75 octets is 95,000 physical lines, and its card took 11 s to
  read. Without (`readOne`, `readComponents`, as our checks and pages read a card), an
  expression that steps one character at a time finds the lines: 1.5 s for that card;
- decoding a text value (`stringToTextValues`: backslash escapes, lists), a loop of
  Python statements per character: 2.6 s for a vCard 4.0 photo (`PHOTO:data:...`),
  which is a text value to vobject.

`install()` puts `logical_lines` and `text_values` in their places, so every reader of
vobject in the process (Radicale's too) reads that card in a few tenths of a second.
Each returns exactly what vobject's function returns, line numbers included (the
numbers of our refusals "At line N"); tests/vcard/test_vobject_readers.py compares them
with vobject's on many texts, so a vobject upgrade that changes its readers cannot slip
past.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any, TextIO

import vobject.base
import vobject.icalendar
import vobject.vcard

# vobject's `logical_lines_re` and `wrap_re` match these same texts: any run of
# characters other than line ends is taken at once instead of one character at a time.
LOGICAL_LINE = re.compile(r"(?:[^\r\n]+|(?:\r\n|\r|\n)[\t ])*(?:\r\n|\r|\n|$)")
_FOLD_OR_END = re.compile(r"(?:\r\n|\r|\n)[\t ]?")
_LOGICAL_END = re.compile(r"\n(?![\t ])")  # where a line ends, when no CR stands alone
_BARE_CR = re.compile(r"\r(?!\n)")
_FOLDS = ("\r\n ", "\r\n\t", "\n ", "\n\t")
_QUOTED_PRINTABLE = "quoted-printable"
_SPACE_OR_TAB = vobject.base.SPACEORTAB
_LINE_END_CHARACTERS = vobject.base.CRLF

_VOBJECT: dict[str, Callable[..., Any]] = {
    "logical_lines": vobject.base.getLogicalLines,
    "text_values": vobject.icalendar.stringToTextValues,
}


def unfold(logical_line: str) -> str:
    """One logical line (as LOGICAL_LINE finds it) without its folds and line end."""
    if has_bare_cr(logical_line):
        return _FOLD_OR_END.sub("", logical_line)
    return _unfold_without_bare_cr(logical_line)


def _unfold_without_bare_cr(logical_line: str) -> str:
    # Every LF inside ends a fold, the last one the line: remove the folds whole (those
    # after CR LF first, so that no LF of theirs is taken for a fold of its own), then
    # the line end.
    for fold in _FOLDS:
        if fold in logical_line:
            logical_line = logical_line.replace(fold, "")
    return logical_line.removesuffix("\n").removesuffix("\r")


def logical_lines(fp: TextIO, allowQP: bool = True) -> Generator[tuple[str, int], None, None]:  # noqa: N803 - vobject's name
    """What `vobject.base.getLogicalLines(fp, allowQP)` yields: (unfolded line, number)."""
    if allowQP:
        yield from _with_soft_breaks(fp)
    else:
        yield from _folded_only(fp.read(-1))


def has_bare_cr(text: str) -> bool:
    return "\r" in text and _BARE_CR.search(text) is not None


def raw_logical_lines(text: str) -> Iterator[str]:
    """The logical lines of `text` as LOGICAL_LINE finds them, folds and line ends kept
    (and the empty match at the end)."""
    if has_bare_cr(text):
        yield from (match.group() for match in LOGICAL_LINE.finditer(text))
        return
    # A logical line ends at an LF not followed by a space or a tab: a plain search
    # finds it far faster than LOGICAL_LINE steps through each character.
    start = 0
    for match in _LOGICAL_END.finditer(text):
        yield text[start : match.end()]
        start = match.end()
    if start < len(text):
        yield text[start:]  # the last line, without a line end
    yield ""


def _folded_only(text: str) -> Iterator[tuple[str, int]]:
    if has_bare_cr(text):
        yield from _folded_only_by_expression(text)
        return
    number = 1
    for logical_line in raw_logical_lines(text):
        line = _unfold_without_bare_cr(logical_line)
        if line != "":
            yield line, number
        number += logical_line.count("\n") + 1  # as below: each LF is one line end


def _folded_only_by_expression(text: str) -> Iterator[tuple[str, int]]:
    number = 1
    for match in LOGICAL_LINE.finditer(text):
        line, ends = _FOLD_OR_END.subn("", match.group())
        if line != "":
            yield line, number
        # vobject counts each fold and line end, and once more the end of the text
        # its expression also matches ("$"): its numbers are kept as they are.
        number += ends + 1


class _LogicalLine:
    """The physical lines of one logical line, and whether their text names
    quoted-printable, found without reading the same text twice."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self._read = 0  # parts looked at for the name
        self._tail = ""  # the last characters looked at, lower case
        self._names_it = False

    def add(self, text: str) -> None:
        self.parts.append(text)

    def names_quoted_printable(self) -> bool:
        # Python lowers character by character (only a final sigma looks at its
        # neighbours, and it lowers to no ASCII letter), so the parts lowered one by
        # one hold the name where the whole lowered would.
        while not self._names_it and self._read < len(self.parts):
            window = self._tail + self.parts[self._read].lower()
            self._names_it = _QUOTED_PRINTABLE in window
            self._tail = window[-(len(_QUOTED_PRINTABLE) - 1) :]
            self._read += 1
        return self._names_it

    def text(self) -> str:
        return "".join(self.parts)


def _with_soft_breaks(fp: TextIO) -> Iterator[tuple[str, int]]:
    """vobject's reader with quoted-printable soft breaks, statement for statement."""
    soft_break = False
    current = _LogicalLine()
    number = 0
    start = 0
    while True:
        line = fp.readline()
        if line == "":
            break
        line = line.rstrip(_LINE_END_CHARACTERS)
        number += 1
        if line.rstrip() == "":
            if current.parts:
                yield current.text(), start
            start = number
            current = _LogicalLine()
            soft_break = False
            continue
        if soft_break:
            current.add("\n")
            current.add(line)
            soft_break = False
        elif line[0] in _SPACE_OR_TAB:
            current.add(line[1:])
        elif current.parts:
            yield current.text(), start
            start = number
            current = _LogicalLine()
            current.add(line)
        else:
            current = _LogicalLine()
            current.add(line)
        # vCard 2.1 may name the encoding without "ENCODING=", so vobject looks for the
        # name anywhere in the line, as this does.
        if line[-1] == "=" and current.names_quoted_printable():
            soft_break = True
    if current.parts:
        yield current.text(), start


def text_values(
    s: str,
    listSeparator: str = ",",  # noqa: N803 - vobject's names
    charList: Iterable[str] | None = None,  # noqa: N803
    strict: bool = False,
) -> list[str]:
    """What `vobject.icalendar.stringToTextValues` returns: the values of a text list,
    escapes undone (an escape vobject does not know is kept, "\\x" stays "\\x")."""
    if not isinstance(s, str) or len(listSeparator) != 1 or listSeparator == "\\":
        return _VOBJECT["text_values"](s, listSeparator, charList, strict)
    if "\\" not in s:  # nothing escaped: the values between the separators
        values = s.split(listSeparator)
        return values[:-1] if len(values) > 1 and values[-1] == "" else values
    escapable = vobject.icalendar.escapableCharList if charList is None else charList
    results: list[str] = []
    current: list[str] = []
    start = 0
    for match in _escape_or(listSeparator).finditer(s):
        if match.start() > start:
            current.append(s[start : match.start()])
        start = match.end()
        if match.group() == listSeparator:
            results.append("".join(current))
            current = []
            continue
        # vobject reads the end of the text as a character named "eof", escaped or not.
        char = match.group(1) if match.group(1) is not None else "eof"
        if char in escapable:
            current.append("\n" if char in "nN" else char)
        else:
            current.append("\\" + char)
    if start < len(s):
        current.append(s[start:])
    if current or not results:
        results.append("".join(current))
    return results


@functools.cache
def _escape_or(separator: str) -> re.Pattern[str]:
    """A backslash and the character after it (none at the end), or the separator."""
    return re.compile(r"\\(.)?|" + re.escape(separator), re.DOTALL)


def install() -> None:
    """Make vobject read with `logical_lines` and `text_values` (once per process)."""
    vobject.base.getLogicalLines = logical_lines
    vobject.icalendar.stringToTextValues = text_values
    # vobject.vcard imported it by name (its type stubs do not say so)
    setattr(vobject.vcard, "stringToTextValues", text_values)  # noqa: B010


def vobject_readers() -> dict[str, Callable[..., Any]]:
    """vobject's own readers, as they were before `install()` (for the tests to compare)."""
    return dict(_VOBJECT)
