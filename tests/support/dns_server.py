"""A loopback DNS server for tests: A records from a dict, NXDOMAIN for everything else.

exchangelib's autodiscover looks host names and SRV records up with dnspython before it
connects; pointed at this server (``Autodiscovery.DNS_RESOLVER_KWARGS``/``_ATTRS``, its
settings for a custom resolver), autodiscover runs without leaving the machine.

    with DnsServer({"localhost": "127.0.0.1"}) as dns:
        dns.port
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Mapping
from types import TracebackType

import dns.message
import dns.rcode
import dns.rdatatype
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
        address = self.server.records.get(name)
        if address is not None and question.rdtype == dns.rdatatype.A:
            response.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A", address))
        elif address is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        sock.sendto(response.to_wire(), self.client_address)


class _Server(socketserver.ThreadingUDPServer):
    daemon_threads = True
    records: dict[str, str]
    asked: list[tuple[str, str]]


class DnsServer:
    def __init__(self, records: Mapping[str, str]) -> None:
        self._server = _Server((LOOPBACK, 0), _Handler)
        self._server.records = {name.lower(): ip for name, ip in records.items()}
        self._server.asked = []  # (name, record type) in the order asked
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def asked(self) -> list[tuple[str, str]]:
        return list(self._server.asked)

    def __enter__(self) -> DnsServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
