"""A local HTTP(S) server for the fetcher's tests, run in a thread on a free port.

Files live in ``files`` (path → bytes). Each can carry an ETag, a Last-Modified date, both or
neither, and the server answers conditional requests with 304. It can also require Basic
auth, redirect, send a body without Content-Length, and hold a path's answer back until its
event in ``Site.held`` is set. ``Site.requests`` and ``Site.statuses`` keep what was asked
and answered.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
import threading
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support.net import LOOPBACK


@dataclass
class ServedFile:
    content: bytes
    etag: bool = True
    last_modified: str | None = None  # an HTTP date, or None for no Last-Modified
    credentials: tuple[str, str] | None = None  # Basic auth required when set
    content_length: bool = True

    def etag_value(self) -> str:
        return '"' + hashlib.sha256(self.content).hexdigest()[:16] + '"'


@dataclass
class Site:
    files: dict[str, ServedFile] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)  # path → Location
    requests: list[dict[str, str]] = field(default_factory=list)  # headers seen, in order
    statuses: list[int] = field(default_factory=list)  # status of each answer, in order
    held: dict[str, threading.Event] = field(default_factory=dict)  # path → answer once set


def http_date(timestamp: float) -> str:
    import datetime as dt

    return format_datetime(dt.datetime.fromtimestamp(timestamp, dt.UTC), usegmt=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        site = self.server.site
        site.requests.append({"path": self.path, **dict(self.headers.items())})
        gate = site.held.get(self.path)
        if gate is not None:
            gate.wait(60)
        if self.path in site.redirects:
            self._send(302, b"", {"Location": site.redirects[self.path]})
            return
        served = site.files.get(self.path)
        if served is None:
            self._send(404, b"not found\n", {})
            return
        if served.credentials and not self._authorized(served.credentials):
            self._send(401, b"", {"WWW-Authenticate": 'Basic realm="test"'})
            return
        headers: dict[str, str] = {}
        if served.etag:
            headers["ETag"] = served.etag_value()
        if served.last_modified:
            headers["Last-Modified"] = served.last_modified
        if self._not_modified(served):
            self._send(304, b"", headers)
            return
        self._send(200, served.content, headers, served.content_length)

    def _authorized(self, credentials: tuple[str, str]) -> bool:
        expected = base64.b64encode(":".join(credentials).encode()).decode()
        return self.headers.get("Authorization") == f"Basic {expected}"

    def _not_modified(self, served: ServedFile) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return served.etag and if_none_match == served.etag_value()
        since = self.headers.get("If-Modified-Since")
        if since and served.last_modified:
            return parsedate_to_datetime(served.last_modified) <= parsedate_to_datetime(since)
        return False

    def _send(self, status: int, body: bytes, headers: dict[str, str], length: bool = True) -> None:
        self.server.site.statuses.append(status)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: Site


class LocalHTTPServer:
    """``with LocalHTTPServer(site) as server: server.url("/a.csv")``; on 127.0.0.1 and a
    free port unless *address* and *port* say otherwise."""

    def __init__(
        self,
        site: Site,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        *,
        address: str = LOOPBACK,
        port: int = 0,
    ):
        self.site = site
        self._httpd = _Server((address, port), _Handler)
        self._httpd.site = site
        self.scheme = "http"
        if tls_cert is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls_cert, tls_key)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str, host: str = LOOPBACK) -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def __enter__(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()
