"""A vCard in the other version: 3.0 (RFC 2426, what macOS and iOS write) and 4.0 (RFC 6350).

The store keeps a card as its client sent it; a client that asks for the other version
gets it converted here, line by line (RFC 6350 appendix A, and what Apple writes where
3.0 has no property): a line no rule changes is handed on byte for byte, X- properties
and groups (`item1.`) included, and so is a card already in the version asked for.

The rules, 3.0 <-> 4.0:
- VERSION:3.0 <-> VERSION:4.0 (in 4.0 right after BEGIN);
- PHOTO, LOGO, SOUND, KEY: ENCODING=b;TYPE=JPEG <-> a data: URI (data:image/jpeg;base64,...),
  VALUE=uri <-> a plain URI;
- TYPE=pref <-> PREF=1 (PREF=2..100 has no 3.0 form and is kept as it is);
- X-ADDRESSBOOKSERVER-KIND <-> KIND, X-ADDRESSBOOKSERVER-MEMBER <-> MEMBER (Apple's group
  cards), X-ANNIVERSARY <-> ANNIVERSARY, X-GENDER:Male <-> GENDER:M (and F, O, N, U);
- BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15 <-> BDAY:--0415 (a birthday without a year);
- TEL;VALUE=uri:tel:+1-555 -> TEL:+1-555 (3.0's TEL is text, which 4.0 also reads);
- LABEL;TYPE=work:... <-> the LABEL parameter of the ADR of the same types;
- into 4.0, quoted-printable values (vCard 2.1 and old 3.0 exports) decoded, and 2.1's
  bare types (TEL;WORK;VOICE) written as TYPE=WORK,VOICE;
- into 3.0, an N when the card has none (3.0 requires one).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from urllib.parse import unquote_to_bytes

from contacthub.vcard.lines import (
    ContentLine,
    content_lines,
    line_ending,
    plain_parts,
    read_logical_line,
    unescape,
)
from contacthub.vcard.vobject_readers import has_bare_cr, unfold
from contacthub.vcard.write import fold

V3 = "3.0"
V4 = "4.0"
VERSIONS = (V3, V4)

_VERSION = re.compile(r"^VERSION:[ \t]*([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_QUOTED_PRINTABLE_PARAMETER = re.compile(r"^[^:\r\n]*;[^:\r\n]*QUOTED-PRINTABLE", re.I | re.M)
_BINARY_PROPERTIES = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})
_ENCODINGS = frozenset({"B", "BASE64", "QUOTED-PRINTABLE", "8BIT", "7BIT"})
_MEDIA_TOP = {"PHOTO": "image", "LOGO": "image", "SOUND": "audio", "KEY": "application"}
_KEY_TYPES = {"PGP": "application/pgp-keys", "X509": "application/pkix-cert"}
_DATA_URI_HEAD = re.compile(r"data:([^;,]*)((?:;[^;,]*)*),", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_APPLE_NO_YEAR = "1604"  # the leap year Apple writes for a birthday without a year
_DATE = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})")
_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})")
_GENDERS = {"M": "Male", "F": "Female", "O": "Other", "N": "None", "U": "Unknown"}
_GENDER_LETTERS = {word.lower(): letter for letter, word in _GENDERS.items()}
_STRUCTURED_GENDER = re.compile(r"[MFONU]?(;.*)?", re.IGNORECASE | re.DOTALL)
_RENAMED_INTO_4 = {
    "X-ADDRESSBOOKSERVER-KIND": "KIND",
    "X-ADDRESSBOOKSERVER-MEMBER": "MEMBER",
    "X-ANNIVERSARY": "ANNIVERSARY",
}
_RENAMED_INTO_3 = {new: old for old, new in _RENAMED_INTO_4.items()}
_QUOTE_IN_PARAMETER = re.compile(r'[:;,"]')
_NAME = re.compile(r"(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)")
# The lines a rule may change, by name, each with what its parameters (in lower case) must
# hold for a rule to apply ("": anything); any other line is read only for its name,
# unless its parameters name a preference (TYPE=pref, PREF=1).
_CHANGED_INTO_4 = dict.fromkeys(
    ["VERSION", "BDAY", "LABEL", "ADR", "X-GENDER", *_BINARY_PROPERTIES, *_RENAMED_INTO_4], ""
)
_CHANGED_INTO_3 = {
    **dict.fromkeys(["VERSION", "BDAY", "GENDER", *_BINARY_PROPERTIES, *_RENAMED_INTO_3], ""),
    "TEL": "value",  # TEL;VALUE=uri
    "ADR": "label",  # ADR;LABEL=...
}


def version_of(text: str) -> str:
    """ "4.0" for a vCard 4.0; "3.0" for any other (3.0, and 2.1, which is served as stored)."""
    found = _VERSION.search(text)
    return V4 if found is not None and found.group(1).strip() == V4 else V3


def version_of_head(head: str, whole: bool) -> str | None:
    """`version_of` the card that `head` begins (`whole`: the whole card), or None when
    its VERSION line, or the absence of one, goes on past the head."""
    found = _VERSION.search(head)
    if found is not None and (found.end() < len(head) or whole):
        return V4 if found.group(1).strip() == V4 else V3
    return V3 if found is None and whole else None


def converted(text: str, version: str) -> str:
    """`text` in `version` ("3.0" or "4.0"): the text itself when it is in that version."""
    if version_of(text) == version:
        return text
    return to_v4(text) if version == V4 else to_v3(text)


def without_quoted_printable(text: str) -> str:
    """A vCard 2.1 (or an old 3.0 export with quoted-printable values) as vCard 3.0, its
    values decoded and its bare types (TEL;CELL) written as TYPE=; any other card as it is.
    Android phones export 2.1; CardDAV clients and the index read 3.0."""
    found = _VERSION.search(text)
    is_2_1 = found is not None and found.group(1).strip() == "2.1"
    if not is_2_1 and _QUOTED_PRINTABLE_PARAMETER.search(text) is None:
        return text
    return to_v3(to_v4(text))


def representation_etag(stored_etag: str, stored_version: str, version: str) -> str:
    """The ETag of a card's `version` form: the stored bytes' own when no conversion is
    needed, else the stored one with the version added ("abc" -> "abc-3.0"): strong
    (the conversion is a function of the stored bytes) and different per version."""
    if version == stored_version:
        return stored_etag
    return f'{stored_etag[:-1]}-{version}"'


def stored_etag(etag: str) -> str:
    """The stored card's ETag behind a representation's ETag (`etag` when it is one)."""
    for version in VERSIONS:
        suffix = f'-{version}"'
        if etag.endswith(suffix):
            return etag[: -len(suffix)] + '"'
    return etag


# --- the lines of a card --------------------------------------------------------------------


class _Property:
    """A content line a rule may change: `value` as it stands in the card (escaped).

    A line read from the card keeps its raw text (`source`) and is written back as it was
    unless `changed`. A long value (a photo) is read only as far as its first physical
    line: the rest stays as stored, folded (`rest`), until a rule reads the whole value,
    so a rule that changes only its beginning (a data: URI's head) neither unfolds nor
    folds again the kilobytes after it.
    """

    def __init__(
        self,
        name: str,
        value: str,
        params: dict[str, list[str]] | None = None,
        group: str | None = None,
        *,
        rest: str = "",
        source: str | None = None,
    ) -> None:
        self.name = name
        self.start = value  # the value, or its beginning when `rest` holds the rest
        self.params = {} if params is None else params
        self.group = group
        self.rest = rest  # the rest of the value as stored: from the fold that starts it
        self.source = source
        self.changed = source is None

    @classmethod
    def of(cls, line: ContentLine) -> _Property:
        params = {key: list(values) for key, values in line.params.items()}
        return cls(line.name, line.escaped, params, line.group, source=line.raw)

    @property
    def value(self) -> str:
        self._read_rest()
        return self.start

    @value.setter
    def value(self, text: str) -> None:
        self.start, self.rest = text, ""

    def replace_beginning(self, length: int, new: str) -> None:
        """The value with its first `length` characters replaced by `new`."""
        if len(self.start) < length:
            self._read_rest()
        self.start = new + self.start[length:]

    def _read_rest(self) -> None:
        if self.rest:
            self.start, self.rest = self.start + unfold(self.rest), ""

    def types(self) -> list[str]:
        return [t for value in self.params.get("TYPE", []) for t in value.split(",") if t]

    def set_types(self, types: list[str]) -> None:
        if types:
            self.params["TYPE"] = types
        else:
            self.params.pop("TYPE", None)

    def text(self) -> str:
        """The line, unfolded, up to `rest`."""
        prefix = f"{self.group}.{self.name}" if self.group else self.name
        for key, values in self.params.items():
            prefix += f";{key}" + ("=" + ",".join(map(_parameter_value, values)) if values else "")
        return f"{prefix}:{self.start}"


def _parameter_value(value: str) -> str:
    return f'"{value}"' if _QUOTE_IN_PARAMETER.search(value) else value


class _Kept:
    """Text handed on as stored: one line only named (`name`), or the lines between two
    the scan found ("" as name)."""

    __slots__ = ("name", "raw")

    def __init__(self, raw: str, name: str = "") -> None:
        self.raw = raw
        self.name = name


class _Card:
    """A card's lines: kept as stored (_Kept), or read to be changed (a _Property, written
    anew when a rule changes it)."""

    def __init__(self, text: str, scan: _Scan | None) -> None:
        self.out = _lines(text, scan)
        raws = (e.raw if isinstance(e, _Kept) else e.source or "" for e in self.out)
        self.newline = next((ending for ending in map(line_ending, raws) if ending), "\r\n")

    def text(self) -> str:
        parts: list[str] = []
        last = len(self.out) - 1
        for index, entry in enumerate(self.out):
            raw = entry.raw if isinstance(entry, _Kept) else entry.source
            if raw is not None and not (isinstance(entry, _Property) and entry.changed):
                parts.append(raw)
                if index < last and not raw.endswith(("\n", "\r")):  # (a last line)
                    parts.append(self.newline)
                continue
            assert isinstance(entry, _Property)
            written = fold(entry.text())
            if self.newline != "\r\n":
                written = written.replace("\r\n", self.newline)
            parts.append(written + entry.rest + self.newline)
        return "".join(parts)

    def rewrite(self, rule: Callable[[_Property], bool]) -> None:
        """Apply `rule` to each line read: True when it changed the line."""
        for entry in self.out:
            if isinstance(entry, _Property) and entry.source is not None and rule(entry):
                entry.changed = True

    def named(self, name: str) -> Iterable[_Property]:
        """The lines named `name`, each read (once) if it was not."""
        for index, entry in enumerate(self.out):
            if entry.name != name:
                continue
            if isinstance(entry, _Kept):
                entry = self.out[index] = _entry(read_logical_line(entry.raw))
            if isinstance(entry, _Property) and entry.name == name:
                yield entry

    def read(self, name: str) -> list[_Property]:
        """The lines named `name` already read (those a rule may change)."""
        return [e for e in self.out if isinstance(e, _Property) and e.name == name]

    def has(self, name: str) -> bool:
        return any(entry.name == name for entry in self.out)

    def index_of(self, name: str) -> int | None:
        return next((i for i, entry in enumerate(self.out) if entry.name == name), None)

    def move_after(self, prop: _Property, anchor_name: str) -> None:
        self.out.remove(prop)
        at = next(
            (i for i, entry in enumerate(self.out) if entry.name == anchor_name), len(self.out) - 1
        )
        self.out.insert(at + 1, prop)

    def insert_after(self, anchor: _Property, new: _Property) -> None:
        self.out.insert(self.out.index(anchor) + 1, new)


class _Scan:
    """Where the lines a conversion reads start, found in one search of the card.

    `changed`: the names a rule may change, each with a text its parameters (in lower
    case) must hold for a rule to apply ("" for any); `named`: names the conversion
    looks for in the card without changing them (BEGIN, N). A line is read when its
    name is in `changed` and its parameters hold the text, or its parameters name a
    preference (TYPE=pref, PREF=1), or its name and parameters cannot be told from its
    first physical line; any other line the search finds is only named, and the text
    between them is copied as it stands.

    The search finds a line start (after an LF not followed by a space or a tab: a fold)
    whose first physical line may be such a line, in ASCII case-insensitively (the names
    are compared in upper case, parameters in lower case, and no character outside ASCII
    changes into one of these letters); each line it finds is then told apart exactly
    as before the search (`_classified`), so the search need only find all of them.
    """

    def __init__(self, changed: Mapping[str, str], named: Iterable[str]) -> None:
        self.changed = changed
        names = [name for name, needs in changed.items() if not needs] + list(named)
        # a name, or a word the parameters may hold (a line named by `changed` with a
        # text its parameters must hold is found by the text, wherever it stands)
        words = ["pref", *sorted({needs for needs in changed.values() if needs})]
        firsts = "".join(sorted({word[0] for word in words}))
        # The text before the first ":" on the line, in one step per run of characters
        # that start no word (possessive: no going back), up to a word or a fold.
        head = (
            rf"(?:[^:\n{firsts}]++|"
            + "|".join(rf"{word[0]}(?!{word[1:]})" for word in words)
            + r")*+(?:"
            + "|".join(words)
            + r"|\n[ \t])"
        )
        self.starts = re.compile(
            r"\n(?![ \t])(?="  # a line starts (not a fold), and it has
            rf"(?:[A-Za-z0-9-]++\.)?(?:{'|'.join(map(re.escape, names))})(?![A-Za-z0-9-])"
            rf"|{head}"  # a word in its parameters, or its parameters folded
            r"|[^A-Za-z0-9 \t-])",  # or no name
            re.IGNORECASE | re.ASCII,
        )


_LINE_END = re.compile(r"\n(?![\t ])")  # where a logical line ends (no CR stands alone)
# "quoted-printable" in any case (ASCII: no other character lowers into one of its
# letters), looked for from its "-": a search for a first letter in either case steps
# through every character.
_QUOTED_PRINTABLE = re.compile(
    r"-(?=[Pp][Rr][Ii][Nn][Tt][Aa][Bb][Ll][Ee])(?<=[Qq][Uu][Oo][Tt][Ee][Dd]-)"
)


def _lines(text: str, scan: _Scan | None) -> list[_Kept | _Property]:
    """The card's lines: read where a rule may change them (`scan`; None: every line),
    else handed on as stored (_Kept), which is most of a card."""
    if scan is None or _QUOTED_PRINTABLE.search(text) is not None or has_bare_cr(text):
        # (content_lines joins quoted-printable soft breaks; a bare CR is a line end)
        return [_entry(line) for line in content_lines(text)]
    lines: list[_Kept | _Property] = []
    copied = 0  # the text before it is in `lines`
    for start in chain((0,), (found.end() for found in scan.starts.finditer(text))):
        if start > copied:
            lines.append(_Kept(text[copied:start]))
        end = _LINE_END.search(text, start)
        copied = len(text) if end is None else end.end()
        if copied > start:
            lines.append(_classified(text[start:copied], scan.changed))
    if copied < len(text):
        lines.append(_Kept(text[copied:]))
    return lines


def _classified(raw: str, changed: Mapping[str, str]) -> _Kept | _Property:
    """One logical line: read if a rule may change it, else only named."""
    name = _NAME.match(raw)
    head = raw[: raw.find(":")].lower()
    if name is None or "\n" in head:  # parameters folded: read whole to be sure
        return _entry(read_logical_line(raw))
    upper = name.group(1).upper()
    needs = changed.get(upper)
    if (needs is not None and needs in head) or "pref" in head:
        return _read_changeable(raw)
    return _Kept(raw, upper)


def _entry(line: ContentLine) -> _Kept | _Property:
    """A line read whole: to be changed, if it could be read."""
    return _Property.of(line) if line.prefix else _Kept(line.raw, line.name)


def _read_changeable(raw: str) -> _Kept | _Property:
    """A line a rule may change, its value read up to its first fold (the card has no bare
    CR, and its name and parameters are on its first physical line)."""
    body = raw[: len(raw) - len(line_ending(raw))]
    fold_at = body.find("\n")
    if fold_at < 0:  # one physical line: `body` is it unfolded
        return _plain_property(body, raw) or _entry(read_logical_line(raw))
    if fold_at == 0 or '"' in body[:fold_at]:  # a quote: read whole
        return _entry(read_logical_line(raw))
    if body[fold_at - 1] == "\r":
        fold_at -= 1
    first = body[:fold_at]
    prop = _plain_property(first, raw)
    if prop is None:
        line = read_logical_line(first, first)
        if not line.prefix:
            return _entry(read_logical_line(raw))
        prop = _Property.of(line)
        prop.source = raw
    prop.rest = body[fold_at:]
    return prop


def _plain_property(unfolded: str, raw: str) -> _Property | None:
    """A line in the plainest form (lines.plain_parts) read as `_entry(read_logical_line)`
    reads it in a card without quoted-printable, without its ContentLine.

    `unfolded` holds no line break, so what plain_parts reads of it before the value is
    told by the text up to its first ":" alone (a plain line has no ":" before its
    value); cards repeat these ("item1.EMAIL;type=INTERNET;type=pref"), so each is read
    once (up to _HEADS_KEPT of them)."""
    colon = unfolded.find(":")
    if colon < 0:
        return None
    head = unfolded[:colon]
    read = _HEADS.get(head, _UNREAD)
    if read is _UNREAD:
        parts = plain_parts(head + ":")
        read = None if parts is None else (parts[0].upper(), parts[1], parts[2])
        if len(_HEADS) >= _HEADS_KEPT:
            _HEADS.clear()
        _HEADS[head] = read
    if read is None:
        return None
    name, group, params = read
    lists = {key: list(values) for key, values in params.items()}
    return _Property(name, unfolded[colon + 1 :], lists, group, source=raw)


_HeadRead = tuple[str, str | None, Mapping[str, tuple[str, ...]]] | None
_UNREAD: _HeadRead = ("", None, {})
_HEADS: dict[str, _HeadRead] = {}
_HEADS_KEPT = 4096


_SCAN_INTO_4 = _Scan(_CHANGED_INTO_4, ["BEGIN"])  # (VERSION goes right after BEGIN)
_SCAN_INTO_3 = _Scan(_CHANGED_INTO_3, ["N", "FN"])  # (a card without N gets one after FN)


# --- 3.0 -> 4.0 -----------------------------------------------------------------------------


def to_v4(text: str) -> str:
    """A vCard 3.0 (or 2.1) as vCard 4.0."""
    found = _VERSION.search(text)
    is_2_1 = found is not None and found.group(1).strip() == "2.1"  # bare types anywhere
    card = _Card(text, None if is_2_1 else _SCAN_INTO_4)
    card.rewrite(_into_4)
    _labels_into_adr(card)
    for version in list(card.named("VERSION")):
        card.move_after(version, "BEGIN")
    return card.text()


def _into_4(prop: _Property) -> bool:
    changed = _plain_encoding(prop) | _bare_types(prop) | _pref_into_4(prop)
    if prop.name == "VERSION":
        prop.value, changed = V4, True
    elif prop.name in _BINARY_PROPERTIES:
        changed = _binary_into_4(prop) or changed
    elif prop.name in _RENAMED_INTO_4:
        prop.name, changed = _RENAMED_INTO_4[prop.name], True
    elif prop.name == "X-GENDER":
        prop.name, prop.value, changed = "GENDER", _gender_into_4(prop.value), True
    elif prop.name == "BDAY":
        changed = _birthday_into_4(prop) or changed
    return changed


def _plain_encoding(prop: _Property) -> bool:
    """4.0 has no quoted-printable: the value is the decoded text (ContentLine.escaped)."""
    encoding = (prop.params.get("ENCODING") or [""])[0].upper()
    if encoding != "QUOTED-PRINTABLE" and "QUOTED-PRINTABLE" not in prop.params:
        return False
    for key in ("ENCODING", "QUOTED-PRINTABLE", "CHARSET"):
        prop.params.pop(key, None)
    # A line break encoded in the value (=0D=0A, as Android writes a note's) is a line
    # break of the text, which 3.0 and 4.0 write as \n.
    value = prop.value
    if "\n" in value or "\r" in value:
        prop.value = _LINE_BREAK.sub(r"\\n", value)
    return True


def _bare_types(prop: _Property) -> bool:
    """vCard 2.1's TEL;WORK;VOICE as TYPE=WORK,VOICE."""
    bare = [key for key, values in prop.params.items() if not values and key not in _ENCODINGS]
    if not bare:
        return False
    for key in bare:
        del prop.params[key]
    prop.set_types(prop.types() + bare)
    return True


