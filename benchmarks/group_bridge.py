"""The cost of keeping groups both ways in a book with a group of 5,000 members.

    python benchmarks/group_bridge.py [--members 5000] [--rounds 5] [--store URL | --postgres]

A book (SQLite in a temporary directory unless --store names another, or --postgres starts
a private PostgreSQL cluster as the tests do) holds N contacts,
all members of one group: a group card listing them and "Team" in each one's CATEGORIES.
Then, each timed as one store write transaction (what a CardDAV PUT's storage does), the
median of --rounds:

- a plain write: a contact's phone number changed (nothing for the bridge to do);
- one category added: a new contact written with CATEGORIES:Team joins the group card of
  5,000 members (the card rewritten once);
- one member added on the phone: the group card PUT with one member more;
- the group renamed: the group card PUT with a new FN, every member's CATEGORIES
  rewritten (5,000 derived writes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for part in ("server", "plugins"):
    if str(ROOT / part) not in sys.path:
        sys.path.insert(0, str(ROOT / part))

from contacthub.store import Actor, Store  # noqa: E402
from contacthub.store.group_cards import new_group_card  # noqa: E402
from contacthub.vcard.parse import item_data  # noqa: E402

BOOK = "alice/contacts"
ACTOR = Actor("alice", "carddav", "benchmark")


def contact(uid: str, categories: str = "", tel: str = "+1 555 0100") -> str:
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"UID:{uid}",
        f"N:Person;{uid};;;",
        f"FN:{uid} Person",
        f"EMAIL;TYPE=INTERNET:{uid}@example.org",
        f"TEL;TYPE=CELL:{tel}",
        *([f"CATEGORIES:{categories}"] if categories else []),
        "END:VCARD",
    ]
    return "\r\n".join(lines) + "\r\n"


def put(store: Store, href: str, text: str) -> tuple[float, float]:
    """Seconds of the write: wall clock, and this process's CPU (SQLite's work included;
    a PostgreSQL server's not)."""
    data = item_data(text)
    began, cpu = time.perf_counter(), time.process_time()
    with store.write([BOOK], actor=ACTOR) as tx:
        tx.put_item(tx.require_collection(BOOK), href, data)
    return time.perf_counter() - began, time.process_time() - cpu


def fill(store: Store, members: int) -> list[str]:
    uids = [f"m{n:05d}" for n in range(members)]
    with store.write(actor=ACTOR) as tx:
        tx.create_collection("alice", {})
        book = tx.create_collection(BOOK, {"tag": "VADDRESSBOOK"})
        tx.add_items(book, [(f"{uid}.vcf", item_data(contact(uid))) for uid in uids])
    put(store, "team.vcf", new_group_card("team", "Team", uids))
    return uids


def median_ms(rounds: int, step: Callable[[int], tuple[float, float]]) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of `rounds` steps."""
    times = [step(n) for n in range(rounds)]
    return (
        statistics.median(wall for wall, _ in times) * 1000,
        statistics.median(cpu for _, cpu in times) * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--store")
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL")
    args = parser.parse_args()
    if args.postgres:
        sys.path.insert(0, str(ROOT))
        from tests.support.postgres import PostgresServer

        with PostgresServer() as postgres:
            measure(args, postgres.create_database())
        return
    with tempfile.TemporaryDirectory() as tmp:
        measure(args, args.store or f"sqlite:///{Path(tmp) / 'store.db'}")


def measure(args: argparse.Namespace, url: str) -> None:
    store = Store.open(url)
    began = time.perf_counter()
    uids = fill(store, args.members)
    print(
        f"{args.members} members, filled in {time.perf_counter() - began:.1f} s",
        f"({url.split(':')[0]})",
    )
    plain = median_ms(
        args.rounds,
        lambda n: put(store, "m00000.vcf", contact("m00000", "Team", f"+1 555 {n:04d}")),
    )
    joined = median_ms(args.rounds, lambda n: put(store, f"new{n}.vcf", contact(f"new{n}", "Team")))
    members = uids + [f"new{n}" for n in range(args.rounds)]
    added = median_ms(
        args.rounds,
        lambda n: put(store, "team.vcf", new_group_card("team", "Team", [*members, f"x{n}"])),
    )
    renamed = median_ms(
        args.rounds,
        lambda n: put(store, "team.vcf", new_group_card("team", f"Team {n}", members)),
    )
    store.close()
    print(f"{'write':<38}{'wall ms':>9}{'CPU ms':>9}")
    for what, (wall, cpu) in (
        ("plain write (no group change)", plain),
        ("one category added (joins the card)", joined),
        ("one member added to the group card", added),
        (f"group renamed ({len(members)} members)", renamed),
    ):
        print(f"{what:<38}{wall:9.1f}{cpu:9.1f}")


if __name__ == "__main__":
    main()
