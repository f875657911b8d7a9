"""A loopback Exchange Web Services endpoint for the tests: SOAP over HTTP, a mailbox in memory.

It answers exchangelib's real transport the way Exchange 2019 does, for what contacthub uses:

* HTTP Basic authentication: a request without or with wrong credentials gets 401 and a
  ``WWW-Authenticate: Basic`` challenge (which is how exchangelib detects the auth type);
  OAuth2: ``Authorization: Bearer <token>`` with a token of ``tokens`` (put there by the Azure
  AD token endpoint of tests/support/azure_token.py) logs in as its mailbox, another gets 401;
* version probing: every response carries a ``ServerVersionInfo`` SOAP header (build 15.2, the
  ``V2017_07_11`` version string Exchange 2019 really sends; ``version=EXCHANGE_2010_SP3`` plays
  an older server), ``RequestServerVersion`` values it does not know get an
  ``ErrorInvalidServerVersion`` fault, and the probe exchangelib sends (``ConvertId`` of the id
  ``DUMMY``) gets ``ErrorInvalidIdMalformed`` like on a real server;
* ``GetFolder`` for the distinguished folders ``root``, ``msgfolderroot`` and ``contacts``;
* ``SyncFolderItems`` with opaque sync states (Create, Update and Delete changes since a state,
  paged by ``MaxChangesReturned``), ``GetItem``, ``CreateItem`` and ``UpdateItem``
  (``SetItemField``, ``AppendToItemField``, ``DeleteItemField``, indexed fields included) with
  change keys: a stale one gets ``ErrorIrresolvableConflict`` under ``NeverOverwrite``, a
  malformed one ``ErrorInvalidChangeKey``;
* anything else gets an ``ErrorInvalidOperation`` fault naming the operation, so a test fails
  loudly instead of passing against a guess.

* ``FindItem`` in the Contacts folder with IsEqualTo (Or, And) restrictions on fields and
  extended properties, which contacts keep as they were sent;
* an app's bearer token acts only with an ``ExchangeImpersonation`` header naming the mailbox
  it was granted for, as in Exchange Online: without one, the SOAP fault
  ``ErrorInvalidExchangeImpersonationHeaderData``, for another mailbox
  ``ErrorImpersonateUserDenied``;
* NTLM instead of Basic (``ntlm=True``): pyspnego's acceptor, per connection as IIS does it;
* what the schema refuses (tests/support/ews_schema.py), and faults a test plans
  (``plan``, tests/support/ews_faults.py): errors, ErrorServerBusy with a back-off, dropped
  connections, tokens ended early.

Not covered: Negotiate (Kerberos) logins, autodiscover (only /EWS/Exchange.asmx answers here;
tests/support/ews_autodiscover.py plays it beside this double), DeleteItem, attachments and
photos, BodyType conversion (a Body is returned as stored: Outlook's are HTML), AutoResolve's
per-property merge (a stale change is simply applied).

Contacts are kept as the XML elements the client sent, keyed by element name, so every field
exchangelib writes comes back as Exchange would return it (tests/support/ews_mailbox.py; the
operations are in tests/support/ews_soap.py). Tests edit the mailbox directly
(``Mailbox.create``, ``edit``, ``set_entry``, ``delete``) to play a user working in Outlook;
``Mailbox.refused`` lists display names whose CreateItem is refused, as values Exchange cannot
store are.

    with EwsServer(users={"alice@example.org": "pw"}) as ews:
        ews.url   # http://127.0.0.1:<port>/EWS/Exchange.asmx (https with tls=(cert, key))
        ews.operations()   # the operations asked for so far, "401" for refused requests
"""

from __future__ import annotations

import base64
import socket
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import spnego
from lxml import etree
from spnego.exceptions import SpnegoError