def _pref_into_4(prop: _Property) -> bool:
    types = prop.types()
    kept = [t for t in types if t.lower() != "pref"]
    if len(kept) == len(types):
        return False
    prop.set_types(kept)
    prop.params.setdefault("PREF", ["1"])
    return True


def _binary_into_4(prop: _Property) -> bool:
    encoding = (prop.params.get("ENCODING") or [""])[0].upper()
    types = prop.types()
    media = _media_type(prop.name, types[0]) if types else ""
    if encoding in ("B", "BASE64"):
        del prop.params["ENCODING"]
        prop.set_types([])
        prop.replace_beginning(0, f"data:{media};base64,")
        return True
    if (prop.params.get("VALUE") or [""])[0].lower() == "uri":
        del prop.params["VALUE"]
        if media:
            prop.set_types([])
            prop.params["MEDIATYPE"] = [media]
        return True
    return False


def _media_type(name: str, type_: str) -> str:
    if "/" in type_:
        return type_.lower()
    if name == "KEY" and type_.upper() in _KEY_TYPES:
        return _KEY_TYPES[type_.upper()]
    return f"{_MEDIA_TOP[name]}/{type_.lower()}"


def _gender_into_4(value: str) -> str:
    letter = _GENDER_LETTERS.get(value.strip().lower())
    if letter is not None:
        return letter
    if _STRUCTURED_GENDER.fullmatch(value):
        return value
    return f";{value}"  # no sex named: the text is the gender identity


