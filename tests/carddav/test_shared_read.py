"""The reads of a read-only request share one transaction (contacthub_radicale.context
SharedRead): a phone's sync-collection reads through one, and a write inside such a
request (Radicale making a new account's home at its first request) ends it first, so the
reads after it see what it wrote."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event
from werkzeug.test import Client

from contacthub import config
from contacthub.carddav.app import make_carddav_app
from contacthub.store import Actor, Store
from contacthub.users import UsersFile
from contacthub.vcard.parse import item_data

ALICE = ("alice", "alice-password")
BOB = ("bob", "bob-password")
BOOK = "/alice/contacts/"
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Person {uid}\r\nEND:VCARD\r\n"
SYNC = (
    '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token>'
    "<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"
)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def client(tmp_path: Path, store: Store) -> Client:
    settings = config.load(tmp_path)
    users = UsersFile(settings.users_file)
    users.add(*ALICE)
    users.add(*BOB)
    return Client(make_carddav_app(settings, store))


def transactions_begun(store: Store) -> list[object]:
    begun: list[object] = []
    event.listen(store.engine, "begin", lambda _connection: begun.append(1))
    return begun


def put(client: Client, uid: str) -> None:
    answer = client.put(
        f"{BOOK}{uid}.vcf", data=CARD.format(uid=uid), auth=ALICE, content_type="text/vcard"
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)


def sync_token(answer: str) -> str:
    found = re.search(r"<[^>]*sync-token>([^<]+)<", answer)
    assert found is not None, answer
    return found.group(1)


def test_a_new_accounts_first_request_lists_the_home_it_made(client: Client) -> None:
    answer = client.open("/bob/", method="PROPFIND", headers={"Depth": "1"}, auth=BOB)

    assert answer.status_code == 207
    hrefs = re.findall(r"<[^>]*href>([^<]+)<", answer.get_data(as_text=True))
    assert "/bob/" in hrefs
    assert "/bob/contacts/" in hrefs  # the default book, made with the home


def test_a_sync_collection_reads_through_one_transaction(client: Client, store: Store) -> None:
    client.open(BOOK, method="PROPFIND", headers={"Depth": "0"}, auth=ALICE)
    for uid in ("a", "b"):
        put(client, uid)
    first = client.open(BOOK, method="REPORT", data=SYNC.format(""), auth=ALICE)
    token = sync_token(first.get_data(as_text=True))
    put(client, "c")
    begun = transactions_begun(store)

    answer = client.open(BOOK, method="REPORT", data=SYNC.format(token), auth=ALICE)

    assert answer.status_code == 207
    assert re.findall(r"<[^>]*href>([^<]+)<", answer.get_data(as_text=True)) == [f"{BOOK}c.vcf"]
    assert len(begun) == 1


def test_the_next_request_reads_what_another_writer_wrote_in_between(
    client: Client, store: Store
) -> None:
    client.open(BOOK, method="PROPFIND", headers={"Depth": "0"}, auth=ALICE)
    first = client.open(BOOK, method="REPORT", data=SYNC.format(""), auth=ALICE)
    token = sync_token(first.get_data(as_text=True))

    with store.write(actor=Actor("alice", "run")) as tx:  # an import, the admin page
        book = tx.get_collection(BOOK.strip("/"))
        assert book is not None
        tx.put_item(book, "new.vcf", item_data(CARD.format(uid="new")))
    answer = client.open(BOOK, method="REPORT", data=SYNC.format(token), auth=ALICE)

    assert re.findall(r"<[^>]*href>([^<]+)<", answer.get_data(as_text=True)) == [f"{BOOK}new.vcf"]


def test_a_sync_collection_looks_its_collections_up_once(client: Client, store: Store) -> None:
    """Radicale looks for the principal, then for the book: the first lookup reads both."""
    client.open(BOOK, method="PROPFIND", headers={"Depth": "0"}, auth=ALICE)
    first = client.open(BOOK, method="REPORT", data=SYNC.format(""), auth=ALICE)
    token = sync_token(first.get_data(as_text=True))
    put(client, "c")
    sent: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))

    answer = client.open(BOOK, method="REPORT", data=SYNC.format(token), auth=ALICE)

    assert re.findall(r"<[^>]*href>([^<]+)<", answer.get_data(as_text=True)) == [f"{BOOK}c.vcf"]
    lookups = [statement for statement in sent if re.search(r"collections\.path (=|IN)", statement)]
    assert len(lookups) == 1, lookups
