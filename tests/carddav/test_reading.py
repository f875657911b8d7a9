"""Radicale reads a card the guard parsed from that parse, and only when its own reading
would build the same card: the card is parsed once per PUT, and stored as before."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import radicale.item
import vobject.base
from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from contacthub import config
from contacthub.carddav.app import make_carddav_app
from contacthub.store import Store
from contacthub.users import UsersFile
from contacthub.vcard.parse import InvalidVCard, parse_one
from contacthub_radicale import reading
from tests.support.stores import new_sqlite_store
from tests.support.vcards import REALISTIC_CARDS, big_photo_card, new_uid

ALICE = ("alice", "alice-password")
BOOK = "/alice/contacts/"


def shape(component: Any) -> Any:
    """What a parsed card holds, child by child (vobject's line numbers aside)."""
    if not isinstance(component, vobject.base.Component):
        return (
            component.name,
            component.group,
            sorted(component.params.items()),
            component.singletonparams,
            component.value,
            component.encoded,
            component.behavior,
        )
    return (
        component.name,
        component.behavior,
        component.useBegin,
        [shape(child) for child in component.getChildren()],
    )


# Lines that make a reader take each of its ways: blank and white lines, indents, soft
# breaks of quoted-printable, the repairs Radicale makes (InfCloud's photo, TZID).
LINES = [
    "EMAIL:a@b.example",
    "NOTE:x",
    "NOTE;ENCODING=QUOTED-PRINTABLE:a=",
    "NOTE;QUOTED-PRINTABLE:b=",
    "c=",
    "X-A:b",
    "X-TZID:Europe/Berlin ",
    "TZNAME:CET ",
    "X-A;TZID=Europe/Berlin :b",
    "X-TZIDS:b",
    "PHOTO;ENCODING=b;TYPE=JPEG:data:image/jpeg;base64,QUJD",
    "PHOTO;ENCODING=b;TYPE=JPEG:QUJD",
    "PHOTO:data:image/jpeg;base64,QUJD",
    "",
    " ",
    "\t",
    "  ",
    " \t",
    " \u3000",
    "\u3000",
    " folded",
    "\tfolded",
    "N:Doe;Ann;;;",
    "ORG:Acme\\, Inc.;Sales",
]
ENDS = ["\r\n", "\n", "\r"]
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ann\r\n{}END:VCARD\r\n"


@st.composite
def cards(draw: st.DrawFn) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", "UID:u1", "FN:Ann"]
    lines[2:2] = draw(st.lists(st.sampled_from(LINES), max_size=6))
    lines.append("END:VCARD")
    ends = draw(st.lists(st.sampled_from(ENDS), min_size=len(lines), max_size=len(lines)))
    lead = draw(st.sampled_from(["", " ", "\r\n"]))
    return lead + "".join(line + end for line, end in zip(lines, ends, strict=True))


@settings(max_examples=400, deadline=None)
@given(cards())
@example(CARD.format(""))
@example(CARD.format("X-A;TZID=Europe/Berlin :b\r\n"))
@example(CARD.format("TZNAME:CET \r\n"))
@example(CARD.format("X-TZID:Europe/Berlin \r\n"))
@example(CARD.format("PHOTO;ENCODING=b;TYPE=JPEG:data:image/jpeg;base64,QUJD\r\n"))
@example(CARD.format("NOTE:x\r\n \u3000\r\n"))
@example(CARD.format("NOTE;QUOTED-PRINTABLE:b=\r\nX-A:c\r\n"))
@example(CARD.format("NOTE:a\rX-A:b\r\n"))
def test_a_card_that_reads_alike_is_what_radicale_reads(text: str) -> None:
    try:
        ours = parse_one(text)
    except InvalidVCard:
        return  # the guard refuses it; Radicale never reads it
    if reading.reads_alike(text):
        [theirs] = reading._radicale_read_components(text)
        assert shape(theirs) == shape(ours)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(big_photo_card(new_uid(), os.urandom(30_000), "3.0"), id="photo-3.0"),
        pytest.param(big_photo_card(new_uid(), os.urandom(30_000), "4.0"), id="photo-4.0"),
        # Photo data may spell any word of letters, such as the names Radicale repairs.
        pytest.param(
            big_photo_card(new_uid(), base64.b64decode("TZIDTZNAMEQUOTED" * 2000), "3.0"),
            id="photo-spelling-names",
        ),
        *(pytest.param(make(), id=name) for name, make in REALISTIC_CARDS.items()),
    ],
)
def test_client_cards_and_big_photos_read_alike(text: str) -> None:
    assert reading.reads_alike(text)
    [theirs] = reading._radicale_read_components(text)
    assert shape(theirs) == shape(parse_one(text))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    store = Store.open(new_sqlite_store(tmp_path / "store.db"))
    settings_ = config.load(tmp_path)
    UsersFile(settings_.users_file).add(*ALICE)
    client = Client(make_carddav_app(settings_, store))
    client.open(BOOK, method="PROPFIND", headers={"Depth": "0"}, auth=ALICE)
    yield client
    store.close()


@pytest.fixture
def radicale_readings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts Radicale parses itself."""
    texts: list[str] = []

    def counted(text: str) -> list[Any]:
        texts.append(text)
        return original(text)

    original = reading._radicale_read_components
    monkeypatch.setattr(reading, "_radicale_read_components", counted)
    return texts


def test_radicale_reads_a_card_the_guard_parsed_from_that_parse(
    client: Client, radicale_readings: list[str]
) -> None:
    assert radicale.item.read_components is reading.read_components
    card = big_photo_card(new_uid(), os.urandom(100_000))
    put = client.put(BOOK + "p.vcf", data=card.encode(), content_type="text/vcard", auth=ALICE)
    assert put.status_code == 201
    assert radicale_readings == []
    got = client.get(BOOK + "p.vcf", auth=ALICE)
    assert got.get_data(as_text=True) == card
    assert got.headers["ETag"] == put.headers["ETag"]


def test_a_card_radicale_would_repair_is_read_by_radicale(
    client: Client, radicale_readings: list[str]
) -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:t1\r\nFN:Ann\r\nX-TZID:Berlin \r\nEND:VCARD\r\n"
    put = client.put(BOOK + "t.vcf", data=card.encode(), content_type="text/vcard", auth=ALICE)
    assert put.status_code == 201
    assert radicale_readings == [card]
    assert client.get(BOOK + "t.vcf", auth=ALICE).get_data(as_text=True) == card
