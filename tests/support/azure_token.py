"""A loopback Azure AD token endpoint (OAuth2 client credentials) for the EWS double.

exchangelib's OAuth2Credentials fetch the app's token from
https://login.microsoftonline.com/TENANT/oauth2/v2.0/token: requests-oauthlib POSTs
``grant_type=client_credentials``, ``client_id``, ``client_secret`` and
``scope=https://outlook.office365.com/.default`` as a form. The host and port 443 are in that
URL, so this server listens on port 443 over TLS (a certificate for login.microsoftonline.com),
on ``ADDRESS``, a loopback address of its own: the autodiscover endpoint
(tests/support/ews_autodiscover.py) has 127.0.0.1:443, and some tests count on nothing answering
there. Connections reach it by the name through a loopback DNS server
(tests/support/dns_server.py, socket.getaddrinfo patched). It answers like Azure AD:

* the registered app (tenant, client id, secret) gets a bearer token, granted on the EWS double
  for the mailbox given (``EwsServer.grant``), with ``expires_in`` seconds to live;
* a wrong or missing secret: 401 ``invalid_client`` (AADSTS7000215); an unknown client id: 400
  ``unauthorized_client`` (AADSTS700016); an unknown tenant: 400 ``invalid_request``
  (AADSTS90002); a refresh_token grant without one (what requests-oauthlib sends to refresh an
  app token): 400 ``invalid_request`` (AADSTS900144); another grant: 400
  ``unsupported_grant_type``; another scope: 400 ``invalid_scope``.

Not covered: the secret in a Basic Authorization header, certificate credentials (client
assertions), the v1 endpoint, token contents (the tokens are opaque random strings).

    with TokenServer(ews, App(TENANT, CLIENT, SECRET), mailbox=EMAIL, tls=(cert, key)) as azure:
        azure.requests   # [TokenRequest(tenant, grant_type, client_id, scope, outcome), ...]
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from tests.support.ews_server import EwsServer
from tests.support.threaded_server import DoubleServer

HOST = "login.microsoftonline.com"
ADDRESS = "127.0.0.2"  # loopback, and not the autodiscover endpoint's 127.0.0.1
SCOPE = "https://outlook.office365.com/.default"
_SUFFIX = "/oauth2/v2.0/token"


class App(NamedTuple):
    """An app registered in a tenant, with its client secret."""

    tenant_id: str
    client_id: str
    client_secret: str


class TokenRequest(NamedTuple):
    tenant_id: str
    grant_type: str | None
    client_id: str | None
    scope: str | None
    outcome: str  # "issued", or the OAuth2 error code answered


class _Refusal(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Any  # its .double is the TokenServer

    def do_POST(self) -> None:  # noqa: N802
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?", 1)[0]
        tenant = path.removeprefix("/").removesuffix(_SUFFIX)
        if not path.endswith(_SUFFIX) or not tenant or "/" in tenant:
            self._send(404, {"error": "not_found"})
            return
        form = {key: values[0] for key, values in parse_qs(data.decode()).items()}
        azure = self.server.double
        try:
            token = azure.issue(tenant, form)
        except _Refusal as refusal:
            azure.record(tenant, form, refusal.error)
            self._send(
                refusal.status, {"error": refusal.error, "error_description": refusal.description}
            )
            return
        azure.record(tenant, form, "issued")
        self._send(
            200,
            {
                "token_type": "Bearer",
                "expires_in": azure.expires_in,
                "ext_expires_in": azure.expires_in,
                "access_token": token,
            },
        )

    def _send(self, status: int, body: Mapping[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store, no-cache")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class TokenServer(DoubleServer):
    """The endpoint on ``ADDRESS``:``port`` over TLS, in a thread; a context manager.

    Raises OSError when the port cannot be bound (taken, or no permission).
    """

    def __init__(
        self,
        ews: EwsServer,
        app: App,
        *,
        mailbox: str,
        tls: tuple[Path, Path],
        expires_in: int = 3599,
        port: int = 443,
    ) -> None:
        """``ews``: the double its tokens are good for, as a login to ``mailbox``;
        ``tls``: (certificate file, key file), the certificate for ``HOST``."""
        self.ews = ews
        self.app = app
        self.mailbox = mailbox
        self.expires_in = expires_in
        self.requests: list[TokenRequest] = []
        self._lock = threading.Lock()
        super().__init__(_Handler, ADDRESS, port, tls)

    def issue(self, tenant: str, form: Mapping[str, str]) -> str:
        """A new token for a good request; raises _Refusal as Azure AD answers a bad one."""
        self._check(tenant, form)
        token = secrets.token_urlsafe(32)
        self.ews.grant(token, self.mailbox)
        return token

    def _check(self, tenant: str, form: Mapping[str, str]) -> None:
        app = self.app
        if tenant.lower() != app.tenant_id.lower():
            raise _Refusal(
                400,
                "invalid_request",
                f"AADSTS90002: Tenant '{tenant}' not found. "
                "Check to make sure you have the correct tenant ID.",
            )
        grant = form.get("grant_type")
        if grant == "refresh_token" and not form.get("refresh_token"):
            raise _Refusal(
                400,
                "invalid_request",
                "AADSTS900144: The request body must "
                "contain the following parameter: 'refresh_token'.",
            )
        if grant != "client_credentials":
            raise _Refusal(
                400,
                "unsupported_grant_type",
                "AADSTS70003: The app requested an unsupported grant type.",
            )
        if form.get("client_id") != app.client_id:
            raise _Refusal(
                400,
                "unauthorized_client",
                "AADSTS700016: Application with "
                f"identifier '{form.get('client_id')}' was not found in the "
                f"directory '{tenant}'.",
            )
        if form.get("client_secret") != app.client_secret:
            raise _Refusal(
                401,
                "invalid_client",
                "AADSTS7000215: Invalid client secret "
                "provided. Ensure the secret being sent in the request is the client "
                f"secret value, not the client secret ID, for a secret added to app "
                f"'{app.client_id}'.",
            )
        if form.get("scope") != SCOPE:
            raise _Refusal(
                400,
                "invalid_scope",
                f"AADSTS1002012: The provided value for scope "
                f"{form.get('scope')} is not valid. Client credential flows must "
                "have a scope value with /.default suffixed to the resource "
                "identifier (application ID URI).",
            )

    def record(self, tenant: str, form: Mapping[str, str], outcome: str) -> None:
        with self._lock:
            self.requests.append(
                TokenRequest(
                    tenant,
                    form.get("grant_type"),
                    form.get("client_id"),
                    form.get("scope"),
                    outcome,
                )
            )
