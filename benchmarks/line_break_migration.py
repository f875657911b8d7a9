"""Migration 0020 (index columns of values with a line break written again) on a big store.

    python benchmarks/line_break_migration.py [--contacts 100000] [--postgres]

A store of N contacts: 1% with a name, email and organization of two lines, indexed as
before 0020 (the line break left as the frame between two values), 10% with a note of
two lines (found by the look-up, parsed, left as they are), and a tenth of the cards
written twice, so that the versions table keeps 10% of N packed cards. Then `upgrade`
from 0019 as `contacthub serve` does at start: its wall and CPU time, the rows rewritten
and the peak resident memory of the process before and after.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for part in ("server", "plugins"):
    if str(ROOT / part) not in sys.path:
        sys.path.insert(0, str(ROOT / part))

import sqlalchemy as sa  # noqa: E402
from alembic import command  # noqa: E402

from contacthub.store import Actor, Store  # noqa: E402
from contacthub.store.engine import make_engine  # noqa: E402
from contacthub.store.items import index_columns  # noqa: E402
from contacthub.store.migrate import alembic_config, upgrade  # noqa: E402
from contacthub.store.schema import items  # noqa: E402
from contacthub.vcard.parse import item_data  # noqa: E402

ACTOR = Actor("alice", "cli", "benchmark")
BATCH = 5000


def contact(n: int, edited: bool = False) -> str:
    two_lines = n % 100 == 0
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"UID:c{n}",
        f"N:Person;{n};;;",
        f"FN:Person {n}\\nSecond line" if two_lines else f"FN:Person {n}",
        f"EMAIL;TYPE=INTERNET:p{n}@example.org" + ("\\nq@example.org" if two_lines else ""),
        f"ORG:Firm {n}\\nDivision" if two_lines else f"ORG:Firm {n}",
        *([f"NOTE:First line of a note\\nand its second, {n}"] if n % 10 == 5 else []),
        *(["TITLE:edited"] if edited else []),
        "END:VCARD",
    ]
    return "\r\n".join(lines) + "\r\n"


def _before_0020(values: Iterable[str]) -> str:
    lowered = [value.lower() for value in values]
    return "\n" + "\n".join(lowered) + "\n" if lowered else ""


def fill(url: str, contacts: int) -> int:
    """The store at 0019 with its old-style rows; how many there are."""
    store = Store.open(url)
    with store.write(actor=ACTOR) as tx:
        tx.create_collection("alice", {})
        tx.create_collection("alice/contacts", {"tag": "VADDRESSBOOK"})
    for start in range(0, contacts, BATCH):
        numbers = range(start, min(contacts, start + BATCH))
        with store.write(["alice/contacts"], actor=ACTOR) as tx:
            book = tx.require_collection("alice/contacts")
            tx.add_items(book, [(f"c{n}.vcf", item_data(contact(n))) for n in numbers])
        with store.write(["alice/contacts"], actor=ACTOR) as tx:
            for n in numbers[::10]:  # each keeps a version of the card before
                tx.put_item(book, f"c{n}.vcf", item_data(contact(n, edited=True)))
    command.downgrade(alembic_config(store.engine), "0019")
    old_style = []
    for n in range(0, contacts, 100):
        index = item_data(contact(n, edited=n % 10 == 0)).index
        old_style.append(
            {
                "item_href": f"c{n}.vcf",
                "fn": _before_0020(index.fn),
                "email": _before_0020(index.emails),
                "org": _before_0020(index.orgs),
            }
        )
    with store.engine.begin() as conn:
        conn.execute(
            items.update()
            .where(items.c.href == sa.bindparam("item_href"))
            .values(
                idx_fn=sa.bindparam("fn"),
                idx_email=sa.bindparam("email"),
                idx_org=sa.bindparam("org"),
            ),
            old_style,
        )
    store.close()
    return len(old_style)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
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


def _stale_rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(items.c.text, items.c.idx_fn, items.c.idx_email, items.c.idx_org).where(
                items.c.text.contains("\\n")
            )
        )
        return sum(
            1
            for row in rows
            if (fresh := index_columns(item_data(row.text)))
            and (row.idx_fn, row.idx_email, row.idx_org)
            != (fresh["idx_fn"], fresh["idx_email"], fresh["idx_org"])
        )


def measure(url: str, args: argparse.Namespace) -> None:
    began = time.perf_counter()
    old_style = fill(url, args.contacts)
    print(f"filled {args.contacts:,} contacts ({old_style} old-style rows)", end=" ")
    print(f"in {time.perf_counter() - began:.0f} s")
    engine = make_engine(url)
    assert _stale_rows(engine) == old_style
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    wall, cpu = time.perf_counter(), time.process_time()
    upgrade(engine)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stale = _stale_rows(engine)
    engine.dispose()
    print(
        f"upgrade to 0020: {wall:.2f} s wall, {cpu:.2f} s CPU; {old_style - stale} of "
        f"{old_style} rows indexed again; peak RSS {rss_before:.0f} MiB before, "
        f"{rss_after:.0f} MiB after"
    )


if __name__ == "__main__":
    main()
