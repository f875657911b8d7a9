"""Editing a stored vCard's name, organization, emails, phones and note by hand.

Every other line stays exactly as it was stored (photos, addresses, X- properties, the
groups iOS labels values with), and so does a line whose value did not change: a phone
that syncs the card again sees only what the person changed. An email address or phone
number that is replaced keeps the place, type and label of the one it replaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import vobject

from contacthub.vcard.fields import INVALID_CHARACTERS, is_plausible_email
from contacthub.vcard.lines import ContentLine, content_lines, read_line
from contacthub.vcard.parse import InvalidVCard

_LINE_OCTETS = 75
_PHYSICAL_LINE = re.compile(r"[^\n]*\n|[^\n]+$")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_ALLOWED_IN_NOTE = frozenset("\t\n\r")
_LABELS = "X-ABLABEL"  # iOS and macOS label a grouped value with it: item1.X-ABLabel:blog
_MULTI_VALUED = ("EMAIL", "TEL")


@dataclass(frozen=True)
class EditableFields:
    """What the edit form shows and changes; the rest of the card is left alone."""

    full_name: str = ""
    organization: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    note: str = ""


# --- reading ----------------------------------------------------------------------------------


def _first_text(card: Any, name: str) -> str:
    for prop in card.contents.get(name, []):
        value = prop.value[0] if isinstance(prop.value, list) and prop.value else prop.value
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _texts(card: Any, name: str) -> tuple[str, ...]:
    return tuple(
        prop.value.strip()
        for prop in card.contents.get(name, [])
        if isinstance(prop.value, str) and prop.value.strip()
    )


def editable_fields(text: str) -> EditableFields:
    """The fields of a stored card as the edit form shows them (InvalidVCard when the
    card cannot be read: one stored before cards were checked)."""
    try:
        card = vobject.readOne(text, validate=False)
    except Exception as error:  # vobject raises many kinds for bad input
        raise InvalidVCard(f"not a valid vCard: {error}") from None
    return EditableFields(
        full_name=_first_text(card, "fn"),
        organization=_first_text(card, "org"),
        emails=_texts(card, "email"),
        phones=_texts(card, "tel"),
        note=_first_text(card, "note"),
    )


def rebased(opened: EditableFields, mine: EditableFields, theirs: EditableFields) -> EditableFields:
    """My changes to the version I opened, applied to the version there is now: a field I
    did not change shows theirs, one I changed shows mine."""
    return EditableFields(
        **{
            name: getattr(mine if getattr(mine, name) != getattr(opened, name) else theirs, name)
            for name in EditableFields.__dataclass_fields__
        }
    )


# --- checking ---------------------------------------------------------------------------------


def _has_controls(value: str, allowed: Iterable[str] = ()) -> bool:
    allowed = frozenset(allowed)
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value)


def problems(fields: EditableFields) -> dict[str, str]:
    """What is wrong with the fields, in plain words, by field name; empty when nothing is."""
    found: dict[str, str] = {}
    if _has_controls(fields.full_name):
        found["full_name"] = INVALID_CHARACTERS
    elif not fields.full_name.strip():
        found["full_name"] = "Give the contact a name."
    if _has_controls(fields.organization):
        found["organization"] = INVALID_CHARACTERS
    if any(_has_controls(email) for email in fields.emails):
        found["emails"] = INVALID_CHARACTERS
    else:
        wrong = [email for email in fields.emails if not is_plausible_email(email)]
        if wrong:
            found["emails"] = (
                f"“{wrong[0]}” is not an email address: it should look like name@example.com."
            )
    if any(_has_controls(phone) for phone in fields.phones):
        found["phones"] = INVALID_CHARACTERS
    else:
        wrong = [phone for phone in fields.phones if not any(ch.isdigit() for ch in phone)]
        if wrong:
            found["phones"] = f"“{wrong[0]}” is not a phone number: it has no digits."
    if _has_controls(fields.note, _ALLOWED_IN_NOTE):
        found["note"] = INVALID_CHARACTERS
    return found


# --- the card as lines ------------------------------------------------------------------------


def _escape(value: str) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    for plain, escaped in (("\\", "\\\\"), (",", "\\,"), (";", "\\;"), ("\n", "\\n")):
        value = value.replace(plain, escaped)
    return value


def _fold(line: str) -> str:
    data = line.encode()
    parts: list[str] = []
    start, limit = 0, _LINE_OCTETS
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # inside a UTF-8 sequence
            end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, _LINE_OCTETS - 1  # a continuation line starts with a space
    return "\r\n ".join(parts)


class _Card:
    """The content lines of one card, and how new lines end (as the card's own do)."""

    def __init__(self, text: str) -> None:
        self.lines = content_lines(text)
        endings = [line.ending for line in self.lines if line.ending]
        self.newline = endings[-1] if endings else "\r\n"
        if self.lines and not self.lines[-1].ending:
            self.lines[-1] = read_line(self.lines[-1].raw + self.newline)

    def text(self) -> str:
        return "".join(line.raw for line in self.lines)

    def named(self, name: str) -> list[ContentLine]:
        return [line for line in self.lines if line.name == name]

    def new_line(self, prefix: str, escaped_value: str) -> ContentLine:
        return read_line(
            _fold(f"{prefix}:{escaped_value}").replace("\r\n", self.newline) + self.newline
        )

    def rewrite(self, line: ContentLine, escaped_value: str) -> None:
        """Give `line` a new value, keeping its group and parameters."""
        plain = not line.encoding and "CHARSET" not in line.params
        prefix = line.prefix if plain else _plain_prefix(line)
        self.lines[self.lines.index(line)] = self.new_line(prefix, escaped_value)

    def insert_after(self, anchor: ContentLine | None, new: ContentLine) -> None:
        """A new line after `anchor`, or before END:VCARD without one."""
        if anchor is not None:
            at = self.lines.index(anchor) + 1
        else:
            ends = [index for index, line in enumerate(self.lines) if line.name == "END"]
            at = ends[-1] if ends else len(self.lines)
        self.lines.insert(at, new)

    def remove(self, line: ContentLine) -> None:
        self.lines.remove(line)


def _plain_prefix(line: ContentLine) -> str:
    """The line's group, name and parameters, without its encoding or charset."""
    params = "".join(
        f";{key}"
        + ("=" if values else "")
        + ",".join(f'"{value}"' if re.search(r"[:;,]", value) else value for value in values)
        for key, values in line.params.items()
        if key not in ("ENCODING", "CHARSET") and key != line.encoding  # a bare 2.1 encoding
    )
    return f"{line.group + '.' if line.group else ''}{line.name}{params}"


# --- editing ----------------------------------------------------------------------------------


def _joined_name(components: list[str]) -> str:
    """An N value in reading order (prefix given additional family suffix)."""
    family, given, additional, prefix, suffix = (components + [""] * 5)[:5]
    return " ".join(
        part.strip() for part in (prefix, given, additional, family, suffix) if part.strip()
    )


def _split_name(full_name: str) -> str:
    """An N value (escaped) for a full name: the last word is the family name."""
    words = full_name.split()
    given, family = (" ".join(words[:-1]), words[-1]) if len(words) > 1 else (full_name, "")
    return ";".join(_escape(part) for part in (family, given, "", "", ""))


def _set_name(card: _Card, full_name: str) -> None:
    fn_lines = card.named("FN")
    if not fn_lines:
        card.insert_after(None, card.new_line("FN", _escape(full_name)))
        return
    old_name = fn_lines[0].value.strip()
    if old_name == full_name:
        return
    card.rewrite(fn_lines[0], _escape(full_name))
    # N is what iOS shows: follow the new name when N was only the old name in parts.
    for n_line in card.named("N")[:1]:
        if _joined_name(n_line.components) == old_name:
            card.rewrite(n_line, _split_name(full_name))


def _set_organization(card: _Card, organization: str) -> None:
    org_lines = card.named("ORG")
    if not org_lines:
        if organization:
            card.insert_after(None, card.new_line("ORG", _escape(organization)))
        return
    line = org_lines[0]
    parts = line.components
    if parts[0].strip() == organization:
        return
    if not organization:
        card.remove(line)
        return
    card.rewrite(line, ";".join(_escape(part) for part in [organization, *parts[1:]]))


def _set_note(card: _Card, note: str) -> None:
    note_lines = card.named("NOTE")
    if not note_lines:
        if note:
            card.insert_after(None, card.new_line("NOTE", _escape(note)))
        return
    if note_lines[0].value.strip() == note:
        return
    if note:
        card.rewrite(note_lines[0], _escape(note))
    else:
        card.remove(note_lines[0])


def _set_values(card: _Card, name: str, values: tuple[str, ...]) -> list[ContentLine]:
    """Make the card's `name` lines hold `values`; returns the lines it removed.

    A value that is still there keeps its line; a new value takes over the line of a
    removed one (its type and label), in order; what is left is added or removed."""
    old = card.named(name)
    kept: dict[str, ContentLine] = {}
    for line in old:
        if line.value.strip() in values:
            kept.setdefault(line.value.strip(), line)
    spare = [line for line in old if line not in kept.values()]
    present = set(kept)
    for value in values:
        if value in present:
            continue
        present.add(value)
        if spare:
            card.rewrite(spare.pop(0), _escape(value))
        else:
            after = card.named(name)  # a new value goes after the last one, even a new one
            card.insert_after(after[-1] if after else None, card.new_line(name, _escape(value)))
    for line in spare:
        card.remove(line)
    return spare


def _drop_orphan_labels(card: _Card, removed: list[ContentLine]) -> None:
    """A label whose grouped value was removed labels nothing any more."""
    for group in {line.group.upper() for line in removed if line.group}:
        members = [line for line in card.lines if (line.group or "").upper() == group]
        if all(line.name == _LABELS for line in members):
            for line in members:
                card.remove(line)


def edited(text: str, fields: EditableFields) -> str:
    """The card `text` with the fields set as given and every other line as it was."""
    card = _Card(text)
    _set_name(card, fields.full_name.strip())
    _set_organization(card, fields.organization.strip())
    removed: list[ContentLine] = []
    for name, values in zip(_MULTI_VALUED, (fields.emails, fields.phones), strict=True):
        removed += _set_values(card, name, _distinct(values))
    _set_note(card, fields.note.replace("\r\n", "\n").strip())
    _drop_orphan_labels(card, removed)
    return card.text()


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value.strip() for value in values if value.strip()))
