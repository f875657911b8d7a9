"""An Exchange account as the user enters it, and the EWS address of what they typed as
server: read by the form and the admin page without importing exchangelib."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

EWS_PATH = "/EWS/Exchange.asmx"


@dataclass(frozen=True)
class ExchangeAccount:
    """What the user enters: email and password; username and server under Advanced settings.

    With ``client_id`` set, the login is OAuth2 client credentials instead of the password: the
    app (client id) of the Azure AD tenant (tenant id), by its client secret.
    """

    email: str
    password: str = field(default="", repr=False)
    username: str | None = None  # DOMAIN\\user or user@domain; the email address when None
    server: str | None = None  # host[:port] or an https:// URL; autodiscover when None
    client_id: str | None = None  # OAuth2: the app's Application (client) ID
    tenant_id: str | None = None  # OAuth2: the directory (tenant) ID or its domain name
    client_secret: str | None = field(default=None, repr=False)

    @property
    def login(self) -> str:
        return self.username or self.email

    @property
    def oauth2(self) -> bool:
        return self.client_id is not None


def service_endpoint(server: str) -> str:
    """The EWS URL for what the user typed as server: a host[:port], or a URL."""
    server = server.strip()
    if "://" not in server:
        return f"https://{server.strip('/')}{EWS_PATH}"
    parts = urlsplit(server)
    if parts.path.lower().endswith(".asmx"):
        return server
    return f"{parts.scheme}://{parts.netloc}{EWS_PATH}"
