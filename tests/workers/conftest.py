"""`contacthub worker` processes against a store this test process also opens.

`hub` is a data directory whose config points at the store (SQLite or PostgreSQL)
and allows fetching from loopback; `slow_site` is a local HTTP server whose files
take a moment to send, so that runs of concurrent workers overlap.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from contacthub import config
from contacthub.sources.context import RunContext
from contacthub.sources.csv.remote import create_remote_sync, origin_of
from contacthub.sources.settings import parse_schedule, save_settings
from contacthub.store import SourceRecord, Store
from tests.support.net import LOOPBACK

OWNER = "ann"


@dataclass
class SlowSite:
    """Serves /N.csv for any N: a one-row CSV, after `delay` seconds (or until released)."""

    delay: float = 0.05
    hold: threading.Event | None = None  # set: requests wait for it (a hanging server)
    requests: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def body(self, path: str) -> bytes:
        name = path.strip("/").removesuffix(".csv")
        return f"Name,Email\r\nPerson {name},p{name}@example.org\r\n".encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802
        site = self.server.site
        with site.lock:
            site.requests[self.path] += 1
        if site.hold is not None:
            site.hold.wait(60)
        time.sleep(site.delay)
        body = site.body(self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: SlowSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A worker the test killed, or one that gave up, no longer reads its answer.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture
def slow_site() -> Iterator[tuple[SlowSite, str]]:
    site = SlowSite()
    server = _Server((LOOPBACK, 0), _Handler)
    server.site = site
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield site, f"http://{LOOPBACK}:{server.server_address[1]}"
    finally:
        if site.hold is not None:
            site.hold.set()
        server.shutdown()
        server.server_close()


@dataclass
class Hub:
    data_dir: Path
    store_url: str

    def settings(self) -> config.Settings:
        return config.load(self.data_dir)

    def context(self, clock: float | None = None) -> RunContext:
        store = Store.open(self.store_url)
        if clock is None:
            return RunContext(store, self.settings())
        return RunContext(store, self.settings(), clock=lambda: clock)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "contacthub.cli", *args, "--data-dir", str(self.data_dir)]

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def hub(tmp_path: Path, store_url: str) -> Iterator[Hub]:
    data_dir = tmp_path / "hub"
    data_dir.mkdir()
    (data_dir / "contacthub.conf").write_text(
        f"[store]\nurl = {store_url}\n\n[fetch]\nallowed_networks = 127.0.0.0/8\ntimeout = 10\n"
        "\n[logging]\nlevel = warning\n",
        encoding="utf-8",
    )
    store = Store.open(store_url)
    with store.write() as tx:
        tx.create_collection(OWNER, {})
    store.close()
    yield Hub(data_dir, store_url)


def due_sync(hub: Hub, url: str, name: str) -> SourceRecord:
    """A daily sync of `url` whose first run was due a minute ago."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    ctx = hub.context(clock=start.timestamp() - 1)
    source = create_remote_sync(ctx, OWNER, {"url": url}, name=name)
    schedule = parse_schedule(
        {"start": start.replace(tzinfo=None).isoformat(), "timezone": "UTC", "frequency": "daily"},
        origin_of(source),
        ctx.now(),
    )
    source = save_settings(ctx, source, schedule=schedule)
    ctx.store.close()
    return source
