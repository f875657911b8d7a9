#!/usr/bin/env python3
"""`contacthub serve` holding a big book: a new phone's first full sync, memory, time.

    python benchmarks/serve_memory.py [--contacts 100000] [--threads 4] [--batch 100]
        [--store URL | --postgres] [--processes 1|2] [--only NAME] [--workdir DIR]

Fills one book with realistic cards through the store (fast), starts the real server
on it, and measures, each step on a freshly started server so that its peak is its own:

- a new phone's first full sync: sync-collection from no token, followed through every
  page the server hands out (RFC 6578 3.6), then addressbook-multigets of `--batch` cards
  from `--threads` client threads until every card is read (what DAVx5 does);
- sync-collection with the token and no changes (median of 20);
- PROPFIND Depth 1 asking for getetag;
- one addressbook-multiget naming every card (the server may refuse it);
- addressbook-query, text-match "contains" on EMAIL matching one card (median of 20).

For each: status, requests, wall time, the server's CPU time, answer bytes, and the
server's resident memory before and at its peak (VmHWM, reset through
/proc/PID/clear_refs; sampled VmRSS where that is not allowed).

`--processes 2` runs two `serve` processes on one PostgreSQL store (`--postgres` starts a
private cluster) behind Debian's nginx, as the README's "Several serve processes" does:
the phone's requests are spread over both; CPU is both processes' together, the peak the
higher of the two.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from big_book_answers import BOOK, SYNC, USER, Memory, fill, multiget_body  # noqa: E402
from load_test import nginx_proxy, users_file  # noqa: E402

from tests.support import dav  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.servers import ContacthubServer, DavSession  # noqa: E402

PASSWORD = "load-test-Secret-1"  # load_test.users_file's
PROPFIND_ETAG = (
    '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
)
HEADERS = {"Accept-Encoding": "identity", "Content-Type": "application/xml; charset=utf-8"}


@dataclass
class Row:
    name: str
    statuses: set[int]
    requests: int
    seconds: float
    cpu: float
    answer_bytes: int
    rss_before: int
    rss_peak: int
    note: str = ""


@dataclass
class Answer:
    status: int
    body: bytes


def send(session: DavSession, method: str, body: str, depth: str = "1") -> Answer:
    with session.request(
        method,
        BOOK,
        headers={**HEADERS, "Depth": depth},
        data=body.encode(),
        stream=True,
        timeout=600,
    ) as response:
        return Answer(response.status_code, b"".join(response.iter_content(1 << 16)))


def sync_pages(session: DavSession, token: str = "") -> Iterator[Answer]:
    """sync-collection from `token`, following every continuation (507 on the book)."""
    while True:
        answer = send(session, "REPORT", SYNC.format(token))
        yield answer
        found = re.search(rb"<[^>]*sync-token>([^<]+)<", answer.body)
        if answer.status != 207 or found is None:
            return
        token = found.group(1).decode()
        if not re.search(rb"HTTP/1\.[01] 507", answer.body):
            return


def first_full_sync(session: DavSession, threads: int, batch: int) -> tuple[list[Answer], str]:
    pages = list(sync_pages(session))
    hrefs = [
        r.href
        for page in pages
        for r in dav.parse_multistatus(page.body)
        if r.href.rstrip("/") != BOOK.rstrip("/") and r.status != 507
    ]
    batches = [hrefs[i : i + batch] for i in range(0, len(hrefs), batch)]

    def get(part: list[str]) -> Answer:
        named = "".join(f"<D:href>{h}</D:href>" for h in part)
        body = multiget_body(0).replace(
            "</C:addressbook-multiget>", named + "</C:addressbook-multiget>"
        )
        return send(session, "REPORT", body)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        cards = list(pool.map(get, batches))
    read = sum(a.body.count(b"BEGIN:VCARD") for a in cards)
    return pages + cards, f"{len(pages)} sync pages, {len(hrefs):,} hrefs, {read:,} cards read"


class Servers:
    """The `serve` processes a step talks to: one, or several behind nginx."""

    def __init__(self, servers: list[ContacthubServer], work: Path) -> None:
        self.servers = servers
        self.work = work

    @contextmanager
    def running(self) -> Iterator[tuple[str, list[Memory]]]:
        """The URL the phone talks to, and each process's memory, while they run."""
        for server in self.servers:
            server.start()
        try:
            memories = [Memory(s._proc.popen.pid) for s in self.servers if s._proc is not None]
            if len(self.servers) == 1:
                yield self.servers[0].url, memories
                return
            upstreams = [f"{s.host}:{s.port}" for s in self.servers]
            with nginx_proxy(upstreams, self.work / "nginx") as url:
                yield url, memories
        finally:
            for server in self.servers:
                server.stop()


def measure(
    servers: Servers, name: str, step: Callable[[DavSession], tuple[list[Answer], str]]
) -> Row:
    with servers.running() as (url, memories):
        session = DavSession(url, (USER, PASSWORD))
        for _ in range(2 * len(memories)):  # sign in at each process, warm up
            session.request("PROPFIND", BOOK, headers={"Depth": "0"})
        before = max(m.rss() for m in memories)
        cpu = sum(m.cpu() for m in memories)
        for memory in memories:
            memory.reset()
        start = time.perf_counter()
        answers, note = step(session)
        seconds = time.perf_counter() - start
        return Row(
            name,
            {a.status for a in answers},
            len(answers),
            seconds,
            sum(m.cpu() for m in memories) - cpu,
            sum(len(a.body) for a in answers),
            before,
            max(m.peak() for m in memories),
            note,
        )


