"""Resident memory of `contacthub serve` holding a large book.

    python benchmarks/serve_memory.py [--contacts 100000]

Fills a book through the store (fast), starts the real server on it, and
reads VmRSS after start, after an initial sync and no-change syncs, and
after a PROPFIND Depth 1 of the whole book.
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from contacthub.store import Store
from contacthub.vcard.parse import item_data

SYNC = (
    '<?xml version="1.0"?><sync-collection xmlns="DAV:"><sync-token>{}</sync-token>'
    "<sync-level>1</sync-level><prop><getetag/></prop></sync-collection>"
)
PROPFIND = '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/></prop></propfind>'


def fill(data_dir: Path, count: int) -> None:
    subprocess.run(
        [sys.executable, "-m", "contacthub.cli", "user", "add", "ann", "--data-dir", str(data_dir)],
        input="pw\n",
        text=True,
        check=True,
        capture_output=True,
    )
    store = Store.open(f"sqlite:///{data_dir / 'contacthub.db'}")
    with store.write() as tx:
        book = tx.ensure_default_book("ann")
        for start in range(0, count, 5000):
            batch = []
            for number in range(start, min(start + 5000, count)):
                uid = uuid.uuid4().hex
                batch.append(
                    (
                        f"{uid}.vcf",
                        item_data(
                            f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Person {number}\r\n"
                            f"EMAIL:p{number}@example.org\r\nTEL:+1555{number:07d}\r\nEND:VCARD\r\n"
                        ),
                    )
                )
            tx.add_items(book, batch)
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    count = parser.parse_args().contacts
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        fill(Path(tmp), count)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "contacthub.cli",
                "serve",
                "--data-dir",
                tmp,
                "--port",
                str(port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            assert server.stdout is not None
            for line in server.stdout:
                if "listening" in line:
                    break

            def rss() -> float:
                status = Path(f"/proc/{server.pid}/status").read_text()
                return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]

            session = requests.Session()
            session.auth = ("ann", "pw")
            book = f"http://127.0.0.1:{port}/ann/contacts/"
            print(f"| {count:,} contacts | RSS MiB | time |\n| --- | --- | --- |")
            print(f"| after start | {rss():.0f} | |")
            first = session.request("REPORT", book, headers={"Depth": "1"}, data=SYNC.format(""))
            token = re.search(r"<sync-token>([^<]+)", first.text).group(1)  # type: ignore[union-attr]
            start = time.perf_counter()
            for _ in range(20):
                session.request("REPORT", book, headers={"Depth": "1"}, data=SYNC.format(token))
            took = (time.perf_counter() - start) / 20 * 1000
            print(
                f"| after an initial sync and 20 no-change syncs | {rss():.0f} "
                f"| {took:.1f} ms each |"
            )
            start = time.perf_counter()
            session.request("PROPFIND", book, headers={"Depth": "1"}, data=PROPFIND)
            print(
                f"| after a PROPFIND Depth 1 of the book | {rss():.0f} "
                f"| {time.perf_counter() - start:.1f} s |"
            )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
