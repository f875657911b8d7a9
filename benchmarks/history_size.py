"""How much room the history takes, and how much pruning gives back.

    python benchmarks/history_size.py [--contacts 20000] [--edits 10] [--postgres]

A fresh store whose clock the script turns: N realistic contacts created on day 0, then
edited E times each (every 3 days: a phone number, a note and the name change, as a
person's edits do), each edit a PUT through the store's write path (a version each).
Prints the size of the `versions` table with its indexes against the cards themselves
(`items`), the bytes of the packed cards against the same cards unpacked (what the
compression saves), then the same after pruning with the default 30-day retention, the
clock at day 40 (the versions of the first days go). SQLite's sizes are the pages in use
(dbstat): pruning frees pages the next versions reuse, the file keeps its size until a
VACUUM. PostgreSQL's are pg_total_relation_size after VACUUM (reusable) and VACUUM FULL.

The issue asks for 100,000 contacts edited 10 times (a million versions); the rows are
alike, so the sizes grow in proportion: run a smaller N and multiply (the script prints
the figures per version and for 100,000 x 10).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from contacthub.store import Actor, Store, prune_history  # noqa: E402
from contacthub.store.schema import versions  # noqa: E402
from contacthub.vcard.parse import item_data  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

BOOK = "alice/contacts"
PHONE = Actor("alice", "carddav", "DAVx5/4.4.2-ose")
DAY = 86400.0
MB = 1024 * 1024


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def card(n: int, edit: int) -> str:
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.4.1//EN\r\n"
        f"UID:size-{n:08d}-4A3C-2B1D-8E7F-4A6B9C0D1E2F\r\nN:Family{n};Given{n};;;\r\n"
        f"FN:Given{n} Family{n}{' Jr.' if edit % 2 else ''}\r\n"
        f"ORG:Company {n % 500};Sales\r\nTITLE:Account Manager\r\n"
        f"EMAIL;type=INTERNET;type=WORK;type=pref:given{n}@work.example.org\r\n"
        f"item1.EMAIL;type=INTERNET:g{n}@home.example.net\r\nitem1.X-ABLabel:_$!<Other>!$_\r\n"
        f"TEL;type=CELL;type=VOICE;type=pref:+1 555 {(n + edit) % 10_000_000:07d}\r\n"
        f"TEL;type=WORK;type=VOICE:+1 555 {n:07d}\r\n"
        f"item2.ADR;type=WORK;type=pref:;;{n} Main Street;Springfield;;12345;USA\r\n"
        f"NOTE:edit {edit}: met at the conference of {2000 + n % 20}\r\n"
        f"REV:2024-05-{1 + edit:02d}T10:00:00Z\r\nEND:VCARD\r\n"
    )


def fill_and_edit(store: Store, clock: Clock, contacts: int, edits: int) -> None:
    with store.write() as tx:
        tx.ensure_default_book("alice")
    for start in range(0, contacts, 1000):
        with store.write([BOOK], actor=PHONE) as tx:
            tx.add_items(
                tx.require_collection(BOOK),
                [
                    (f"size-{n}.vcf", item_data(card(n, 0)))
                    for n in range(start, min(contacts, start + 1000))
                ],
            )
    for edit in range(1, edits + 1):
        clock.now += 3 * DAY
        for start in range(0, contacts, 1000):
            with store.write([BOOK], actor=PHONE) as tx:
                book = tx.require_collection(BOOK)
                for n in range(start, min(contacts, start + 1000)):
                    tx.put_item(book, f"size-{n}.vcf", item_data(card(n, edit)))


def sizes(store: Store, *, full: bool = False) -> dict[str, int]:
    """Bytes of the versions (with indexes) and of the items (with indexes)."""
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT tbl_name, SUM(pgsize) FROM dbstat JOIN sqlite_schema USING (name) "
                "WHERE tbl_name IN ('versions', 'items') GROUP BY tbl_name"
            ).all()
        return {name: int(size) for name, size in rows}
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name in ("versions", "items"):
            conn.exec_driver_sql(f"VACUUM FULL {name}" if full else f"VACUUM {name}")
        return {
            name: int(conn.exec_driver_sql(f"SELECT pg_total_relation_size('{name}')").scalar_one())
            for name in ("versions", "items")
        }


def packed_against_plain(store: Store) -> tuple[int, int, int]:
    """Rows, bytes of the packed cards, bytes of the same cards unpacked (text + index)."""
    from contacthub.store.versions import unpack

    rows = packed = plain = 0
    with store.engine.connect() as conn:
        for (card_bytes,) in conn.execute(sa.select(versions.c.card)):
            rows += 1
            if card_bytes is None:
                continue
            packed += len(card_bytes)
            data = unpack(card_bytes)
            index = data.index
            plain += len(data.text.encode()) + sum(
                len("\n".join(values).encode()) + 2
                for values in (index.fn, index.emails, index.phones, index.orgs, index.extra)
            )
    return rows, packed, plain


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL")
    args = parser.parse_args()
    postgres = PostgresServer().start() if args.postgres else None
    try:
        clock = Clock()
        url = (
            postgres.create_database()
            if postgres is not None
            else f"sqlite:///{tempfile.mkdtemp(prefix='history-size-')}/s.db"
        )
        store = Store.open(url, clock=clock)
        began = time.perf_counter()
        fill_and_edit(store, clock, args.contacts, args.edits)
        took = time.perf_counter() - began
        before = sizes(store)
        rows, packed, plain = packed_against_plain(store)
        clock.now += 10 * DAY  # day 40 after 10 edits 3 days apart: the first days expire
        began = time.perf_counter()
        pruned = 0
        while went := prune_history(store):
            pruned += went
        pruning = time.perf_counter() - began
        after = sizes(store)
        after_full = sizes(store, full=True) if postgres is not None else after
        store.close()
    finally:
        if postgres is not None:
            postgres.stop()
    scale = 100_000 * 10 / max(1, args.contacts * args.edits)
    name = "PostgreSQL" if postgres is not None else "SQLite"
    print(f"{name}: {args.contacts} contacts x {args.edits} edits in {took:.0f} s\n")
    print(
        f"- versions: {rows} rows; cards packed {packed / MB:.1f} MB, unpacked {plain / MB:.1f} MB"
    )
    print(
        f"- versions table with indexes: {before['versions'] / MB:.1f} MB "
        f"({before['versions'] / rows:.0f} bytes a version); the cards (items): "
        f"{before['items'] / MB:.1f} MB"
    )
    print(
        f"- for 100,000 x 10: about {before['versions'] * scale / MB:.0f} MB of history "
        f"beside {before['items'] * 100_000 / args.contacts / MB:.0f} MB of cards"
    )
    print(
        f"- pruned {pruned} versions in {pruning:.1f} s; the history now takes "
        f"{after['versions'] / MB:.1f} MB (PostgreSQL after VACUUM FULL: "
        f"{after_full['versions'] / MB:.1f} MB); for 100,000 x 10 about "
        f"{after_full['versions'] * scale / MB:.0f} MB"
    )


if __name__ == "__main__":
    main()
