"""Write vCard 3.0 text from ContactFields, fast, without building a vobject tree.

Output: CRLF line endings, lines folded at 75 octets (never inside a UTF-8 sequence), values
escaped per RFC 2426/6350 (backslash, comma, semicolon, newline) in text, in each component of
N, ADR and ORG, and in each item of CATEGORIES. FN and N are always present (iOS, macOS and
DAVx5 need both). NICKNAME is written as one value with its commas escaped: vobject reads
NICKNAME as a single text and would keep only the first of several.

The round-trip tests parse every card with vobject and compare the values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from contacthub.vcard.fields import ContactFields

_EMAIL_TYPES = {"home": "INTERNET,HOME", "work": "INTERNET,WORK", "other": "INTERNET"}
_PHONE_TYPES = {
    "mobile": "CELL",
    "home": "HOME",
    "work": "WORK",
    "fax": "FAX",
    "pager": "PAGER",
    "other": "VOICE",
}
_ADDRESS_TYPES = {"home": ";TYPE=HOME", "work": ";TYPE=WORK", "other": ""}
_PROPERTY_NAME = re.compile(r"^X-[A-Za-z0-9-]+$")
# Control characters cannot be written: the CSV reader refuses them ("Invalid characters
# found") and other sources must strip them; tab is allowed.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_OCTETS = 75


def _escape(value: str) -> str:
    # Chained replaces beat str.translate and re.sub on the short strings of a contact.
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "," in value:
        value = value.replace(",", "\\,")
    if ";" in value:
        value = value.replace(";", "\\;")
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" in value:
        value = value.replace("\n", "\\n")
    return value


def fold(line: str) -> str:
    """`line` folded at 75 octets (RFC 6350 3.2), never inside a UTF-8 sequence."""
    if len(line) <= _LINE_OCTETS and line.isascii():
        return line
    data = line.encode()
    if len(data) <= _LINE_OCTETS:
        return line
    parts = []
    start, limit, size = 0, _LINE_OCTETS, len(data)
    while start < size:
        end = start + limit
        if end < size:
            while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its lead
                end -= 1
        parts.append(data[start:end].decode())
        start, limit = end, _LINE_OCTETS - 1  # continuation lines start with a space
    return "\r\n ".join(parts)


def _check_name(name: str) -> str:
    if not _PROPERTY_NAME.match(name):
        raise ValueError(f"{name!r} is not an X- property name (X- and letters, digits, -)")
    return name.upper()


def to_vcard(fields: ContactFields, uid: str, *, extra: Mapping[str, str] | None = None) -> str:
    """vCard 3.0 text of ``fields`` with ``uid``; ``extra`` adds X- properties (name → value).

    Raises ValueError when there is nothing to put in FN (see
    ContactFields.derived_full_name), for a bad X- property name, or for control characters.
    """
    full_name = fields.full_name or fields.derived_full_name()
    if not full_name:
        raise ValueError(
            "a vCard needs a full name (FN): the contact has no name, "
            "organisation, email address or phone number"
        )
    esc = _escape
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "UID:" + esc(uid),
        "FN:" + esc(full_name),
        f"N:{esc(fields.family)};{esc(fields.given)};{esc(fields.middle)};"
        f"{esc(fields.prefix)};{esc(fields.suffix)}",
    ]
    append = lines.append
    if fields.nickname:
        append("NICKNAME:" + esc(fields.nickname))
    for email in fields.emails:
        types = _EMAIL_TYPES[email.type] + (",PREF" if email.primary else "")
        append(f"EMAIL;TYPE={types}:{esc(email.value)}")
    for phone in fields.phones:
        types = _PHONE_TYPES[phone.type] + (",PREF" if phone.primary else "")
        append(f"TEL;TYPE={types}:{esc(phone.value)}")
    if fields.organisation or fields.department:
        org = esc(fields.organisation)
        append(f"ORG:{org};{esc(fields.department)}" if fields.department else "ORG:" + org)
    if fields.job_title:
        append("TITLE:" + esc(fields.job_title))
    for adr in fields.addresses:
        types = _ADDRESS_TYPES[adr.type]
        if adr.primary:
            types = f"{types},PREF" if types else ";TYPE=PREF"
        append(
            f"ADR{types}:{esc(adr.po_box)};{esc(adr.extended)};{esc(adr.street)};"
            f"{esc(adr.city)};{esc(adr.region)};{esc(adr.postal_code)};{esc(adr.country)}"
        )
    for website in fields.websites:
        append("URL:" + esc(website))
    if fields.birthday:
        append("BDAY:" + esc(fields.birthday))
    if fields.notes:
        append("NOTE:" + esc(fields.notes))
    if fields.categories:
        append("CATEGORIES:" + ",".join(map(esc, fields.categories)))
    for name, value in fields.custom.items():
        append(f"{_check_name(name)}:{esc(value)}")
    if extra:
        for name, value in extra.items():
            append(f"{_check_name(name)}:{esc(value)}")
    append("END:VCARD")
    text = "\r\n".join(map(fold, lines)) + "\r\n"
    bad = _CONTROL.search(text)
    if bad:
        raise ValueError(f"control character {bad.group()!r} in the contact's values")
    return text
