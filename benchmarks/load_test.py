#!/usr/bin/env python3
"""A load test that stops by itself: phones syncing through nginx while a big CSV runs.

    python benchmarks/load_test.py [--duration 60] [--processes 1|2] [--devices 200]
        [--accounts 20] [--seed 200] [--interval 0.5] [--csv-rows 100000]
        [--clients 2] [--no-kill]

Starts a throwaway PostgreSQL cluster from the machine's binaries, PROCESSES `contacthub
serve` processes on it and Debian's nginx in front of them (one upstream, keep-alive,
the X-Forwarded-* headers; `serve` trusts 127.0.0.1). ACCOUNTS accounts, each with SEED
contacts in its default book and DEVICES/ACCOUNTS devices. Each device does what DAVx5
and iOS do: a PROPFIND of its home set now and then, a sync-collection REPORT every
INTERVAL seconds (0.5-1.5 x, at random) with the token of the last one, an
addressbook-multiget of what changed, and sometimes a PUT (a new card, or a new version
of one it made) or a DELETE of one it made. Meanwhile `contacthub import` puts a
CSV_ROWS-row file into another account's book (at the lower CPU priority it takes itself,
`[contacthub] background_nice`), and halfway through one `serve` is
killed with SIGKILL and started again. Each `serve` and the import run in a session of
their own, as systemd units and cron jobs do: with autogroup, Linux shares the CPU
between sessions first (contacthub/cpu_priority.py).

The devices run as asyncio tasks (aiohttp) in CLIENTS processes. After DURATION seconds
everything stops; every PUT answered 201/204 is read back (its content must be the
version acknowledged last) and every DELETE answered 204 must be gone. Prints a table
(requests/s, p50/p99 by kind, errors by status, the sync-collections' p99 in each 10 s)
and exits 1 if an acknowledged write was lost. Results also go to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import concurrent.futures
import dataclasses
import gc
import json
import multiprocessing
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import aiohttp
import bcrypt

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "benchmarks"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from csv_import_bench import write_file as write_csv  # noqa: E402

from tests.support import dav  # noqa: E402
from tests.support.net import LOOPBACK, free_port, port_open, wait_until  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402
from tests.support.servers import ContacthubServer, contacthub_command  # noqa: E402
from tests.support.vcards import make_card  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PASSWORD = "load-test-Secret-1"
BULK_USER = "bulk"
BOOK_ID = "contacts"
KINDS = ("propfind", "sync-collection", "multiget", "put", "delete")
XML = {"Content-Type": "application/xml; charset=utf-8"}
VCARD = {"Content-Type": "text/vcard; charset=utf-8"}
MULTIGET_BATCH = 100
TARGET_SYNC_PER_SECOND = 300
TARGET_SYNC_P99_MS = 100
SLICE_S = 10  # the seconds of each p99 in the run's timeline

DELETED = "<deleted>"  # what an acknowledged DELETE promises
UNKNOWN = "<unknown>"  # a write whose answer never came or was refused: no promise


# -- what was acknowledged, and what the store holds ---------------------------------


def lost_writes(expected: Mapping[str, str], held: Mapping[str, str | None]) -> list[str]:
    """What an acknowledged write promised and the store does not hold, in sentences.

    `expected`: href -> the marker of the version acknowledged last (a NOTE in the card),
    DELETED, or UNKNOWN (skipped). `held`: href -> the card the store returns (None or
    absent: not there)."""
    lost = []
    for href, want in sorted(expected.items()):
        card = held.get(href)
        if want == UNKNOWN:
            continue
        if want == DELETED:
            if card is not None:
                lost.append(f"{href}: deleted (204) and still there")
        elif card is None:
            lost.append(f"{href}: written (201/204) and missing")
        elif want not in card:
            lost.append(f"{href}: holds an older version than the one acknowledged")
    return lost


def held_cards(
    server: ContacthubServer, account: str, hrefs: Sequence[str]
) -> dict[str, str | None]:
    """The cards the store holds at `hrefs` (None where there is none), by multiget."""
    session = server.session(account)
    held: dict[str, str | None] = {}
    for start in range(0, len(hrefs), MULTIGET_BATCH):
        batch = hrefs[start : start + MULTIGET_BATCH]
        for response in dav.multiget(session, f"/{account}/{BOOK_ID}/", batch):
            held[response.href] = response.address_data if response.status in (None, 200) else None
    session.close()
    return held


# -- the proxy ---------------------------------------------------------------------------


@contextmanager
def nginx_proxy(upstreams: Sequence[str], workdir: Path) -> Iterator[str]:
    """Debian's nginx on a free loopback port in front of `upstreams` (host:port); yields
    its URL. The one place that knows nginx: to be swapped for tests/support/nginx.py."""
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server {upstream} max_fails=0;" for upstream in upstreams)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = workdir / "nginx.conf"
    conf.write_text(
        f"""{user}
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    upstream contacthub {{
{servers}
        keepalive 64;
    }}
    server {{
        listen {LOOPBACK}:{port};
        client_max_body_size 50m;
        location / {{
            proxy_pass http://contacthub;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_read_timeout 120s;
        }}
    }}
}}
"""
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen(
        [nginx, "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "stderr.log", "w"),  # noqa: SIM115 - closed with the process
    )
    try:
        wait_until(
            lambda: port_open(LOOPBACK, port),
            20,
            "nginx to listen",
            abort=lambda: None if process.poll() is None else (workdir / "stderr.log").read_text(),
        )
        yield f"http://{LOOPBACK}:{port}"
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- the devices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What every device does, and when."""

    base_url: str
    duration: float
    interval: float
    put_rate: float
    delete_rate: float
    propfind_every: int
    start_at: float = 0.0  # time.time() when measuring starts: after every first sync
    stop_at: float = 0.0


