"""Small networking helpers for tests: free loopback ports and readiness polling."""

from __future__ import annotations

import itertools
import os
import random
import socket
import time
from collections.abc import Callable, Iterator

LOOPBACK = "127.0.0.1"

# Ports are handed out from below the kernel's ephemeral range (32768 and up by default),
# each pytest-xdist worker from a slice of its own, in turn. A port the kernel picked
# (bind to port 0) could be taken before the server bound it: by another worker's pick, or
# as the local port of any outgoing connection, which then refuses the server's bind
# (EADDRINUSE: CI saw it once).
PORT_RANGE = range(10000, 32000)
PORTS_PER_WORKER = 2000


def _worker_ports() -> Iterator[int]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # "gw3" under pytest -n
    index = int(worker.removeprefix("gw")) % (len(PORT_RANGE) // PORTS_PER_WORKER)
    first = PORT_RANGE.start + index * PORTS_PER_WORKER
    ports = range(first, first + PORTS_PER_WORKER)
    # From a random place in the slice: two runs on one machine do not walk it in step.
    start = random.SystemRandom().randrange(PORTS_PER_WORKER)
    return itertools.cycle([*ports[start:], *ports[:start]])


_ports = _worker_ports()


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on *host* that nothing uses right now, and that no other test of
    this run is handed until this worker has gone through its whole slice."""
    for port in itertools.islice(_ports, PORTS_PER_WORKER):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))  # without SO_REUSEADDR: skips TIME_WAIT ports too
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port on {host} in this worker's slice of {PORT_RANGE}")


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
