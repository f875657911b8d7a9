"""Tiny scripted line servers on 127.0.0.1: a POP3 greeting, an SMTP banner, an IMAP server
that refuses passwords in plain text. They say just enough for the client to recognise them.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable

from tests.support.net import LOOPBACK

# A command line (tag and command, upper case) → the lines to answer; None closes.
Script = Callable[[str, str], list[str] | None]


def silent(tag: str, command: str) -> list[str] | None:
    return None


def pop3(tag: str, command: str) -> list[str] | None:
    return ["-ERR unknown command"]


def imap_capabilities(capabilities: str) -> Script:
    """An IMAP server that answers CAPABILITY and LOGOUT, and nothing else."""

    def script(tag: str, command: str) -> list[str] | None:
        if command == "CAPABILITY":
            return [f"* CAPABILITY {capabilities}", f"{tag} OK CAPABILITY completed"]
        if command == "LOGOUT":
            return ["* BYE logging out", f"{tag} OK LOGOUT completed"]
        return [f"{tag} BAD not in this test"]

    return script


class LineServer:
    """Sends *greeting* to each connection, then answers each line from *script*."""

    def __init__(self, greeting: str, script: Script = silent) -> None:
        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(greeting.encode() + b"\r\n")
                for raw in self.rfile:
                    tag, _, rest = raw.decode(errors="replace").strip().partition(" ")
                    answer = script(tag, rest.split(" ", 1)[0].upper())
                    if answer is None:
                        return
                    self.wfile.write("".join(f"{line}\r\n" for line in answer).encode())

        self._server = socketserver.ThreadingTCPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> LineServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
