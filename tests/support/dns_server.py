"""A loopback DNS server for tests: A records from a dict, NXDOMAIN for everything else.

exchangelib's autodiscover looks host names and SRV records up with dnspython before it
connects; pointed at this server (``Autodiscovery.DNS_RESOLVER_KWARGS``/``_ATTRS``, its
settings for a custom resolver), autodiscover runs without leaving the machine. requests then
connects with the system's resolver (``socket.getaddrinfo``); ``getaddrinfo(zone)`` is a stand-in
for it that asks this server for the names in a zone, so patched in, the connections go where
this server says too.

    with DnsServer({"localhost": "127.0.0.1"}) as dns:
        dns.port
        monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo("example.org"))

A name given several addresses answers its lookups with them in turn, the last one from then
on (with a TTL of 0): it rebinds, as a hostile server's DNS does between a check and a
connection. ``answer(name, *addresses)`` starts such a sequence anew.

    DnsServer({"mail.example.org": ["127.0.0.2", "127.0.0.1"]})  # .2 first, then .1
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset

from tests.support.net import LOOPBACK


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        data, sock = self.request
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.server.asked.append((name, dns.rdatatype.to_text(question.rdtype)))
        answers = self.server.records.get(name)
        if answers is not None and question.rdtype == dns.rdatatype.A:
            with self.server.lock:
                turn = self.server.answered[name]
                self.server.answered[name] += 1
            address = answers[min(turn, len(answers) - 1)]
            ttl = 0 if len(answers) > 1 else 60
            response.answer.append(dns.rrset.from_text(question.name, ttl, "IN", "A", address))
        elif answers is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        sock.sendto(response.to_wire(), self.client_address)


class _Server(socketserver.ThreadingUDPServer):
    daemon_threads = True
    records: dict[str, list[str]]  # the A answers of a name, in turn
    answered: Counter[str]  # how many A queries of each name were answered
    lock: threading.Lock
    asked: list[tuple[str, str]]


class DnsServer:
    def __init__(self, records: Mapping[str, str | Sequence[str]]) -> None:
        self._server = _Server((LOOPBACK, 0), _Handler)
        self._server.records = {}
        self._server.answered = Counter()
        self._server.lock = threading.Lock()
        for name, addresses in records.items():
            self.answer(name, *([addresses] if isinstance(addresses, str) else addresses))
        self._server.asked = []  # (name, record type) in the order asked
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def asked(self) -> list[tuple[str, str]]:
        return list(self._server.asked)

    def answer(self, name: str, *addresses: str) -> None:
        """Answer the next lookups of *name* with *addresses* in turn, the last one from then on."""
        with self._server.lock:
            self._server.records[name.lower()] = list(addresses)
            self._server.answered[name.lower()] = 0

    def resolve(self, name: str) -> list[str]:
        """The addresses of ``name`` (A records), asked of this server over UDP; [] if none."""
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [LOOPBACK]
        resolver.port = self.port
        try:
            answer = resolver.resolve(f"{name.rstrip('.')}.", "A", lifetime=5)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        return [record.address for record in answer]

    def getaddrinfo(
        self, zone: str, system: Callable[..., Any] = socket.getaddrinfo
    ) -> Callable[..., Any]:
        """A ``socket.getaddrinfo`` that looks the names in ``zone`` up here (IPv4, TCP), and
        leaves the others to ``system``."""
        zone = zone.lower().rstrip(".")

        def getaddrinfo(
            host: Any,
            port: Any,
            family: int = 0,
            type: int = 0,  # noqa: A002
            proto: int = 0,
            flags: int = 0,
        ) -> Any:
            name = host.lower().rstrip(".") if isinstance(host, str) else ""
            if name != zone and not name.endswith(f".{zone}"):
                return system(host, port, family, type, proto, flags)
            addresses = self.resolve(name)
            if not addresses:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (
                    socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (address, int(port or 0)),
                )
                for address in addresses
            ]

        return getaddrinfo

    def __enter__(self) -> DnsServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
