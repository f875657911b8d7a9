"""A scheduled sync of a remote CSV file: what a run costs when the file changed, and
what it costs when it did not.

    python benchmarks/remote_sync_bench.py [--rows 100000]

Serves a file of ROWS rows (10 columns) from a local HTTP server and runs one sync of
it through contacthub.jobs.run_sync on a SQLite store, four times: the first import;
the same file again with the server answering 304 to If-None-Match; the same bytes
from a server without validators (a full download, then the content hash says
unchanged); and the file with 1% of its rows changed. Prints the wall time of each.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.csv_import_bench import write_file  # noqa: E402
from contacthub import config  # noqa: E402
from contacthub.jobs.runner import run_sync  # noqa: E402
from contacthub.sources.context import RunContext  # noqa: E402
from contacthub.sources.csv import source as csv_source  # noqa: E402
from contacthub.sources.csv.remote import create_remote_sync  # noqa: E402
from contacthub.store import Store  # noqa: E402
from tests.fetch.http_server import LocalHTTPServer, ServedFile, Site  # noqa: E402


def timed(label: str, ctx: RunContext, source_id: int) -> None:
    with ctx.store.read() as tx:
        source = tx.require_source(source_id)
    start = time.perf_counter()
    run = run_sync(ctx, source, override_mass_deletion=True)
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {elapsed:7.2f} s   {run.status}: {run.message}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        write_file(base / "a.csv", rows)
        write_file(base / "b.csv", rows, changed=set(range(0, rows, 100)))
        first, changed = (base / "a.csv").read_bytes(), (base / "b.csv").read_bytes()
        settings = config.load(base / "data")
        settings.fetch_policy = replace(
            settings.fetch_policy, allowed_networks=("127.0.0.0/8",), max_bytes=1 << 30
        )
        store = Store.open(f"sqlite:///{base / 'store.db'}")
        with store.write() as tx:
            tx.create_collection("ann", {})
        ctx = RunContext(store, settings)
        site = Site(files={"/people.csv": ServedFile(first)})
        with LocalHTTPServer(site) as server:
            print(f"{rows} rows, {len(first) / 1e6:.1f} MB over HTTP on 127.0.0.1")
            source = create_remote_sync(ctx, "ann", {"url": server.url("/people.csv")})
            csv_source.configure(
                store, source, key_column="ID", update_existing=True, delete_missing=True
            )
            timed("first run (download, import)", ctx, source.id)
            timed("unchanged, server answers 304", ctx, source.id)
            site.files["/people.csv"] = ServedFile(first, etag=False)
            timed("unchanged, no validators (download, hash)", ctx, source.id)
            site.files["/people.csv"] = ServedFile(changed, etag=False)
            timed("1% of rows changed (download, import)", ctx, source.id)
        store.close()


if __name__ == "__main__":
    main()
