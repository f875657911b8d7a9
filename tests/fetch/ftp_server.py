"""A pyftpdlib FTP (or explicit FTPS) server for the fetcher's tests, in a thread."""

from __future__ import annotations

import threading
from pathlib import Path

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer

from tests.support.net import LOOPBACK

USER = "csvuser"
PASSWORD = "ftp-Secret-9"


class LocalFTPServer:
    """Serves *root* to USER/PASSWORD; with *tls_certfile* (cert and key in one PEM), FTPS
    with TLS required on control and data connections."""

    def __init__(
        self, root: Path, tls_certfile: Path | None = None, without: tuple[str, ...] = ()
    ) -> None:
        authorizer = DummyAuthorizer()
        authorizer.add_user(USER, PASSWORD, str(root), perm="elr")
        handler: type[FTPHandler]
        if tls_certfile is None:
            handler = type("Handler", (FTPHandler,), {})
            self.scheme = "ftp"
        else:
            handler = type(
                "TLSHandler",
                (TLS_FTPHandler,),
                {
                    "certfile": str(tls_certfile),
                    "tls_control_required": True,
                    "tls_data_required": True,
                },
            )
            self.scheme = "ftps"
        handler.authorizer = authorizer
        # Commands in *without* get "500 Command not understood", as from older servers.
        handler.proto_cmds = {k: v for k, v in handler.proto_cmds.items() if k not in without}
        handler.auth_failed_timeout = 0  # pyftpdlib waits 3 s after a failed login
        handler.log_prefix = "%(username)s@%(remote_ip)s"
        self._server = FTPServer((LOOPBACK, 0), handler)
        self.port = int(self._server.address[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def url(self, path: str, user: str | None = None, host: str = LOOPBACK) -> str:
        userinfo = f"{user}@" if user else ""
        return f"{self.scheme}://{userinfo}{host}:{self.port}{path}"

    def _run(self) -> None:
        # pyftpdlib's loop is not thread-safe to stop from outside: it runs in short
        # non-blocking rounds here and closes itself once asked to stop.
        while not self._stop.is_set():
            self._server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        self._server.close_all()

    def __enter__(self) -> LocalFTPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
