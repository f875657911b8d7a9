"""A .vcf file as records of the reconciler: one card or thousands, as phones, Google,
Outlook and Apple export them (vCard 2.1, 3.0 and 4.0; quoted-printable, folded lines,
photos).

A card is kept as it came, with two exceptions: a 2.1 card (or an old 3.0 one with
quoted-printable values) comes in as 3.0 (`without_quoted_printable`), and a card without
a UID or an FN gets one, written as a line of its own after VERSION. A card that cannot be
read is a problem with its position (the card's number and the line it starts on) and its
reason; the others come in. A file without a single BEGIN:VCARD is not a vCard file at
all, and is refused whole (NotVCardFile).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import vobject

from contacthub.errors import Invalid, UserError
from contacthub.reconcile import Incoming, Problem
from contacthub.store import ItemData
from contacthub.vcard.parse import index_of, item_data
from contacthub.vcard.versions import without_quoted_printable

_BEGIN = re.compile(r"^begin:vcard\s*$", re.IGNORECASE)
_END = re.compile(r"^end:vcard\s*$", re.IGNORECASE)
_HAS_CARD = re.compile(r"^begin:vcard\s*$", re.IGNORECASE | re.MULTILINE)
_VERSION_LINE = re.compile(r"^VERSION:[^\r\n]*\r?\n", re.IGNORECASE | re.MULTILINE)
_BEGIN_LINE = re.compile(r"^BEGIN:VCARD[ \t]*\r?\n", re.IGNORECASE)
# A property with a value (not only spaces), and one without (its line removed).
_FILLED = r"^(?:[A-Za-z0-9-]+\.)?{name}(?:;[^:\r\n]*)?:[ \t]*[^ \t\r\n]"
_EMPTY = r"^(?:[A-Za-z0-9-]+\.)?{name}(?:;[^:\r\n]*)?:[ \t]*\r?\n(?![ \t])"
_UID = re.compile(_FILLED.format(name="UID"), re.IGNORECASE | re.MULTILINE)
_FN = re.compile(_FILLED.format(name="FN"), re.IGNORECASE | re.MULTILINE)
_EMPTY_UID = re.compile(_EMPTY.format(name="UID"), re.IGNORECASE | re.MULTILINE)
_EMPTY_FN = re.compile(_EMPTY.format(name="FN"), re.IGNORECASE | re.MULTILINE)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class NotVCardFile(Invalid):
    """A file that holds no vCard at all: nothing of it is imported."""


def decoded(content: bytes) -> str:
    """The file's text: UTF-8 (with or without a BOM), UTF-16 with a BOM, else Windows'
    cp1252 (Outlook writes a .vcf in the system's code page)."""
    if content.startswith(_UTF16_BOMS):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def check_is_vcard(text: str) -> None:
    if _HAS_CARD.search(text) is None:
        raise NotVCardFile(
            "The file is not a vCard file: it holds no BEGIN:VCARD line. "
            "Export the contacts as vCard (.vcf), or import a CSV file instead.",
            field="file",
        )


def split_cards(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each BEGIN:VCARD...END:VCARD block, as sent."""
    start: int | None = None
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.rstrip("\r\n")
        if start is None:
            if _BEGIN.match(stripped):
                start, lines = number, [line]
            continue
        if _BEGIN.match(stripped):  # the card before had no END: it is cut here
            yield start, "".join(lines)
            start, lines = number, [line]
            continue
        lines.append(line)
        if _END.match(stripped):
            yield start, "".join(lines)
            start = None
    if start is not None:
        yield start, "".join(lines)  # unterminated: the parser will say so


@dataclass(frozen=True)
class ReadCard:
    """One card of the file, ready for the store: its text (UID and FN filled in) and index;
    `had_uid` says whether the file gave it its UID."""

    data: ItemData
    had_uid: bool


def read_card(text: str, make_uid: Callable[[str], str]) -> ReadCard:
    """One card of a file, checked as the store checks any card (InvalidVCard, or any
    error of vobject's reading, when it cannot be kept). `make_uid(text)` names a card
    without a UID."""
    text = without_quoted_printable(text)
    had_uid = _UID.search(text) is not None
    if not had_uid:
        text = _with_line(_EMPTY_UID.sub("", text), f"UID:{make_uid(text)}")
    if _FN.search(text) is None:
        # No FN, or an empty one: the name a phone shows takes its place.
        text = _with_line(_EMPTY_FN.sub("", text), f"FN:{_escaped(_derived_name(text))}")
    return ReadCard(item_data(text), had_uid)


def _derived_name(text: str) -> str:
    """The name iOS and macOS show for a card without FN: from N, else ORG, email, phone
    (vcard/parse.py `_display_name`, as the phone push names such a card)."""
    card = vobject.readOne(text, validate=False)
    name = index_of(card).display_name
    if not name:
        raise UserError("the card has no name, organization, email address or phone number")
    return name


def _with_line(text: str, line: str) -> str:
    """`text` with `line` after its VERSION line (else after BEGIN), in the card's line end."""
    ending = "\r\n" if "\r\n" in text else "\n"
    anchor = _VERSION_LINE.search(text) or _BEGIN_LINE.match(text)
    at = anchor.end() if anchor is not None else 0
    return text[:at] + line + ending + text[at:]


def _escaped(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def digest(text: str) -> str:
    return hashlib.sha256(text.replace("\r\n", "\n").strip().encode()).hexdigest()


def read_file(
    text: str, known: dict[str, str] | None = None
) -> tuple[list[Incoming], list[Problem]]:
    """The file's cards as records, keyed for re-imports of the same file (and of a later
    export of the same book): a card's UID, or for a card without one a key of who it is
    (name, first email, first phone), which a changed note or photo keeps; two such cards of
    one file naming the same person are told apart by their text.

    A record's hash is of the card as the file has it: `known` (record hash -> key, of the
    source's links) spares a card that is unchanged since the last import from being read
    at all, so the same file again costs little more than its reading."""
    known = known or {}
    records: list[Incoming] = []
    problems: list[Problem] = []
    identities: set[str] = set()
    for position, (line, card_text) in enumerate(split_cards(text), start=1):
        record_hash = digest(card_text)
        unchanged = known.get(record_hash)
        if unchanged is not None and unchanged not in identities:
            identities.add(unchanged)
            records.append(Incoming(unchanged, "", None, record_hash, line=line))
            continue
        try:
            card = read_card(card_text, _placeholder_uid)
        except Exception as error:  # any unreadable card is reported, never fatal
            reason, offset = _reason(error, card_text)
            problems.append(
                Problem(f"card {position} (from line {line}): {reason}", line=line + offset)
            )
            continue
        data = card.data
        if card.had_uid:
            key = data.uid
        else:
            key = "identity:" + _identity(data)
            if key in identities:
                key = "text:" + digest(card_text)[:32]
            identities.add(key)
            data = _with_uid(data, "vcf-" + hashlib.sha256(key.encode()).hexdigest()[:32])
        records.append(
            Incoming(
                key=key,
                uid=data.uid,
                make_card=_card_maker(data),
                record_hash=record_hash,
                line=line,
                summary=data.index.display_name,
            )
        )
    return records, problems


_PLACEHOLDER = "contacthub-vcf-placeholder-uid"


def _placeholder_uid(_text: str) -> str:
    # The key (and so the UID) of a card without one needs its index: a placeholder
    # holds the place until the card is read, then `_with_uid` writes the real one.
    return _PLACEHOLDER


def _with_uid(data: ItemData, uid: str) -> ItemData:
    return ItemData(
        text=data.text.replace(f"UID:{_PLACEHOLDER}", f"UID:{uid}", 1),
        uid=uid,
        name=data.name,
        component_name=data.component_name,
        index=data.index,
    )


def _identity(data: ItemData) -> str:
    index = data.index
    email = index.emails[0].strip().lower() if index.emails else ""
    phone = re.sub(r"\D", "", index.phones[0]) if index.phones else ""
    return digest("\n".join((index.display_name.casefold(), email, phone)))[:32]


def _card_maker(data: ItemData) -> Callable[[str], ItemData]:
    def make(uid: str) -> ItemData:
        if uid == data.uid:
            return data
        # An update of a contact whose card has another UID keeps that UID.
        return item_data(_replaced_uid(data.text, uid))

    return make


def _replaced_uid(text: str, uid: str) -> str:
    return re.sub(
        r"^((?:[A-Za-z0-9-]+\.)?UID)(;[^:\r\n]*)?:[^\r\n]*(\r?\n(?:[ \t][^\r\n]*\r?\n)*)",
        lambda found: f"{found.group(1)}:{uid}" + ("\r\n" if "\r\n" in text else "\n"),
        text,
        count=1,
        flags=re.IGNORECASE | re.MULTILINE,
    )


_VOBJECT_LINE = re.compile(r"^At line \d+: ")
_BAD_LINE = re.compile(r"Failed to parse line: (.*)$", re.DOTALL)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _reason(error: Exception, card_text: str) -> tuple[str, int]:
    """Why the card cannot be read, in words, and the line of the card at fault (0: its
    first): vobject counts lines its own way, so the line is found in the card's text."""
    message = error.message if isinstance(error, UserError) else str(error)
    message = _VOBJECT_LINE.sub("", message.removeprefix("not a valid vCard: ")).rstrip(".")
    lines = card_text.splitlines()
    bad = _BAD_LINE.search(message)
    if bad is not None:
        wanted = bad.group(1).strip()
        found = next((n for n, text in enumerate(lines) if text.strip() == wanted), 0)
        return f"line {found + 1} of the card cannot be read: {wanted}", found
    control = next((n for n, text in enumerate(lines) if _CONTROL.search(text)), None)
    if control is not None:
        return "the card has a control character", control
    return (message[:1].lower() + message[1:] if message else "not a valid vCard"), 0
