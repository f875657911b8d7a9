"""The fields of a merge's cards side by side, and the choices a merge starts from.

A field a person has several of (emails, phones, addresses, URLs, groups, other
multi-valued properties) offers each distinct value once, all chosen by default: the
merged card holds their union. Two phone numbers are one value when their E.164 forms
are equal (read in the account's phone region, normalize.py), two emails when their keys
are (case-blind, the domain IDNA-normalised); the value is shown, and written, as the most
recently edited card holding it writes it. A field of one value (the name, the organization,
the job title, the photo, the birthday, the note, and every other property, X- ones
included, per name) offers each card's value, and the default is the value of the card
edited most recently that has one, a person's edit before a run's (cards.py). The
organization and the job title are two fields: a CSV's company and an Exchange card's
title (without a company) both reach the merged card.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from contacthub.duplicates.cards import MemberCard
from contacthub.duplicates.normalize import email_key, phone_key
from contacthub.errors import Invalid
from contacthub.vcard.properties import MULTI_VALUED, Value, names_in_order

# The field made of several properties: the name (FN with N).
_GROUPED = {"FN": "name", "N": "name"}
_PROPERTIES = {"name": ("FN", "N")}
_KEYS = {
    "ORG": "organization",
    "TITLE": "title",
    "EMAIL": "emails",
    "TEL": "phones",
    "ADR": "addresses",
    "URL": "urls",
    "CATEGORIES": "groups",
    "PHOTO": "photo",
    "BDAY": "birthday",
    "NOTE": "note",
}
_LABELS = {
    "name": "Name",
    "organization": "Organization",
    "title": "Job title",
    "emails": "Emails",
    "phones": "Phones",
    "addresses": "Addresses",
    "urls": "Web addresses",
    "groups": "Groups",
    "photo": "Photo",
    "birthday": "Birthday",
    "note": "Note",
    "nickname": "Nickname",
    "role": "Role",
    "impp": "Instant messaging",
    "x-socialprofile": "Social profiles",
    "related": "Related people",
    "anniversary": "Anniversary",
    "x-anniversary": "Anniversary",
    "gender": "Gender",
    "x-gender": "Gender",
    "x-contacthub-messages": "Messages (mail)",
    "x-contacthub-last-contact": "Last contact (mail)",
    "x-contacthub-key": "Key (CSV)",
}
_CUSTOM_PREFIX = "x-"
_ORDER = ("name", "organization", "title", "emails", "phones", "addresses", "urls", "groups")

Kind = Literal["union", "single"]
MergeChoices = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class FieldValue:
    """One value a field offers: its id in a merge's choices, its text, the cards holding
    it (their positions in the preview's list)."""

    id: str
    text: str
    cards: tuple[int, ...]


@dataclass(frozen=True)
class FieldRow:
    key: str  # "emails", "name", "x-contacthub-messages"
    label: str
    kind: Kind
    properties: tuple[str, ...]
    values: list[FieldValue] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)  # the default choice


def field_key(name: str) -> str:
    return _GROUPED.get(name) or _KEYS.get(name) or name.lower()


def field_rows(cards: Sequence[MemberCard], region: str | None = None) -> list[FieldRow]:
    """Every field of every card (most recently edited first), with the default choice;
    phone numbers without a country code read in `region`."""
    keys: dict[str, list[str]] = {}
    for name in names_in_order(*(card.props for card in cards)):
        keys.setdefault(field_key(name), []).append(name)
    ordered = [key for key in _ORDER if key in keys] + sorted(k for k in keys if k not in _ORDER)
    rows = []
    for key in ordered:
        names = tuple(_PROPERTIES.get(key, keys[key]))
        if len(names) == 1 and names[0] in MULTI_VALUED:
            rows.append(_union_row(key, names[0], cards, region))
        else:
            rows.append(_single_row(key, names, cards))
    return rows


def _union_row(key: str, name: str, cards: Sequence[MemberCard], region: str | None) -> FieldRow:
    by_id: dict[str, FieldValue] = {}
    for index, card in enumerate(cards):
        for value in card.props.values(name):
            value_id = union_id(name, value, region)
            held = by_id.get(value_id)
            if held is None:
                by_id[value_id] = FieldValue(value_id, _text(value), (index,))
            elif index not in held.cards:
                by_id[value_id] = FieldValue(value_id, held.text, (*held.cards, index))
    values = list(by_id.values())
    return FieldRow(key, _label(key), "union", (name,), values, [v.id for v in values])


def _single_row(key: str, names: tuple[str, ...], cards: Sequence[MemberCard]) -> FieldRow:
    values: list[FieldValue] = []
    for index, card in enumerate(cards):
        shown = " / ".join(
            _text(v) for name in names for v in card.props.values(name) if name != "N"
        )
        if not shown and key == "name":
            shown = card.item.display_name
        if not any(card.props.values(name) for name in names):
            continue
        same = next((v for v in values if v.text == shown), None)
        if same is not None:
            values[values.index(same)] = FieldValue(same.id, same.text, (*same.cards, index))
        else:
            values.append(FieldValue(f"c{index}", shown, (index,)))
    return FieldRow(key, _label(key), "single", names, values, [values[0].id] if values else [])


def union_id(name: str, value: Value, region: str | None = None) -> str:
    return "v" + hashlib.sha1(f"{name}\0{same_key(value, region)}".encode()).hexdigest()[:10]


def same_key(value: Value, region: str | None) -> str:
    """What two values of a union share when they are one: a phone's E.164 form, an
    email's key, else what the cards' text shares (vcard/properties.value_key)."""
    line = value.line
    if line.name == "TEL":
        return phone_key(line.value.strip(), region) or value.key
    if line.name == "EMAIL":
        return email_key(line.value) or value.key
    return value.key


def _text(value: Value) -> str:
    line = value.line
    if line.name == "PHOTO":
        return f"a photo ({len(line.escaped) * 3 // 4 // 1024 or 1} KB)"
    if line.name in ("ADR", "N", "ORG"):
        return ", ".join(part for part in line.components if part.strip())
    return line.value.strip()


def _label(key: str) -> str:
    """Words for a field: a custom one (a CSV's "Shoe size" is X-SHOE-SIZE) by its name."""
    known = _LABELS.get(key)
    if known:
        return known
    if key.startswith(_CUSTOM_PREFIX) and len(key) > len(_CUSTOM_PREFIX):
        return key[len(_CUSTOM_PREFIX) :].replace("-", " ").capitalize()
    return key.upper()


def resolved(rows: Sequence[FieldRow], choices: MergeChoices | None) -> dict[str, list[str]]:
    """The chosen value ids per field: the defaults, with `choices` over them. Invalid
    names the field of an unknown field or value, or of a single field given two."""
    picks = {row.key: list(row.chosen) for row in rows}
    by_key = {row.key: row for row in rows}
    for key, ids in (choices or {}).items():
        row = by_key.get(key)
        if row is None:
            raise Invalid(f"The contacts have no field {key!r}.", field=f"choices.{key}")
        known = {value.id for value in row.values}
        unknown = [value_id for value_id in ids if value_id not in known]
        if unknown:
            raise Invalid(f"{row.label} has no value {unknown[0]!r}.", field=f"choices.{key}")
        if row.kind == "single" and len(ids) > 1:
            raise Invalid(f"Choose one value for {row.label}.", field=f"choices.{key}")
        if key == "name" and not ids:
            raise Invalid("Choose a name for the merged contact.", field="choices.name")
        picks[key] = list(dict.fromkeys(ids))
    return picks
