#!/usr/bin/env python3
"""Mixed concurrent writers on PostgreSQL, through two `contacthub serve` processes.

    python benchmarks/pg_mixed_writers.py [--seconds 60] [--servers 2]
        [--mix carddav=4,api=4,proppatch=1,books=1,csv=1,device=1] [--store URL|sqlite]

Starts a throwaway PostgreSQL cluster from the machine's binaries (tests/support/postgres.py)
unless --store names one, then SERVERS `contacthub serve` processes on that one store, and
runs the writers of tests/support/mixed_writers.py for SECONDS: CardDAV PUT, DELETE, MOVE,
PROPPATCH, MKCOL and DELETE of books, API contacts and books, a CSV import run and a phone's
push, all on one account, thread i on server i mod SERVERS. Prints the requests, the
answers by status, latency percentiles by operation, and what an acknowledged write
promised that the store does not hold. Results also go to benchmarks/results/.

The processes share one users file with cheap bcrypt hashes and remember logins for an
hour: the store is measured, not password checks.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import mixed_writers  # noqa: E402
from tests.support.mixed_writers import Ledger, percentile  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.servers import ContacthubServer  # noqa: E402

PASSWORD = "bench-Secret-1"
RESULTS = Path(__file__).resolve().parent / "results"
# The exceptions the servers logged, by name (psycopg's DeadlockDetected, UniqueViolation...).
EXCEPTION = re.compile(r"\b((?:[\w]+\.)*[A-Z]\w*(?:Error|Violation|Detected|Exception|Failure))\b")


def logged_exceptions(servers: list[ContacthubServer]) -> dict[str, int]:
    found: collections.Counter[str] = collections.Counter()
    for server in servers:
        if server.log_path.exists():
            for line in server.log_path.read_text(errors="replace").splitlines():
                found.update(set(EXCEPTION.findall(line)))
    return dict(found.most_common(10))


def parse_mix(text: str) -> dict[str, int]:
    mix: dict[str, int] = {}
    for part in filter(None, text.split(",")):
        kind, _, count = part.partition("=")
        if kind not in mixed_writers.WORKERS:
            raise SystemExit(f"unknown writer {kind!r}; known: {', '.join(mixed_writers.WORKERS)}")
        mix[kind] = int(count or "1")
    return mix


def report(ledger: Ledger, lost: list[str], seconds: float, servers: int, store: str) -> dict:
    errors = {status: count for status, count in sorted(ledger.statuses.items()) if status >= 400}
    operations = {}
    for operation, values in sorted(ledger.latencies.items()):
        operations[operation] = {
            "requests": len(values),
            "p50_ms": round(percentile(values, 0.50) * 1000, 1),
            "p90_ms": round(percentile(values, 0.90) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
        }
    everything = [value for values in ledger.latencies.values() for value in values]
    return {
        "store": store,
        "servers": servers,
        "seconds": seconds,
        "requests": ledger.requests,
        "per_second": round(ledger.requests / seconds, 1),
        "statuses": dict(sorted(ledger.statuses.items())),
        "errors_by_status": errors,
        "p50_ms": round(percentile(everything, 0.50) * 1000, 1),
        "p90_ms": round(percentile(everything, 0.90) * 1000, 1),
        "p99_ms": round(percentile(everything, 0.99) * 1000, 1),
        "max_ms": round(max(everything, default=0.0) * 1000, 1),
        "operations": operations,
        "slow_requests": len(ledger.slow),
        "lost_writes": len(lost),
        "failures": len(ledger.failures),
        "first_failures": ledger.failures[:10],
        "first_lost": lost[:10],
    }


def print_report(result: dict) -> None:
    print(
        f"\n{result['requests']} requests in {result['seconds']:.0f} s "
        f"({result['per_second']}/s) on {result['servers']} serve process(es), {result['store']}"
    )
    print(f"answers by status: {result['statuses']}")
    print(f"errors by status:  {result['errors_by_status'] or 'none'}")
    print(
        f"latency (all): p50 {result['p50_ms']} ms, p90 {result['p90_ms']} ms, "
        f"p99 {result['p99_ms']} ms, max {result['max_ms']} ms"
    )
    print(f"\n{'operation':<24} {'n':>6} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}  (ms)")
    for name, row in result["operations"].items():
        print(
            f"{name:<24} {row['requests']:>6} {row['p50_ms']:>8} {row['p90_ms']:>8} "
            f"{row['p99_ms']:>8} {row['max_ms']:>8}"
        )
    print(f"\nrequests that took 1 s or more: {result['slow_requests']}")
    print(f"exceptions in the servers' logs: {result['logged_exceptions'] or 'none'}")
    print(f"acknowledged writes missing afterwards: {result['lost_writes']}")
    for line in result["first_failures"]:
        print(f"  failure: {line}")
    for line in result["first_lost"]:
        print(f"  lost: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument(
        "--mix",
        default=",".join(f"{kind}={count}" for kind, count in mixed_writers.DEFAULT_MIX.items()),
        help="threads of each writer, e.g. carddav=4,api=4 (the issue's reproduction)",
    )
    parser.add_argument(
        "--store",
        default=None,
        help="a PostgreSQL URL to use instead of a throwaway cluster, or 'sqlite'",
    )
    args = parser.parse_args()
    mix = parse_mix(args.mix)
    with tempfile.TemporaryDirectory(prefix="pg-mixed-") as work:
        postgres = None
        if args.store is None:
            postgres = PostgresServer().start()
            store_url: str | None = postgres.create_database()
        elif args.store == "sqlite":
            store_url = f"sqlite:///{Path(work) / 'store.db'}"
        else:
            store_url = args.store
        users = {mixed_writers.USER: PASSWORD}
        config = {
            **mixed_writers.shared_users(Path(work) / "users", users),
            "logging": {"level": "warning"},
        }
        servers = [
            ContacthubServer(Path(work) / f"data{number}", {}, store_url=store_url, config=config)
            for number in range(args.servers)
        ]
        try:
            for server in servers:
                server.start()
                server.users.update(users)
            mixed_writers.prepare(servers)
            print(f"running {mix} for {args.seconds:.0f} s ...", flush=True)
            ledger = mixed_writers.run_mix(servers, args.seconds, mix)
            lost = mixed_writers.check(servers[0], ledger)
        finally:
            for server in servers:
                server.stop(check=False)
            exceptions = logged_exceptions(servers)
            if postgres is not None:
                postgres.stop()
    store = "sqlite" if args.store == "sqlite" else "postgresql"
    result = report(ledger, lost, args.seconds, args.servers, store)
    result["mix"] = mix
    result["logged_exceptions"] = exceptions
    print_report(result)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"pg_mixed_writers-{stamp}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
