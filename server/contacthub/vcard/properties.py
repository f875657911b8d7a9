"""A card's properties by name, with the labels that go with a value, for merging cards.

A stored card's lines are kept byte for byte (raw), as vcard/lines.py reads them. A value
of iOS's or macOS's carries its label in a line of its group (`item1.EMAIL` and
`item1.X-ABLabel`): the label goes where the value goes, its group renamed when the card it
joins has a group of that name already.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from contacthub.vcard.lines import ContentLine, content_lines, unescape

# Lines that make a card a card rather than say something of the person: the merged card
# takes them from the card it keeps; REV is left out (it would be stale).
STRUCTURAL = frozenset({"", "BEGIN", "END", "VERSION", "UID", "PRODID", "REV"})
# Properties a person has several of: merged cards keep the union of their values.
MULTI_VALUED = frozenset(
    {"EMAIL", "TEL", "ADR", "URL", "CATEGORIES", "IMPP", "X-SOCIALPROFILE", "RELATED", "LABEL"}
)
LABEL = "X-ABLABEL"
_CATEGORY_SPLIT = re.compile(r"(?<!\\),")


@dataclass(frozen=True, eq=False)
class Value:
    """One value of a property: its line and the label lines of its group."""

    line: ContentLine
    labels: tuple[ContentLine, ...] = ()

    @property
    def key(self) -> str:
        return value_key(self.line)


def value_key(line: ContentLine) -> str:
    """What two lines must share to be the same value: an email address case-blind, a
    phone number's digits (and its +), any other value with its spaces evened out."""
    value = line.value.strip()
    if line.name == "EMAIL":
        return value.casefold()
    if line.name == "TEL":
        plus = "+" if value.lstrip().startswith("+") else ""
        return plus + "".join(ch for ch in value if ch.isdigit())
    if line.name == "PHOTO":
        return line.escaped
    return " ".join(value.split()).casefold()


def categories(line: ContentLine) -> list[str]:
    """The categories of a CATEGORIES line, each unescaped and stripped."""
    return [unescape(part).strip() for part in _CATEGORY_SPLIT.split(line.escaped) if part.strip()]


def categories_line(names: Iterable[str]) -> ContentLine:
    """One CATEGORIES line holding `names`."""
    escaped = ",".join(name.replace("\\", "\\\\").replace(",", "\\,") for name in names)
    return content_lines(f"CATEGORIES:{escaped}\r\n")[0]


class Properties:
    """The lines of a card that say something of the person, by property name (in the
    order of the card), each value with its labels."""

    def __init__(self, text: str) -> None:
        self.lines = content_lines(text)
        labels: dict[str, list[ContentLine]] = {}
        for line in self.lines:
            if line.name == LABEL and line.group:
                labels.setdefault(line.group.casefold(), []).append(line)
        self.by_name: dict[str, list[Value]] = {}
        for line in self.lines:
            if line.name in STRUCTURAL or line.name == LABEL:
                continue
            attached = tuple(labels.get(line.group.casefold(), ())) if line.group else ()
            if line.name == "CATEGORIES":
                for name in categories(line):
                    self.by_name.setdefault("CATEGORIES", []).append(Value(categories_line([name])))
                continue
            self.by_name.setdefault(line.name, []).append(Value(line, attached))

    def line_of(self, name: str) -> ContentLine | None:
        return next((line for line in self.lines if line.name == name), None)

    @property
    def version(self) -> str:
        line = self.line_of("VERSION")
        return line.value.strip() if line is not None else "3.0"

    def values(self, name: str) -> list[Value]:
        return self.by_name.get(name, [])

    def keys(self, name: str) -> list[str]:
        return [value.key for value in self.values(name)]


class CardWriter:
    """Writes a card from chosen values: groups renamed where two cards' groups meet,
    every line ending in CRLF, all CATEGORIES in one line."""

    def __init__(self, version: str, uid_line: str) -> None:
        self.head = ["BEGIN:VCARD\r\n", f"VERSION:{version}\r\n", _ended(uid_line)]
        self.body: list[str] = []
        self.categories: list[str] = []
        self._groups: set[str] = set()
        self._count = 0

    def add(self, value: Value) -> None:
        line = value.line
        if line.name == "CATEGORIES":
            for name in categories(line):
                if name.casefold() not in {seen.casefold() for seen in self.categories}:
                    self.categories.append(name)
            return
        if not line.group:
            self.body.append(_ended(line.raw))
            return
        group = line.group
        if group.casefold() in self._groups:
            group = self._fresh_group()
        self._groups.add(group.casefold())
        for each in (line, *value.labels):
            self.body.append(_ended(_regrouped(each, group)))

    def add_all(self, values: Iterable[Value]) -> None:
        for value in values:
            self.add(value)

    def text(self) -> str:
        tail = [categories_line(self.categories).raw] if self.categories else []
        return "".join([*self.head, *self.body, *tail, "END:VCARD\r\n"])

    def _fresh_group(self) -> str:
        while True:
            self._count += 1
            group = f"merged{self._count}"
            if group not in self._groups:
                return group


def _regrouped(line: ContentLine, group: str) -> str:
    if line.group is None or line.group == group:
        return line.raw
    return group + line.raw[len(line.group) :]


def _ended(raw: str) -> str:
    return raw if raw.endswith(("\r\n", "\n")) else raw + "\r\n"


def names_in_order(*cards: Properties) -> Iterator[str]:
    """Every property name of the cards, in the order the first card that has it has it."""
    seen: set[str] = set()
    for card in cards:
        for name in card.by_name:
            if name not in seen:
                seen.add(name)
                yield name
