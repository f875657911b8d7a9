#!/usr/bin/env python3
"""Side-by-side CardDAV benchmark: contacthub vs Radicale 3.9 multifilesystem, over HTTP.

Each server runs as its own process on 127.0.0.1 (a free port), one after the other in
the same run, with the same users, auth and logging settings. For every book size the
book is first filled to that size, then measured:

- PUT one by one (new contacts, If-None-Match: *) from 4 client threads: contacts/s over
  a window of --put-window PUTs;
- sync-collection with a valid token and no changes (median ms);
- PROPFIND Depth 1 asking for getetag (median ms);
- addressbook-multiget of every contact (median ms);
- addressbook-query, text-match "contains" on EMAIL matching one card (median ms);
- resident memory (VmRSS, /proc/PID/status) of the server process.

Every loop is bounded by a count and by a time budget. Results go to stdout and to
benchmarks/results/ as Markdown (and JSON).

    python benchmarks/carddav_bench.py                        # 1,000 and 10,000, both
    python benchmarks/carddav_bench.py --only contacthub --sizes 1000,10000,100000
    python benchmarks/carddav_bench.py --fill-direct          # prefill Radicale's folder
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.clients.cards import make_card  # noqa: E402
from tests.support import dav  # noqa: E402
from tests.support.servers import ContacthubServer, DavServer, RadicaleServer  # noqa: E402

USER = "alice"
PASSWORD = "bench-Secret-1"
BOOK = f"/{USER}/contacts/"
SEED = 7
RESULTS = Path(__file__).resolve().parent / "results"

# The same auth and logging settings for both servers: the storage is what is compared.
# Radicale's own htpasswd backend with cache_logins keeps a bcrypt check (~0.2 s at cost
# 12) out of every request. The type is named explicitly because Radicale silently turns
# cache_logins off for any auth type it does not know by name (a plugin class included).
COMMON_CONFIG = {
    "auth": {
        "type": "htpasswd",
        "cache_logins": "True",
        "cache_successful_logins_expiry": "3600",
    },
    "logging": {"level": "warning"},
}

TARGETS = {
    "put": "≥ 300/s, flat 1k→100k",
    "sync": "< 5 ms at 10k, 100k",
    "propfind": "≤ ⅓ of multifilesystem at 10k",
    "multiget": "≤ ⅓ of multifilesystem at 10k",
    "query": "< 10 ms at 10k",
    "rss_loaded": "report",
    "rss": "report",
}
LABELS = {
    "put": "PUT one by one, 4 threads (contacts/s)",
    "sync": "sync-collection, no changes (ms)",
    "propfind": "PROPFIND Depth 1, getetag (ms)",
    "multiget": "addressbook-multiget, all (ms)",
    "query": "addressbook-query EMAIL (ms)",
    "rss_loaded": "server RSS after filling (MiB)",
    "rss": "server RSS after the queries (MiB)",
}


@dataclass
class Measurement:
    server: str
    size: int  # the book size asked for
    contacts: int = 0  # contacts in the book while measuring (size + the PUT window)
    put_per_s: float | None = None
    put_count: int = 0
    sync_ms: float | None = None
    propfind_ms: float | None = None
    multiget_ms: float | None = None
    query_ms: float | None = None
    rss_loaded_mib: float | None = None  # after filling and the PUT window
    rss_mib: float | None = None  # after the queries (full-book answers included)
    runs: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Client:
    """Thread-local authenticated sessions against one server."""

    def __init__(self, server: DavServer) -> None:
        self.server = server
        self._local = threading.local()

    def session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = self.server.session(USER)
            self._local.session = s
        return s


def card_for(index: int) -> tuple[str, str]:
    """(href, text) of benchmark contact *index* (deterministic)."""
    uid = str(uuid.UUID(int=(SEED << 64) + index))
    return f"{uid}.vcf", make_card(index, seed=SEED, uid=uid)


def put_cards(client: Client, indexes: Iterable[int], threads: int, budget_s: float) -> int:
    """PUT new cards from *threads* threads until done or out of time; returns the count."""
    deadline = time.monotonic() + budget_s
    done = 0
    lock = threading.Lock()
    errors: list[str] = []

    def put(index: int) -> None:
        nonlocal done
        if time.monotonic() > deadline or errors:
            return
        href, text = card_for(index)
        r = client.session().put(
            BOOK + href,
            data=text.encode("utf-8"),
            headers={"Content-Type": "text/vcard; charset=utf-8", "If-None-Match": "*"},
        )
        if r.status_code != 201:
            errors.append(f"PUT {href}: {r.status_code} {r.text[:200]}")
            return
        with lock:
            done += 1

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(put, indexes))
    if errors:
        raise RuntimeError(errors[0])
    return done


def timed(
    fn: Callable[[], requests.Response],
    runs: int,
    budget_s: float,
    check: Callable[[requests.Response], None],
) -> tuple[float, int]:
    """Median ms of up to *runs* calls (at least 3, or fewer if the budget is gone)."""
    samples: list[float] = []
    deadline = time.monotonic() + budget_s
    while len(samples) < runs:
        start = time.perf_counter()
        response = fn()
        elapsed = (time.perf_counter() - start) * 1000
        check(response)
        samples.append(elapsed)
        if time.monotonic() > deadline and len(samples) >= 3:
            break
    return statistics.median(samples), len(samples)


def expect_members(count: int | None) -> Callable[[requests.Response], None]:
    def check(response: requests.Response) -> None:
        if response.status_code != 207:
            raise RuntimeError(
                f"{response.request.method} -> {response.status_code}: {response.text[:300]}"
            )
        if count is not None:
            members = [
                r
                for r in dav.parse_multistatus(response.content)
                if r.href.rstrip("/") != BOOK.rstrip("/")
            ]
            if len(members) != count:
                raise RuntimeError(
                    f"{response.request.method}: {len(members)} members, expected {count}"
                )

    return check


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.results: list[Measurement] = []

    # -- servers --------------------------------------------------------------------------
    def start(self, kind: str, store_url: str | None) -> DavServer:
        users = {USER: PASSWORD}
        base = self.workdir / kind
        server: DavServer
        if kind == "contacthub":
            server = ContacthubServer(
                base / "data", users, store_url=store_url, config=COMMON_CONFIG
            )
        else:
            server = RadicaleServer(base, users, config=COMMON_CONFIG, bcrypt_rounds=12)
        server.start()
        return server

    @staticmethod
    def pid(server: DavServer) -> int:
        proc = server._proc
        assert proc is not None
        return proc.popen.pid

    # -- filling --------------------------------------------------------------------------
    def fill(self, kind: str, server: DavServer, client: Client, start: int, stop: int) -> None:
        if stop <= start:
            return
        t0 = time.monotonic()
        if kind == "radicale" and self.args.fill_direct:
            assert isinstance(server, RadicaleServer)
            folder = server.data_dir / "collection-root" / USER / "contacts"
            if not folder.is_dir():
                raise RuntimeError(f"Radicale book folder {folder} missing")
            for index in range(start, stop):
                href, text = card_for(index)
                (folder / href).write_bytes(text.encode("utf-8"))
            how = "written to Radicale's folder"
        else:
            done = put_cards(client, range(start, stop), self.args.fill_threads, float("inf"))
            assert done == stop - start
            how = f"PUT with {self.args.fill_threads} threads"
        log(f"{kind}: filled {start:,} → {stop:,} ({how}) in {time.monotonic() - t0:.1f} s")

    # -- one size -------------------------------------------------------------------------
    def measure(
        self, kind: str, server: DavServer, client: Client, next_index: int, size: int
    ) -> tuple[Measurement, int]:
        args = self.args
        self.fill(kind, server, client, next_index, size)
        s = client.session()
        m = Measurement(server=kind, size=size)

        # Warm up after a direct fill (Radicale builds its caches on first read).
        r = dav.propfind_raw(s, BOOK, [dav.GETETAG], depth="1")
        expect_members(size)(r)

        t0 = time.perf_counter()
        m.put_count = put_cards(
            client, range(size, size + args.put_window), args.threads, args.put_budget
        )
        m.put_per_s = m.put_count / (time.perf_counter() - t0)
        if m.put_count < args.put_window:
            m.notes.append(f"PUT window cut at {m.put_count} by the {args.put_budget:.0f} s budget")
        total = m.contacts = size + m.put_count
        m.rss_loaded_mib = rss_mib(self.pid(server))
        log(f"{kind} @ {total:,}: PUT {m.put_per_s:.1f}/s ({m.put_count} PUTs)")

        # sync-collection: an initial sync for the token (untimed), then no-change syncs.
        first = dav.sync_collection_raw(s, BOOK, None)
        expect_members(total)(first)
        token = dav.parse_multistatus(first.content).sync_token
        m.sync_ms, m.runs["sync"] = timed(
            lambda: dav.sync_collection_raw(s, BOOK, token),
            args.runs,
            args.budget,
            expect_members(0),
        )
        log(f"{kind} @ {total:,}: sync-collection {m.sync_ms:.1f} ms")

        m.propfind_ms, m.runs["propfind"] = timed(
            lambda: dav.propfind_raw(s, BOOK, [dav.GETETAG], depth="1"),
            args.runs,
            args.budget,
            expect_members(total),
        )
        log(f"{kind} @ {total:,}: PROPFIND {m.propfind_ms:.1f} ms")

        hrefs = [
            r.href
            for r in dav.parse_multistatus(
                dav.propfind_raw(s, BOOK, [dav.GETETAG], depth="1").content
            )
            if r.href.rstrip("/") != BOOK.rstrip("/")
        ]
        m.multiget_ms, m.runs["multiget"] = timed(
            lambda: dav.multiget_raw(s, BOOK, hrefs),
            args.runs,
            args.budget,
            expect_members(total),
        )
        log(f"{kind} @ {total:,}: multiget {m.multiget_ms:.1f} ms")

        wanted = total // 2
        match = dav.TextMatch("EMAIL", f".{wanted}@", "contains")
        m.query_ms, m.runs["query"] = timed(
            lambda: dav.addressbook_query_raw(s, BOOK, [match]),
            args.runs,
            args.budget,
            expect_members(1),
        )
        log(f"{kind} @ {total:,}: addressbook-query {m.query_ms:.1f} ms")

        m.rss_mib = rss_mib(self.pid(server))
        log(
            f"{kind} @ {total:,}: RSS {m.rss_loaded_mib:.0f} MiB after filling, "
            f"{m.rss_mib:.0f} MiB after the queries"
        )
        return m, total

    def run_server(self, kind: str) -> None:
        store_url = self.args.store if kind == "contacthub" else None
        server = self.start(kind, store_url)
        try:
            client = Client(server)
            # The first authenticated request creates the default book on both servers.
            r = dav.propfind_raw(client.session(), BOOK, [dav.GETETAG], depth="0")
            if r.status_code != 207:
                raise RuntimeError(f"{kind}: no default book ({r.status_code})")
            log(
                f"{kind}: started, pid {self.pid(server)}, RSS "
                f"{rss_mib(self.pid(server)):.0f} MiB, {server.url}"
            )
            next_index = 0
            for size in self.args.sizes:
                m, next_index = self.measure(kind, server, client, next_index, size)
                self.results.append(m)
                self.save()
        finally:
            server.stop(check=False)

    # -- output ---------------------------------------------------------------------------
    def table(self) -> str:
        kinds = [k for k in ("contacthub", "radicale") if any(m.server == k for m in self.results)]
        sizes = self.args.sizes
        by = {(m.server, m.size): m for m in self.results}
        header = "| metric | book size | " + " | ".join(
            "contacthub" if k == "contacthub" else "Radicale multifilesystem" for k in kinds
        )
        if len(kinds) == 2:
            header += " | contacthub / Radicale"
        header += " | target |"
        lines = [header, "|" + " --- |" * (header.count("|") - 1)]
        for key in ("put", "sync", "propfind", "multiget", "query", "rss_loaded", "rss"):
            for size in sizes:
                values = []
                raw: list[float | None] = []
                for kind in kinds:
                    m = by.get((kind, size))
                    value = (
                        None
                        if m is None
                        else {
                            "put": m.put_per_s,
                            "sync": m.sync_ms,
                            "propfind": m.propfind_ms,
                            "multiget": m.multiget_ms,
                            "query": m.query_ms,
                            "rss_loaded": m.rss_loaded_mib,
                            "rss": m.rss_mib,
                        }[key]
                    )
                    raw.append(value)
                    values.append("—" if value is None else _fmt(value))
                row = f"| {LABELS[key]} | {size:,} | " + " | ".join(values)
                if len(kinds) == 2:
                    a, b = raw
                    row += " | " + ("—" if not a or not b else f"{a / b:.3g}×")
                row += f" | {TARGETS[key]} |"
                lines.append(row)
        return "\n".join(lines)

    def save(self) -> None:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{self.args.stamp}.json").write_text(
            json.dumps([asdict(m) for m in self.results], indent=2)
        )


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes", default="1000,10000", help="book sizes, comma-separated (default 1000,10000)"
    )
    p.add_argument(
        "--only",
        choices=("contacthub", "radicale"),
        help="benchmark one server only (e.g. contacthub at 100000)",
    )
    p.add_argument(
        "--fill-direct",
        action="store_true",
        help="prefill Radicale's book by writing .vcf files into its folder",
    )
    p.add_argument("--store", help="contacthub store URL (default: SQLite in the data dir)")
    p.add_argument("--threads", type=int, default=4, help="client threads for the PUT window")
    p.add_argument("--fill-threads", type=int, default=8, help="client threads for filling")
    p.add_argument("--put-window", type=int, default=500, help="PUTs timed at each size")
    p.add_argument(
        "--put-budget", type=float, default=300.0, help="seconds the PUT window may take at most"
    )
    p.add_argument("--runs", type=int, default=20, help="repetitions of each query")
    p.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="seconds each query series may take (at least 3 runs)",
    )
    p.add_argument("--workdir", type=Path, help="keep data here (default: a temp dir)")
    args = p.parse_args(argv)
    args.sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    args.stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="contacthub-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    bench = Bench(args, workdir)
    kinds = [args.only] if args.only else ["contacthub", "radicale"]
    try:
        for kind in kinds:
            bench.run_server(kind)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    table = bench.table()
    notes = [f"- {m.server} @ {m.contacts:,}: {n}" for m in bench.results for n in m.notes]
    report = (
        f"# CardDAV benchmark, {args.stamp}\n\n"
        f"Sizes {', '.join(f'{s:,}' for s in args.sizes)}; PUT window {args.put_window}, "
        f"{args.threads} client threads; queries: median of up to {args.runs} runs; "
        f"Radicale prefill: {'direct .vcf files' if args.fill_direct else 'HTTP PUT'}; "
        f"contacthub store: {args.store or 'SQLite'}.\n\n{table}\n"
        + ("\n" + "\n".join(notes) + "\n" if notes else "")
    )
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.stamp}.md").write_text(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
