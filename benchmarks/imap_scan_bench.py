"""An IMAP account's runs against a real Dovecot: the first harvest of a mailbox, an
incremental run with nothing new, and one with 1% new messages.

    python benchmarks/imap_scan_bench.py [--messages 10000]

Starts a private Dovecot (as the tests do; the dovecot-imapd package must be installed),
appends MESSAGES messages to INBOX from 2,000 correspondents, connects the account on a
SQLite store and runs it through contacthub.jobs.run_sync. Prints each run's wall time,
messages scanned and contacts added and updated.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from contacthub import config  # noqa: E402
from contacthub.fetch import FetchPolicy  # noqa: E402
from contacthub.jobs.runner import run_sync  # noqa: E402
from contacthub.sources.context import RunContext  # noqa: E402
from contacthub.sources.imap import source as imap_source  # noqa: E402
from contacthub.store import Store  # noqa: E402
from tests.fetch.certs import make_certificates  # noqa: E402
from tests.imap.messages import message  # noqa: E402
from tests.support.dovecot import DovecotServer  # noqa: E402

PEOPLE = 2000
USER, PASSWORD = "bench@example.org", "bench-Secret-1"


def mail(number: int) -> bytes:
    person = number % PEOPLE
    return message(f"""\
From: Person {person} <person{person}@example.com>
To: Bench <{USER}>
Cc: Colleague {person % 50} <colleague{person % 50}@example.net>
Subject: Message {number}
Date: Mon, 04 Mar 2024 09:{number % 60:02d}:00 +0100
Message-ID: <m{number}@example.com>""")


def seed(dovecot: DovecotServer, first: int, count: int) -> None:
    with dovecot.client(USER) as client:
        for number in range(first, first + count):
            dovecot.append(client, "INBOX", mail(number))


def timed(label: str, ctx: RunContext, source_id: int) -> None:
    with ctx.store.read() as tx:
        source = tx.require_source(source_id)
    start = time.perf_counter()
    run = run_sync(ctx, source)
    elapsed = time.perf_counter() - start
    print(
        f"{label:<30} {elapsed:7.2f} s   {run.counts.get('messages_scanned', 0):>6} "
        f"scanned   {run.counts.get('added', 0):>5} added   "
        f"{run.counts.get('updated', 0):>5} updated",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    total = parser.parse_args().messages
    with (
        tempfile.TemporaryDirectory() as tmp,
        DovecotServer(make_certificates(Path(tmp))) as dovecot,
    ):
        dovecot.add_user(USER, PASSWORD)
        start = time.perf_counter()
        seed(dovecot, 0, total)
        print(f"seeded {total} messages in {time.perf_counter() - start:.1f} s")
        settings = config.load(Path(tmp) / "data")
        settings.fetch_policy = FetchPolicy(timeout=30, allowed_networks=("127.0.0.0/8",))
        store = Store.open(f"sqlite:///{Path(tmp) / 'store.db'}")
        with store.write() as tx:
            tx.create_collection("ann", {})
        ctx = RunContext(store, settings)
        source = imap_source.connect_account(
            ctx,
            "ann",
            {
                "username": USER,
                "password": PASSWORD,
                "host": dovecot.host,
                "port": dovecot.imap_port,
                "ssl": False,
            },
        )
        timed("first run", ctx, source.id)
        timed("nothing new", ctx, source.id)
        seed(dovecot, total, total // 100)
        timed("1% new messages", ctx, source.id)
        store.close()


if __name__ == "__main__":
    main()
