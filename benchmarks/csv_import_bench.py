"""End-to-end CSV import: `contacthub import` on a 100,000-row, 10-column file.

    python benchmarks/csv_import_bench.py [--rows 100000]

Runs the real command in a fresh data directory (SQLite), three times:
into an empty book, the same file again, and the file with 1% of rows
changed. Prints wall time and the peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def write_file(path: Path, rows: int, changed: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    names = ["Ann", "Bob", "Chloé", "Dmitri", "Eve", "Fatima", "Gao", "Hugo", "Ines", "Jonas"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
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
                ]
            )


def run(*args: str) -> tuple[float, float, str]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "contacthub.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    output = proc.stdout.read() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"contacthub {' '.join(args)} failed:\n{output}")
    return elapsed, usage.ru_maxrss / 1024, output.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as tmp:
        data_dir, csv_path = Path(tmp) / "data", Path(tmp) / "people.csv"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "contacthub.cli",
                "user",
                "add",
                "ann",
                "--data-dir",
                str(data_dir),
            ],
            input="secret\n",
            text=True,
            check=True,
            capture_output=True,
        )
        common = [
            "import",
            str(csv_path),
            "--user",
            "ann",
            "--data-dir",
            str(data_dir),
            "--key",
            "ID",
            "--update",
        ]
        write_file(csv_path, rows)
        print(
            f"| run ({rows:,} rows, {csv_path.stat().st_size / 1e6:.1f} MB) | seconds "
            "| peak RSS MiB | report |\n| --- | --- | --- | --- |"
        )
        for label in ("into an empty book", "the same file again", "1% of rows changed"):
            if label.startswith("1%"):
                write_file(csv_path, rows, set(random.Random(1).sample(range(rows), rows // 100)))
            seconds, rss, report = run(*common)
            print(f"| {label} | {seconds:.1f} | {rss:.0f} | {report} |", flush=True)


if __name__ == "__main__":
    main()
