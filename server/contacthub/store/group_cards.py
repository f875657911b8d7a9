"""The lines a group lives in, read and changed in a stored vCard's text.

A group has two forms: Apple's group card (`X-ADDRESSBOOKSERVER-KIND:group` with one
`X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:<UID>` per member; `KIND:group` and `MEMBER` in
vCard 4.0) and a `CATEGORIES` value on each member. The store keeps the two in step in
its write path (store/groups.py), below the vcard layer, so it reads only these lines
itself: UID, FN, the kind, the members and CATEGORIES. Every other line of a card is kept
byte for byte; a derived change rewrites only the lines of its form.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from contacthub.store.index_values import index_value

KIND_NAMES = frozenset({"X-ADDRESSBOOKSERVER-KIND", "KIND"})
MEMBER_NAMES_3 = "X-ADDRESSBOOKSERVER-MEMBER"
MEMBER_NAMES = frozenset({MEMBER_NAMES_3, "MEMBER"})
CATEGORIES = "CATEGORIES"
_PHYSICAL = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_BREAK = re.compile(r"(?:\r\n|\r|\n)[ \t]")
_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)
_LIST_SEPARATOR = re.compile(r"(?<!\\)((?:\\\\)*),")
_URN = "urn:uuid:"
FOLD_AT = 75
# A group card's kind line, found without reading the card's other lines.
_GROUP_KIND = re.compile(
    r"^(?:[^:\r\n]*\.)?(?:X-ADDRESSBOOKSERVER-)?KIND(?:;[^:\r\n]*)?:[ \t]*group[ \t]*\r?$",
    re.IGNORECASE | re.MULTILINE,
)
# The value a group card's search index starts with (its extra values, store/items.py):
# no card's value can hold a control character (vcard/parse.py refuses them), and it
# sorts before every other value, so "is a group card" is a prefix of one column.
GROUP_MARK = "\x01group"

# A CATEGORIES line with its folded continuations (CRLF or LF line ends); each one found
# is checked by _read, which reads it as lines_of would.
_CATEGORIES_LINE = re.compile(
    r"^(?![ \t])(?:[^\r\n:;]*\.)?CATEGORIES[ \t]*[;:][^\r\n]*(?:\r?\n|\Z)"
    r"(?:[ \t][^\r\n]*(?:\r?\n|\Z))*",
    re.IGNORECASE | re.MULTILINE,
)
_UID_LINE = re.compile(
    r"^(?![ \t])(?:[^\r\n:;]*\.)?UID[ \t]*[;:][^\r\n]*(?:\r?\n|\Z)(?:[ \t][^\r\n]*(?:\r?\n|\Z))*",
    re.IGNORECASE | re.MULTILINE,
)
_END_LINE = re.compile(
    r"^(?![ \t])(?:[^\r\n:;]*\.)?END[ \t]*(?:;[^\r\n]*)?:", re.IGNORECASE | re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class Line:
    """One logical line: `raw` as stored (folded, with its ending), its property name
    (upper case, without the group) and its value (unfolded, escapes kept)."""

    raw: str
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """What a card says about groups: a group card's name and members, or a contact's
    categories."""

    uid: str = ""
    name: str = ""  # FN
    is_group: bool = False
    members: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()


NO_FACTS = GroupFacts()


def lines_of(text: str) -> list[Line]:
    """The logical lines of `text`; together their raw texts are `text` again."""
    # Each logical line as its physical parts, joined once: adding to a string part by
    # part copies it each time, and a 5 MiB photo is 90,000 parts (17 s instead of 0.1).
    logical: list[list[str]] = []
    for found in _PHYSICAL.finditer(text):
        physical = found.group()
        if not physical:
            break
        if logical and physical[:1] in (" ", "\t"):
            logical[-1].append(physical)
        else:
            logical.append([physical])
    return [_read("".join(parts)) for parts in logical]


def _read(raw: str) -> Line:
    unfolded = (_BREAK.sub("", raw) if "\n " in raw or "\n\t" in raw else raw).rstrip("\r\n")
    head, colon, value = _split_value(unfolded)
    if not colon:
        return Line(raw, "", "")
    name = head.split(";", 1)[0].rsplit(".", 1)[-1].strip().upper()
    return Line(raw, name, value)


def _split_value(unfolded: str) -> tuple[str, str, str]:
    """name;params before the first colon outside a quoted parameter value."""
    head, colon, value = unfolded.partition(":")
    if '"' not in head:
        return head, colon, value
    quoted = False
    for at, char in enumerate(unfolded):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return unfolded[:at], ":", unfolded[at + 1 :]
    return unfolded, "", ""


def unescape(value: str) -> str:
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def split_list(value: str) -> list[str]:
    """The values of a comma-separated text list (CATEGORIES), each unescaped and stripped."""
    parts = _LIST_SEPARATOR.sub(lambda m: m.group(1) + "\0", value).split("\0")
    return [text for part in parts if (text := unescape(part).strip())]


def member_uid(value: str) -> str:
    """The UID a member line names (`urn:uuid:` taken off)."""
    value = value.strip()
    return value[len(_URN) :] if value.lower().startswith(_URN) else value


def is_group_card(text: str) -> bool:
    return _GROUP_KIND.search(text) is not None


def facts_of(text: str | None) -> GroupFacts:
    """What `text` says about groups. A contact's name is not read (only a group's is:
    the bridge needs a contact's UID and categories), so a contact's card is searched for
    its UID and CATEGORIES lines alone: a run of 100,000 contacts reads every one of them
    in its publish, and reading all their lines took most of it."""
    if text is None:
        return NO_FACTS
    if is_group_card(text) or text.count("\r") != text.count("\r\n"):
        return facts_by_lines(text)
    uid = ""
    for line in _lines_named(_UID_LINE, text):
        if line.name != "UID":
            return facts_by_lines(text)
        uid = uid or unescape(line.value).strip()
    categories: set[str] = set()
    for line in _lines_named(_CATEGORIES_LINE, text):
        if line.name != CATEGORIES:
            return facts_by_lines(text)
        categories.update(split_list(line.value))
    return GroupFacts(uid, categories=frozenset(categories))


def _lines_named(pattern: re.Pattern[str], text: str) -> list[Line]:
    return [_read(match.group()) for match in pattern.finditer(text)]


def facts_by_lines(text: str) -> GroupFacts:
    """facts_of, reading every line of the card."""
    uid = name = ""
    is_group = False
    members: set[str] = set()
    categories: set[str] = set()
    for line in lines_of(text):
        if line.name == "UID" and not uid:
            uid = unescape(line.value).strip()
        elif line.name == "FN" and not name:
            name = unescape(line.value).strip()
        elif line.name in KIND_NAMES:
            is_group = is_group or line.value.strip().lower() == "group"
        elif line.name in MEMBER_NAMES:
            members.add(member_uid(line.value))
        elif line.name == CATEGORIES:
            categories.update(split_list(line.value))
    if is_group:
        return GroupFacts(uid, name, True, frozenset(members - {""}))
    return GroupFacts(uid, categories=frozenset(categories))


def _ending(lines: list[Line]) -> str:
    for line in lines:
        if line.raw.endswith("\r\n"):
            return "\r\n"
    return "\n"


def fold(line: str, eol: str) -> str:
    """One content line folded at 75 octets (RFC 6350 3.2), never inside a character."""
    if len(line) <= FOLD_AT and (line.isascii() or len(line.encode()) <= FOLD_AT):
        return line + eol
    out: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        if size + width > (FOLD_AT if not out else FOLD_AT - 1) and current:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return (eol + " ").join(out) + eol


def _end_index(lines: list[Line]) -> int:
    """Where a new line goes: before END:VCARD."""
    for at in range(len(lines) - 1, -1, -1):
        if lines[at].name == "END":
            return at
    return len(lines)


@dataclass(frozen=True, slots=True)
class Edited:
    """A card's text after a derived change, and the values the change took out of the
    search index's extra values and put in (lower case, as the index keeps them)."""

    text: str
    gone: tuple[str, ...] = ()
    came: tuple[str, ...] = ()