def repeated(
    step: Callable[[DavSession], Answer], runs: int = 20
) -> Callable[[DavSession], tuple[list[Answer], str]]:
    def run(session: DavSession) -> tuple[list[Answer], str]:
        answers, times = [], []
        for _ in range(runs):
            start = time.perf_counter()
            answers.append(step(session))
            times.append((time.perf_counter() - start) * 1000)
        return answers, f"median {statistics.median(times):.1f} ms"

    return run


def no_change_syncs(session: DavSession) -> tuple[list[Answer], str]:
    token = ""
    for page in sync_pages(session):
        found = re.search(rb"<[^>]*sync-token>([^<]+)<", page.body)
        token = found.group(1).decode() if found else ""
    return repeated(lambda s: send(s, "REPORT", SYNC.format(token)))(session)


def email_query(count: int) -> Callable[[DavSession], tuple[list[Answer], str]]:
    wanted = count // 2
    body = (
        '<?xml version="1.0"?><C:addressbook-query xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/>'
        '</D:prop><C:filter><C:prop-filter name="EMAIL"><C:text-match match-type="contains">'
        f".{wanted}@</C:text-match></C:prop-filter></C:filter></C:addressbook-query>"
    )

    def query(session: DavSession) -> Answer:
        answer = send(session, "REPORT", body)
        assert answer.body.count(b"BEGIN:VCARD") == 1, answer.body[:300]
        return answer

    return repeated(query)


def steps(args: argparse.Namespace) -> list[tuple[str, Callable[..., tuple[list[Answer], str]]]]:
    return [
        (
            f"new phone: sync-collection, then multigets of {args.batch} ({args.threads} threads)",
            lambda s: first_full_sync(s, args.threads, args.batch),
        ),
        ("sync-collection from no token, every page", lambda s: (list(sync_pages(s)), "")),
        ("sync-collection, no changes (20)", no_change_syncs),
        ("PROPFIND Depth 1, getetag", lambda s: ([send(s, "PROPFIND", PROPFIND_ETAG)], "")),
        (
            "one addressbook-multiget of every card",
            lambda s: ([send(s, "REPORT", multiget_body(args.contacts))], ""),
        ),
        ("addressbook-query EMAIL (20)", email_query(args.contacts)),
    ]


def report(rows: list[Row], count: int) -> str:
    mib = 1024 * 1024
    lines = [
        f"| {count:,} cards | status | requests | wall s | server CPU s | answer MiB "
        "| RSS before MiB | RSS peak MiB | note |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        statuses = ",".join(str(s) for s in sorted(row.statuses))
        lines.append(
            f"| {row.name} | {statuses} | {row.requests} | {row.seconds:.2f} | {row.cpu:.2f} "
            f"| {row.answer_bytes / mib:.1f} | {row.rss_before / mib:.0f} "
            f"| {row.rss_peak / mib:.0f} | {row.note} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=4, help="client threads of the phone")
    parser.add_argument("--batch", type=int, default=100, help="cards per multiget")
    parser.add_argument("--store", help="store URL (default: SQLite in the data directory)")
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL store")
    parser.add_argument("--processes", type=int, choices=(1, 2), default=1)
    parser.add_argument("--only", default="", help="the steps whose name contains this")
    parser.add_argument("--workdir", type=Path, help="keep the data here (default: a temp dir)")
    args = parser.parse_args()
    if args.processes > 1 and not (args.store or args.postgres):
        parser.error("--processes 2 needs a store they share: --postgres or --store URL")
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = args.workdir or Path(tmp)
        if args.postgres:
            args.store = stack.enter_context(PostgresServer()).create_database()
        users_file(work / "users", [USER], 12)
        config: dict[str, dict[str, str]] = {"auth": {"htpasswd_filename": str(work / "users")}}
        if args.processes > 1:
            config["contacthub"] = {"trusted_proxy": "127.0.0.1"}
        servers = [
            ContacthubServer(work / f"data{n or ''}", {}, store_url=args.store, config=config)
            for n in range(args.processes)
        ]
        store_url = args.store or f"sqlite:///{servers[0].data_dir / 'contacthub.db'}"
        if not (work / "filled").exists():
            started = time.perf_counter()
            with Servers(servers[:1], work).running() as (url, _):  # the store as serve makes it
                home = DavSession(url, (USER, PASSWORD)).request("PROPFIND", BOOK)
                assert home.status_code == 207, home.status_code  # the account's home made
                fill(store_url, args.contacts, 0, 0)
            (work / "filled").touch()
            print(f"filled {args.contacts:,} cards in {time.perf_counter() - started:.0f} s")
        rows = []
        for name, step in steps(args):
            if args.only in name:
                rows.append(measure(Servers(servers, work), name, step))
                print(report(rows[-1:], args.contacts).splitlines()[-1], flush=True)
        print(report(rows, args.contacts))


if __name__ == "__main__":
    main()
