"""The same bad input gets the same answer on every store: control characters in a card,
oversized property values, overlong names. Each is a 400 that says what is wrong, and
nothing is kept."""

from __future__ import annotations

import pytest

from tests.support import dav
from tests.support.dav import DISPLAYNAME
from tests.support.servers import DavSession
from tests.support.vcards import make_card, new_uid

PROPPATCH_DISPLAYNAME = """<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
<D:displayname>{name}</D:displayname>
</D:prop></D:set></D:propertyupdate>"""


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\x0b"])
def test_a_card_with_a_control_character_is_refused_with_the_reason(
    alice: DavSession, new_book: str, character: str
) -> None:
    card = make_card(new_uid(), f"Nul{character}Person")
    response = dav.put_vcard(alice, new_book + "control.vcf", card)
    assert response.status_code == 400
    assert f"control character (U+{ord(character):04X})" in response.text
    assert alice.get(new_book + "control.vcf").status_code == 404


def test_a_tab_in_a_value_is_kept(alice: DavSession, new_book: str) -> None:
    card = make_card(new_uid(), "Tab\tPerson")
    assert dav.put_vcard(alice, new_book + "tab.vcf", card).status_code == 201
    assert alice.get(new_book + "tab.vcf").text == card


def test_an_oversized_displayname_is_refused_and_the_old_one_kept(
    alice: DavSession, new_book: str
) -> None:
    body = PROPPATCH_DISPLAYNAME.format(name="x" * 20_000)
    response = alice.request("PROPPATCH", new_book, data=body.encode())
    assert response.status_code == 400
    assert "displayname" in response.text and "1024" in response.text
    assert dav.propfind_one(alice, new_book, [DISPLAYNAME]).text(DISPLAYNAME) == "Test book"


def test_a_displayname_at_the_limit_is_kept(alice: DavSession, new_book: str) -> None:
    name = "n" * 1024
    body = PROPPATCH_DISPLAYNAME.format(name=name)
    assert alice.request("PROPPATCH", new_book, data=body.encode()).status_code == 207
    assert dav.propfind_one(alice, new_book, [DISPLAYNAME]).text(DISPLAYNAME) == name


def test_a_book_created_with_an_oversized_description_is_refused(alice: DavSession) -> None:
    path = f"/alice/book-{new_uid()[:12]}/"
    response = dav.mkcol_addressbook_raw(alice, path, "Fine", description="d" * 5000)
    assert response.status_code == 400
    assert "addressbook-description" in response.text
    assert alice.request("PROPFIND", path, headers={"Depth": "0"}).status_code == 404


def test_an_overlong_card_name_is_refused(alice: DavSession, new_book: str) -> None:
    name = "n" * 300 + ".vcf"
    response = dav.put_vcard(alice, new_book + name, make_card(new_uid(), "Long Name"))
    assert response.status_code == 400
    assert "the limit is 255" in response.text
    assert dav.propfind(alice, new_book, [DISPLAYNAME], depth="1").hrefs() == [new_book]


def test_a_card_name_at_the_limit_is_kept(alice: DavSession, new_book: str) -> None:
    name = "n" * 251 + ".vcf"
    card = make_card(new_uid(), "Limit Name")
    assert dav.put_vcard(alice, new_book + name, card).status_code == 201
