"""End-to-end CSV import: `contacthub import` on a 100,000-row, 10-column file.

    python benchmarks/csv_import_bench.py [--rows 100000] [--labels N] [--postgres]

Runs the real command in a fresh data directory (SQLite, or with --postgres a private
PostgreSQL cluster as the tests start one), three times: into an empty book, the same
file again, and the file with 1% of rows changed. Prints wall time and the peak resident
memory of the process.

With --labels N every row has a "Labels" column naming one of N labels (Google's form,
"Label 3 ::: * myContacts"), which the import makes categories and so group cards. The
command then also reports the time inside the run's publish transaction (which holds the
book's lock; the groups bridge runs there) and of the bridge within it, and a writer
thread puts a card into the same book every 100 ms through the store, as a CardDAV PUT's
storage does: the longest and the median wait of those writes while the import runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMINGS = "CSV_IMPORT_BENCH_TIMINGS"  # the file the timed command writes its timings to

HEADER = [
    "ID",
    "First Name",
    "Last Name",
    "E-mail Address",
    "Mobile Phone",
    "Company",
    "Job Title",
    "Business City",
    "Birthday",
    "Notes",
]


def write_file(
    path: Path,
    rows: int,
    changed: set[int] = frozenset(),  # type: ignore[assignment]
    labels: int = 0,
) -> None:
    names = ["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Fatima", "Gao", "Hugo", "Ines", "Jonas"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER + (["Labels"] if labels else []))
        for n in range(rows):
            first = names[n % len(names)]
            note = "changed" if n in changed else f"Met at event {n % 97}"
            writer.writerow(
                [
                    n,
                    first,
                    f"Family{n}",
                    f"{first.lower()}.{n}@example.org",
                    f"+1 555 {n:07d}",
                    f"Company {n % 500}",
                    "Engineer",
                    "Springfield",
                    f"19{n % 90 + 10:02d}-0{n % 9 + 1}-1{n % 9}",
                    note,
                    *([f"Label {n % labels} ::: * myContacts"] if labels else []),
                ]
            )


def timed_command(timings: str, args: list[str]) -> None:
    """`contacthub` with the publish transaction and the groups bridge timed (wall and
    CPU seconds of each call, summed), written as JSON to `timings` at exit."""
    import atexit

    from contacthub.cli import main as cli_main
    from contacthub.store.groups import GroupsPart

    spent: dict[str, list[float]] = {
        "publish": [0.0, 0.0],
        "bridge": [0.0, 0.0],
        "ahead": [0.0, 0.0],
    }

    def timing(name: str, method_name: str) -> None:
        method = getattr(GroupsPart, method_name)

        def timed(*a: object, **k: object) -> object:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return method(*a, **k)
            finally:
                spent[name][0] += time.perf_counter() - wall
                spent[name][1] += time.process_time() - cpu

        setattr(GroupsPart, method_name, timed)

    timing("publish", "publish_staging")
    # Before the groups were read ahead, the publish parsed the run's cards in
    # bridge_groups; now it hands their facts to bridge_facts (the plan and the writes).
    timing("bridge", "bridge_facts" if hasattr(GroupsPart, "bridge_facts") else "bridge_groups")
    if hasattr(GroupsPart, "prepare_publish"):
        timing("ahead", "prepare_publish")
    atexit.register(lambda: Path(timings).write_text(json.dumps(spent)))
    sys.argv = ["contacthub", *args]
    cli_main()


def run(*args: str) -> tuple[float, float, float, str, dict[str, list[float]]]:
    """Wall and CPU seconds of the command, its peak RSS in MiB, the last line it printed,
    and its timings of the publish and the bridge."""
    with tempfile.NamedTemporaryFile(suffix=".json") as timings:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, __file__, "--timed-command", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, TIMINGS: timings.name},
        )
        output = proc.stdout.read() if proc.stdout else ""
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"contacthub {' '.join(args)} failed:\n{output}")
        text = Path(timings.name).read_text()
        spent = json.loads(text) if text else {}
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024, output.strip().splitlines()[-1], spent


class Writer(threading.Thread):
    """Puts a new card into the book every `every` seconds through the store, as a
    CardDAV PUT's storage does; the seconds each write took."""

    def __init__(self, url: str, owner: str, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.url, self.owner, self.every = url, owner, every
        self.waits: list[float] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        from contacthub.store import Actor, Store
        from contacthub.vcard.parse import item_data

        store = Store.open(self.url, upgrade=False)
        actor = Actor("ann", "carddav", "benchmark writer")
        number = 0
        book = ""
        while not self.stopping.wait(self.every):
            if not book:  # the import's book, once it has made it
                with store.read() as tx:
                    books = [c.path for c in tx.list_children(self.owner)]
                book = books[0] if books else ""
                continue
            number += 1
            uid = f"writer-{len(self.waits)}-{number}"
            card = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{uid}\r\nEND:VCARD\r\n"
            began = time.perf_counter()
            with store.write([book], actor=actor) as tx:
                tx.put_item(tx.require_collection(book), f"{uid}.vcf", item_data(card))
            self.waits.append(time.perf_counter() - began)
        store.close()


@contextmanager
def writing(url: str | None, owner: str) -> Iterator[Writer | None]:
    if url is None:
        yield None
        return
    writer = Writer(url, owner)
    writer.start()
    try:
        yield writer
    finally:
        writer.stopping.set()
        writer.join()


@contextmanager
def store_url(postgres: bool, data_dir: Path) -> Iterator[str | None]:
    """The store's URL for the data directory's config: None for its SQLite default."""
    if not postgres:
        yield None
        return
    sys.path.insert(0, str(ROOT))
    from tests.support.postgres import PostgresServer

    with PostgresServer() as server:
        yield server.create_database()


def main() -> None:
    if sys.argv[1:2] == ["--timed-command"]:
        timed_command(os.environ[TIMINGS], sys.argv[2:])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--labels", type=int, default=0, help="a Labels column of N labels")
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL")
    args = parser.parse_args()
    rows, labels = args.rows, args.labels
    with tempfile.TemporaryDirectory() as tmp, store_url(args.postgres, Path(tmp) / "data") as url:
        measure(Path(tmp), rows, labels, url)


def measure(tmp: Path, rows: int, labels: int, url: str | None) -> None:
    data_dir, csv_path = tmp / "data", tmp / "people.csv"
    data_dir.mkdir()
    if url is not None:
        (data_dir / "contacthub.conf").write_text(f"[store]\nurl = {url}\n")
    subprocess.run(
        [sys.executable, "-m", "contacthub.cli", "user", "add", "ann", "--data-dir", str(data_dir)],
        input="a long enough secret\n",  # 12 characters at least
        text=True,
        check=True,
        capture_output=True,
    )
    common = ["import", str(csv_path), "--user", "ann", "--data-dir", str(data_dir)]
    common += ["--key", "ID", "--update"]
    write_file(csv_path, rows, labels=labels)
    print(
        f"| run ({rows:,} rows, {labels} labels, {csv_path.stat().st_size / 1e6:.1f} MB) "
        "| seconds | CPU s | peak RSS MiB | read ahead (unlocked) wall / CPU s "
        "| publish (book locked) wall / CPU s | of which bridge wall / CPU s "
        "| writes' wait max / median ms (count) | report |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    )
    writer_url = url or f"sqlite:///{data_dir / 'contacthub.db'}"
    for label in ("into an empty book", "the same file again", "1% of rows changed"):
        if label.startswith("1%"):
            changed = set(random.Random(1).sample(range(rows), rows // 100))
            write_file(csv_path, rows, changed, labels=labels)
        with writing(writer_url if labels else None, "ann") as writer:
            seconds, cpu, rss, report, spent = run(*common)
        waits = ""
        if writer is not None and writer.waits:
            waits = (
                f"{max(writer.waits) * 1000:.0f} / "
                f"{statistics.median(writer.waits) * 1000:.0f} ({len(writer.waits)})"
            )
        ahead, publish, bridge = (
            spent.get(name, [0, 0]) for name in ("ahead", "publish", "bridge")
        )
        print(
            f"| {label} | {seconds:.1f} | {cpu:.1f} | {rss:.0f} "
            f"| {ahead[0]:.2f} / {ahead[1]:.2f} "
            f"| {publish[0]:.2f} / {publish[1]:.2f} | {bridge[0]:.2f} / {bridge[1]:.2f} "
            f"| {waits} | {report} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
