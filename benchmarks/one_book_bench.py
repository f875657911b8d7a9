"""The combined book of a one-book client (macOS) against a plain book, side by side:
sync-collection with no changes, and after one change, at N contacts.

In process (werkzeug's test client on the CardDAV app, as vcard_versions_bench.py), on
SQLite. Account "plain" has its N cards in its default book, read by a DAVx5-like
client; account "root" has them spread over four books (the default book, and three
source-like books), read as one book by a client announcing macOS's AddressBookCore.

    python benchmarks/one_book_bench.py --contacts 10000
"""

from __future__ import annotations

import argparse
import base64
import logging
import re
import statistics
import time
import uuid
from collections.abc import Callable

from inprocess import carddav_in_process
from werkzeug.test import Client

from contacthub.store import Store
from contacthub.users import UsersFile
from contacthub.vcard.parse import item_data

MAC = "macOS/14.2 (23C64) AddressBookCore/2487.300.5"
DAVX5 = "DAVx5/4.3.13-ose (2024/01/09; dav4jvm; okhttp/4.12.0) Android/14"
MKCOL = '<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>'  # noqa: E501
SOURCES = ("from-csv", "from-imap", "from-ios")


def card(number: int, uid: str) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:{number};Person;;;\r\nFN:Person {number}\r\n"
        f"EMAIL;type=INTERNET:p{number}@example.org\r\nTEL;type=CELL:+1 555 {number:07d}\r\n"
        f"UID:{uid}\r\nEND:VCARD\r\n"
    )


def sync_body(token: str) -> str:
    return (
        '<?xml version="1.0"?><sync-collection xmlns="DAV:">'
        f"<sync-token>{token}</sync-token><sync-level>1</sync-level>"
        "<prop><getetag/></prop></sync-collection>"
    )


class Reader:
    def __init__(self, client: Client, user: str, password: str, agent: str) -> None:
        credential = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.client = client
        self.headers = {"Authorization": f"Basic {credential}", "User-Agent": agent}

    def sync(self, book: str, token: str) -> tuple[str, int]:
        token, listed, _ = self._sync_page(book, token)
        return token, listed

    def sync_all(self, book: str) -> tuple[str, int]:
        """A first sync followed page by page (an answer over the REPORT's budget of
        10,000 members is cut short), as clients do; the token that follows it."""
        token, listed, more = self._sync_page(book, "")
        while more:
            token, page, more = self._sync_page(book, token)
            listed += page - 1  # the 507 for the book itself
        return token, listed

    def _sync_page(self, book: str, token: str) -> tuple[str, int, bool]:
        answer = self.client.open(
            book, method="REPORT", data=sync_body(token), headers=self.headers
        )
        assert answer.status_code == 207, answer.get_data(as_text=True)[:300]
        text = answer.get_data(as_text=True)
        found = re.search(r"<[^>]*sync-token>([^<]+)<", text)
        assert found is not None
        listed = text.count("<D:response>") + text.count("<response>")
        return found.group(1), listed, "number-of-matches-within-limits" in text


def fill(store: Store, path: str, cards: list[tuple[str, str]]) -> None:
    with store.write() as tx:
        record = tx.get_collection(path)
        assert record is not None, path
        tx.add_items(record, [(href, item_data(text)) for href, text in cards])


def median_ms(run: Callable[[], None], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        run()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    logging.getLogger("radicale").setLevel(logging.WARNING)
    with carddav_in_process() as app:
        settings, store, root_password = app.settings, app.store, app.root_password
        UsersFile(settings.users_file).add("plain", "plain-Secret-1")
        client = app.client
        plain = Reader(client, "plain", "plain-Secret-1", DAVX5)
        mac = Reader(client, "root", root_password, MAC)
        owner = Reader(client, "root", root_password, DAVX5)

        # The first request of each account makes its default book.
        plain.sync("/plain/contacts/", "")
        owner.sync("/root/contacts/", "")
        for source in SOURCES:
            made = client.open(
                f"/root/{source}/", method="MKCOL", data=MKCOL, headers=owner.headers
            )
            assert made.status_code == 201
        cards = [
            (f"{u}.vcf", card(n, u))
            for n, u in enumerate(uuid.uuid4().hex for _ in range(args.contacts))
        ]
        fill(store, "plain/contacts", cards)
        share = len(cards) // 4
        for index, book in enumerate(("contacts", *SOURCES)):
            part = cards[index * share : (index + 1) * share if index < 3 else len(cards)]
            fill(store, f"root/{book}", part)

        rows = []
        for what, reader, book in (
            ("plain book, DAVx5", plain, "/plain/contacts/"),
            ("combined book (4 books), macOS", mac, "/root/contacts/"),
        ):
            token, listed = reader.sync_all(book)
            assert listed >= args.contacts, (what, listed)
            no_change = median_ms(lambda r=reader, b=book, t=token: r.sync(b, t), args.runs)
            rows.append((what, no_change))
    plain_ms = rows[0][1]
    print(f"| {args.contacts:,} contacts, no-change sync | median CPU ms | vs plain |")
    print("| --- | --- | --- |")
    for what, ms in rows:
        print(f"| {what} | {ms:.1f} | {ms / plain_ms:.2f}x |")


if __name__ == "__main__":
    main()
