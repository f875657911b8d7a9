"""The fetcher's data: what to fetch, how, what was seen last time, and what came back."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from contacthub.errors import LoginRefused, UserError

SCHEMES = ("http", "https", "ftp", "ftps")
MB = 1024 * 1024


class FetchError(UserError):
    """A remote file could not be fetched; the message is meant for the person who set it up."""


class HostNotFound(FetchError):
    """The host name resolves to no address."""


class FetchLoginRefused(FetchError, LoginRefused):
    """The server refused the user name and password (FTP's 530)."""


@dataclass(frozen=True)
class RemoteSource:
    """Where the file lives. Credentials may also come as ``user:password@`` in the URL."""

    url: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    passive: bool = True  # FTP only

    def __post_init__(self) -> None:
        try:
            parts = urlsplit(self.url)
            parts.port  # noqa: B018 -- parsed here so that a bad port is told, not a crash
        except ValueError as exc:  # the URL may hold a password: it is not repeated
            raise FetchError(f"the URL is not valid: {exc}") from None
        if parts.scheme.lower() not in SCHEMES:
            raise FetchError(f"{display_url(self.url)} is not an http, https, ftp or ftps URL")

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme.lower()

    def credentials(self) -> tuple[str | None, str | None]:
        """The explicit user and password, else those written in the URL."""
        parts = urlsplit(self.url)
        return (
            self.username if self.username is not None else parts.username,
            self.password if self.password is not None else parts.password,
        )


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch. ``allowed_networks`` opens single networks (CIDR) to the guard
    without allowing every private address, e.g. ``("127.0.0.0/8",)`` in tests."""

    timeout: float = 30.0
    max_bytes: int = 50 * MB
    max_redirects: int = 5
    allow_private: bool = False
    allowed_networks: tuple[str, ...] = ()
    ca_bundle: str | None = None  # a PEM file of trusted CAs instead of the system's
    # timeout bounds each connect and each read; this bounds the whole download, so a server
    # trickling bytes cannot hold a worker for ever.
    total_timeout: float = 600.0
    # The file these options are set in, named by a refusal ("" before one is known).
    config_file: str = ""


@dataclass(frozen=True)
class FetchState:
    """What the caller stores between runs to make the next fetch conditional."""

    etag: str | None = None
    last_modified: str | None = None
    mdtm: str | None = None
    size: int | None = None
    sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FetchState:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class FetchResult:
    """``unchanged`` means the file is as last time and ``content`` is None; otherwise
    ``content`` holds the bytes. ``state`` is what to store for the next run either way."""

    unchanged: bool
    state: FetchState
    content: bytes | None = None


def content_result(content: bytes, previous: FetchState | None, **state: Any) -> FetchResult:
    """The result for downloaded bytes: unchanged when they hash as last time."""
    digest = hashlib.sha256(content).hexdigest()
    new_state = FetchState(sha256=digest, **state)
    if previous is not None and previous.sha256 == digest:
        return FetchResult(unchanged=True, state=new_state)
    return FetchResult(unchanged=False, state=new_state, content=content)


def display_url(url: str) -> str:
    """The URL without any password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def too_large(policy: FetchPolicy) -> FetchError:
    return FetchError(f"the file is larger than {format_size(policy.max_bytes)}")


def format_size(size: int) -> str:
    if size >= MB and size % MB == 0:
        return f"{size // MB} MB"
    return f"{size} bytes"