@dataclass
class Tally:
    """What one client process saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    statuses: dict[str, collections.Counter[str]] = field(
        default_factory=lambda: collections.defaultdict(collections.Counter)
    )
    failed_at: list[float] = field(default_factory=list)
    # When each sync-collection answered as asked was sent, and how long it took.
    syncs: list[tuple[float, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    expected: dict[str, str] = field(default_factory=dict)

    def note(self, kind: str, status: str, started: float, elapsed: float, ok: bool) -> None:
        if not (self.start_at <= started < self.stop_at):
            return
        self.statuses[kind][status] += 1
        if ok:  # an instant 502 while no process is up is not a fast answer
            self.latencies[kind].append(elapsed)
            if kind == "sync-collection":
                self.syncs.append((started, elapsed))
        else:
            self.failed_at.append(started)

    start_at: float = 0.0
    stop_at: float = float("inf")


def _sync_body(token: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
        f"<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>"
        "<D:prop><D:getetag/></D:prop></D:sync-collection>"
    ).encode()


def _multiget_body(hrefs: Sequence[str]) -> bytes:
    listed = "".join(f"<D:href>{escape(href)}</D:href>" for href in hrefs)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
        f"<D:prop><D:getetag/><C:address-data/></D:prop>{listed}</C:addressbook-multiget>"
    ).encode()


HOME_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"'
    b' xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:resourcetype/><D:displayname/>'
    b"<CS:getctag/><D:sync-token/></D:prop></D:propfind>"
)


def basic(account: str) -> dict[str, str]:
    token = base64.b64encode(f"{account}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Device:
    """One phone of one account: its sync token and the cards it made (href -> ETag)."""

    def __init__(
        self, session: aiohttp.ClientSession, account: str, number: int, plan: Plan, tally: Tally
    ) -> None:
        self.session = session
        self.account = account
        self.name = f"{account}-phone{number}"
        self.auth = basic(account)
        self.plan = plan
        self.tally = tally
        self.rng = random.Random(self.name)
        self.book = f"/{account}/{BOOK_ID}/"
        self.token = ""
        self.mine: dict[str, str] = {}
        self.cards = 0

    async def request(
        self,
        kind: str,
        method: str,
        path: str,
        ok: Sequence[int],
        headers: Mapping[str, str],
        **kwargs: Any,
    ) -> tuple[int, bytes, Mapping[str, str]] | None:
        started = time.time()
        clock = time.perf_counter()
        try:
            async with self.session.request(
                method, self.plan.base_url + path, headers={**headers, **self.auth}, **kwargs
            ) as response:
                body = await response.read()
                status, headers = response.status, response.headers
        except (TimeoutError, aiohttp.ClientError) as error:
            self.tally.note(kind, type(error).__name__, started, time.perf_counter() - clock, False)
            if len(self.tally.failures) < 20:
                self.tally.failures.append(f"{kind} {method} {path}: {error!r}")
            return None
        success = status in ok
        self.tally.note(kind, str(status), started, time.perf_counter() - clock, success)
        if not success:
            if len(self.tally.failures) < 20 and status != 502:
                self.tally.failures.append(f"{kind} {method} {path} -> {status}: {body[:200]!r}")
            return None
        return status, body, headers

    async def run(self) -> None:
        await asyncio.sleep(max(0.0, self.plan.start_at - time.time()) + self.rng.random())
        rounds = 0
        while time.time() < self.plan.stop_at:
            rounds += 1
            if rounds % self.plan.propfind_every == 1:
                await self.propfind_home()
            await self.sync()
            roll = self.rng.random()
            if roll < self.plan.put_rate:
                await self.put()
            elif roll < self.plan.put_rate + self.plan.delete_rate:
                await self.delete()
            await asyncio.sleep(self.plan.interval * self.rng.uniform(0.5, 1.5))

    async def first_sync(self) -> None:
        """A token to start from, before measuring (a phone that has synced before); its
        account's login is then in each process's cache."""
        await self.propfind_home()
        for _attempt in range(5):
            answer = await self.request(
                "first-sync", "REPORT", self.book, (207,), data=_sync_body(""), headers=XML
            )
            if answer is not None:
                self.token = dav.parse_multistatus(answer[1]).sync_token or ""
                return
            await asyncio.sleep(1)

    async def propfind_home(self) -> None:
        await self.request(
            "propfind",
            "PROPFIND",
            f"/{self.account}/",
            (207,),
            data=HOME_BODY,
            headers={**XML, "Depth": "1"},
        )

    async def sync(self) -> None:
        answer = await self.request(
            "sync-collection", "REPORT", self.book, (207,), data=_sync_body(self.token), headers=XML
        )
        if answer is None:
            return
        listing = dav.parse_multistatus(answer[1])
        changed = [r.href for r in listing if r.status != 404 and r.href != self.book]
        for start in range(0, len(changed), MULTIGET_BATCH):
            got = await self.request(
                "multiget",
                "REPORT",
                self.book,
                (207,),
                data=_multiget_body(changed[start : start + MULTIGET_BATCH]),
                headers={**XML, "Depth": "1"},
            )
            if got is None:
                return  # the token stays: the next sync lists these again
        self.token = listing.sync_token or self.token

    async def put(self) -> None:
        if self.mine and self.rng.random() < 0.3:
            href = self.rng.choice(list(self.mine))
            conditions = {"If-Match": self.mine[href]}
        else:
            self.cards += 1
            href = f"{self.book}{self.name}-{self.cards}-{uuid.uuid4().hex[:8]}.vcf"
            conditions = {"If-None-Match": "*"}
        marker = uuid.uuid4().hex
        uid = href.rsplit("/", 1)[1].removesuffix(".vcf")
        card = make_card(uid, f"Load {uid}", extra=[f"NOTE:{marker}"])
        self.tally.expected[href] = UNKNOWN
        answer = await self.request(
            "put", "PUT", href, (201, 204), data=card.encode(), headers={**VCARD, **conditions}
        )
        etag = answer[2].get("ETag") if answer is not None else None
        if etag is None:  # no promise: this device leaves the card alone from now on
            self.mine.pop(href, None)
            return
        self.mine[href] = etag
        self.tally.expected[href] = marker

    async def delete(self) -> None:
        if not self.mine:
            return
        href = self.rng.choice(list(self.mine))
        etag = self.mine.pop(href)
        self.tally.expected[href] = UNKNOWN
        answer = await self.request(
            "delete", "DELETE", href, (200, 204), headers={"If-Match": etag}
        )
        if answer is not None:
            self.tally.expected[href] = DELETED


async def _run_devices(
    devices: Sequence[tuple[str, int]], plan: Plan, ready: Any, go: Any
) -> Tally:
    tally = Tally(start_at=float("inf"))
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        phones = [Device(session, account, number, plan, tally) for account, number in devices]
        await asyncio.gather(*(phone.first_sync() for phone in phones))
        # The devices' books as their first syncs saw them are tens of thousands of
        # objects: a full collection that walked them paused this process 70-235 ms in
        # the middle of the measurement, a latency of the clients counted as the server's.
        gc.collect()
        gc.freeze()
        ready.put(len(phones))
        while "start_at" not in go:
            await asyncio.sleep(0.2)
        start_at = go["start_at"]
        plan = dataclasses.replace(plan, start_at=start_at, stop_at=start_at + plan.duration)
        tally.start_at, tally.stop_at = plan.start_at, plan.stop_at
        for phone in phones:
            phone.plan = plan
        await asyncio.gather(*(phone.run() for phone in phones))
    return tally


def run_client(
    devices: Sequence[tuple[str, int]], plan: Plan, ready: Any, go: Any
) -> dict[str, Any]:
    """One client process: its devices' first syncs, then (once `go` holds the start,
    after every process said it is `ready`) their rounds until the plan's end; what they
    saw, picklable."""
    tally = asyncio.run(_run_devices(devices, plan, ready, go))
    return {
        "latencies": dict(tally.latencies),
        "statuses": {kind: dict(counts) for kind, counts in tally.statuses.items()},
        "failed_at": tally.failed_at,
        "syncs": tally.syncs,
        "failures": tally.failures,
        "expected": tally.expected,
    }


# -- seeding -------------------------------------------------------------------------------


async def _seed(base_url: str, accounts: Sequence[str], per_account: int) -> dict[str, str]:
    """Each account's default book with `per_account` cards, put as one .vcf (a whole-book
    PUT, whose cards are named after their UIDs): href -> the marker in its NOTE."""
    expected: dict[str, str] = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=300)) as session:

        async def fill(account: str) -> None:
            cards = []
            for number in range(per_account):
                uid = f"seed-{account}-{number}"
                marker = uuid.uuid4().hex
                cards.append(
                    make_card(
                        uid,
                        f"Seed {number} {account}",
                        emails=[f"{uid}@example.org"],
                        extra=[f"NOTE:{marker}"],
                    )
                )
                expected[f"/{account}/{BOOK_ID}/{uid}.vcf"] = marker
            async with session.put(
                f"{base_url}/{account}/{BOOK_ID}/",
                data="".join(cards).encode(),
                headers={**VCARD, **basic(account)},
            ) as response:
                assert response.status in (201, 204), (account, response.status)

        await asyncio.gather(*(fill(account) for account in accounts))
    return expected


# -- the run -------------------------------------------------------------------------------


def users_file(path: Path, users: Sequence[str], rounds: int) -> None:
    """One htpasswd file for every `serve`, with bcrypt hashes of the given cost."""
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds)).decode()
    path.write_text("".join(f"{user}:{hashed}\n" for user in users))


@dataclass
class Kill:
    at: float = 0.0
    back: float = 0.0
    pid: int = 0


def kill_and_restart(server: ContacthubServer, when: float, kill: Kill) -> None:
    time.sleep(max(0.0, when - time.time()))
    kill.pid = server.pid
    kill.at = time.time()
    os.kill(kill.pid, signal.SIGKILL)
    assert server._proc is not None
    server._proc.popen.wait()
    server._proc = None
    server.start()
    kill.back = time.time()


def profile(server: ContacthubServer, when: float, seconds: float, out: Path) -> None:
    """py-spy's samples of one `serve` (all threads, idle ones left out) as collapsed stacks."""
    time.sleep(max(0.0, when - time.time()))
    argv = ["py-spy", "record", "--pid", str(server.pid), "--duration", str(int(seconds))]
    argv += ["--rate", "100", "--format", "raw", "--output", str(out), "--nonblocking"]
    subprocess.run(argv, capture_output=True, check=False)


