"""What the watch on clients that delete too much costs a DELETE.

    python benchmarks/mass_delete_watch.py [--contacts 1500] [--deletes 1000] [--store URL]

Serves one book in-process (no HTTP) through two CardDAV apps on the same store: the one
`serve` runs (its guard hands every committed deletion to the watch) and the same app
with the watch taken out. One client deletes most of the book, the two apps taking turns
DELETE by DELETE, so both see the same book and the same load: the worst case for the
watch, whose alert is raised at the first half of the book and extended at every later
deletion. Prints each app's median and 95th percentile per DELETE.
"""

from __future__ import annotations

import argparse
import base64
import logging
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from werkzeug.test import Client

from contacthub import config
from contacthub.carddav.app import make_carddav_app
from contacthub.carddav.guard import CardDavGuard
from contacthub.firstrun import ensure_first_admin, prepare_data_dir
from contacthub.store import Actor, Store
from contacthub.vcard.parse import item_data

AGENT = "DAVx5/4.4.2-ose (2024/05/01; dav4jvm; okhttp/4.12.0) Android/14"


def card(number: int, uid: str) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Person {number}\r\n"
        f"N:{number};Person;;;\r\nEMAIL:p{number}@example.org\r\nEND:VCARD\r\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_500)
    parser.add_argument("--deletes", type=int, default=1_000)
    parser.add_argument("--store", default="", help="a store URL (default: SQLite in a temp dir)")
    options = parser.parse_args()
    logging.getLogger("radicale").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        settings = config.load(Path(tmp))
        prepare_data_dir(settings.data_dir, settings.config_file)
        settings = config.load(Path(tmp), store_url=options.store or None)
        store = Store.open(settings.store_url)
        password = ensure_first_admin(settings, store)
        uids = [uuid.uuid4().hex for _ in range(options.contacts)]
        with store.write(actor=Actor("root", "cli")) as tx:
            book = tx.ensure_default_book("root")
            tx.add_items(book, [(f"{u}.vcf", item_data(card(n, u))) for n, u in enumerate(uids)])
        watched = make_carddav_app(settings, store)
        unwatched = make_carddav_app(settings, store)
        assert isinstance(watched, CardDavGuard) and isinstance(unwatched, CardDavGuard)
        unwatched.watch = None
        token = base64.b64encode(f"root:{password}".encode()).decode()
        headers = {"Authorization": f"Basic {token}", "User-Agent": AGENT}
        times: dict[str, list[float]] = {"with the watch": [], "without": []}
        apps = [("with the watch", Client(watched)), ("without", Client(unwatched))]
        for number, uid in enumerate(uids[: options.deletes]):
            name, client = apps[number % 2]
            start = time.perf_counter()
            answer = client.delete(f"/root/contacts/{uid}.vcf", headers=headers)
            times[name].append((time.perf_counter() - start) * 1000)
            assert answer.status_code in (200, 204), answer.status_code
        assert watched.watch is not None and watched.watch.idle(60)
        with store.read() as tx:
            alerts = tx.alerts_of("root")
        print(
            f"{options.deletes} DELETEs of a book of {options.contacts} "
            f"({store.engine.dialect.name}); alerts raised: {len(alerts)}"
            + (f", counting {alerts[0].deleted} deletions" if alerts else "")
        )
        for name, measured in times.items():
            ranked = sorted(measured)
            print(
                f"  {name:>15}: median {statistics.median(ranked):.2f} ms, "
                f"p95 {ranked[int(len(ranked) * 0.95)]:.2f} ms"
            )
        store.close()


if __name__ == "__main__":
    main()
