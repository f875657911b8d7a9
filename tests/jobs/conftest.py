"""Fixtures for saved syncs: a store (SQLite and PostgreSQL), settings, a clock turned by
hand, and real HTTP, FTP(S) and SMTP servers on 127.0.0.1.

- ``store``: an empty store with the user ``alice``, over both backends (``store_url``).
- ``clock``: what ``RunContext.now()`` answers; tests set and move it instead of sleeping.
- ``ctx``: a RunContext over ``store``, ``settings`` and ``clock``.
- ``settings``: loaded from an empty data directory; fetching may reach loopback only,
  with the test CA trusted; no SMTP server until a test sets ``settings.smtp``.
- ``site`` and ``http``: the files of a local HTTP server, and the server.
- ``ftp_root`` and ``ftp``: the directory an FTP server (parametrized: ftp, ftps) serves.
- ``mailbox``: an aiosmtpd server; ``smtp_to(mailbox)`` is the ``[smtp]`` section for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from contacthub import config
from contacthub.config import Settings
from contacthub.fetch import FetchPolicy
from contacthub.sources.context import RunContext
from contacthub.store import Store
from tests.fetch.certs import CertificateFiles, make_certificates
from tests.fetch.ftp_server import LocalFTPServer
from tests.support.net import LOOPBACK, free_port
from tests.support.smtp import Mailbox, serve_mailbox

OWNER = "alice"
SENDER = "contacthub@example.org"


@dataclass
class Clock:
    """A clock for RunContext: the real time until a test sets or advances it, then it
    stands still until the test moves it again.

    The reconciler stamps the runs it records with the real time (and the store orders
    runs by that), so tests that look at a sync's latest run keep this clock real."""

    fixed: float | None = None

    def __call__(self) -> float:
        return time.time() if self.fixed is None else self.fixed

    def set(self, moment: datetime) -> None:
        self.fixed = moment.timestamp()

    def advance(self, seconds: float) -> None:
        self.fixed = self() + seconds

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self(), UTC)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(tmp_path_factory.mktemp("sync-certs"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(data_dir: Path, tls_files: CertificateFiles) -> Settings:
    loaded = config.load(data_dir)
    loaded.fetch_policy = FetchPolicy(
        timeout=5, allowed_networks=("127.0.0.0/8",), ca_bundle=str(tls_files.ca_file)
    )
    loaded.smtp = {}
    return loaded


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(store: Store, settings: Settings, clock: Clock) -> RunContext:
    return RunContext(store, settings, clock=clock)


@pytest.fixture(params=["ftp", "ftps"])
def ftp(
    request: pytest.FixtureRequest, ftp_root: Path, tls_files: CertificateFiles
) -> Iterator[LocalFTPServer]:
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    certfile = tls_files.combined_file if request.param == "ftps" else None
    with LocalFTPServer(ftp_root, certfile) as server:
        yield server


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with serve_mailbox(Mailbox(free_port())) as served:
        yield served


def smtp_to(mailbox: Mailbox) -> dict[str, str]:
    """The ``[smtp]`` section for a plain (no TLS, no login) server."""
    return {"host": LOOPBACK, "port": str(mailbox.port), "security": "none", "sender": SENDER}
