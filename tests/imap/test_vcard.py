"""A correspondent as vCard 3.0, read back with vobject."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import vobject

from contacthub.sources.imap.card import correspondent_vcard, split_name
from contacthub.sources.imap.harvest import Correspondent


def read(text: str) -> vobject.base.Component:
    return vobject.readOne(text)


def test_vcard_with_a_name() -> None:
    zoe = Correspondent(
        "zoe@bücher.example", "Zoë Ångström", 4, datetime(2024, 3, 13, 7, 30, tzinfo=UTC)
    )
    text = correspondent_vcard(zoe, "imap-123")
    assert text.endswith("END:VCARD\r\n")
    card = read(text)
    assert card.version.value == "3.0"
    assert card.uid.value == "imap-123"
    assert card.fn.value == "Zoë Ångström"
    assert (card.n.value.given, card.n.value.family) == ("Zoë", "Ångström")
    assert card.email.value == "zoe@bücher.example"
    assert card.contents["x-contacthub-messages"][0].value == "4"
    assert card.contents["x-contacthub-last-contact"][0].value == "2024-03-13"


def test_vcard_without_a_name_or_date() -> None:
    card = read(correspondent_vcard(Correspondent("dave@example.com", "", 1, None), "u1"))
    assert card.fn.value == "dave@example.com"
    assert (card.n.value.given, card.n.value.family) == ("", "")
    assert "x-contacthub-last-contact" not in card.contents


def test_vcard_of_a_name_written_family_first() -> None:
    card = read(correspondent_vcard(Correspondent("bob@example.net", "Stone, Bob", 2, None), "u"))
    assert card.fn.value == "Bob Stone"
    assert (card.n.value.given, card.n.value.family) == ("Bob", "Stone")


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("Jane Doe", ("Jane", "Doe")),
        ("Jean-Luc de la Tour", ("Jean-Luc de la", "Tour")),
        ("Doe, Jane", ("Jane", "Doe")),
        ("Madonna", ("Madonna", "")),
        ("Acme, Inc., Sales", ("Acme, Inc.,", "Sales")),
        ("", ("", "")),
    ],
)
def test_split_name(name: str, parts: tuple[str, str]) -> None:
    assert split_name(name) == parts
