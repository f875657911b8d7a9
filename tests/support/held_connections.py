"""A TCP forwarder on loopback that holds connections back: the first `free` pass at once,
later ones wait until `release()`. A test sees a run while it waits for its server (the
progress page of a mail account's first sync), then lets it go on."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

HOLD_AT_MOST = 30.0  # seconds: a test that never releases does not hang the server


class HeldConnections:
    def __init__(self, host: str, port: int, *, free: int) -> None:
        self.target = (host, port)
        self.free = free
        self.accepted = 0
        self.released = threading.Event()
        self.held = threading.Event()  # set once a connection waits
        self._listener = socket.create_server((host, 0))
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> HeldConnections:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self._listener.close()
        for sock in self._sockets:
            with suppress(OSError):
                sock.close()

    def release(self) -> None:
        self.released.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.accepted += 1
            hold = self.accepted > self.free
            threading.Thread(target=self._forward, args=(client, hold), daemon=True).start()

    def _forward(self, client: socket.socket, hold: bool) -> None:
        if hold:
            self.held.set()
            self.released.wait(HOLD_AT_MOST)
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        self._sockets += [client, upstream]
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        _pipe(client, upstream)


def _pipe(source: socket.socket, target: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with suppress(OSError):
        target.shutdown(socket.SHUT_WR)
