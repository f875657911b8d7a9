"""vCards for the tests: a generator for simple cards and realistic client cards.

Cards use CRLF line endings and 75-octet folding like real clients, so that a
server that re-serializes instead of keeping the client's bytes is noticed.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterable

CRLF = "\r\n"


def fold(line: str, limit: int = 75, eol: str = CRLF) -> str:
    """Fold one content line at *limit* octets (RFC 6350 3.2), never inside a character."""
    out: list[str] = []
    current = ""
    current_len = 0
    for ch in line:
        size = len(ch.encode("utf-8"))
        budget = limit if not out else limit - 1  # continuation lines start with a space
        if current_len + size > budget:
            out.append(current)
            current, current_len = "", 0
        current += ch
        current_len += size
    out.append(current)
    return (eol + " ").join(out)


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


def make_card(
    uid: str | None = None,
    fn: str | None = "Test Person",
    *,
    emails: Iterable[str] = (),
    tels: Iterable[str] = (),
    org: str | None = None,
    extra: Iterable[str] = (),
    version: str = "3.0",
    eol: str = CRLF,
) -> str:
    """A vCard; ``uid=None``/``fn=None`` leave the property out (for bad-input tests)."""
    lines = ["BEGIN:VCARD", f"VERSION:{version}", "PRODID:-//contacthub tests//EN"]
    if uid is not None:
        lines.append(f"UID:{uid}")
    if fn is not None:
        parts = fn.split(" ", 1)
        family = parts[1] if len(parts) > 1 else ""
        lines.append(f"N:{escape(family)};{escape(parts[0])};;;")
        lines.append(f"FN:{escape(fn)}")
    for email in emails:
        lines.append(f"EMAIL;TYPE=INTERNET:{email}")
    for tel in tels:
        lines.append(f"TEL;TYPE=CELL:{tel}")
    if org is not None:
        lines.append(f"ORG:{escape(org)}")
    lines.extend(extra)
    lines.append("END:VCARD")
    return eol.join(fold(line, eol=eol) for line in lines) + eol


def new_uid() -> str:
    return str(uuid.uuid4()).upper()


def _photo_bytes(size: int = 1800) -> bytes:
    """Deterministic bytes shaped like a small JPEG (SOI ... EOI)."""
    body = b""
    seed = b"contacthub"
    while len(body) < size:
        seed = hashlib.sha256(seed).digest()
        body += seed
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + body[:size] + b"\xff\xd9"


PHOTO_FORMS = ("3.0", "4.0")


def big_photo_card(uid: str, photo: bytes, version: str = "3.0", fn: str = "Big Photo") -> str:
    """A card whose PHOTO holds *photo* in base64, folded at 75 octets as clients do:
    vCard 3.0 as ``PHOTO;ENCODING=b;TYPE=JPEG:``, 4.0 as a ``data:`` URI."""
    data = base64.b64encode(photo).decode("ascii")
    if version == "4.0":
        photo_line = "PHOTO:data:image/jpeg;base64," + data
    else:
        photo_line = "PHOTO;ENCODING=b;TYPE=JPEG:" + data
    lines = [
        "BEGIN:VCARD",
        f"VERSION:{version}",
        "PRODID:-//contacthub tests//EN",
        f"UID:{uid}",
        f"N:Photo;{escape(fn)};;;",
        f"FN:{escape(fn)}",
        f"EMAIL;TYPE=INTERNET:{uid.lower()}@photo.example",
        photo_line,
        "END:VCARD",
    ]
    return CRLF.join(_fold_ascii(line) for line in lines) + CRLF


def _fold_ascii(line: str, limit: int = 75) -> str:
    """`fold` for a line of ASCII, in linear time (one character is one octet)."""
    if not line.isascii():
        return fold(line, limit)
    parts = [line[:limit]] + [line[i : i + limit - 1] for i in range(limit, len(line), limit - 1)]
    return (CRLF + " ").join(parts)


PERSON_UID = "4A3C2B1D-8E7F-4A6B-9C0D-1E2F3A4B5C6D"
MEMBER_UIDS = ("5C3E2F2A-1B4D-4C6E-8F9A-0B1C2D3E4F50", "6D4F3A3B-2C5E-4D7F-9A0B-1C2D3E4F5061")


def apple_person_card() -> str:
    """An iPhone contact: grouped items, X-AB labels, PHOTO with Apple crop parameters,
    BDAY without a year (X-APPLE-OMIT-YEAR), non-ASCII text across folded lines."""
    photo = base64.b64encode(_photo_bytes()).decode("ascii")
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Apple Inc.//iPhone OS 17.4.1//EN",
        "N:Ångström;Zoë;Marie;Dr.;",
        "FN:Dr. Zoë Marie Ångström",
        "ORG:Fjord Instruments AB;Research & Development",
        "TITLE:Principal Engineer",
        "EMAIL;type=INTERNET;type=WORK;type=pref:zoe.angstrom@fjord.example",
        "item1.EMAIL;type=INTERNET:zoe@home.example",
        "item1.X-ABLabel:_$!<Other>!$_",
        "TEL;type=CELL;type=VOICE;type=pref:+46 70 123 45 67",
        "TEL;type=WORK;type=VOICE:+46 18 471 00 00",
        "item2.ADR;type=HOME;type=pref:;;Storgatan 1;Uppsala;;753 20;Sweden",
        "item2.X-ABADR:se",
        "item3.URL;type=pref:https://fjord.example/~zoe",
        "item3.X-ABLabel:_$!<HomePage>!$_",
        "BDAY;X-APPLE-OMIT-YEAR=1604:1604-03-15",
        "X-SOCIALPROFILE;type=mastodon;x-user=zoe:https://social.example/@zoe",
        "X-PHONETIC-FIRST-NAME:Zo-eh",
        "NOTE:Met at the Uppsala meetup\\, spring 2023.\\nPrefers Signal; "
        + "speaks svenska\\, English and 日本語 — fluently.",
        "PHOTO;ENCODING=b;TYPE=JPEG;X-ABCROP-RECTANGLE=ABClipRect_1&0&0&64&64&"
        + "3bvo9LiaFuzqk4ARqVNzjg==:"
        + photo,
        "X-ABUID:" + PERSON_UID + ":ABPerson",
        "REV:2024-03-15T10:22:31Z",
        "UID:" + PERSON_UID,
        "END:VCARD",
    ]
    return CRLF.join(fold(line) for line in lines) + CRLF


def apple_group_card() -> str:
    """A macOS/iOS group: a vCard 3.0 with X-ADDRESSBOOKSERVER-KIND/MEMBER."""
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Apple Inc.//Mac OS X 14.4//EN",
        "N:Book Club",
        "FN:Book Club",
        "X-ADDRESSBOOKSERVER-KIND:group",
        *(f"X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:{m}" for m in MEMBER_UIDS),
        "REV:2024-03-15T10:22:31Z",
        "UID:0F1E2D3C-4B5A-4968-8776-A5B4C3D2E1F0",
        "END:VCARD",
    ]
    return CRLF.join(lines) + CRLF


def odd_but_valid_card() -> str:
    """Valid vCard 3.0 a re-serializer would rewrite: lower-case names, unusual
    parameter quoting, custom X- properties, a fold next to multi-byte characters."""
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "UID:urn:uuid:7b0e9d2c-3f55-4c4b-a0f5-5f1f0c0b2a10",
        "fn:Ruth O'Neil-Smith",
        "n:O'Neil-Smith;Ruth;;;",
        'EMAIL;TYPE="INTERNET,HOME";X-CUSTOM=x:ruth@oneil.example',
        "TEL;TYPE=home,voice:(555) 010-2030",
        "X-DAVX5-COLOR:#ff8800",
        "X-EVOLUTION-FILE-AS:O'Neil-Smith\\, Ruth",
        "X-MS-IMADDRESS:ruth@im.example",
        "CATEGORIES:friends,book club,Ünïcödé",
        "NOTE:"
        + "A long note that has to be folded because it is far longer than "
        + "seventy-five octets, with ümlauts and emoji 🎉 near the fold boundary.",
        "END:VCARD",
    ]
    return CRLF.join(fold(line) for line in lines) + CRLF


def lf_card() -> str:
    """A card with bare LF line endings (some scripts send those)."""
    return make_card(new_uid(), "Lena Linefeed", emails=["lena@lf.example"], eol="\n")


REALISTIC_CARDS = {
    "apple-person": apple_person_card,
    "apple-group": apple_group_card,
    "odd-but-valid": odd_but_valid_card,
    "lf-line-endings": lf_card,
}


def event(uid: str, summary: str, start: str, end: str) -> str:
    """A minimal iCalendar VEVENT (times in UTC basic format, e.g. 20250101T100000Z)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//contacthub tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20250101T000000Z",
        f"DTSTART:{start}",
        f"DTEND:{end}",
        f"SUMMARY:{summary}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return CRLF.join(lines) + CRLF
