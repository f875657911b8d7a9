"""Connections to the addresses the guard checked, in one step: resolve the host, check every
address it has, connect to one of them.

A client that checks a host and then connects to it by name resolves it twice, and a DNS
answer that changes in between (rebinding) reaches an address the admin never allowed. Here
each connection resolves once and connects to what was checked; TLS is still verified for
the host name, and SNI carries it, as only the socket is pinned.

``open_socket`` is for clients that take a socket (imaplib); ``PinnedAdapter`` is requests'
adapter for the CSV fetch and exchangelib, whose every new connection is made that way.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from contacthub.fetch.guard import resolve
from contacthub.fetch.model import FetchPolicy


def open_socket(
    host: str,
    port: int,
    policy: FetchPolicy,
    timeout: float | None,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """A TCP connection to the first of *host*'s checked addresses that answers, tried in
    the resolver's order as socket.create_connection does; the last failure when none does.
    FetchError (HostNotFound included) when the guard refuses the host or it does not resolve.
    """
    failure: OSError | None = None
    for address in resolve(host, port, policy):
        try:
            return _connect(address, port, timeout, source_address)
        except OSError as error:
            failure = error
    assert failure is not None, "resolve() returns at least one address"
    raise failure


def _connect(
    address: str, port: int, timeout: float | None, source_address: tuple[str, int] | None
) -> socket.socket:
    """A socket connected to *address* itself (socket.create_connection would look even an
    address up again)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        if source_address is not None:
            sock.bind(source_address)
        sock.connect((address, port))
    except BaseException:
        sock.close()
        raise
    return sock


class PinnedAdapter(HTTPAdapter):
    """requests' adapter whose connections go only to addresses the guard checked.

    ``policy`` is the guard's: given to the constructor, or set on a subclass for code that
    makes its adapters itself (exchangelib); each connection takes the one in force as it
    connects. Proxies are never used: a proxy resolves the name itself, where the guard
    cannot look.
    """

    policy: FetchPolicy = FetchPolicy()

    def __init__(self, policy: FetchPolicy | None = None, **kwargs: Any) -> None:
        if policy is not None:
            self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self._pool_connections = connections  # kept for pickling, as HTTPAdapter does
        self._pool_maxsize = maxsize
        self._pool_block = block
        self.poolmanager = _PinnedPoolManager(
            lambda: self.policy, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> Response:
        return super().send(request, stream, timeout, verify, cert, proxies=None)


class _PinnedPoolManager(PoolManager):
    """Gives each of its pools the pinned connection classes and a way to the guard's policy."""

    def __init__(self, current_policy: Callable[[], FetchPolicy], **kwargs: Any) -> None:
        self.current_policy = current_policy
        super().__init__(**kwargs)

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, Any] | None = None,
    ) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.ConnectionCls = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        pool.conn_kw["current_policy"] = self.current_policy  # to each connection it makes
        return pool


class _PinnedHTTP(HTTPConnection):
    def __init__(
        self, *args: Any, current_policy: Callable[[], FetchPolicy], **kwargs: Any
    ) -> None:
        self.current_policy = current_policy
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        return _new_conn(self, self.current_policy())


class _PinnedHTTPS(HTTPSConnection):
    """Connects the socket to a checked address; urllib3 then wraps it in TLS for self.host,
    the name (SNI and the certificate check)."""

    def __init__(
        self, *args: Any, current_policy: Callable[[], FetchPolicy], **kwargs: Any
    ) -> None:
        self.current_policy = current_policy
        super().__init__(*args, **kwargs)

    def _new_conn(self) -> socket.socket:
        return _new_conn(self, self.current_policy())


def _new_conn(connection: HTTPConnection, policy: FetchPolicy) -> socket.socket:
    """urllib3's HTTPConnection._new_conn, connecting through open_socket: socket errors
    become urllib3's, as requests expects; the guard's FetchError goes through as it is."""
    try:
        sock = open_socket(
            connection.host, connection.port, policy, connection.timeout, connection.source_address
        )
    except TimeoutError as error:
        raise ConnectTimeoutError(
            connection,
            f"Connection to {connection.host} timed out. (connect timeout={connection.timeout})",
        ) from error
    except OSError as error:
        raise NewConnectionError(
            connection, f"Failed to establish a new connection: {error}"
        ) from error
    for level, option, value in connection.socket_options or ():
        sock.setsockopt(level, option, value)
    return sock
