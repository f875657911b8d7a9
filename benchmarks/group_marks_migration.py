"""Migration 0014 (group cards marked) on a big store.

    python benchmarks/group_marks_migration.py [--contacts 100000] [--groups 100] [--postgres]

A store at revision 0011 with N contacts (a third of them with a category, a tenth with a
long note) and G group cards stored as before the groups bridge (no mark), then
`upgrade` to 0014 as `contacthub serve` does at start: its wall and CPU time, and the
peak resident memory of the process before and after.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for part in ("server", "plugins"):
    if str(ROOT / part) not in sys.path:
        sys.path.insert(0, str(ROOT / part))

import sqlalchemy as sa  # noqa: E402

from contacthub.store import Actor, Store  # noqa: E402
from contacthub.store.engine import make_engine  # noqa: E402
from contacthub.store.group_cards import GROUP_MARK, new_group_card  # noqa: E402
from contacthub.store.migrate import upgrade  # noqa: E402
from contacthub.store.schema import items  # noqa: E402
from contacthub.vcard.parse import item_data  # noqa: E402

ACTOR = Actor("alice", "cli", "benchmark")


def contact(n: int) -> str:
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"UID:c{n}",
        f"N:Person;{n};;;",
        f"FN:Person {n}",
        f"EMAIL;TYPE=INTERNET:p{n}@example.org",
        *([f"CATEGORIES:Label {n % 10}"] if n % 3 == 0 else []),
        *([f"NOTE:{'a kind word for the group ' * 40}"] if n % 10 == 0 else []),
        "END:VCARD",
    ]
    return "\r\n".join(lines) + "\r\n"


def fill(url: str, contacts: int, groups: int) -> None:
    engine = make_engine(url)
    upgrade(engine, "0013")
    store = Store(engine, history_retention=60)
    with store.write(actor=ACTOR) as tx:
        tx.create_collection("alice", {})
        tx.create_collection(
            "alice/contacts", {"tag": "VADDRESSBOOK", "{urn:contacthub}group-form": "categories"}
        )
    for start in range(0, contacts, 5000):
        with store.write(["alice/contacts"], actor=ACTOR) as tx:
            book = tx.require_collection("alice/contacts")
            tx.add_items(
                book,
                [
                    (f"c{n}.vcf", item_data(contact(n)))
                    for n in range(start, min(contacts, start + 5000))
                ],
            )
    with store.write(["alice/contacts"], actor=ACTOR) as tx:
        book = tx.require_collection("alice/contacts")
        cards = [
            new_group_card(f"g{n}", f"Group {n}", [f"c{m}" for m in range(n, contacts, 997)])
            for n in range(groups)
        ]
        tx.add_items(book, [(f"g{n}.vcf", item_data(card)) for n, card in enumerate(cards)])
    prefix = f"\n{GROUP_MARK}"
    with engine.begin() as conn:  # as stored before the bridge: no mark
        conn.execute(
            items.update()
            .where(items.c.idx_extra.startswith(prefix))
            .values(idx_extra=sa.func.substr(items.c.idx_extra, len(prefix) + 1))
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.postgres:
        sys.path.insert(0, str(ROOT))
        from tests.support.postgres import PostgresServer

        with PostgresServer() as server:
            measure(server.create_database(), args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        measure(f"sqlite:///{Path(tmp) / 'store.db'}", args)


def measure(url: str, args: argparse.Namespace) -> None:
    began = time.perf_counter()
    fill(url, args.contacts, args.groups)
    print(
        f"filled {args.contacts:,} contacts and {args.groups} group cards",
        f"in {time.perf_counter() - began:.0f} s",
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine = make_engine(url)
    wall, cpu = time.perf_counter(), time.process_time()
    upgrade(engine)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    with engine.connect() as conn:
        marked = conn.execute(
            sa.select(sa.func.count()).where(items.c.idx_extra.startswith(f"\n{GROUP_MARK}\n"))
        ).scalar_one()
    engine.dispose()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"upgrade to 0014: {wall:.2f} s wall, {cpu:.2f} s CPU; {marked} group cards marked; "
        f"peak RSS {rss_before:.0f} MiB before, {rss_after:.0f} MiB after"
    )


if __name__ == "__main__":
    main()