from tests.support.ews_faults import Fault, FaultPlan
from tests.support.ews_mailbox import SOAP, EwsFault, Mailbox, local_name, tns
from tests.support.ews_soap import EXCHANGE_2019, Ews, ServerVersion
from tests.support.net import LOOPBACK
from tests.support.threaded_server import DoubleServer

EWS_PATH = "/ews/exchange.asmx"


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 with Content-Length: exchangelib reads "Connection: close" on an error as "busy".
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: Any  # its .double is the EwsServer
    _ntlm: Any = None  # this connection's NTLM acceptor (spnego), while it logs in
    _ntlm_user: str | None = None  # whom this connection is logged in as, by NTLM

    def do_POST(self) -> None:  # noqa: N802
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.lower().split("?", 1)[0] != EWS_PATH:
            self._send(404, b"", "text/plain")
            return
        ews: EwsServer = self.server.double
        try:
            envelope = etree.fromstring(data)
        except etree.XMLSyntaxError as error:
            envelope = None
            syntax_error = str(error)
        fault = ews.faults.next(operation_of(envelope)) if envelope is not None else None
        authorization = self.headers.get("Authorization")
        if fault is not None and fault.kind == "expire-token":
            ews.expire(authorization)
        if ews.ntlm:
            login = self._ntlm_login(authorization)
        else:
            login = ews.login(authorization)
            if login is None:
                self._refuse_basic()
        if login is None:
            return
        if envelope is None:
            self._send(400, syntax_error.encode(), "text/plain")
            return
        if fault is not None and fault.kind == "drop":
            ews.record(f"dropped {operation_of(envelope)}", login)
            self._drop()
            return
        name, body, refused = self._answer(ews, envelope, authorization, fault)
        ews.record(name, login)
        if fault is not None and fault.kind == "drop-after":
            self._drop()
            return
        # Exchange sends SOAP faults with status 500.
        self._send(500 if refused else 200, body, "text/xml; charset=utf-8")

    def _ntlm_login(self, authorization: str | None) -> str | None:
        """NTLM as IIS does it, per connection: NEGOTIATE, then CHALLENGE in a 401, then
        AUTHENTICATE; the connection is then logged in. None when a 401 was answered."""
        if self._ntlm_user is not None and not authorization:
            return self._ntlm_user
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "ntlm" or not token:
            return self._refuse_ntlm(None)
        try:
            if self._ntlm is None or self._ntlm.complete:
                self._ntlm = spnego.server(protocol="ntlm")
            answer = self._ntlm.step(base64.b64decode(token))
        except (SpnegoError, ValueError):
            self._ntlm = None
            return self._refuse_ntlm(None)
        if not self._ntlm.complete:
            return self._refuse_ntlm(answer)
        self._ntlm_user = str(self._ntlm.client_principal)
        return self._ntlm_user

    def _refuse_ntlm(self, challenge: bytes | None) -> None:
        ews: EwsServer = self.server.double
        ews.record("401", None)
        offer = "NTLM" if challenge is None else f"NTLM {base64.b64encode(challenge).decode()}"
        self._send(401, b"", "text/plain", {"WWW-Authenticate": offer})

    def _refuse_basic(self) -> None:
        ews: EwsServer = self.server.double
        ews.record("401", None)
        self._send(401, b"", "text/plain", {"WWW-Authenticate": f'Basic realm="{LOOPBACK}"'})

    def _answer(
        self,
        ews: EwsServer,
        envelope: etree._Element,
        authorization: str | None,
        fault: Fault | None,
    ) -> tuple[str, bytes, bool]:
        answering = Ews(ews.mailbox, ews.version)
        name = operation_of(envelope)
        impersonation = ews.impersonation_fault(authorization, envelope)
        if impersonation is not None:
            return name, answering.fault(impersonation), True
        if fault is not None and fault.kind == "busy":
            busy = EwsFault("ErrorServerBusy", back_off_ms=fault.back_off_ms)
            return name, answering.fault(busy), True
        if fault is not None and fault.kind == "error":
            name, body = answering.refuse(envelope, fault.code)
            return name, body, False
        return answering.answer(envelope)

    def _drop(self) -> None:
        """Close the connection without a word, as a timeout on the way does."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self) -> None:  # noqa: N802
        self._send(404, b"", "text/plain")

    def _send(
        self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the request log below is what tests look at


def write_ntlm_users(users: Mapping[str, str], path: Path) -> Path:
    """The NTLM users file of the ``DOMAIN\\user`` logins of ``users`` (DOMAIN:user:password)."""
    lines = [
        f"{domain}:{user}:{password}"
        for login, password in users.items()
        for domain, _, user in [login.partition("\\")]
        if user
    ]
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def operation_of(envelope: etree._Element | None) -> str:
    body = envelope.find(f"{{{SOAP}}}Body") if envelope is not None else None
    return local_name(body[0].tag) if body is not None and len(body) else "?"


class EwsServer(DoubleServer):
    """The endpoint on 127.0.0.1 (or *host*) and a free port (or *port*), in a thread; a
    context manager."""

    def __init__(
        self,
        users: Mapping[str, str],
        *,
        tls: tuple[Path, Path] | None = None,
        version: ServerVersion = EXCHANGE_2019,
        host: str = LOOPBACK,
        port: int = 0,
        ntlm: bool = False,
    ) -> None:
        """``tls``: (certificate file, key file) to serve HTTPS instead of HTTP; ``ntlm``: log
        in by NTLM only (not Basic), against the file the environment variable
        NTLM_USER_FILE names (``write_ntlm_users``), as pyspnego's acceptor reads it."""
        self.ntlm = ntlm
        self.users = dict(users)
        self.tokens: dict[str, str] = {}  # OAuth2 bearer token → the mailbox it is good for
        self.version = version
        self.mailbox = Mailbox()
        self.requests: list[tuple[str, str | None]] = []  # (operation or "401", login)
        self.faults = FaultPlan()
        self.host = host
        super().__init__(_Handler, host, port, tls=tls)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}/EWS/Exchange.asmx"

    def login(self, authorization: str | None) -> str | None:
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() == "bearer":
            with self.mailbox.lock:
                return self.tokens.get(value)
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return None
        return user if self.users.get(user) == password else None

    def plan(self, *faults: Fault) -> None:
        """Do these faults from now on (tests/support/ews_faults.py), instead of any before."""
        self.faults.set(list(faults))

    def expire(self, authorization: str | None) -> None:
        """Accept the bearer token of this Authorization header no longer."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() == "bearer":
            with self.mailbox.lock:
                self.tokens.pop(value, None)

    def impersonation_fault(
        self, authorization: str | None, envelope: etree._Element
    ) -> EwsFault | None:
        """An app's token acts only by impersonation, and only for the mailbox it was granted
        (the tenant's application access policy), as in Exchange Online."""
        scheme, _, value = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        with self.mailbox.lock:
            granted = self.tokens.get(value, "")
        sid = envelope.find(
            f"{{{SOAP}}}Header/{tns('ExchangeImpersonation')}/{tns('ConnectingSID')}"
        )
        if sid is None or len(sid) == 0:
            return EwsFault("ErrorInvalidExchangeImpersonationHeaderData")
        if (sid[0].text or "").lower() != granted.lower():
            return EwsFault("ErrorImpersonateUserDenied")
        return None

    def grant(self, token: str, mailbox: str) -> None:
        """Accept ``Authorization: Bearer <token>`` from now on, as a login to ``mailbox``."""
        with self.mailbox.lock:
            self.tokens[token] = mailbox

    def record(self, operation: str, login: str | None) -> None:
        with self.mailbox.lock:
            self.requests.append((operation, login))

    def operations(self) -> list[str]:
        with self.mailbox.lock:
            return [operation for operation, _ in self.requests]
