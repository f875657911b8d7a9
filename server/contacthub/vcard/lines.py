"""The content lines of a stored vCard, each read with its raw text kept.

The callers change a card line by line (the edit form in `vcard.edit`, the IMAP source's
merge) and keep every line they do not change byte for byte, so a line keeps its raw
text: folded as it was, with its line ending. What it says is read from the unfolded
text: group, name, parameters, and the value decoded from quoted-printable (vCard 2.1
and 3.0 exports) in its charset.
"""

from __future__ import annotations

import quopri
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from vobject.base import ParseError, parseLine

from contacthub.vcard.vobject_readers import raw_logical_lines, unfold

QUOTED_PRINTABLE = "QUOTED-PRINTABLE"
# vCard 2.1 may name an encoding without "ENCODING=" ("NOTE;QUOTED-PRINTABLE:...").
_BARE_ENCODINGS = frozenset({QUOTED_PRINTABLE, "BASE64", "8BIT", "7BIT"})
_BINARY = frozenset({"B", "BASE64"})
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_STRUCTURE = re.compile(r"(?<!\\);")
# A line in the plainest form (no underscore, no quote, no empty or "=" in a parameter
# value): read by splitting, in a third of the time of vobject's expression, which reads
# the same parts from it (tests/vcard/test_lines.py compares them).
_PLAIN = re.compile(
    r"(?:([A-Za-z0-9-]+)\.)?([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+(?:=[^\";:,=]+(?:,[^\";:,=]+)*)?)*):"
)


@dataclass(frozen=True, eq=False)  # told apart by identity: two lines of a card may read alike
class ContentLine:
    """One content line: `raw` as stored, and what it says ("" as name when it cannot be
    read: a blank line, or one that is not `name[;params]:value`)."""

    raw: str
    name: str = ""  # upper case, without the group
    group: str | None = None  # as written ("item1" of item1.EMAIL)
    # Parameter names in upper case, values as written; a bare vCard 2.1 parameter
    # ("WORK", "QUOTED-PRINTABLE") has no values.
    params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    prefix: str = ""  # the unfolded text before the value: group, name and parameters
    escaped: str = ""  # the value decoded from its transfer encoding, escapes kept

    @property
    def encoding(self) -> str:
        """The transfer encoding in upper case ("QUOTED-PRINTABLE", "B"), or ""."""
        return _encoding(self.params)

    @property
    def value(self) -> str:
        """The value as a person reads it: decoded and unescaped (binary data as written)."""
        return self.escaped if self.encoding in _BINARY else unescape(self.escaped)

    @property
    def components(self) -> list[str]:
        """The parts of a structured value (N, ORG), each unescaped."""
        return [unescape(part) for part in _STRUCTURE.split(self.escaped)]

    @property
    def ending(self) -> str:
        """The line break the line ends with ("" for a last line without one)."""
        return line_ending(self.raw)


def line_ending(raw: str) -> str:
    """The line break `raw` ends with ("" for none)."""
    # endswith: an expression anchored at the end still steps through the whole line
    if raw.endswith("\r\n"):
        return "\r\n"
    return raw[-1] if raw.endswith(("\n", "\r")) else ""


def unescape(value: str) -> str:
    """A text value with its backslash escapes undone (\\n is a line break)."""
    return _ESCAPED.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def content_lines(text: str) -> list[ContentLine]:
    """The content lines of `text`, any line ending, blank lines included: together they
    are `text` again."""
    return [_read(raw, unfolded) for raw, unfolded in _logical_lines(text)]


def read_line(raw: str) -> ContentLine:
    """One content line (`raw` holds one, folded or not)."""
    lines = content_lines(raw)
    return lines[0] if len(lines) == 1 else ContentLine(raw)


def read_logical_line(raw: str, unfolded: str | None = None) -> ContentLine:
    """One logical line as `raw_logical_lines` finds it, read as `content_lines` reads it
    when no quoted-printable soft break joins it to the next, without finding the lines
    again (`unfolded`: the caller's unfolding of `raw`, when it has it)."""
    return _read(raw, unfold(raw) if unfolded is None else unfolded)


def _logical_lines(text: str) -> list[tuple[str, str]]:
    """Each logical line as (raw, unfolded).

    The lines are found and unfolded as vobject does (RFC 6350/2425 folds, any line
    ending), in linear time (vobject_readers.py). vobject's reader also joins a
    quoted-printable soft line break, but hands out only the unfolded text; the raw text
    is what the callers keep, so the join is done here.
    """
    lines: list[tuple[str, str]] = []
    for raw in raw_logical_lines(text):
        if not raw:
            continue
        unfolded = unfold(raw)
        if lines and unfolded.strip() and _ends_with_soft_break(*lines[-1]):
            before, before_unfolded = lines[-1]
            lines[-1] = (before + raw, before_unfolded[:-1] + unfolded)  # without the "="
        else:
            lines.append((raw, unfolded))
    return lines


def _ends_with_soft_break(raw: str, unfolded: str) -> bool:
    return (
        unfolded.endswith("=")
        and line_ending(raw) != ""
        and _read(raw, unfolded).encoding == QUOTED_PRINTABLE
    )


def _read(raw: str, unfolded: str) -> ContentLine:
    parts = plain_parts(unfolded) or _vobject_parts(unfolded)
    if parts is None:
        return ContentLine(raw)
    name, group, params, value = parts
    prefix = unfolded[: len(unfolded) - len(value) - 1]
    if _encoding(params) == QUOTED_PRINTABLE:
        value = _from_quoted_printable(value, params)
    return ContentLine(raw, name.upper(), group, params, prefix, value)


_Parts = tuple[str, str | None, dict[str, tuple[str, ...]], str]  # name, group, params, value


def plain_parts(unfolded: str) -> _Parts | None:
    """The parts of a line in the plainest form, split as vobject's parser splits them
    (None for any other line)."""
    plain = _PLAIN.match(unfolded)
    if plain is None or "\n" in unfolded or "\r" in unfolded:
        return None
    params: dict[str, tuple[str, ...]] = {}
    for param in plain.group(3).split(";")[1:]:
        key, _, values = param.partition("=")
        key = key.upper()
        params[key] = params.get(key, ()) + (tuple(values.split(",")) if values else ())
    return plain.group(2), plain.group(1), params, unfolded[plain.end() :]


def _vobject_parts(unfolded: str) -> _Parts | None:
    # vobject's parseLine splits the line; its ContentLine (textLineToContentLine) is
    # not used because it drops ENCODING from the parameters, decodes quoted-printable
    # only when written in upper case, and raises on a charset it does not know.
    try:
        name, param_list, value, group = parseLine(unfolded)
    except ParseError:
        return None
    params: dict[str, tuple[str, ...]] = {}
    for param in param_list:
        key = param[0].upper()
        params[key] = params.get(key, ()) + tuple(param[1:])
    return name, group, params, value


def _encoding(params: Mapping[str, tuple[str, ...]]) -> str:
    named = params.get("ENCODING", ())
    if named:
        return named[0].upper()
    return next((key for key in params if key in _BARE_ENCODINGS), "")


def _from_quoted_printable(value: str, params: Mapping[str, tuple[str, ...]]) -> str:
    """The text of a quoted-printable value in its charset (UTF-8 when none is given or
    the one given is unknown); bytes the charset cannot read become U+FFFD, so one odd
    line does not make the card unreadable."""
    data = quopri.decodestring(value.encode())
    charset = (params.get("CHARSET") or ("utf-8",))[0]
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")
