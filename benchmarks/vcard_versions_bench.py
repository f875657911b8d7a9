"""What serving a card in the other vCard version costs: GET, PROPFIND and multiget.

    python benchmarks/vcard_versions_bench.py [--contacts 1000] [--rounds 5]

Serves two books in-process (no HTTP, so the conversion's share is not hidden by the
network): the same contacts stored as vCard 3.0 and as vCard 4.0, each card as an iPhone
writes it (grouped email with a label, phones with types and pref, an address, a
birthday without a year, a 4 KB photo; the 4.0 book holds the same cards converted).

The overhead is the CPU time of serving a card converted against serving the same
content as stored, in the same version: the 4.0 book served as 3.0 against the 3.0 book
served as 3.0 (what a Mac reading a CardBook user's cards pays), and the 3.0 book served
as 4.0 against the 4.0 book served as 4.0. "first" is the first read of each card, with
no conversion kept (contacthub_radicale/conversions.py cleared before each), "again" the
read after it. Each round measures both books in turn (the order alternating between
rounds) and gives the ratio of their CPU times; the table has each round's ratio and
their median, and the load average before and after.
"""

from __future__ import annotations

import argparse
import base64
import logging
import os
import statistics
import time
import uuid
from collections.abc import Callable

from inprocess import carddav_in_process
from werkzeug.test import Client

from contacthub.vcard.parse import item_data
from contacthub.vcard.versions import V3, V4, to_v4
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


def multiget_body(book: str, hrefs: list[str], version: str) -> str:
    refs = "".join(f"<href>{book}{href}</href>" for href in hrefs)
    return (
        '<?xml version="1.0"?><C:addressbook-multiget xmlns="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:carddav"><prop><getetag/>'
        f'<C:address-data content-type="text/vcard" version="{version}"/></prop>'
        f"{refs}</C:addressbook-multiget>"
    )


def cpu_ms(run: Callable[[], None]) -> float:
    """The CPU time of this process (every thread) spent in `run`, in milliseconds."""
    start = time.process_time()
    run()
    return (time.process_time() - start) * 1000


def first_and_again(run: Callable[[], None]) -> tuple[float, float]:
    """`run` with no conversion kept (the first read of each card), then once more."""
    CONVERSIONS.clear()
    return cpu_ms(run), cpu_ms(run)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("radicale").setLevel(logging.WARNING)
    logging.getLogger("contacthub").setLevel(logging.ERROR)
    with carddav_in_process() as app:
        store, password = app.store, app.root_password
        client = app.client
        token = base64.b64encode(f"root:{password}".encode()).decode()
        auth = {"Authorization": f"Basic {token}"}
        mkcol = '<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>'  # noqa: E501
        uids = [uuid.uuid4().hex for _ in range(args.contacts)]
        hrefs = [f"{u}.vcf" for u in uids]
        books = {V3: "/root/v3/", V4: "/root/v4/"}
        for version, convert in ((V3, str), (V4, to_v4)):
            book = books[version]
            assert client.open(book, method="MKCOL", data=mkcol, headers=auth).status_code == 201
            with store.write() as tx:
                record = tx.get_collection(book.strip("/"))
                assert record is not None
                cards = [convert(card(n, u)) for n, u in enumerate(uids)]
                tx.add_items(record, [(h, item_data(c)) for h, c in zip(hrefs, cards, strict=True)])

        requests = {
            "GET of each card": _gets(client, auth, hrefs),
            "PROPFIND Depth 1, getetag": _propfind(client, auth),
            "addressbook-multiget of every card": _multiget(client, auth, hrefs),
        }
        # ratios[(served, request, "first"|"again")]: converted / as stored, one per round
        ratios: dict[tuple[str, str, str], list[float]] = {}
        times: dict[tuple[str, str, str, str], list[float]] = {}
        load_before = os.getloadavg()
        for round_ in range(args.rounds):
            for served in (V3, V4):
                other = V4 if served == V3 else V3
                for what, run_for in requests.items():
                    runs = {"stored": run_for(books[served], served)}
                    runs["converted"] = run_for(books[other], served)
                    order = ["stored", "converted"][:: 1 if round_ % 2 == 0 else -1]
                    measured = {kind: first_and_again(runs[kind]) for kind in order}
                    for at, when in enumerate(("first", "again")):
                        key = (served, what, when)
                        ratio = measured["converted"][at] / measured["stored"][at]
                        ratios.setdefault(key, []).append(ratio)
                        for kind in runs:
                            times.setdefault((*key, kind), []).append(measured[kind][at])
        load_after = os.getloadavg()
    print(
        f"{args.contacts:,} cards, {args.rounds} rounds, CPU time of the process; load average "
        f"{load_before[0]:.1f} -> {load_after[0]:.1f}\n"
    )
    print(
        "| served as, request, read | as stored (ms, median) | converted (ms, median) "
        "| CPU ratio per round | median overhead |\n| --- | --- | --- | --- | --- |"
    )
    for (served, what, when), values in ratios.items():
        stored = statistics.median(times[(served, what, when, "stored")])
        converted = statistics.median(times[(served, what, when, "converted")])
        per_round = " ".join(f"{r:.2f}" for r in values)
        overhead = (statistics.median(values) - 1) * 100
        print(
            f"| {served}, {what}, {when} | {stored:.0f} | {converted:.0f} | {per_round} "
            f"| {overhead:+.0f}% |"
        )


RunFor = Callable[[str, str], Callable[[], None]]  # (book, version served) -> a run


def _gets(client: Client, auth: dict[str, str], hrefs: list[str]) -> RunFor:
    def for_book(book: str, version: str) -> Callable[[], None]:
        headers = {**auth, "Accept": f"text/vcard; version={version}"}
        expected = f"BEGIN:VCARD\r\nVERSION:{version}".encode()

        def run() -> None:
            for href in hrefs:
                answer = client.get(f"{book}{href}", headers=headers)
                assert answer.status_code == 200 and answer.data.startswith(expected)

        return run

    return for_book


def _propfind(client: Client, auth: dict[str, str]) -> RunFor:
    def for_book(book: str, version: str) -> Callable[[], None]:  # a listing names none
        def run() -> None:
            headers = {**auth, "Depth": "1"}
            answer = client.open(book, method="PROPFIND", data=PROPFIND, headers=headers)
            assert answer.status_code == 207

        return run

    return for_book


def _multiget(client: Client, auth: dict[str, str], hrefs: list[str]) -> RunFor:
    def for_book(book: str, version: str) -> Callable[[], None]:
        body = multiget_body(book, hrefs, version)
        expected = f"VERSION:{version}".encode()

        def run() -> None:
            headers = {**auth, "Depth": "1", "Content-Type": "application/xml"}
            answer = client.open(book, method="REPORT", data=body, headers=headers)
            assert answer.status_code == 207 and answer.data.count(expected) == len(hrefs)

        return run

    return for_book


if __name__ == "__main__":
    main()
