#!/usr/bin/env python3
"""Storing cards with big photos over CardDAV: one PUT, and several at once.

    python benchmarks/big_photo.py [--photo-mb 5] [--concurrent 4] [--runs 3]
                                   [--version 3.0|4.0] [--store URL]

Starts a real `contacthub serve` (SQLite unless --store) on 127.0.0.1 and PUTs new cards
whose PHOTO holds PHOTO_MB MiB of random bytes in base64, folded at 75 octets (a 5 MiB
photo makes a card of about 7 MB): the wall time of one PUT (best and median of --runs),
then of --concurrent PUTs sent at once (each one's time, and the whole burst), and the
CPU time the server process spent on each (from /proc, so that other load on the machine
does not count). Every card is read back and compared byte for byte with what was sent.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.servers import ContacthubServer, DavSession  # noqa: E402
from tests.support.vcards import big_photo_card  # noqa: E402

USER = "alice"
PASSWORD = "bench-Secret-1"
BOOK = f"/{USER}/contacts/"
VCARD = {"Content-Type": "text/vcard; charset=utf-8", "If-None-Match": "*"}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def put_card(session: DavSession, card: str) -> float:
    """PUT one new card and return its wall time."""
    body = card.encode()
    start = time.perf_counter()
    answer = session.put(f"{BOOK}{uuid.uuid4().hex}.vcf", data=body, headers=VCARD, timeout=600)
    took = time.perf_counter() - start
    if answer.status_code != 201:
        raise SystemExit(f"PUT answered {answer.status_code}: {answer.text[:300]}")
    return took


def check_kept(session: DavSession, sent: list[str]) -> None:
    """Every card sent reads back byte for byte."""
    answer = session.request("PROPFIND", BOOK, headers={"Depth": "1"})
    hrefs = re.findall(r"href>([^<]+\.vcf)</", answer.text)
    kept = {session.get(href, timeout=600).content.decode() for href in hrefs}
    if not set(sent) <= kept:
        raise SystemExit("a card read back differs from the card sent")


def burst(server: ContacthubServer, cards: list[str]) -> tuple[list[float], float]:
    """PUT the cards at the same moment, each from its own connection."""
    times: list[float] = [0.0] * len(cards)
    errors: list[BaseException] = []
    ready = threading.Barrier(len(cards) + 1)

    def one(index: int) -> None:
        session = server.session(USER)
        ready.wait()
        try:
            times[index] = put_card(session, cards[index])
        except BaseException as error:  # reported after the burst
            errors.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(cards))]
    for thread in threads:
        thread.start()
    ready.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"a concurrent PUT failed: {errors[0]}")
    return times, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photo-mb", type=float, default=5.0)
    parser.add_argument("--concurrent", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--version", choices=("3.0", "4.0"), default="3.0")
    parser.add_argument("--store", default=None, help="a store URL (default: SQLite)")
    args = parser.parse_args()

    def card() -> str:
        photo = os.urandom(int(args.photo_mb * 1024 * 1024))
        return big_photo_card(str(uuid.uuid4()).upper(), photo, args.version)

    sample = card()
    print(
        f"vCard {args.version}, a {args.photo_mb:g} MiB photo: a card of "
        f"{len(sample.encode()) / 1e6:.2f} MB"
    )
    with tempfile.TemporaryDirectory() as tmp:
        server = ContacthubServer(
            Path(tmp) / "data",
            {USER: PASSWORD},
            store_url=args.store,
            config={"logging": {"level": "warning"}},
        )
        with server:
            assert server._proc is not None
            pid = server._proc.popen.pid
            session = server.session(USER)
            session.request("PROPFIND", BOOK, headers={"Depth": "0"})  # creates the book
            sent = [card() for _ in range(args.runs)]
            singles, cpu = [], []
            for text in sent:
                before = cpu_seconds(pid)
                singles.append(put_card(session, text))
                cpu.append(cpu_seconds(pid) - before)
            together = [card() for _ in range(args.concurrent)]
            before = cpu_seconds(pid)
            times, total = burst(server, together)
            burst_cpu = cpu_seconds(pid) - before
            check_kept(session, sent + together)
            session.close()
    print(
        f"one PUT: best {min(singles):.2f} s, median {statistics.median(singles):.2f} s "
        f"({args.runs} runs); server CPU per PUT: best {min(cpu):.2f} s, "
        f"median {statistics.median(cpu):.2f} s"
    )
    print(
        f"{args.concurrent} PUTs at once: each {', '.join(f'{t:.2f}' for t in sorted(times))} s; "
        f"all done in {total:.2f} s; server CPU {burst_cpu:.2f} s in all"
    )
    print(f"all {len(sent) + len(together)} cards read back byte for byte")


if __name__ == "__main__":
    main()