def _indexed(values: Iterable[str]) -> tuple[str, ...]:
    """The values as the index keeps them (store/index_values.py)."""
    return tuple(index_value(value) for value in values if value)


def with_categories(text: str, add: Collection[str], remove: Collection[str]) -> Edited:
    """`text` with the categories in `remove` taken off and those in `add` put on (one
    CATEGORIES line, where the first was); the same text when nothing changes.

    One pass of a regular expression over the text finds the CATEGORIES lines (a rename
    rewrites thousands of member cards in one write); only a card whose lines it cannot
    tell apart that way (a lone CR as a line end) is read line by line."""
    if text.count("\r") != text.count("\r\n"):
        return _with_categories_by_lines(text, add, remove)
    found = [match for match in _CATEGORIES_LINE.finditer(text)]
    lines = [_read(match.group()) for match in found]
    if any(line.name != CATEGORIES for line in lines):
        return _with_categories_by_lines(text, add, remove)
    current = [value for line in lines for value in split_list(line.value)]
    wanted = _wanted(current, add, remove)
    if wanted == current:
        return Edited(text)
    eol = "\r\n" if "\r\n" in text else "\n"
    new = fold(f"{CATEGORIES}:" + ",".join(escape(value) for value in wanted), eol)
    if not found:
        at = _end_of_card(text)
        edited = text[:at] + (new if wanted else "") + text[at:]
        return Edited(edited, _indexed(current), _indexed(wanted))
    parts: list[str] = []
    kept_from = 0
    for index, match in enumerate(found):
        parts.append(text[kept_from : match.start()])
        if index == 0 and wanted:
            parts.append(new)
        kept_from = match.end()
    parts.append(text[kept_from:])
    return Edited("".join(parts), _indexed(current), _indexed(wanted))


