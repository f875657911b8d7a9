"""What /metrics costs the store: the two counts it reads at a scrape (contacts per account,
the history's size), at 100,000 contacts.

    python benchmarks/metrics_figures.py [--contacts 100000] [--accounts 20] [--postgres]

Fills a fresh store through its own write path (a version row for each card written, as
a PUT makes), spread over the accounts' default books, then times the counts as
metrics.StoreFigures reads them (one read transaction, cold then warm, best of 5).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from contacthub.store import Actor, Store  # noqa: E402
from contacthub.vcard.parse import item_data  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.vcards import make_card  # noqa: E402

BATCH = 2000
PHONE = Actor("bench", "carddav", "DAVx5/4.4.2-ose")


def fill(store: Store, contacts: int, accounts: int) -> None:
    per_account = contacts // accounts
    for a in range(accounts):
        user = f"user{a:03d}"
        with store.write() as tx:
            tx.create_collection(user, {})
            tx.ensure_default_book(user)
        for start in range(0, per_account, BATCH):
            with store.write(actor=PHONE) as tx:
                book = tx.ensure_default_book(user)
                for n in range(start, min(start + BATCH, per_account)):
                    card = make_card(
                        f"{user}-{n:08d}",
                        f"Given{n} Family{n}",
                        emails=[f"given{n}@example.org"],
                        tels=[f"+4930{n:08d}"],
                        org=f"Company {n % 500}",
                    )
                    tx.put_item(book, f"{n:08d}.vcf", item_data(card))


def timed(store: Store) -> float:
    started = time.perf_counter()
    with store.read() as tx:
        tx.contacts_per_account()
        tx.version_count()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.postgres:
            pg = PostgresServer().start()
            url = pg.create_database()
        else:
            pg = None
            url = f"sqlite:///{Path(tmp) / 'store.db'}"
        try:
            store = Store.open(url)
            started = time.perf_counter()
            fill(store, args.contacts, args.accounts)
            print(f"filled {args.contacts} contacts in {time.perf_counter() - started:.0f} s")
            store.close()
            store = Store.open(url)
            cold = timed(store)
            warm = [timed(store) for _ in range(5)]
            with store.read() as tx:
                total = sum(tx.contacts_per_account().values())
                versions = tx.version_count()
            print(
                f"{'postgresql' if pg else 'sqlite'}: {total} contacts in {args.accounts} "
                f"accounts, {versions} versions: counted in {cold * 1000:.1f} ms cold, "
                f"{min(warm) * 1000:.1f} ms warm (median {statistics.median(warm) * 1000:.1f})"
            )
            store.close()
        finally:
            if pg is not None:
                pg.stop()


if __name__ == "__main__":
    main()
