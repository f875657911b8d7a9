"""A PUT of a whole address book (one body of many cards, Radicale's upload of a
collection), and the writes the store refuses, against a real `contacthub serve` with
SQLite and PostgreSQL.

A whole-book PUT names each card from its UID where that name is safe and short enough to
be asked for again, and makes one up otherwise; a body with two cards of one UID is
refused (one book holds one card per UID). A write the store refuses is answered with the
store's sentence and a client error, never Radicale's bare "Bad Request" or a 500, and
changes nothing.
"""

from __future__ import annotations

import uuid

import pytest
import vobject

from tests.support import dav
from tests.support.servers import DavServer, DavSession
from tests.support.vcards import apple_person_card, make_card

pytestmark = pytest.mark.contacthub_only

UNSAFE_UIDS = ("../escape", ".hidden", "a/b", "back\\slash", "x" * 300)


def listing(session: DavSession, book: str) -> dict[str, str | None]:
    """href -> ETag of the book's cards."""
    found = dav.propfind(session, book, [dav.GETETAG], depth="1")
    return {r.href: r.etag for r in found if r.href != book}


def put_book(session: DavSession, book: str, *cards: str) -> tuple[int, str]:
    response = session.put(
        book, data="".join(cards).encode(), headers={"Content-Type": dav.VCARD_TYPE}
    )
    return response.status_code, response.text


def uid_and_name(text: str) -> tuple[str, str]:
    card = vobject.readOne(text)
    return card.uid.value, card.fn.value


def test_a_whole_book_put_replaces_the_book_and_names_cards_from_safe_uids(
    alice: DavSession, new_book: str
) -> None:
    dav.create_card(alice, f"{new_book}old.vcf", make_card(str(uuid.uuid4()), "Old One"))
    token = dav.sync_collection(alice, new_book, None).sync_token
    ann, bob = str(uuid.uuid4()), "urn:uuid:" + str(uuid.uuid4())
    cards = (make_card(ann, "Ann Archer", emails=["ann@example.org"]), make_card(bob, "Bob"))

    assert put_book(alice, new_book, *cards)[0] == 201

    assert set(listing(alice, new_book)) == {f"{new_book}{ann}.vcf", f"{new_book}{bob}.vcf"}
    assert uid_and_name(alice.get(f"{new_book}{ann}.vcf").text) == (ann, "Ann Archer")
    synced = {r.href: r.status for r in dav.sync_collection(alice, new_book, token)}
    assert synced == {
        f"{new_book}old.vcf": 404,
        f"{new_book}{ann}.vcf": None,
        f"{new_book}{bob}.vcf": None,
    }


def test_unsafe_uids_get_names_a_client_can_ask_for(alice: DavSession, new_book: str) -> None:
    cards = [make_card(uid, f"Person {n}") for n, uid in enumerate(UNSAFE_UIDS)]
    cards.append(apple_person_card())

    assert put_book(alice, new_book, *cards)[0] == 201

    hrefs = listing(alice, new_book)
    assert len(hrefs) == len(cards)
    names = {href.removeprefix(new_book) for href in hrefs}
    assert all("/" not in name and not name.startswith(".") for name in names), names
    assert all(len(name) <= 255 for name in names), sorted(map(len, names))
    # Every card is there under its name, its UID as it was sent.
    found = {}
    for href in hrefs:
        got = alice.get(href)
        assert got.status_code == 200, (href, got.text)
        uid, name = uid_and_name(got.text)
        found[uid] = name
    assert set(found) == {*UNSAFE_UIDS, vobject.readOne(apple_person_card()).uid.value}


def test_two_cards_of_one_uid_are_refused_in_words_and_change_nothing(
    alice: DavSession, new_book: str
) -> None:
    before = {
        f"{new_book}ann.vcf": dav.create_card(alice, f"{new_book}ann.vcf", make_card("ann", "Ann")),
        f"{new_book}bob.vcf": dav.create_card(alice, f"{new_book}bob.vcf", make_card("bob", "Bob")),
    }
    token = dav.sync_collection(alice, new_book, None).sync_token
    twice = (make_card("twice", "First"), make_card("new", "New"), make_card("twice", "Second"))

    status, body = put_book(alice, new_book, *twice)

    assert status == 409
    assert "UID 'twice' is already used" in body
    assert listing(alice, new_book) == before
    assert len(dav.sync_collection(alice, new_book, token)) == 0


def test_a_card_name_the_store_refuses_is_a_client_error_in_words(
    alice: DavSession, new_book: str
) -> None:
    etag = dav.create_card(alice, f"{new_book}kept.vcf", make_card("kept", "Kept"))

    put = dav.put_vcard(alice, f"{new_book}.hidden.vcf", make_card("hidden", "Hidden"))
    assert put.status_code == 400
    assert "unsafe name '.hidden.vcf'" in put.text and "start with a dot" in put.text

    moved = alice.request(
        "MOVE",
        f"{new_book}kept.vcf",
        headers={"Destination": alice.base_url + f"{new_book}.kept.vcf"},
    )
    assert moved.status_code == 400
    assert "unsafe name '.kept.vcf'" in moved.text

    assert listing(alice, new_book) == {f"{new_book}kept.vcf": etag}


def test_a_name_the_store_refuses_through_the_one_book_view_is_refused_in_words(
    contacthub_server: DavServer,
) -> None:
    """The Mac's combined book writes a new card into the default book: the same refusal."""
    mac = contacthub_server.session("alice")
    mac.headers["User-Agent"] = "macOS/14.2 (23C64) AddressBookCore/2487.300.5"
    before = listing(contacthub_server.session("alice"), "/alice/contacts/")

    put = dav.put_vcard(mac, "/alice/contacts/.dotted.vcf", make_card("dotted", "Dotted"))

    assert put.status_code == 400
    assert "unsafe name '.dotted.vcf'" in put.text
    assert listing(contacthub_server.session("alice"), "/alice/contacts/") == before
