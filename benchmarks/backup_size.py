"""Time, size and peak memory of `contacthub backup create` and `backup restore` of a
server with one 100,000-contact book on SQLite (issue 17).

    python benchmarks/backup_size.py [--contacts 100000]

Fills a data directory as benchmarks/export_memory.py does (realistic vCard 3.0 cards of
about 600 bytes, written straight into the store, with a user in the users file), then
runs `contacthub backup create` and `contacthub backup restore` into a new data
directory, each in a process of its own, and prints wall time, peak RSS and the sizes of
the store and of the backup file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.export_memory import USER, fill


def contacthub(*args: str) -> list[str]:
    return [sys.executable, "-m", "contacthub.cli", *args]


def timed(argv: list[str], stdin: str | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if stdin is not None and process.stdin is not None:
        process.stdin.write(stdin.encode())
        process.stdin.close()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(argv)} failed")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "source", Path(tmp) / "target"
        source.mkdir()
        timed(contacthub("user", "add", USER, "--data-dir", str(source)), "bench-password-1\n")
        fill(source, args.contacts)
        store = source / "contacthub.db"
        subprocess.run(contacthub("--data-dir", str(source), "user", "list"), check=True,
                       capture_output=True)  # fmt: skip
        backup = Path(tmp) / "backup.zip"
        made = timed(contacthub("backup", "create", str(backup), "--data-dir", str(source)))
        back = timed(contacthub("backup", "restore", str(backup), "--data-dir", str(target)))
        print(f"contacts: {args.contacts}")
        print(f"store (SQLite file): {store.stat().st_size / 1e6:.1f} MB")
        print(f"backup create: {made[0]:.1f} s, peak RSS {made[1]:.0f} MB, "
              f"file {backup.stat().st_size / 1e6:.1f} MB")  # fmt: skip
        print(f"backup restore: {back[0]:.1f} s, peak RSS {back[1]:.0f} MB")


if __name__ == "__main__":
    main()
