"""What serving a card in the other vCard version costs: GET, PROPFIND and multiget.

    python benchmarks/vcard_versions_bench.py [--contacts 1000] [--runs 9]

Serves two books in-process (no HTTP, so the conversion's share is not hidden by the
network): the same contacts stored as vCard 3.0 and as vCard 4.0, each card as an iPhone
or CardBook writes it (grouped email with a label, phones with types and pref, an
address, a birthday without a year, a 4 KB photo). A client naming no version gets 3.0:
the 3.0 book is served as stored, the 4.0 book converted. Each figure is given for the
first request (nothing converted yet) and as the median of the next runs (conversions
kept by contacthub_radicale/conversions.py).
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from werkzeug.test import Client

from contacthub import config
from contacthub.carddav.app import make_carddav_app
from contacthub.firstrun import ensure_first_admin, prepare_data_dir
from contacthub.store import Store
from contacthub.vcard.parse import item_data
from contacthub.vcard.versions import to_v4
from contacthub_radicale.conversions import CONVERSIONS

PROPFIND = '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'
PHOTO = base64.b64encode(os.urandom(3072)).decode()


def card(number: int, uid: str) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
        f"N:{number};Person;;;\r\nFN:Person {number}\r\nORG:Example Inc.;\r\n"
        f"item1.EMAIL;type=INTERNET;type=pref:p{number}@example.org\r\n"
        f"item1.X-ABLabel:blog\r\nTEL;type=CELL;type=VOICE;type=pref:+1 555 {number:07d}\r\n"
        f"TEL;type=WORK;type=VOICE:+1 555 1{number:06d}\r\n"
        f"ADR;type=HOME:;;{number} Main St;Boston;MA;02101;USA\r\n"
        f"BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15\r\nNOTE:Met at the conference\r\n"
        f"PHOTO;ENCODING=b;TYPE=JPEG:{PHOTO}\r\nUID:{uid}\r\nEND:VCARD\r\n"
    )


def multiget_body(book: str, hrefs: list[str]) -> str:
    refs = "".join(f"<href>{book}{href}</href>" for href in hrefs)
    return (
        '<?xml version="1.0"?><C:addressbook-multiget xmlns="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:carddav"><prop><getetag/><C:address-data/></prop>'
        f"{refs}</C:addressbook-multiget>"
    )


def median_ms(run: Callable[[], None], runs: int) -> tuple[float, float]:
    """The first run's time (nothing converted yet) and the median of the next `runs`."""
    CONVERSIONS.clear()
    start = time.perf_counter()
    run()
    first = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return first, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    logging.getLogger("radicale").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        settings = config.load(Path(tmp))
        prepare_data_dir(settings.data_dir, settings.config_file)
        settings = config.load(Path(tmp))
        store = Store.open(settings.store_url)
        password = ensure_first_admin(settings, store)
        client = Client(make_carddav_app(settings, store))
        token = base64.b64encode(f"root:{password}".encode()).decode()
        auth = {"Authorization": f"Basic {token}"}
        mkcol = '<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>'  # noqa: E501
        uids = [uuid.uuid4().hex for _ in range(args.contacts)]
        hrefs = [f"{u}.vcf" for u in uids]
        for book, convert in (("/root/v3/", str), ("/root/v4/", to_v4)):
            assert client.open(book, method="MKCOL", data=mkcol, headers=auth).status_code == 201
            with store.write() as tx:
                record = tx.get_collection(book.strip("/"))
                assert record is not None
                cards = [convert(card(n, u)) for n, u in enumerate(uids)]
                tx.add_items(record, [(h, item_data(c)) for h, c in zip(hrefs, cards, strict=True)])

        rows = []
        for what, run_for in (
            ("GET of one card (each card once)", _gets(client, auth, hrefs)),
            ("PROPFIND Depth 1, getetag", _propfind(client, auth)),
            ("addressbook-multiget of every card", _multiget(client, auth, hrefs)),
        ):
            stored_first, stored = median_ms(run_for("/root/v3/"), args.runs)
            converted_first, converted = median_ms(run_for("/root/v4/"), args.runs)
            rows.append((f"{what}, first", stored_first, converted_first))
            rows.append((f"{what}, again (median)", stored, converted))
        store.close()
    print(
        f"| {args.contacts:,} cards, in-process, served as 3.0 | stored 3.0 (ms) "
        "| stored 4.0, converted (ms) | overhead |\n| --- | --- | --- | --- |"
    )
    for what, stored, converted in rows:
        print(
            f"| {what} | {stored:.0f} | {converted:.0f} | {(converted / stored - 1) * 100:+.0f}% |"
        )


def _gets(
    client: Client, auth: dict[str, str], hrefs: list[str]
) -> Callable[[str], Callable[[], None]]:
    def for_book(book: str) -> Callable[[], None]:
        def run() -> None:
            for href in hrefs:
                answer = client.get(f"{book}{href}", headers=auth)
                assert answer.status_code == 200 and answer.data.startswith(
                    b"BEGIN:VCARD\r\nVERSION:3.0"
                )

        return run

    return for_book


def _propfind(client: Client, auth: dict[str, str]) -> Callable[[str], Callable[[], None]]:
    def for_book(book: str) -> Callable[[], None]:
        def run() -> None:
            headers = {**auth, "Depth": "1"}
            answer = client.open(book, method="PROPFIND", data=PROPFIND, headers=headers)
            assert answer.status_code == 207

        return run

    return for_book


def _multiget(
    client: Client, auth: dict[str, str], hrefs: list[str]
) -> Callable[[str], Callable[[], None]]:
    def for_book(book: str) -> Callable[[], None]:
        body = multiget_body(book, hrefs)

        def run() -> None:
            headers = {**auth, "Depth": "1", "Content-Type": "application/xml"}
            answer = client.open(book, method="REPORT", data=body, headers=headers)
            assert answer.status_code == 207 and answer.data.count(b"VERSION:3.0") == len(hrefs)

        return run

    return for_book


if __name__ == "__main__":
    main()
