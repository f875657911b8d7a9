#!/usr/bin/env python3
"""What one of a phone's small requests costs `serve`, in process: CPU and wall time, and
the store's transactions and statements.

    python benchmarks/request_cost.py [--postgres] [--requests 500] [--rounds 3]

The CardDAV app runs in this process under werkzeug's test client (no sockets) on a new
store (SQLite in a temporary directory, or a private PostgreSQL cluster), with one book
of 200 cards. Each kind of request is sent `--requests` times per round, after 50 to warm
up: a sync-collection from the last token with no changes, a multiget of 5 cards (what
a phone asks after a sync that found some), and a PROPFIND Depth 1 of the home set (the
load test's). For each: wall and CPU milliseconds per request for each round, and the
transactions begun and statements sent by one request. To compare two trees, run it
with each tree's PYTHONPATH in turn.
"""

from __future__ import annotations

import argparse
import base64
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402
from werkzeug.test import Client  # noqa: E402

from contacthub import config  # noqa: E402
from contacthub.carddav.app import make_carddav_app  # noqa: E402
from contacthub.firstrun import ensure_first_admin, prepare_data_dir  # noqa: E402
from contacthub.store import Store  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

BOOK = "/root/contacts/"
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c{0}\r\nFN:Person {0}\r\nEND:VCARD\r\n"
SYNC = (
    '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token>'
    "<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"
)
MULTIGET = (
    '<?xml version="1.0"?><C:addressbook-multiget xmlns:D="DAV:" '
    'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/>'
    "</D:prop>{}</C:addressbook-multiget>"
)
HOME = (
    '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"'
    ' xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:resourcetype/><D:displayname/>'
    "<CS:getctag/><D:sync-token/></D:prop></D:propfind>"
)


@contextmanager
def store_url(postgres: bool) -> Iterator[str]:
    if not postgres:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'contacthub.db'}"
        return
    with PostgresServer() as server:
        yield server.create_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with store_url(args.postgres) as url, tempfile.TemporaryDirectory() as tmp:
        settings = config.load(Path(tmp), store_url=url)
        prepare_data_dir(settings.data_dir, settings.config_file)
        settings = config.load(Path(tmp), store_url=url)
        store = Store.open(url)
        password = ensure_first_admin(settings, store)
        assert password is not None
        client = Client(make_carddav_app(settings, store))
        auth = {"Authorization": "Basic " + base64.b64encode(f"root:{password}".encode()).decode()}
        client.open("/root/", method="PROPFIND", headers={**auth, "Depth": "1"})
        for n in range(200):
            client.put(
                f"{BOOK}c{n}.vcf", data=CARD.format(n), content_type="text/vcard", headers=auth
            )
        first = client.open(BOOK, method="REPORT", headers=auth, data=SYNC.format(""))
        found = re.search(r"<[^>]*sync-token>([^<]+)<", first.get_data(as_text=True))
        assert found is not None
        named = "".join(f"<D:href>{BOOK}c{n}.vcf</D:href>" for n in range(5))
        kinds = {
            "sync-collection, no changes": (BOOK, "REPORT", SYNC.format(found.group(1)), {}),
            "multiget of 5 cards": (BOOK, "REPORT", MULTIGET.format(named), {}),
            "home PROPFIND, Depth 1": ("/root/", "PROPFIND", HOME, {"Depth": "1"}),
        }
        began: list[int] = []
        sent: list[int] = []
        event.listen(store.engine, "begin", lambda _conn: began.append(1))
        event.listen(store.engine, "before_cursor_execute", lambda *_: sent.append(1))
        print(f"{'PostgreSQL' if args.postgres else 'SQLite'}, a book of 200 cards")
        for name, (path, method, body, headers) in kinds.items():

            def send(path: str = path, method: str = method, body: str = body,
                     headers: dict[str, str] = headers) -> None:  # fmt: skip
                answer = client.open(path, method=method, data=body, headers={**auth, **headers})
                assert answer.status_code == 207, answer.status_code

            for _ in range(50):
                send()
            began.clear()
            sent.clear()
            send()
            transactions, statements = len(began), len(sent)
            rounds = []
            for _ in range(args.rounds):
                wall, cpu = time.perf_counter(), time.process_time()
                for _ in range(args.requests):
                    send()
                wall_ms = (time.perf_counter() - wall) / args.requests * 1000
                cpu_ms = (time.process_time() - cpu) / args.requests * 1000
                rounds.append(f"{wall_ms:.2f} / {cpu_ms:.2f}")
            print(
                f"{name}: {'; '.join(rounds)} ms wall / CPU per request; "
                f"{transactions} transaction(s), {statements} statement(s)"
            )
        store.close()


if __name__ == "__main__":
    main()
