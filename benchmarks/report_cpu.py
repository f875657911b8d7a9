#!/usr/bin/env python3
"""CPU of a phone's REPORTs in-process: multigets of 100 cards and a first sync-collection.

    python benchmarks/report_cpu.py [--contacts 3000] [--which mg|sync] [--postgres]

Serves a book filled through the store with the CardDAV app in this process (werkzeug's
test client, no sockets) and prints the wall and CPU time (`time.process_time`) of
`--contacts / 100` multigets of 100 cards (getetag, address-data), or of a sync-collection
from no token followed through every page (getetag). To compare two trees, run it with
each tree's PYTHONPATH in turn. `--postgres`: the store in a private PostgreSQL cluster
(the wall time then includes the round trips to it).
"""

from __future__ import annotations

import argparse
import base64
import re
import sys
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from inprocess import carddav_in_process  # noqa: E402

from contacthub.store import Actor  # noqa: E402
from contacthub.vcard.parse import item_data  # noqa: E402
from tests.clients.cards import make_card  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

DAV = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"'
SYNC = (
    f'<?xml version="1.0"?><D:sync-collection {DAV}><D:sync-token>{{}}</D:sync-token>'
    "<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"
)
BOOK = "/root/contacts/"
FILLER = Actor("root", "carddav", "report_cpu.py")


def multiget(hrefs: list[str]) -> str:
    named = "".join(f"<D:href>{h}</D:href>" for h in hrefs)
    return (
        f'<?xml version="1.0"?><C:addressbook-multiget {DAV}><D:prop><D:getetag/>'
        f"<C:address-data/></D:prop>{named}</C:addressbook-multiget>"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=3000)
    parser.add_argument("--which", choices=("mg", "sync"), default="mg")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with ExitStack() as stack:
        url = stack.enter_context(PostgresServer()).create_database() if args.postgres else None
        served = stack.enter_context(carddav_in_process(url))
        with served.store.write() as tx:
            tx.ensure_collection("root")
        with served.store.write(["root", "root/contacts"], actor=FILLER) as tx:
            book = tx.ensure_default_book("root")
            for start in range(0, args.contacts, 5000):
                stop = min(start + 5000, args.contacts)
                tx.add_items(
                    book,
                    [(f"card-{i:06d}.vcf", item_data(make_card(i))) for i in range(start, stop)],
                )
        served.store.refresh_statistics()  # PostgreSQL's planner counts the new cards
        credentials = base64.b64encode(f"root:{served.root_password}".encode()).decode()

        def report(body: str) -> bytes:
            answer = served.client.open(
                BOOK,
                method="REPORT",
                data=body,
                headers={"Authorization": f"Basic {credentials}", "Depth": "1"},
            )
            assert answer.status_code == 207, answer.status_code
            return answer.get_data()

        hrefs = [f"{BOOK}card-{i:06d}.vcf" for i in range(args.contacts)]
        report(multiget(hrefs[:1]))  # signed in, warmed up
        wall, cpu = time.perf_counter(), time.process_time()
        if args.which == "mg":
            for start in range(0, args.contacts, 100):
                report(multiget(hrefs[start : start + 100]))
        else:
            token = ""
            while True:
                page = report(SYNC.format(token))
                token = re.search(rb"sync-token>([^<]+)<", page).group(1).decode()  # type: ignore[union-attr]
                if b" 507 " not in page:
                    break
        print(
            f"{args.which}, {args.contacts:,} cards: wall {time.perf_counter() - wall:.2f} s, "
            f"CPU {time.process_time() - cpu:.2f} s"
        )


if __name__ == "__main__":
    main()