def _wanted(current: list[str], add: Collection[str], remove: Collection[str]) -> list[str]:
    kept = [value for value in dict.fromkeys(current) if value not in remove]
    return kept + [value for value in add if value not in kept]


def _end_of_card(text: str) -> int:
    """Where a new line goes: at the start of the last END line (the end when none)."""
    ends = list(_END_LINE.finditer(text))
    return ends[-1].start() if ends else len(text)


def _with_categories_by_lines(text: str, add: Collection[str], remove: Collection[str]) -> Edited:
    lines = lines_of(text)
    found = [line for line in lines if line.name == CATEGORIES]
    current = [value for line in found for value in split_list(line.value)]
    wanted = _wanted(current, add, remove)
    if wanted == current:
        return Edited(text)
    eol = _ending(lines)
    new = fold(f"{CATEGORIES}:" + ",".join(escape(value) for value in wanted), eol)
    at = lines.index(found[0]) if found else _end_index(lines)
    rest = [line.raw for line in lines if line.name != CATEGORIES]
    before = sum(1 for line in lines[:at] if line.name != CATEGORIES)
    if wanted:
        rest.insert(before, new)
    return Edited("".join(rest), _indexed(current), _indexed(wanted))


def with_members(text: str, add: Iterable[str], remove: Collection[str]) -> Edited:
    """A group card's `text` with the members in `remove` taken off and those in `add`
    put on, in the card's own form (MEMBER in 4.0, Apple's X- line in 3.0)."""
    lines = lines_of(text)
    present = {member_uid(line.value) for line in lines if line.name in MEMBER_NAMES}
    kept: list[Line] = []
    gone: list[str] = []
    for line in lines:
        if line.name in MEMBER_NAMES and member_uid(line.value) in remove:
            gone.append(unescape(line.value))
        else:
            kept.append(line)
    new_uids = [uid for uid in dict.fromkeys(add) if uid not in present or uid in remove]
    if not gone and not new_uids:
        return Edited(text)
    eol = _ending(lines)
    name = "MEMBER" if any(line.name == "KIND" for line in lines) else MEMBER_NAMES_3
    new = [fold(f"{name}:{_URN}{uid}", eol) for uid in new_uids]
    at = _end_index(kept)
    edited = "".join([line.raw for line in kept[:at]] + new + [line.raw for line in kept[at:]])
    return Edited(edited, _indexed(gone), _indexed(f"{_URN}{uid}" for uid in new_uids))


def new_group_card(uid: str, name: str, members: Iterable[str]) -> str:
    """A group card as iOS and macOS write one (vCard 3.0)."""
    eol = "\r\n"
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//contacthub//groups//EN",
        f"UID:{escape(uid)}",
        f"N:{escape(name)};;;;",
        f"FN:{escape(name)}",
        "X-ADDRESSBOOKSERVER-KIND:group",
        *(f"{MEMBER_NAMES_3}:{_URN}{member}" for member in members),
        "END:VCARD",
    ]
    return "".join(fold(line, eol) for line in lines)