def _birthday_into_4(prop: _Property) -> bool:
    omitted = (prop.params.get("X-APPLE-OMIT-YEAR") or [""])[0]
    date = _DATE.match(prop.value)
    if not omitted or date is None or date.group(1) != omitted:
        return False
    del prop.params["X-APPLE-OMIT-YEAR"]
    prop.value = f"--{date.group(2)}{date.group(3)}"
    return True


def _labels_into_adr(card: _Card) -> None:
    """Each LABEL becomes the LABEL parameter of the ADR of the same types (the only ADR,
    for a LABEL without types); one that matches none stays a line of its own."""
    addresses = list(card.named("ADR"))
    for label in list(card.named("LABEL")):
        wanted = _type_set(label)
        free = [adr for adr in addresses if "LABEL" not in adr.params]
        match = next((adr for adr in free if _type_set(adr) == wanted), None)
        if match is None and not wanted and len(addresses) == 1 and free:
            match = free[0]
        if match is not None:
            match.params["LABEL"] = [_caret_encoded(unescape(label.value))]
            match.changed = True
            card.out.remove(label)


def _type_set(prop: _Property) -> frozenset[str]:
    return frozenset(t.lower() for t in prop.types() if t.lower() != "pref")


def _caret_encoded(value: str) -> str:
    """A parameter value with RFC 6868's escapes: ^^, ^n (a line break), ^' (a quote)."""
    value = value.replace("\r\n", "\n").replace("^", "^^").replace("\n", "^n")
    return value.replace('"', "^'")


