"""Cards with big photos: a 7 MB card (a 5 MiB photo) is stored and read back byte for
byte, alone and four at once, over CardDAV and through the API.

(benchmarks/big_photo.py measures how long they take.)
"""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from tests.support import dav
from tests.support.servers import DavServer, DavSession
from tests.support.vcards import PHOTO_FORMS, big_photo_card, new_uid

PHOTO_BYTES = 5 * 1024 * 1024


def big_card(version: str = "3.0", uid: str | None = None) -> str:
    return big_photo_card(uid or new_uid(), os.urandom(PHOTO_BYTES), version)


def assert_kept(session: DavSession, href: str, card: str, etag: str) -> None:
    """What a client reading the card's own version gets (a request naming no version
    gets 3.0: a 4.0 card converted)."""
    version = "4.0" if "\r\nVERSION:4.0\r\n" in card[:200] else "3.0"
    got = session.get(href, headers={"Accept": f"text/vcard; version={version}"})
    assert got.status_code == 200
    assert got.content == card.encode()
    assert got.headers["ETag"] == etag


@pytest.mark.parametrize("version", PHOTO_FORMS)
def test_a_card_with_a_big_photo_is_kept_byte_for_byte(
    alice: DavSession, new_book: str, version: str
) -> None:
    card = big_card(version)
    assert len(card.encode()) > 7_000_000
    put = dav.put_vcard(alice, new_book + "photo.vcf", card, if_none_match="*")
    assert put.status_code == 201
    assert_kept(alice, new_book + "photo.vcf", card, put.headers["ETag"])


def test_four_cards_with_big_photos_sent_at_once_are_all_kept(
    contacthub_server: DavServer, new_book: str
) -> None:
    cards = {f"{new_book}at-once-{n}.vcf": big_card() for n in range(4)}
    answers: dict[str, tuple[int, str]] = {}
    start = threading.Barrier(len(cards))

    def put(href: str, card: str) -> None:
        with contacthub_server.session("alice") as session:
            start.wait()
            response = dav.put_vcard(session, href, card, if_none_match="*")
            answers[href] = (response.status_code, response.headers.get("ETag", ""))

    threads = [threading.Thread(target=put, args=item) for item in cards.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in answers.values()} == {201}
    alice = contacthub_server.session("alice")
    for href, card in cards.items():
        assert_kept(alice, href, card, answers[href][1])


def test_a_card_with_a_big_photo_sent_through_the_api_is_kept(
    alice: DavSession, new_book: str
) -> None:
    card = big_card()
    book_id = new_book.strip("/").split("/")[1]
    created = alice.post(
        f"/api/v1/books/{book_id}/contacts",
        data=card.encode(),
        headers={"Content-Type": "text/vcard; charset=utf-8"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["vcard"] == card
    assert_kept(alice, new_book + created.json()["id"], card, created.headers["ETag"])


def test_a_big_photo_card_can_be_replaced(alice: DavSession, new_book: str) -> None:
    href, uid = new_book + f"{uuid.uuid4().hex}.vcf", new_uid()
    first = dav.put_vcard(alice, href, big_card(uid=uid), if_none_match="*")
    assert first.status_code == 201
    second_card = big_card("4.0", uid)
    second = dav.put_vcard(alice, href, second_card, if_match=first.headers["ETag"])
    assert second.status_code in (200, 204)
    assert_kept(alice, href, second_card, second.headers["ETag"])
