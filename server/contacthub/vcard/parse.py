"""vCards on the way in: validation and the values the store indexes.

Parsing happens once, when a card arrives; reads hand out the stored text.
"""

from __future__ import annotations

import re
from typing import Any

import vobject

from contacthub.errors import UserError
from contacthub.store import ContactIndex, ItemData
from contacthub.vcard.versions import V4, to_v3, version_of

# Media types a CardDAV client may send a vCard with (RFC 6350, and older clients).
VCARD_MEDIA_TYPES = ("text/vcard", "text/x-vcard", "text/directory")
# Control characters other than tab, CR and LF (the line ends and folding of RFC 6350):
# no value may hold them, whichever door a card comes in by and whichever store keeps it.
# The same set the sources strip from the cards they write (vcard/write.py, the Exchange
# mapping), so a card a source builds always passes.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class InvalidVCard(UserError):
    """A card that cannot be stored; the message says why in plain words."""


def _values(card: Any, name: str) -> list[str]:
    values: list[str] = []
    for prop in card.contents.get(name, []):
        value = prop.value
        # ORG (and CATEGORIES) parse into lists; each part is a value of its own,
        # as Radicale's text-match treats them.
        parts = value if isinstance(value, list) else [value]
        values.extend(str(part) for part in parts)
    return values


def _display_name(card: Any) -> str:
    for name in _values(card, "fn"):
        if name.strip():
            return name.strip()
    for prop in card.contents.get("n", []):
        n = prop.value
        # Without the prefix, as ContactFields.derived_full_name.
        joined = " ".join(_flat(p) for p in (n.given, n.additional, n.family, n.suffix) if p)
        if joined.strip():
            return joined.strip()
    # As iOS and macOS name a card without a name: its organization, email, phone.
    for name in ("org", "email", "tel"):
        found = next((value.strip() for value in _values(card, name) if value.strip()), "")
        if found:
            return found
    return ""


def _flat(part: Any) -> str:
    # vobject gives a component of N as a list when it held commas ("Anna,Maria").
    return " ".join(map(str, part)) if isinstance(part, list) else str(part)


def _extra_values(card: Any) -> tuple[str, ...]:
    """Nicknames, categories and the values of X- properties (custom fields), sorted."""
    names = [
        name
        for name in card.contents
        if name in ("nickname", "categories") or name.startswith("x-")
    ]
    return tuple(sorted(value for name in names for value in _values(card, name) if value))


def index_of(card: Any) -> ContactIndex:
    """The searchable values of a parsed vCard."""
    return ContactIndex(
        display_name=_display_name(card),
        fn=tuple(_values(card, "fn")),
        emails=tuple(_values(card, "email")),
        phones=tuple(_values(card, "tel")),
        orgs=tuple(_values(card, "org")),
        extra=_extra_values(card),
    )


def index_of_text(text: str, card: Any) -> ContactIndex:
    """The searchable values of `card`, parsed from `text`; a vCard 4.0 is indexed as its
    3.0 form (TEL:+1 555 rather than tel:+1-555, X-ADDRESSBOOKSERVER-KIND rather than
    KIND...), so the store finds and names a contact alike in either version."""
    if version_of(text) != V4:
        return index_of(card)
    return index_of(vobject.readOne(to_v3(text), validate=False))


def parse_one(text: str) -> Any:
    """Parse exactly one vCard with a UID and an FN, or say what is wrong with it."""
    _refuse_control_characters(text)
    try:
        components = list(vobject.readComponents(text, validate=False))
    except Exception as error:  # vobject raises many kinds for bad input
        raise InvalidVCard(f"not a valid vCard: {error}") from None
    if len(components) != 1:
        raise InvalidVCard(f"expected one vCard, found {len(components)} objects")
    card = components[0]
    if card.name != "VCARD":
        raise InvalidVCard(f"expected a vCard, found {card.name or 'no object'}")
    uid = _values(card, "uid")
    if not uid or not uid[0].strip():
        raise InvalidVCard("the vCard has no UID")
    if not any(name.strip() for name in _values(card, "fn")):
        raise InvalidVCard("the vCard has no FN (formatted name)")
    return card


def _refuse_control_characters(text: str) -> None:
    found = _CONTROL.search(text)
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    raise InvalidVCard(
        f"the vCard has a control character (U+{ord(found.group()):04X}) "
        f"on line {line}, column {column}",
        line=line,
        column=column,
    )


def item_data(text: str, card: Any | None = None) -> ItemData:
    """What the store keeps of a vCard: the text as given, plus its parsed index."""
    card = card if card is not None else parse_one(text)
    return ItemData(
        text=text,
        uid=_values(card, "uid")[0],
        name="VCARD",
        component_name="",  # what Radicale's find_tag says of a vCard
        index=index_of_text(text, card),
    )


def is_vcard_media_type(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() in VCARD_MEDIA_TYPES
