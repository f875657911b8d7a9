"""What the proxy tests share: the backends behind a proxy, the proxy's site, requests."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests

from tests.support.net import wait_until
from tests.support.servers import ContacthubServer

PASSWORD = "alice-Secret-1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SYNC_COLLECTION = """<?xml version="1.0" encoding="utf-8"?>
<d:sync-collection xmlns:d="DAV:">
  <d:sync-token>{token}</d:sync-token>
  <d:sync-level>1</d:sync-level>
  <d:prop><d:getetag/></d:prop>
</d:sync-collection>"""


@dataclass
class Backends:
    servers: list[ContacthubServer]
    base: Path
    cert: Path
    key: Path

    @property
    def addresses(self) -> list[tuple[str, int]]:
        return [(server.host, server.port) for server in self.servers]


@dataclass
class Site:
    """A proxy's https:// address in front of the backends."""

    url: str
    backends: Backends
    proxy: str  # nginx or caddy

    @property
    def port(self) -> int:
        port = urlsplit(self.url).port
        assert port is not None
        return port

    @property
    def cert(self) -> Path:
        return self.backends.cert

    def session(self, auth: tuple[str, str] | None = ("alice", PASSWORD)) -> requests.Session:
        session = requests.Session()
        # Not REQUESTS_CA_BUNDLE or a proxy from the environment: this site's own cert.
        session.trust_env = False
        session.verify = str(self.cert)
        session.auth = auth
        return session

    def answered_by(self, request_id: str, wait: float = 5.0) -> list[int]:
        """The indexes of the backends whose log has the request's line (written when
        the answer's last byte is handed on: waited for up to `wait` seconds)."""
        servers = self.backends.servers

        def logged() -> list[int]:
            return [i for i, server in enumerate(servers) if _logged(server, request_id)]

        try:
            wait_until(lambda: bool(logged()), wait, f"a log line with id={request_id}")
        except TimeoutError:
            return []
        return logged()


def _logged(server: ContacthubServer, request_id: str) -> bool:
    return server.log_path.exists() and f"id={request_id}" in server.log_path.read_text()


def request_id() -> str:
    return uuid.uuid4().hex
