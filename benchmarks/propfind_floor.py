"""How much of a Depth 1 PROPFIND is Radicale's own work, whatever the storage.

    python benchmarks/propfind_floor.py [--contacts 10000]

Serves a book in-process (no HTTP) twice: from the store as usual, and with
the storage's cost removed (the items held in memory, handed out at once).
The second figure is the floor any storage plugin reaches while Radicale
builds the answer; compare it with Radicale multifilesystem's figure from
carddav_bench.py.
"""

from __future__ import annotations

import argparse
import base64
import logging
import statistics
import time
import uuid
from collections.abc import Iterator

from inprocess import carddav_in_process
from radicale.item import Item
from werkzeug.test import Client

from contacthub.vcard.parse import item_data
from contacthub_radicale.collection import Collection

BODY = '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'


def card(number: int, uid: str) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Person {number}\r\n"
        f"N:{number};Person;;;\r\nEMAIL:p{number}@example.org\r\n"
        f"TEL:+1555{number:07d}\r\nEND:VCARD\r\n"
    )


def median_ms(client: Client, headers: dict[str, str], runs: int = 9) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = client.open("/root/contacts/", method="PROPFIND", data=BODY, headers=headers)
        assert answer.status_code == 207
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    count = parser.parse_args().contacts
    logging.getLogger("radicale").setLevel(logging.WARNING)
    with carddav_in_process() as app:
        store, password = app.store, app.root_password
        with store.write() as tx:
            book = tx.ensure_default_book("root")
            uids = [uuid.uuid4().hex for _ in range(count)]
            tx.add_items(book, [(f"{u}.vcf", item_data(card(n, u))) for n, u in enumerate(uids)])
        client = app.client
        token = base64.b64encode(f"root:{password}".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "Depth": "1"}
        median_ms(client, headers, runs=1)
        from_store = median_ms(client, headers)

        held: list[Item] = []
        from_store_get_all = Collection.get_all

        def from_memory(self: Collection) -> Iterator[Item]:
            if not held:
                held.extend(from_store_get_all(self))
            yield from held

        Collection.get_all = from_memory  # type: ignore[method-assign]
        median_ms(client, headers, runs=1)
        floor = median_ms(client, headers)
    print(
        f"| PROPFIND Depth 1 of {count:,} cards, in-process | ms |\n| --- | --- |\n"
        f"| from the store | {from_store:.0f} |\n| storage cost removed (Radicale alone) "
        f"| {floor:.0f} |"
    )


if __name__ == "__main__":
    main()