# --- 4.0 -> 3.0 -----------------------------------------------------------------------------


def to_v3(text: str) -> str:
    """A vCard 4.0 as vCard 3.0."""
    card = _Card(text, _SCAN_INTO_3)
    card.rewrite(_into_3)
    _labels_out_of_adr(card)
    if not card.has("N"):
        _add_empty_name(card)
    return card.text()


def _into_3(prop: _Property) -> bool:
    changed = _pref_into_3(prop)
    if prop.name == "VERSION":
        prop.value, changed = V3, True
    elif prop.name in _BINARY_PROPERTIES:
        changed = _binary_into_3(prop) or changed
    elif prop.name in _RENAMED_INTO_3:
        prop.name, changed = _RENAMED_INTO_3[prop.name], True
    elif prop.name == "GENDER":
        prop.name, prop.value, changed = "X-GENDER", _gender_into_3(prop.value), True
    elif prop.name == "BDAY":
        changed = _birthday_into_3(prop) or changed
    elif prop.name == "TEL":
        changed = _phone_into_3(prop) or changed
    return changed


def _pref_into_3(prop: _Property) -> bool:
    if prop.params.get("PREF") != ["1"]:
        return False
    del prop.params["PREF"]
    prop.set_types(prop.types() + ["pref"])
    return True