def frame_name(frame: str) -> str:
    """`f (.../site-packages/radicale/app/report.py:12)` -> `radicale/app/report.py:f`."""
    function, _, where = frame.partition(" (")
    path = where.rstrip(")").rpartition(":")[0]
    for marker in ("site-packages/", "/server/", "/plugins/", "/lib/python3.11/"):
        if marker in path:
            path = path.rpartition(marker)[2]
            break
    return f"{path}:{function}"


SERVER_LOOP = ("threading.py", "waitress/")  # every request's frames: not news


def hot_frames(collapsed: Path, top: int = 25) -> dict[str, Any]:
    """The functions most samples were in (inclusive) and at the top of (self), in %."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [frame_name(frame) for frame in stack.split(";")]
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            if not frame.startswith(SERVER_LOOP):
                inclusive[frame] += int(count)
    share = 100.0 / max(total, 1)
    return {
        "samples": total,
        "inclusive": [(f, round(n * share, 1)) for f, n in inclusive.most_common(top)],
        "self": [(f, round(n * share, 1)) for f, n in own.most_common(top // 2)],
    }


def start_import(server: ContacthubServer, csv_file: Path) -> subprocess.Popen[bytes]:
    argv = [*contacthub_command(), "import", str(csv_file), "--user", BULK_USER]
    argv += ["--book", "Bulk", "--data-dir", str(server.data_dir)]
    if server.config_path:
        argv += ["--config", str(server.config_path)]
    log = open(server.work_dir / "import.log", "w")  # noqa: SIM115 - the child holds it
    # In a session of its own, as the worker's unit or cron runs one beside `serve`'s.
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def percentile_ms(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)


def sync_p99_by_slice(
    syncs: Sequence[tuple[float, float]], start_at: float, seconds: float
) -> list[float]:
    """The sync-collections' p99 in each SLICE_S seconds of the run, by when they were
    sent: tells the kill's seconds from the import's."""
    slices: list[list[float]] = [[] for _ in range(max(1, round(seconds / SLICE_S)))]
    for started, elapsed in syncs:
        slices[min(len(slices) - 1, int((started - start_at) // SLICE_S))].append(elapsed)
    return [percentile_ms(values, 0.99) for values in slices]


def merge(parts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    latencies: dict[str, list[float]] = collections.defaultdict(list)
    statuses: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    merged: dict[str, Any] = {"failed_at": [], "syncs": [], "failures": [], "expected": {}}
    for part in parts:
        for kind, values in part["latencies"].items():
            latencies[kind] += values
        for kind, counts in part["statuses"].items():
            statuses[kind].update(counts)
        merged["failed_at"] += part["failed_at"]
        merged["syncs"] += part["syncs"]
        merged["failures"] += part["failures"]
        merged["expected"].update(part["expected"])
    merged["latencies"] = latencies
    merged["statuses"] = statuses
    return merged


def summary(merged: Mapping[str, Any], seconds: float) -> dict[str, Any]:
    kinds = {}
    for kind in KINDS:
        values = merged["latencies"].get(kind, [])
        counts = merged["statuses"].get(kind, collections.Counter())
        errors = {status: n for status, n in counts.items() if not status.startswith("2")}
        kinds[kind] = {
            "requests": sum(counts.values()),
            "answered": len(values),
            "per_second": round(len(values) / seconds, 1),
            "p50_ms": percentile_ms(values, 0.50),
            "p99_ms": percentile_ms(values, 0.99),
            "errors": errors,
        }
    total = sum(row["requests"] for row in kinds.values())
    answered = sum(row["answered"] for row in kinds.values())
    return {
        "requests": total,
        "answered": answered,
        "per_second": round(answered / seconds, 1),
        "kinds": kinds,
    }


def print_table(result: Mapping[str, Any]) -> None:
    print(
        f"\n{result['requests']} requests in {result['duration']:.0f} s, {result['answered']} "
        f"answered as asked ({result['per_second']}/s); "
        f"{result['processes']} serve process(es) behind nginx, "
        f"PostgreSQL; {result['devices']} devices in {result['clients']} client process(es); "
        f"load average {result['load_before']} before, {result['load_after']} after"
    )
    print("(req/s, p50 and p99 count the requests answered as asked: 207, 201, 204)")
    print(f"\n{'kind':<16} {'sent':>7} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}  errors")
    for kind, row in result["kinds"].items():
        errors = ", ".join(f"{s}: {n}" for s, n in sorted(row["errors"].items())) or "-"
        print(
            f"{kind:<16} {row['requests']:>7} {row['per_second']:>7} {row['p50_ms']:>8} "
            f"{row['p99_ms']:>8}  {errors}"
        )
    kill = result["kill"]
    if kill:
        print(
            f"\nkill -9 of serve pid {kill['pid']} at {kill['at_s']} s, back after "
            f"{kill['down_s']} s; failed requests: {result['failed_near_kill']} within 5 s of "
            f"the kill and restart, {result['failed_elsewhere']} at other times"
        )
    print(f"CSV import of {result['csv_rows']} rows: {result['csv_import']}")
    print(
        f"sync-collection p99 by {SLICE_S} s (ms): "
        + ", ".join(f"{n * SLICE_S}-: {ms}" for n, ms in enumerate(result["sync_p99_by_slice"]))
    )
    sync = result["kinds"]["sync-collection"]
    met = sync["per_second"] >= TARGET_SYNC_PER_SECOND and sync["p99_ms"] < TARGET_SYNC_P99_MS
    print(
        f"target ({TARGET_SYNC_PER_SECOND} sync-collection/s, p99 < {TARGET_SYNC_P99_MS} ms): "
        f"{'met' if met else 'missed'} ({sync['per_second']}/s, p99 {sync['p99_ms']} ms)"
    )
    print(
        f"acknowledged writes checked: {result['checked']}; lost: {len(result['lost'])}"
        + "".join(f"\n  lost: {line}" for line in result["lost"][:20])
    )
    for line in result["failures"][:10]:
        print(f"  failure: {line}")
    if "profile" in result:
        print(f"\nprofile of one serve ({result['profile']['samples']} samples)")
        for heading in ("inclusive", "self"):
            print(f"  {heading}:")
            for frame, share in result["profile"][heading]:
                print(f"    {share:5.1f}%  {frame}")


def load(
    args: argparse.Namespace, work: Path, postgres: PostgresServer
) -> tuple[dict[str, Any], list[str]]:
    accounts = [f"user{n:02d}" for n in range(args.accounts)]
    users_file(work / "users", [*accounts, BULK_USER], args.bcrypt_rounds)
    config = {
        "contacthub": {"trusted_proxy": LOOPBACK, "scheduler": "false"},
        "store": {"url": postgres.create_database()},
        "auth": {"htpasswd_filename": str(work / "users")},
        "logging": {"level": "warning"},
    }
    users = dict.fromkeys([*accounts, BULK_USER], PASSWORD)
    servers = [
        ContacthubServer(work / f"data{n}", users, config=config, own_session=True)
        for n in range(args.processes)
    ]
    for server in servers:
        server._users_created = True  # the shared users file already holds them
        server.start()
    csv_file = work / "bulk.csv"
    write_csv(csv_file, args.csv_rows)
    importer: subprocess.Popen[bytes] | None = None
    kill = Kill()
    try:
        with nginx_proxy([f"{s.host}:{s.port}" for s in servers], work / "nginx") as base_url:
            print(f"seeding {args.accounts} accounts x {args.seed} contacts ...", flush=True)
            seeding = time.time()
            expected = asyncio.run(_seed(base_url, accounts, args.seed))
            print(f"seeded in {time.time() - seeding:.0f} s", flush=True)
            plan = Plan(
                base_url,
                args.duration,
                args.interval,
                args.put_rate,
                args.delete_rate,
                args.propfind_every,
            )
            devices = [(accounts[n % len(accounts)], n) for n in range(args.devices)]
            shares = [devices[i :: args.clients] for i in range(args.clients)]
            spawn = multiprocessing.get_context("spawn")
            with (
                spawn.Manager() as manager,
                concurrent.futures.ProcessPoolExecutor(args.clients, mp_context=spawn) as pool,
            ):
                ready, go = manager.Queue(), manager.dict()
                futures = [pool.submit(run_client, share, plan, ready, go) for share in shares]
                warming = time.time()
                for _share in shares:
                    ready.get(timeout=args.warmup_timeout)
                start_at = time.time() + 1
                go["start_at"] = start_at
                print(
                    f"first syncs done in {start_at - 1 - warming:.0f} s; "
                    f"measuring for {args.duration:.0f} s ...",
                    flush=True,
                )
                killer = None
                if args.kill:
                    killer = threading.Thread(
                        target=kill_and_restart,
                        args=(servers[-1], start_at + args.duration / 2, kill),
                    )
                profiler = None
                if args.profile:
                    profiler = threading.Thread(
                        target=profile,
                        args=(servers[0], start_at + 2, args.profile, work / "profile.txt"),
                    )
                time.sleep(max(0.0, start_at - time.time()))
                load_before = os.getloadavg()[0]
                if args.csv_rows:
                    importer = start_import(servers[0], csv_file)
                imported_from = time.time()
                if killer:
                    killer.start()
                if profiler:
                    profiler.start()
                parts = [future.result() for future in futures]
                load_after = os.getloadavg()[0]
            if killer:
                killer.join()
            if profiler:
                profiler.join()
            if importer is None:
                csv_outcome = "none"
            elif importer.poll() is None:
                csv_outcome = f"still running after {time.time() - imported_from:.0f} s (stopped)"
                importer.terminate()
                importer.wait()
            else:
                took = time.time() - imported_from
                csv_outcome = f"exit {importer.returncode}, at most {took:.0f} s"
        print("checking the acknowledged writes ...", flush=True)
        merged = merge(parts)
        expected.update(merged["expected"])
        lost: list[str] = []
        by_account: dict[str, list[str]] = collections.defaultdict(list)
        for href in expected:
            by_account[href.split("/")[1]].append(href)
        for account, hrefs in by_account.items():
            lost += lost_writes(
                {h: expected[h] for h in hrefs}, held_cards(servers[0], account, hrefs)
            )
    finally:
        if importer is not None and importer.poll() is None:
            importer.kill()
        for server in servers:
            server.stop(check=False)
    result = summary(merged, args.duration)
    if (work / "profile.txt").exists():
        result["profile"] = hot_frames(work / "profile.txt")
        RESULTS.mkdir(exist_ok=True)
        shutil.copy(work / "profile.txt", RESULTS / f"load_test-{args.processes}p-profile.txt")
    failed_at = merged["failed_at"]
    slices = sync_p99_by_slice(merged["syncs"], start_at, args.duration)
    near = 0
    if kill.at:
        near = sum(1 for t in failed_at if kill.at - 5 <= t <= kill.back + 5)
    result.update(
        duration=args.duration,
        processes=args.processes,
        devices=args.devices,
        accounts=args.accounts,
        clients=args.clients,
        interval=args.interval,
        load_before=round(load_before, 2),
        load_after=round(load_after, 2),
        kill=(
            {
                "pid": kill.pid,
                "at_s": round(kill.at - start_at, 1),
                "down_s": round(kill.back - kill.at, 1),
            }
            if kill.at
            else None
        ),
        sync_p99_by_slice=slices,
        failed_near_kill=near,
        failed_elsewhere=len(failed_at) - near,
        csv_rows=args.csv_rows,
        csv_import=csv_outcome,
        checked=sum(1 for want in expected.values() if want != UNKNOWN),
        lost=lost,
        failures=merged["failures"],
    )
    return result, lost


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--processes", type=int, choices=(1, 2), default=2)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--seed", type=int, default=200, help="contacts in each account's book")
    parser.add_argument(
        "--interval", type=float, default=0.5, help="seconds between a device's syncs (mean)"
    )
    parser.add_argument("--put-rate", type=float, default=0.05, help="a PUT after this share")
    parser.add_argument("--delete-rate", type=float, default=0.02)
    parser.add_argument("--propfind-every", type=int, default=10, help="syncs per home PROPFIND")
    parser.add_argument("--csv-rows", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument(
        "--warmup-timeout", type=float, default=600.0, help="longest wait for the first syncs"
    )
    parser.add_argument("--bcrypt-rounds", type=int, default=12)
    parser.add_argument(
        "--profile", type=float, default=0, help="seconds of py-spy on the first serve"
    )
    parser.add_argument("--kill", action=argparse.BooleanOptionalAction, default=True)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="load-test-") as tmp:
        postgres = PostgresServer().start()
        try:
            result, lost = load(args, Path(tmp), postgres)
        finally:
            postgres.stop()
    print_table(result)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"load_test-{args.processes}p-{stamp}.json").write_text(json.dumps(result, indent=2))
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
