"""A stored vCard (2.1, 3.0 or 4.0) read back into ContactFields: what a CSV export writes.

The inverse of vcard/write.py for the values a CSV row holds: names, nickname, emails,
phones and addresses with their types and preference, organisation, department, job
title, websites, birthday, notes and categories. Photos, X- properties and the rest of
a card have no column in Google's or Outlook's CSV and are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from contacthub.vcard.fields import Address, ContactFields, Email, Phone
from contacthub.vcard.lines import ContentLine, content_lines, unescape
from contacthub.vcard.versions import V4, to_v3, version_of, without_quoted_printable

_LIST_SEPARATOR = re.compile(r"(?<!\\),")
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")
_APPLE_NO_YEAR = "1604"  # the year Apple writes for a birthday without one
_PHONE_KINDS = (
    ("FAX", "fax"),
    ("PAGER", "pager"),
    ("CELL", "mobile"),
    ("WORK", "work"),
    ("HOME", "home"),
)


def contact_fields(text: str) -> ContactFields:
    """The values of the card `text`, in the shapes a CSV row is read into."""
    card = to_v3(text) if version_of(text) == V4 else without_quoted_printable(text)
    fields = ContactFields()
    for line in content_lines(card):
        _read_into(fields, line)
    return fields


def _read_into(fields: ContactFields, line: ContentLine) -> None:
    name = line.name
    if name == "FN" and not fields.full_name:
        fields.full_name = line.value.strip()
    elif name == "N":
        parts = [*line.components, "", "", "", "", ""]
        fields.family, fields.given, fields.middle, fields.prefix, fields.suffix = (
            part.strip() for part in parts[:5]
        )
    elif name == "NICKNAME" and not fields.nickname:
        fields.nickname = line.value.strip()
    elif name == "EMAIL" and line.value.strip():
        types = _types(line)
        fields.emails.append(Email(line.value.strip(), _place(types), "PREF" in types))
    elif name == "TEL" and line.value.strip():
        types = _types(line)
        kind = next((kind for type_, kind in _PHONE_KINDS if type_ in types), "other")
        fields.phones.append(Phone(line.value.strip(), kind, "PREF" in types))
    elif name == "ORG" and not fields.organisation:
        organisation, *units = line.components
        fields.organisation = organisation.strip()
        fields.department = " ".join(unit.strip() for unit in units if unit.strip())
    elif name == "TITLE" and not fields.job_title:
        fields.job_title = line.value.strip()
    elif name == "ADR":
        address = _address(line)
        if address is not None:
            fields.addresses.append(address)
    elif name == "URL" and line.value.strip():
        fields.websites.append(line.value.strip())
    elif name == "BDAY" and not fields.birthday:
        fields.birthday = _birthday(line.value.strip())
    elif name == "NOTE" and not fields.notes:
        fields.notes = line.value.strip()
    elif name == "CATEGORIES":
        for category in _list(line.escaped):
            if category not in fields.categories:
                fields.categories.append(category)


def _types(line: ContentLine) -> frozenset[str]:
    """TYPE=WORK,PREF and 2.1's bare WORK;PREF alike, in upper case."""
    named = (
        part.strip().upper()
        for value in line.params.get("TYPE", ())
        for part in value.split(",")
        if part.strip()
    )
    bare = (key for key, values in line.params.items() if not values)
    types = frozenset([*named, *bare])
    return types | {"PREF"} if line.params.get("PREF") == ("1",) else types


def _place(types: Iterable[str]) -> str:
    """home, work or other, as the CSV fields name the type of an email or address."""
    found = frozenset(types)
    return "work" if "WORK" in found else "home" if "HOME" in found else "other"


def _address(line: ContentLine) -> Address | None:
    parts = [part.strip() for part in line.components] + [""] * 7
    po_box, extended, street, city, region, postal_code, country = parts[:7]
    if not any(parts):
        return None
    types = _types(line)
    return Address(
        _place(types),
        street=street,
        city=city,
        region=region,
        postal_code=postal_code,
        country=country,
        po_box=po_box,
        extended=extended,
        primary="PREF" in types,
    )


def _birthday(value: str) -> str:
    """YYYY-MM-DD, or --MM-DD without a year (Apple's year 1604 too); else as written."""
    if found := _DATE.match(value):
        year, month, day = found.groups()
        return f"--{month}-{day}" if year == _APPLE_NO_YEAR else f"{year}-{month}-{day}"
    if found := _NO_YEAR.match(value):
        return f"--{found.group(1)}-{found.group(2)}"
    return value


def _list(escaped: str) -> list[str]:
    return [text for part in _LIST_SEPARATOR.split(escaped) if (text := unescape(part).strip())]
