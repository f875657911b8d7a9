"""Where a sync's file comes from: an upload, or a URL fetched over HTTP(S) or FTP(S).

Stored in the source's settings as ``origin``; the password is sealed by the
vault (contacthub.credentials) and never leaves the server again: the JSON a
client sees says only whether there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from contacthub.credentials import Vault
from contacthub.errors import UserError
from contacthub.fetch import FetchError, RemoteSource

UPLOAD, HTTP, FTP = "upload", "http", "ftp"
_TYPE_OF_SCHEME = {"http": HTTP, "https": HTTP, "ftp": FTP, "ftps": FTP}
_FIELDS = frozenset({"type", "url", "username", "password", "passive"})
MAX_URL = 2000


class OriginError(UserError):
    """An origin that cannot be used; `field` names the part at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)
        self.field: str = field


@dataclass(frozen=True)
class Origin:
    type: str = UPLOAD
    url: str = ""
    username: str | None = None
    sealed_password: str | None = field(default=None, repr=False)
    passive: bool = True

    @property
    def is_remote(self) -> bool:
        return self.type != UPLOAD

    # -- the stored form ---------------------------------------------------------------

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> Origin:
        stored = settings.get("origin") or {}
        return cls(
            type=stored.get("type", UPLOAD),
            url=stored.get("url", ""),
            username=stored.get("username"),
            sealed_password=stored.get("sealed_password"),
            passive=stored.get("passive", True),
        )

    def to_settings(self) -> dict[str, Any]:
        if not self.is_remote:
            return {"type": UPLOAD}
        return {
            "type": self.type,
            "url": self.url,
            "username": self.username,
            "sealed_password": self.sealed_password,
            "passive": self.passive,
        }

    # -- what a client sends and sees -------------------------------------------------

    @classmethod
    def from_json(cls, data: Any, vault: Vault, previous: Origin | None = None) -> Origin:
        """Read the API's form. A password left out keeps the previous one when the
        URL's host and user stay the same (so a form need not show it again)."""
        if not isinstance(data, Mapping):
            raise OriginError("source", "The source is an object with a type and a URL.")
        unknown = sorted(set(data) - _FIELDS)
        if unknown:
            raise OriginError(
                unknown[0],
                f"A source has no field {unknown[0]!r}; it has "
                "type, url, username, password and passive.",
            )
        kind = data.get("type")
        if kind == UPLOAD:
            if data.get("url"):
                raise OriginError("url", "An uploaded file has no URL.")
            return cls()
        url, url_user, url_password = _url(data.get("url"))
        scheme_type = _TYPE_OF_SCHEME[urlsplit(url).scheme.lower()]
        if kind is not None and kind != scheme_type:
            raise OriginError(
                "url",
                f"A source of type {kind!r} needs an "
                f"{'http or https' if kind == HTTP else 'ftp or ftps'} URL.",
            )
        username = _text(data.get("username"), "username") or url_user
        password = _text(data.get("password"), "password") or url_password
        passive = data.get("passive", True)
        if not isinstance(passive, bool):
            raise OriginError("passive", "Set passive to true or false.")
        if password is not None:
            sealed: str | None = vault.seal(password)
        elif previous is not None and previous.is_remote and _same_login(previous, url, username):
            sealed = previous.sealed_password
        else:
            sealed = None
        return cls(scheme_type, url, username, sealed, passive)

    def to_json(self) -> dict[str, Any]:
        if not self.is_remote:
            return {"type": UPLOAD}
        return {
            "type": self.type,
            "url": self.url,
            "username": self.username,
            "has_password": self.sealed_password is not None,
            "passive": self.passive,
        }

    def remote(self, vault: Vault) -> RemoteSource:
        password = vault.open(self.sealed_password) if self.sealed_password else None
        try:
            return RemoteSource(self.url, self.username, password, self.passive)
        except FetchError as error:
            raise OriginError("url", str(error)) from None

    def without_password(self) -> Origin:
        return replace(self, sealed_password=None)


def _text(value: Any, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 255 or any(ord(c) < 32 for c in value):
        raise OriginError(name, f"The {name} is text of at most 255 characters, on one line.")
    return value


def _url(value: Any) -> tuple[str, str | None, str | None]:
    """The URL without credentials, and the user and password it carried."""
    if not isinstance(value, str) or not value.strip():
        raise OriginError("url", "Enter the file's URL (http, https, ftp or ftps).")
    value = value.strip()
    if len(value) > MAX_URL or any(ord(c) < 33 for c in value):
        raise OriginError("url", f"The URL has at most {MAX_URL} characters and no spaces.")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        raise OriginError("url", f"The URL cannot be read: {error}.") from None
    if parts.scheme.lower() not in _TYPE_OF_SCHEME:
        raise OriginError("url", "The URL must start with http://, https://, ftp:// or ftps://.")
    if not parts.hostname:
        raise OriginError("url", "The URL names no server.")
    if _TYPE_OF_SCHEME[parts.scheme.lower()] == FTP and len(parts.path) < 2:
        raise OriginError("url", "An FTP URL names the file: ftp://server/path/file.csv.")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host if port is None else f"{host}:{port}"
    bare = urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, ""))
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return bare, user, password


def _same_login(previous: Origin, url: str, username: str | None) -> bool:
    return (
        urlsplit(previous.url).hostname == urlsplit(url).hostname and previous.username == username
    )
