"""Finding duplicates across 100,000 contacts in 5 books: the first find, and a find after
100 changes.

    python benchmarks/duplicates_find.py [--contacts 100000] [--postgres | --store URL]

A fresh store holds N contacts in 5 books: 40% of N distinct people, each in one to five
books (2.5 on average), written as each kind of source writes them (phone numbers with and
without the country code, "(0)" trunk prefixes, emails in mixed case, "Family, Given"
names), region EE. The rows are written with their index columns straight (no vCard
parsing: that is the setup, not the find).

Then, in a process of its own (so its peak RSS is the find's, interpreter included):
the first find as a person waits for it (every book's keys read and written, every group
computed and kept, and the first page of 50 groups: what the admin page and GET
/api/v1/duplicates?limit=50 do); then listing all the groups (what `contacthub duplicates
list --json` and GET /api/v1/duplicates without a limit return), on a line of its own;
100 contacts changed through the store as a phone would, and the next find (only those
100 read; all groups listed), and a page of 50 groups further on.
Prints wall time, this process's CPU time, the groups found, and the peak RSS.

Targets from issue 15: under 5 s and under 300 MB, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from contacthub.duplicates.find import find_groups, find_page  # noqa: E402
from contacthub.store import (  # noqa: E402
    Actor,
    ContactIndex,
    DuplicateSettings,
    ItemData,
    Store,
)

OWNER = "alice"
BOOKS = [f"{OWNER}/{name}" for name in ("from-ios", "from-imap", "from-csv", "exchange", "work")]
PHONE = Actor(OWNER, "carddav", "bench")
GIVEN = ("Anna", "Mart", "Liis", "Peeter", "Kadri", "Tõnu", "Eva", "Jüri", "Anu", "Rein")


def person_books(person: int) -> list[int]:
    """Which of the 5 books hold the person: 1 to 5 of them, 2.5 on average."""
    count = 1 + (person * 7919) % 4 + (1 if person % 2 else 0)
    first = (person * 31) % 5
    return [(first + step) % 5 for step in range(min(count, 5))]


def card(person: int, book: int) -> ItemData:
    given, family = GIVEN[person % 10], f"Family{person // 10}"
    local = f"5{person:07d}"
    email = f"{given}.{family}@example.com"
    phones = (f"+372 {local[:4]} {local[4:]}", local, f"(0){local[:4]}-{local[4:]}")
    name = (f"{given} {family}", f"{family}, {given}", email)[book % 3]
    index = ContactIndex(
        display_name=name,
        fn=(name,),
        emails=((email.upper() if book % 2 else email),) if book != 3 else (),
        phones=(phones[book % 3],),
    )
    uid = f"p{person}-b{book}"
    text = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nEND:VCARD\r\n"
    return ItemData(text, uid, "VCARD", "VCARD", index=index)


def fill(url: str, contacts: int) -> None:
    store = Store.open(url)
    with store.write([OWNER], actor=PHONE) as tx:
        tx.ensure_collection(OWNER)
        for path in BOOKS:
            tx.ensure_collection(path, {"tag": "VADDRESSBOOK", "D:displayname": path})
    per_book: list[list[tuple[str, ItemData]]] = [[] for _ in BOOKS]
    person, written = 0, 0
    while written < contacts:
        for book in person_books(person):
            if written < contacts:
                per_book[book].append((f"p{person}-b{book}.vcf", card(person, book)))
                written += 1
        person += 1
    for path, cards in zip(BOOKS, per_book, strict=True):
        for start in range(0, len(cards), 5000):
            with store.write([path], actor=PHONE) as tx:
                tx.add_items(tx.require_collection(path), cards[start : start + 5000])
    with store.write() as tx:
        tx.set_duplicate_settings(OWNER, DuplicateSettings(phone_region="EE"))
    store.close()
    print(f"{contacts} contacts of {person} people in {len(BOOKS)} books")


def timed_find(store: Store) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    groups = find_groups(store, OWNER)
    return time.perf_counter() - wall, time.process_time() - cpu, len(groups)


def measure(url: str) -> None:
    store = Store.open(url, upgrade=False)
    wall, cpu = time.perf_counter(), time.process_time()
    first = find_page(store, OWNER, limit=50)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"first find, page of 50: {wall:6.2f} s wall, {cpu:6.2f} s CPU, {first.total} groups")
    wall, cpu, groups = timed_find(store)
    print(f"then all groups listed: {wall:6.2f} s wall, {cpu:6.2f} s CPU, {groups} groups")
    with store.read() as tx:  # 100 different cards, 20 of each book, the same every run
        changed = {
            book: sorted(tx.iter_hrefs(tx.require_collection(book).id))[:20] for book in BOOKS
        }
    for n in range(100):
        book = BOOKS[n % 5]
        with store.write([book], actor=PHONE) as tx:
            collection = tx.require_collection(book)
            tx.put_item(collection, changed[book][n // 5], card(10_000_000 + n, n % 5))
    wall, cpu, groups = timed_find(store)
    print(f"after 100 changes, all: {wall:6.2f} s wall, {cpu:6.2f} s CPU, {groups} groups")
    wall, cpu = time.perf_counter(), time.process_time()
    page = find_page(store, OWNER, limit=50, offset=10_000)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"a page of 50 further on: {wall:6.2f} s wall, {cpu:6.2f} s CPU, of {page.total}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the finds:  {peak:6.0f} MB (the whole process)")
    store.close()


def run(url: str, contacts: int) -> None:
    fill(url, contacts)
    subprocess.run([sys.executable, __file__, "--measure", url], check=True)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--store", help="a store URL [default: SQLite in a temporary folder]")
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure)
        return
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.postgres:
        from tests.support.postgres import PostgresServer

        with PostgresServer() as postgres:
            run(postgres.create_database(), args.contacts)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(args.store or f"sqlite:///{Path(tmp) / 'store.db'}", args.contacts)


if __name__ == "__main__":
    main()
