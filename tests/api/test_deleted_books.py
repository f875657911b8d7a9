"""Deleted address books through the API: listed with who deleted them, restored with their
contacts, only by their owner; over SQLite and PostgreSQL, every request and answer checked
against the document. The last test runs a real `contacthub serve`, where a CardDAV client
deletes a whole book and syncs it again after the restore."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contacthub.store import Store
from tests.api.conftest import ADMINS, PASSWORDS, ApiClient, vcard
from tests.api.test_history import add, cards, names, new_book
from tests.api.test_served import call
from tests.history.book import Clock
from tests.support import dav
from tests.support.servers import DavServer

BOOKS = "/api/v1/books"
DELETED = "/api/v1/deleted-books"
PHONE = "DAVx5/4.4.2-ose (2024/05/01; dav4jvm; okhttp/4.12.0)"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_url: str, clock: Clock) -> Iterator[Store]:
    opened = Store.open(store_url, clock=clock)
    with opened.write() as tx:
        for name in PASSWORDS:
            tx.set_admin(name, name in ADMINS)
    yield opened
    opened.close()


def test_a_deleted_book_is_listed_and_restored_with_its_contacts(
    api: ApiClient, clock: Clock
) -> None:
    book = new_book(api, "Work")
    add(api, book, "ann", "Ann")
    add(api, book, "bob", "Bob")
    before = cards(api, book)
    clock.turn()
    assert api.delete(f"{BOOKS}/{book}").status_code == 204
    assert api.get(f"{BOOKS}/{book}").status_code == 404

    (listed,) = api.get(DELETED).get_json()["deleted_books"]
    assert listed["display_name"] == "Work" and listed["book"] == book
    assert listed["contacts"] == 2
    assert listed["deleted_by"] == {"account": "alice", "via": "api", "agent": "", "run_id": None}
    assert listed["purge_at"] > listed["deleted_at"]

    done = api.post(f"{DELETED}/{listed['id']}/restore")
    assert done.status_code == 200
    assert done.get_json() == {
        "book": book,
        "display_name": "Work",
        "moved": False,
        "contacts": 2,
        "message": "'Work' is back with 2 contacts.",
    }
    assert cards(api, book) == before
    assert api.get(DELETED).get_json()["deleted_books"] == []


def test_a_book_whose_id_was_taken_comes_back_beside_it(api: ApiClient) -> None:
    book = new_book(api, "Work")
    add(api, book, "ann", "Ann")
    assert api.delete(f"{BOOKS}/{book}").status_code == 204
    assert new_book(api, "Work") == book  # the id is free at once
    (listed,) = api.get(DELETED).get_json()["deleted_books"]

    done = api.post(f"{DELETED}/{listed['id']}/restore").get_json()
    assert (done["book"], done["moved"]) == (f"{book}-restored", True)
    assert names(api, f"{book}-restored") == ["Ann"] and names(api, book) == []


def test_nobody_lists_or_restores_anybody_elses_deleted_book(api: ApiClient) -> None:
    book = new_book(api, "Work")
    assert api.delete(f"{BOOKS}/{book}").status_code == 204
    (listed,) = api.get(DELETED).get_json()["deleted_books"]

    assert api.get(DELETED, user="bob").get_json()["deleted_books"] == []
    refused = api.post(f"{DELETED}/{listed['id']}/restore", user="bob")
    assert refused.status_code == 404
    assert api.post(f"{DELETED}/999999/restore").status_code == 404
    assert api.post(f"{DELETED}/{listed['id']}/restore", user=None).status_code == 401
    # An administrator acts for alice with ?user=alice.
    carol = api.post(f"{DELETED}/{listed['id']}/restore?user=alice", user="carol")
    assert carol.status_code == 200 and carol.get_json()["book"] == book


# -- a real server, a CardDAV client ------------------------------------------------------------


@pytest.mark.contacthub_only
def test_a_book_a_phone_deleted_comes_back_and_the_phone_syncs_every_card_again(
    contacthub_server: DavServer,
) -> None:
    alice = contacthub_server.session("alice")
    book = call(alice, "POST", BOOKS, json={"display_name": "Phone Book"}).json()["id"]
    url = f"/alice/{book}/"
    sent = {}
    for number in range(5):
        card = vcard(f"card-{number}", f"Person {number}", f"EMAIL:p{number}@example.org")
        dav.create_card(alice, f"{url}card-{number}.vcf", card)
        sent[f"{url}card-{number}.vcf"] = card
    token = dav.sync_collection(alice, url, None).sync_token

    deleted = alice.delete(url, headers={"User-Agent": PHONE})
    assert deleted.status_code in (200, 204)
    assert alice.request("PROPFIND", url, headers={"Depth": "0"}).status_code == 404
    listed = call(alice, "GET", BOOKS).json()["books"]
    assert book not in [b["id"] for b in listed]
    (gone,) = call(alice, "GET", DELETED).json()["deleted_books"]
    assert (gone["book"], gone["contacts"]) == (book, 5)
    assert gone["deleted_by"] == {
        "account": "alice",
        "via": "carddav",
        "agent": PHONE,
        "run_id": None,
    }

    done = call(alice, "POST", f"{DELETED}/{gone['id']}/restore")
    assert done.status_code == 200 and done.json()["book"] == book

    # The phone's old token belongs to the book before: refused as RFC 6578 says, so the
    # phone syncs afresh and gets every card with the bytes it sent.
    stale = dav.sync_collection_raw(alice, url, token)
    assert stale.status_code == 403
    assert dav.error_conditions(stale.content) == {dav.q(dav.DAV, "valid-sync-token")}
    fresh = dav.sync_collection(alice, url, None)
    assert sorted(r.href for r in fresh) == sorted(sent)
    assert {href: alice.get(href).text for href in sent} == sent
