"""CardDAV PUTs while `contacthub import` runs: how long does a phone wait?

    python benchmarks/import_vs_put.py [--rows 100000,500000] [--store URL] [--interval 0.2]

For each size: a fresh data directory, the real `contacthub serve` on a loopback port,
then the real `contacthub import` of a generated CSV (6 columns, a key column). While
the import runs, two client threads PUT a new card every `--interval` seconds: one into
alice's default book, one into the book the import fills (once it exists). Each PUT's
wait (request to answer) and status are recorded; a PUT that is not 201/204 is a failure.
Prints max, p99 and median wait, the count and the failures, the import's wall time and
CPU time, the server's CPU time meanwhile, and the load average before and after (the
machine may be shared). `--store` runs both processes on that store (e.g. a PostgreSQL
URL) instead of SQLite; `--postgres` starts a private PostgreSQL cluster from the
machine's binaries for it.

Logins are remembered for an hour, as by default (set here too, so that an older tree
is measured alike): the figures are what the import costs a PUT, not a bcrypt check.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.servers import ContacthubServer, DavSession, contacthub_command  # noqa: E402

USERS = {"alice": "alice-Secret-1"}
LOGINS_REMEMBERED = {"auth": {"cache_logins": "True", "cache_successful_logins_expiry": "3600"}}
HEADER = ["ID", "First Name", "Last Name", "E-mail Address", "Mobile Phone", "Company"]
NAMES = ["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Fatima", "Gao", "Hugo", "Ines", "Jonas"]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            first = NAMES[n % len(NAMES)]
            writer.writerow(
                [
                    n,
                    first,
                    f"Family{n}",
                    f"{first.lower()}.{n}@example.org",
                    f"+1 555 {n:07d}",
                    f"Company {n % 500}",
                ]
            )


def card(uid: str) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Phone {uid[:8]}\r\n"
        f"N:{uid[:8]};Phone;;;\r\nEMAIL:{uid[:8]}@phone.example\r\nEND:VCARD\r\n"
    )


@dataclass
class Waits:
    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        if not self.seconds:
            return f"| {label} | 0 | - | - | - | {len(self.failures)} |"
        ordered = sorted(self.seconds)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"| {label} | {len(ordered)} | {max(ordered):.2f} | {p99:.2f} "
            f"| {statistics.median(ordered):.3f} | {len(self.failures)} |"
        )


def put_loop(
    session: DavSession,
    book: Callable[[], str | None],
    waits: Waits,
    stop: threading.Event,
    interval: float,
) -> None:
    while not stop.is_set():
        path = book()
        if path is not None:
            uid = uuid.uuid4().hex
            start = time.perf_counter()
            try:
                response = session.put(
                    f"{path}{uid}.vcf",
                    data=card(uid).encode(),
                    headers={"Content-Type": "text/vcard; charset=utf-8"},
                    timeout=120,
                )
                status = str(response.status_code)
                if response.status_code not in (201, 204):
                    waits.failures.append(f"{status} {response.text[:200]!r}")
            except Exception as error:  # a dropped connection is a failure too
                waits.failures.append(repr(error))
            waits.seconds.append(time.perf_counter() - start)
        stop.wait(interval)


def cpu_of(pid: int) -> float:
    """CPU seconds (user and system) a running process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds of the children that have ended (the import, once it has)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def import_book(server: ContacthubServer) -> str | None:
    """The book the import fills, once the import has created it."""
    response = server.session("alice").request("PROPFIND", "/alice/", headers={"Depth": "1"})
    for part in response.text.split("<href>")[1:]:
        href = part.split("</href>", 1)[0]
        if "/from-csv-" in href:
            return href
    return None


def run_size(rows: int, store_url: str | None, interval: float, tmp: Path) -> list[str]:
    data_dir = tmp / f"data-{rows}"
    config = {**LOGINS_REMEMBERED, **({"store": {"url": store_url}} if store_url else {})}
    server = ContacthubServer(data_dir, USERS, store_url=store_url, config=config)
    csv_path = tmp / f"people-{rows}.csv"
    write_csv(csv_path, rows)
    server.start()
    try:
        alice = server.session("alice")
        assert alice.request("PROPFIND", "/alice/contacts/", headers={"Depth": "0"}).ok
        found: dict[str, str] = {}

        def own_book() -> str | None:
            return "/alice/contacts/"

        def imported_book() -> str | None:
            if "book" not in found:
                book = import_book(server)
                if book is None:
                    return None
                found["book"] = book
            return found["book"]

        stop = threading.Event()
        waits = {"default book": Waits(), "the import's book": Waits()}
        threads = [
            threading.Thread(
                target=put_loop,
                args=(server.session("alice"), pick, waits[label], stop, interval),
                daemon=True,
            )
            for label, pick in (("default book", own_book), ("the import's book", imported_book))
        ]
        for thread in threads:
            thread.start()
        argv = [
            *contacthub_command(),
            "import",
            str(csv_path),
            "--user",
            "alice",
            "--key",
            "ID",
            "--update",
            "--data-dir",
            str(data_dir),
        ]
        if server.config_path:
            argv += ["--config", str(server.config_path)]
        load_before = os.getloadavg()[0]
        serve_before, children_before = cpu_of(server.pid), children_cpu()
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - started
        import_cpu = children_cpu() - children_before
        serve_cpu, load_after = cpu_of(server.pid) - serve_before, os.getloadavg()[0]
        time.sleep(interval * 2)
        stop.set()
        for thread in threads:
            thread.join(timeout=150)
        if done.returncode != 0:
            raise SystemExit(f"import failed:\n{done.stdout}\n{done.stderr}")
        report = done.stdout.strip().splitlines()[-1]
        lines = [
            waits[label].line(f"{rows:,} rows, PUT into {label}; import {elapsed:.0f} s")
            for label in waits
        ]
        for label, found_waits in waits.items():
            for failure in found_waits.failures[:5]:
                print(f"  {label}: {failure}", file=sys.stderr)
        print(f"  import: {report}", file=sys.stderr)
        lines.append(
            f"| {rows:,} rows: import {elapsed:.0f} s wall, {import_cpu:.0f} s CPU; serve "
            f"{serve_cpu:.0f} s CPU meanwhile; load average {load_before:.1f} -> {load_after:.1f} "
            "| | | | | |"
        )
        return lines
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="100000,500000")
    parser.add_argument("--store", default=None, help="store URL [default: SQLite]")
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL")
    parser.add_argument("--interval", type=float, default=0.2)
    args = parser.parse_args()
    postgres = PostgresServer().start() if args.postgres else None
    try:
        measure(args, postgres)
    finally:
        if postgres is not None:
            postgres.stop()


def measure(args: argparse.Namespace, postgres: PostgresServer | None) -> None:
    print(
        f"store: {'PostgreSQL' if args.store or postgres else 'SQLite'}\n\n"
        "| run | PUTs | max s | p99 s | median s | failures |\n"
        "| --- | --- | --- | --- | --- | --- |",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (int(n) for n in args.rows.split(",")):
            store = postgres.create_database() if postgres is not None else args.store
            for line in run_size(rows, store, args.interval, Path(tmp)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
