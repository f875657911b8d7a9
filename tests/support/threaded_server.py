"""An HTTP(S) server of the tests: on a loopback address, served from a thread, a context
manager. The test doubles (EWS, autodiscover, the Azure AD token endpoint) subclass it;
their request handlers reach the double as ``self.server.double``."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    double: Any


class DoubleServer:
    """Binds at construction (OSError when the port is taken or not permitted), serves
    from ``__enter__`` until ``stop()`` or ``__exit__``."""

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        address: str,
        port: int = 0,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        """``tls``: (certificate file, key file) to serve HTTPS instead of HTTP."""
        self._server = _Server((address, port), handler)
        self._server.double = self
        self.scheme = "https" if tls else "http"
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> Any:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering (the port is closed); calling it again does nothing."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
