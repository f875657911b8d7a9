"""Small networking helpers for tests: free loopback ports and readiness polling."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on *host* that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    """True when a TCP connection to (host, port) succeeds."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    interval: float = 0.05,
    abort: Callable[[], str | None] | None = None,
) -> None:
    """Poll *condition* until it holds; raise TimeoutError after *timeout* seconds.

    *abort* is polled too: when it returns a message, waiting stops with a RuntimeError
    (for example when the process being waited for has exited).
    """
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if abort is not None:
            reason = abort()
            if reason:
                raise RuntimeError(f"while waiting for {what}: {reason}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Tripwire:
    """A listener that answers nothing and counts the connections that reach it: put on an
    address the code under test must never connect to.

    The kernel completes a connection to it (and queues it) without an accept(), so one that
    came is counted even when the client gave up long ago.
    """

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, port))
        self._socket.listen(16)
        self._socket.setblocking(False)
        self._count = 0

    @property
    def port(self) -> int:
        return int(self._socket.getsockname()[1])

    def connections(self) -> int:
        """How many connections reached it so far."""
        while True:
            try:
                connection, _ = self._socket.accept()
            except BlockingIOError:
                return self._count
            connection.close()
            self._count += 1

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> Tripwire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
