"""A loopback Exchange autodiscover endpoint (SOAP GetUserSettings) for the EWS double.

exchangelib 5 autodiscovers with SOAP only. For alice@example.org it looks ``example.org`` up in
DNS and POSTs GetUserSettings to https://example.org/autodiscover/autodiscover.svc; failing that,
``autodiscover.example.org`` the same way, then an HTTP redirect from
http://autodiscover.example.org/, then the ``_autodiscover._tcp`` SRV record. Port 443 is
part of those URLs, so this server listens on 127.0.0.1:443 (binding it needs root), over TLS
with a certificate for the host names. It answers like Exchange 2019:

* a request without or with wrong Basic credentials (the users of the EWS double) gets 401
  and ``WWW-Authenticate: Basic``; exchangelib first POSTs without any to learn the auth type;
* GetUserSettings for a mailbox of the EWS double (a user name with an @) answers the settings
  asked for that it has: ExternalEwsUrl and InternalEwsUrl (the double's URL),
  AutoDiscoverSMTPAddress and EwsSupportedSchemas (the versions the double accepts); the other
  settings asked for are in UserSettingErrors as SettingIsNotAvailable, as Exchange lists them.
  Another mailbox gets InvalidUser.

Not covered: POX autodiscover (/autodiscover/autodiscover.xml, which exchangelib 5 no longer
sends), redirects (RedirectAddress, RedirectUrl, HTTP 302), GetDomainSettings, NTLM.

    with AutodiscoverServer(ews, tls=(cert, key)) as autodiscover:
        autodiscover.requests   # [Request(host, "401" or "GetUserSettings", login), ...]
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, NamedTuple

from lxml import etree

from tests.support.ews_mailbox import SOAP, local_name
from tests.support.ews_server import EwsServer
from tests.support.net import LOOPBACK
from tests.support.threaded_server import DoubleServer

PATH = "/autodiscover/autodiscover.svc"
A = "http://schemas.microsoft.com/exchange/2010/Autodiscover"
WSA = "http://www.w3.org/2005/08/addressing"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ACTION = "http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/"


class Request(NamedTuple):
    host: str  # the Host header: which name the client reached this server by
    operation: str  # "401" for a refused request
    login: str | None


def _a(name: str) -> str:
    return f"{{{A}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    elem = etree.SubElement(parent, _a(name))
    elem.text = text
    return elem


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Any  # its .double is the AutodiscoverServer

    def do_POST(self) -> None:  # noqa: N802
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.lower().split("?", 1)[0] != PATH:
            self._send(404, b"", "text/plain")
            return
        autodiscover = self.server.double
        host = (self.headers.get("Host") or "").lower()
        login = autodiscover.ews.login(self.headers.get("Authorization"))
        if login is None:
            autodiscover.record(Request(host, "401", None))
            self._send(401, b"", "text/plain", {"WWW-Authenticate": f'Basic realm="{host}"'})
            return
        try:
            body = etree.fromstring(data).find(f"{{{SOAP}}}Body")
        except etree.XMLSyntaxError as error:
            self._send(400, str(error).encode(), "text/plain")
            return
        message = body[0] if body is not None and len(body) else None
        operation = (
            local_name(message.tag).removesuffix("RequestMessage") if message is not None else ""
        )
        autodiscover.record(Request(host, operation, login))
        if message is None or message.tag != _a("GetUserSettingsRequestMessage"):
            self._send(
                400, f"not answered here: {operation or 'no operation'}".encode(), "text/plain"
            )
            return
        self._send(200, autodiscover.get_user_settings(message), "text/xml; charset=utf-8")

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
        pass


class AutodiscoverServer(DoubleServer):
    """The endpoint on 127.0.0.1:``port`` over TLS, in a thread; a context manager.

    Raises OSError when the port cannot be bound (taken, or no permission).
    """

    def __init__(self, ews: EwsServer, *, tls: tuple[Path, Path], port: int = 443) -> None:
        """``ews``: the double whose users log in here and whose URL is handed out;
        ``tls``: (certificate file, key file), the certificate for the names clients use."""
        self.ews = ews
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        super().__init__(_Handler, LOOPBACK, port, tls)

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def mailbox(self, address: str) -> str | None:
        """The primary address of a mailbox of the EWS double, matched case-insensitively."""
        return next(
            (user for user in self.ews.users if "@" in user and user.lower() == address.lower()),
            None,
        )

    def settings(self, primary: str) -> dict[str, str]:
        return {
            "AutoDiscoverSMTPAddress": primary,
            "ExternalEwsUrl": self.ews.url,
            "InternalEwsUrl": self.ews.url,
            "EwsSupportedSchemas": ", ".join(self.ews.version.accepts),
        }

    def get_user_settings(self, message: etree._Element) -> bytes:
        asked = [
            s.text or ""
            for s in message.iterfind(f"{_a('Request')}/{_a('RequestedSettings')}/{_a('Setting')}")
        ]
        envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"s": SOAP, "a": WSA})
        header = etree.SubElement(envelope, f"{{{SOAP}}}Header")
        action = etree.SubElement(header, f"{{{WSA}}}Action")
        action.set(f"{{{SOAP}}}mustUnderstand", "1")
        action.text = f"{ACTION}GetUserSettingsResponse"
        info = etree.SubElement(header, _a("ServerVersionInfo"), nsmap={"h": A, "i": XSI})
        names = ("MajorVersion", "MinorVersion", "MajorBuildNumber", "MinorBuildNumber")
        for name, number in zip(names, self.ews.version.build, strict=True):
            _sub(info, name, str(number))
        _sub(info, "Version", "Exchange2015")  # what Exchange 2013 and later report here
        body = etree.SubElement(envelope, f"{{{SOAP}}}Body")
        response_message = etree.SubElement(
            body, _a("GetUserSettingsResponseMessage"), nsmap={None: A}
        )
        response = _sub(response_message, "Response")
        _sub(response, "ErrorCode", "NoError")
        _sub(response, "ErrorMessage")
        responses = _sub(response, "UserResponses")
        for user in message.iterfind(f"{_a('Request')}/{_a('Users')}/{_a('User')}"):
            self._user_response(
                _sub(responses, "UserResponse"), user.findtext(_a("Mailbox")) or "", asked
            )
        return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")

    def _user_response(self, elem: etree._Element, address: str, asked: list[str]) -> None:
        primary = self.mailbox(address)
        if primary is None:
            _sub(elem, "ErrorCode", "InvalidUser")
            _sub(elem, "ErrorMessage", f"The email address can't be found. ({address})")
            _sub(elem, "RedirectTarget").set(f"{{{XSI}}}nil", "true")
            return
        _sub(elem, "ErrorCode", "NoError")
        _sub(elem, "ErrorMessage", "No error.")
        _sub(elem, "RedirectTarget").set(f"{{{XSI}}}nil", "true")
        known = self.settings(primary)
        errors = _sub(elem, "UserSettingErrors")
        for name in (n for n in asked if n not in known):
            error = _sub(errors, "UserSettingError")
            _sub(error, "ErrorCode", "SettingIsNotAvailable")
            _sub(error, "ErrorMessage", f"User setting '{name}' is not available. ")
            _sub(error, "SettingName", name)
        settings = _sub(elem, "UserSettings")
        for name in (n for n in asked if n in known):
            setting = _sub(settings, "UserSetting")
            setting.set(f"{{{XSI}}}type", "StringSetting")
            _sub(setting, "Name", name)
            _sub(setting, "Value", known[name])
