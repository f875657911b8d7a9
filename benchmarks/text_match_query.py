#!/usr/bin/env python3
"""What an addressbook-query text-match costs the store, in process, at a big book.

    PYTHONPATH=server:plugins python benchmarks/text_match_query.py [--contacts 100000]
        [--store URL] [--repeat 50]

Fills one book (once: an existing store at URL is reused) and times `match_items` for
the EMAIL query of `serve_memory.py` (contains ".N@", one card) and a few other
match-types and terms: median and p95 of wall and CPU (this process's, which is
where SQLite works) per query.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# contacthub itself comes from PYTHONPATH: the tree under test (before/after).
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from big_book_answers import USER, href  # noqa: E402

from contacthub.store import FilterGroup, Store, TextMatch  # noqa: E402
from contacthub.vcard.parse import item_data  # noqa: E402
from tests.clients.cards import make_card  # noqa: E402


def queries(count: int) -> list[tuple[str, TextMatch]]:
    wanted = count // 2
    return [
        ("EMAIL contains .N@ (serve_memory)", TextMatch("EMAIL", f".{wanted}@")),
        ("EMAIL starts-with (3 letters)", TextMatch("EMAIL", "zoe", "starts-with")),
        ("EMAIL starts-with in every card (worst)", TextMatch("EMAIL", "com", "starts-with")),
        ("EMAIL equals (absent)", TextMatch("EMAIL", "nobody@nowhere.example", "equals")),
        ("FN contains (2 letters: LIKE path)", TextMatch("FN", "qx")),
        ("TEL ends-with", TextMatch("TEL", f"{wanted:04d}", "ends-with")),
    ]


def fill(store: Store, count: int) -> None:
    with store.write() as tx:
        book = tx.ensure_default_book(USER)
        for start in range(0, count, 5000):
            end = min(start + 5000, count)
            tx.add_items(book, [(href(i), item_data(make_card(i))) for i in range(start, end)])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--store", default="sqlite:////tmp/text_match_query.db")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    store = Store.open(args.store)
    with store.read() as tx:
        book = tx.get_collection(f"{USER}/contacts")
    if book is None:
        fill(store, args.contacts)
        with store.read() as tx:
            book = tx.get_collection(f"{USER}/contacts")
    assert book is not None
    print(f"{'query':40} {'found':>6} {'wall p50':>9} {'p95':>7} {'CPU p50':>8} {'p95':>7} (ms)")
    for label, match in queries(args.contacts):
        walls, cpus, found = [], [], 0
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            with store.read() as tx:
                found = len(list(tx.match_items(book.id, FilterGroup((match,), all_of=True))))
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        print(
            f"{label:40} {found:6d} {statistics.median(walls):9.2f} {percentile(walls, 0.95):7.2f}"
            f" {statistics.median(cpus):8.2f} {percentile(cpus, 0.95):7.2f}"
        )
    store.close()


if __name__ == "__main__":
    main()
