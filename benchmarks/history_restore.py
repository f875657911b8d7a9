"""Restoring a book to before a mass deletion: how long the preview and the apply take.

    python benchmarks/history_restore.py [--contacts 10000] [--postgres | --store URL]
                                         [--deleted-by phone|run]

A fresh store; a book of N realistic contacts (name, two emails, two phones, company,
address, note); then every one of them deleted — by a phone (`phone`: one DELETE after
another, each its own transaction, as DAVx5 wiping a book) or by a CSV-like run with
"delete not found" given no records (`run`). Then, through services/history (what the
API, the admin page and the CLI call): the preview of restoring the book to a time
before the deletion, and the apply. Prints both times, and checks the book holds every
card again, byte for byte.

Targets from issue 13: at 10,000 contacts, preview under 2 s and apply under 5 s, on
SQLite and on PostgreSQL.
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

from contacthub import config  # noqa: E402
from contacthub.reconcile import Incoming, Policy, run_source  # noqa: E402
from contacthub.services import history  # noqa: E402
from contacthub.sources.context import RunContext  # noqa: E402
from contacthub.store import Actor, Store  # noqa: E402
from contacthub.vcard.parse import item_data  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

BOOK = "alice/contacts"
PHONE = Actor("alice", "carddav", "DAVx5/4.4.2-ose")


def card(n: int) -> str:
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//bench//EN\r\n"
        f"UID:restore-{n}\r\nN:Family{n};Given{n};;;\r\nFN:Given{n} Family{n}\r\n"
        f"EMAIL;TYPE=INTERNET;TYPE=WORK:given{n}@work.example.org\r\n"
        f"EMAIL;TYPE=INTERNET;TYPE=HOME:g{n}@home.example.net\r\n"
        f"TEL;TYPE=CELL:+1 555 {n:07d}\r\nTEL;TYPE=WORK:+1 555 {n + 1:07d}\r\n"
        f"ORG:Company {n % 500};Sales\r\nTITLE:Manager\r\n"
        f"ADR;TYPE=WORK:;;{n} Main Street;Springfield;;12345;USA\r\n"
        f"NOTE:met at the conference of {2000 + n % 20}\r\nEND:VCARD\r\n"
    )


def fill(store: Store, contacts: int) -> dict[str, str]:
    with store.write() as tx:
        tx.ensure_default_book("alice")
    for start in range(0, contacts, 1000):
        with store.write([BOOK], actor=PHONE) as tx:
            tx.add_items(
                tx.require_collection(BOOK),
                [
                    (f"restore-{n}.vcf", item_data(card(n)))
                    for n in range(start, min(contacts, start + 1000))
                ],
            )
    return held(store)


def held(store: Store) -> dict[str, str]:
    with store.read() as tx:
        return {item.href: item.text for item in tx.iter_items(tx.require_collection(BOOK).id)}


def delete_by_phone(store: Store, hrefs: list[str]) -> None:
    for href in hrefs:
        with store.write([BOOK], actor=PHONE) as tx:
            tx.delete_item(tx.require_collection(BOOK), href)


def delete_by_run(store: Store, hrefs: list[str]) -> None:
    """A source that linked every card, then a run of it that finds none of them."""
    with store.write() as tx:
        source = tx.create_source("alice", "test", "bench", BOOK, {})
        book = tx.require_collection(BOOK)
    from contacthub.store import Link

    with store.write() as tx:
        tx.save_links(
            source.id,
            [
                Link(href, item.uid, href, "hash")
                for href, item in tx.get_items(book.id, hrefs).items()
            ],
        )
    records: list[Incoming] = []
    outcome = run_source(
        store,
        source,
        lambda: (records, []),
        Policy(delete_missing=True, override_mass_deletion=True),
    )
    assert outcome.changes.counts["deleted"] == len(hrefs), outcome.changes.counts


def measure(url: str, contacts: int, deleted_by: str) -> None:
    store = Store.open(url)
    ctx = RunContext(store, config.load(Path(tempfile.mkdtemp(prefix="history-restore-"))))
    began = time.perf_counter()
    before = fill(store, contacts)
    filled = time.perf_counter() - began
    time.sleep(0.05)
    at = time.time()
    time.sleep(0.05)
    began = time.perf_counter()
    (delete_by_phone if deleted_by == "phone" else delete_by_run)(store, sorted(before))
    deleting = time.perf_counter() - began
    assert held(store) == {}

    began = time.perf_counter()
    preview = history.preview_restore(ctx, "alice", ["contacts"], at)
    previewing = time.perf_counter() - began
    assert len(preview.brought_back) == contacts
    began = time.perf_counter()
    done = history.apply_restore(ctx, "alice", ["contacts"], at, via="cli", basis=preview.basis)
    applying = time.perf_counter() - began
    assert done.done.counts["added"] == contacts
    assert held(store) == before, "the book is not as it was"
    store.close()  # waits for the settling of the restore's rows (store/settling.py)
    settled = time.perf_counter() - began
    print(
        f"| {store.engine.dialect.name} | {contacts} | {deleted_by} | {filled:.1f} "
        f"| {deleting:.1f} | {previewing:.2f} | {applying:.2f} | {settled:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--store", default=None, help="a store URL (default: SQLite)")
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL")
    parser.add_argument("--deleted-by", choices=("phone", "run"), default="phone")
    args = parser.parse_args()
    postgres = PostgresServer().start() if args.postgres else None
    try:
        url = (
            postgres.create_database()
            if postgres is not None
            else args.store or f"sqlite:///{tempfile.mkdtemp(prefix='history-restore-db-')}/s.db"
        )
        print(
            "| store | contacts | deleted by | fill s | deletion s | preview s | apply s "
            "| settled s |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        measure(url, args.contacts, args.deleted_by)
    finally:
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    main()
