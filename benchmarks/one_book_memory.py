"""Peak memory of a Mac's PROPFIND Depth 1 and whole-book GET of the combined book.

In process (werkzeug's test client on the CardDAV app, as one_book_bench.py), on SQLite:
an account with N contacts spread over its default book and two source books, read by a
client announcing macOS's AddressBookCore. tracemalloc's peak is taken around each
request only, its answer read chunk by chunk and let go, as a server sends it.

    python benchmarks/one_book_memory.py --contacts 20000
"""

from __future__ import annotations

import argparse
import base64
import logging
import time
import tracemalloc
import uuid
from collections.abc import Callable

from inprocess import carddav_in_process

from contacthub.vcard.parse import item_data

MAC = "macOS/14.2 (23C64) AddressBookCore/2487.300.5"
DAVX5 = "DAVx5/4.3.13-ose (2024/01/09; dav4jvm; okhttp/4.12.0) Android/14"
MKCOL = '<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>'  # noqa: E501
GETETAG = (
    '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'  # noqa: E501
)
SOURCES = ("from-csv", "from-ios")


def card(number: int, uid: str) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nN:{number};Person;;;\r\nFN:Person {number}\r\n"
        f"EMAIL;type=INTERNET:p{number}@example.org\r\nTEL;type=CELL:+1 555 {number:07d}\r\n"
        f"UID:{uid}\r\nEND:VCARD\r\n"
    )


def measured(request: Callable[[], object]) -> tuple[float, int, float]:
    """Peak MB above the start, bytes of the answer, and seconds."""
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    answer = request()
    sent = 0
    for chunk in answer.response:  # type: ignore[attr-defined]
        sent += len(chunk)
    answer.close()  # type: ignore[attr-defined]
    seconds = time.perf_counter() - start
    return (tracemalloc.get_traced_memory()[1] - base) / 1e6, sent, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=20000)
    parser.add_argument("--no-allprop", action="store_true", help="leave out the slowest")
    args = parser.parse_args()
    logging.getLogger("radicale").setLevel(logging.WARNING)
    with carddav_in_process() as app:
        store, password = app.store, app.root_password
        client = app.client
        credential = base64.b64encode(f"root:{password}".encode()).decode()
        owner = {"Authorization": f"Basic {credential}", "User-Agent": DAVX5}
        mac = {**owner, "User-Agent": MAC}
        client.open("/root/contacts/", method="PROPFIND", headers={**owner, "Depth": "0"})
        for source in SOURCES:
            made = client.open(f"/root/{source}/", method="MKCOL", data=MKCOL, headers=owner)
            assert made.status_code == 201
        cards = [
            (f"{u}.vcf", card(n, u))
            for n, u in enumerate(uuid.uuid4().hex for _ in range(args.contacts))
        ]  # noqa: E501
        share = len(cards) // 3
        for index, book in enumerate(("contacts", *SOURCES)):
            part = cards[index * share : (index + 1) * share if index < 2 else len(cards)]
            with store.write() as tx:
                record = tx.get_collection(f"root/{book}")
                assert record is not None
                tx.add_items(record, [(href, item_data(text)) for href, text in part])

        tracemalloc.start()
        rows = []
        for what, request in (
            (
                "PROPFIND Depth 1, getetag",
                lambda: client.open(
                    "/root/contacts/",
                    method="PROPFIND",
                    data=GETETAG,
                    headers={**mac, "Depth": "1"},
                    buffered=False,
                ),
            ),
            (
                "PROPFIND Depth 1, allprop",
                lambda: client.open(
                    "/root/contacts/",
                    method="PROPFIND",
                    headers={**mac, "Depth": "1"},
                    buffered=False,
                ),
            ),
            (
                "GET of the whole book",
                lambda: client.get("/root/contacts/", headers=mac, buffered=False),
            ),  # noqa: E501
        ):
            if args.no_allprop and "allprop" in what:
                continue
            peak, sent, seconds = measured(request)
            rows.append((what, peak, sent, seconds))
        tracemalloc.stop()
    print(f"| {args.contacts:,} contacts in 3 books, macOS | peak MB | answer MB | s |")
    print("| --- | --- | --- | --- |")
    for what, peak, sent, seconds in rows:
        print(f"| {what} | {peak:.1f} | {sent / 1e6:.1f} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
