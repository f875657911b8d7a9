"""Realistic vCards for the client tests: varied names, several emails and phones,
non-ASCII text, and now and then a PHOTO, folded as RFC 6350 asks (75 octets).

Everything is deterministic for a given seed, so a failing run can be replayed.
"""

from __future__ import annotations

import base64
import random
import struct
import unicodedata
import zlib
from collections.abc import Iterable

import vobject

from tests.support.vcards import escape, fold

GIVEN = [
    "Anna",
    "Bruno",
    "Chloé",
    "Dmitri",
    "Éloïse",
    "Fatima",
    "Günther",
    "Hiroshi",
    "Inès",
    "Jürgen",
    "Kateřina",
    "Łukasz",
    "María José",
    "Nguyễn",
    "Olúwadámiláre",
    "Pål",
    "Quentin",
    "Rósa",
    "Søren",
    "Tomás",
    "Uxía",
    "Văn",
    "Wojciech",
    "Xiadani",
    "Yusuf",
    "Zoë",
    "伟",
    "さくら",
    "Αλέξανδρος",
    "Юлия",
    "Ana-Lucía",
    "Jean-Pierre",
    "O'Neil",
]
FAMILY = [
    "Andersson",
    "Bianchi",
    "Čapek",
    "Dubois",
    "Eriksen",
    "Fernández",
    "García Márquez",
    "Håkansson",
    "Ivanova",
    "Jørgensen",
    "Kowalski",
    "Lefèvre",
    "Müller",
    "Núñez",
    "O'Brien",
    "Papadopoulos",
    "Quiñones",
    "Rossi",
    "Schröder",
    "Tanaka",
    "Újvári",
    "van der Berg",
    "Wiśniewski",
    "Xu",
    "Yılmaz",
    "Zapata",
    "王",
    "山田",
    "Κωνσταντίνου",
    "Смирнов",
]
ORGS = [
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella GmbH",
    "Société Générale d'Électricité",
    "Müller & Söhne KG",
    "東京海上",
    "Ørsted A/S",
    "",
    "",
    "",
]
TITLES = ["Engineer", "Directrice financière", "Head of Sales", "Arzt", "", ""]
DOMAINS = ["example.com", "example.org", "mail.example.net", "exämple.de", "corp.example"]
CITIES = [
    ("Paris", "75011", "France"),
    ("München", "80331", "Deutschland"),
    ("Kraków", "30-001", "Polska"),
    ("São Paulo", "01310-100", "Brasil"),
    ("Reykjavík", "101", "Ísland"),
    ("Springfield", "62701", "USA"),
]


def _ascii(text: str) -> str:
    """An email-safe local part: accents dropped, other scripts left out."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ł", "l").replace("ø", "o"))
    out = "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum())
    return out or "contact"


def tiny_png(seed: int) -> bytes:
    """A valid 8x8 RGB PNG whose colour depends on *seed*."""
    rng = random.Random(seed)
    colour = bytes(rng.randrange(256) for _ in range(3))
    raw = b"".join(b"\x00" + colour * 8 for _ in range(8))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def make_card(index: int, seed: int = 0, revision: int = 0, uid: str | None = None) -> str:
    """Build vCard number *index* (UID stable across revisions) as CRLF text."""
    rng = random.Random(seed * 1_000_003 + index)
    given = rng.choice(GIVEN)
    family = rng.choice(FAMILY)
    uid = uid or f"contacthub-test-{seed}-{index:05d}@clients.example"
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"UID:{uid}",
        f"N:{escape(family)};{escape(given)};;;",
        f"FN:{escape(given)} {escape(family)}",
    ]
    org = rng.choice(ORGS)
    if org:
        lines.append(f"ORG:{escape(org)}")
        title = rng.choice(TITLES)
        if title:
            lines.append(f"TITLE:{escape(title)}")
    local = f"{_ascii(given)}.{_ascii(family)}"
    for number in range(rng.randint(1, 3)):
        kind = ["WORK", "HOME", "OTHER"][number]
        pref = ",PREF" if number == 0 else ""
        suffix = "" if number == 0 else str(number + 1)
        domain = rng.choice(DOMAINS)
        lines.append(f"EMAIL;TYPE=INTERNET,{kind}{pref}:{local}{suffix}.{index}@{domain}")
    for number in range(rng.randint(1, 3)):
        kind = ["CELL", "WORK", "HOME"][number]
        digits = "".join(str(rng.randrange(10)) for _ in range(8))
        lines.append(f"TEL;TYPE={kind}:+{rng.randint(1, 99)} {digits[:4]} {digits[4:]}")
    if rng.random() < 0.5:
        city, code, country = rng.choice(CITIES)
        street = f"{rng.randint(1, 200)} {rng.choice(['Rue de la Paix', 'Hauptstraße', 'Main St'])}"
        lines.append(
            f"ADR;TYPE=HOME:;;{escape(street)};{escape(city)};;{escape(code)};{escape(country)}"
        )
    if rng.random() < 0.3:
        year, month, day = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        lines.append(f"BDAY:{year}-{month:02d}-{day:02d}")
    if rng.random() < 0.25:
        lines.append(f"NOTE:{escape(f'Met at conference, {given}; likes tea, not coffee.')}")
    if index % 7 == 0:
        photo = base64.b64encode(tiny_png(seed * 7919 + index)).decode("ascii")
        lines.append(f"PHOTO;ENCODING=b;TYPE=PNG:{photo}")
    if revision:
        lines.append(f"NOTE:revision {revision}")
        lines.append(f"CATEGORIES:edited,rev{revision}")
    lines.append("END:VCARD")
    return "".join(fold(line) + "\r\n" for line in lines)


def uid_of(text: str) -> str:
    card = vobject.readOne(text)
    return str(card.uid.value)


def canonical(text: str) -> tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...], str], ...]:
    """A comparable form of a vCard: its properties with parameters and values, sorted.

    Independent of folding, line endings, property order and parameter case, so a
    card re-serialised by a server still compares equal to what was sent.
    """
    card = vobject.readOne(text)
    props: list[tuple[str, tuple[tuple[str, tuple[str, ...]], ...], str]] = []
    for line in card.getChildren():
        params = tuple(
            sorted(
                (key.upper(), tuple(sorted(v.upper() for v in values)))
                for key, values in line.params.items()
            )
        )
        value = line.value
        if isinstance(value, bytes):
            rendered = base64.b64encode(value).decode("ascii")
        elif hasattr(value, "__dict__"):  # vobject's Name and Address: compare field by field
            rendered = repr(sorted(vars(value).items()))
        else:
            rendered = str(value)
        props.append((line.name.upper(), params, rendered))
    return tuple(sorted(props))


def make_cards(count: int, seed: int = 0, start: int = 0) -> Iterable[str]:
    for index in range(start, start + count):
        yield make_card(index, seed=seed)