def _binary_into_3(prop: _Property) -> bool:
    data = _data_uri_head(prop)
    media = (prop.params.pop("MEDIATYPE", None) or [""])[0]
    if data is None:
        if (prop.params.get("VALUE") or [""])[0].lower() == "uri" or ":" not in prop.value:
            if media:
                prop.set_types([_type_of_media(media)])
            return bool(media)
        prop.params["VALUE"] = ["uri"]
        if media:
            prop.set_types([_type_of_media(media)])
        return True
    media, flags = data.group(1) or media, data.group(2).lower()
    if ";base64" in flags:
        prop.replace_beginning(data.end(), "")  # the payload as it stands, folds and all
    else:
        prop.value = base64.b64encode(unquote_to_bytes(prop.value[data.end() :])).decode()
    prop.params.pop("VALUE", None)
    prop.params["ENCODING"] = ["b"]
    if media:
        prop.set_types([_type_of_media(media)])
    return True


def _data_uri_head(prop: _Property) -> re.Match[str] | None:
    """A data: URI's head ("data:image/jpeg;base64,"), read from the value's beginning."""
    found = _DATA_URI_HEAD.match(prop.start)
    if found is None and prop.rest:  # the head may go on past the value's first line
        found = _DATA_URI_HEAD.match(prop.value)
    return found


def _type_of_media(media: str) -> str:
    for type_, known in _KEY_TYPES.items():
        if media.lower() == known:
            return type_
    return media.split("/", 1)[-1].upper()


def _gender_into_3(value: str) -> str:
    sex, _, identity = value.partition(";")
    if not identity and sex.upper() in _GENDERS:
        return _GENDERS[sex.upper()]
    if not sex and identity:
        return identity
    return value


def _birthday_into_3(prop: _Property) -> bool:
    date = _NO_YEAR.fullmatch(prop.value)
    if date is None:
        return False
    prop.params.pop("VALUE", None)
    prop.params["X-APPLE-OMIT-YEAR"] = [_APPLE_NO_YEAR]
    prop.value = f"{_APPLE_NO_YEAR}-{date.group(1)}-{date.group(2)}"
    return True


def _phone_into_3(prop: _Property) -> bool:
    is_uri = (prop.params.get("VALUE") or [""])[0].lower() == "uri"
    if not is_uri or not prop.value.lower().startswith("tel:"):
        return False
    del prop.params["VALUE"]
    number = prop.value[4:]
    prop.value = number.replace(",", "\\,").replace(";", "\\;")
    return True


def _labels_out_of_adr(card: _Card) -> None:
    for adr in card.read("ADR"):  # (those whose parameters mention a label)
        label = adr.params.pop("LABEL", None)
        if not label:
            continue
        adr.changed = True
        value = _caret_decoded(label[0])
        escaped = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
        new = _Property("LABEL", escaped.replace("\n", "\\n"), group=adr.group)
        new.set_types(adr.types())
        card.insert_after(adr, new)


def _caret_decoded(value: str) -> str:
    return re.sub(r"\^([n^'])", lambda m: {"n": "\n", "^": "^", "'": '"'}[m.group(1)], value)


def _add_empty_name(card: _Card) -> None:
    anchor = card.index_of("FN")
    anchor = card.index_of("VERSION") if anchor is None else anchor
    card.out.insert(1 if anchor is None else anchor + 1, _Property("N", ";;;;"))
