"""HTTP and HTTPS with requests: connections pinned to the addresses the guard checked
(fetch/pinned.py), redirects followed by hand, conditional headers, and the body streamed
under the size cap."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import requests

from contacthub.fetch.model import (
    FetchError,
    FetchLoginRefused,
    FetchPolicy,
    FetchResult,
    FetchState,
    RemoteSource,
    content_result,
    display_url,
    too_large,
)
from contacthub.fetch.pinned import PinnedAdapter

REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024


def fetch_http(
    source: RemoteSource, previous: FetchState | None, policy: FetchPolicy
) -> FetchResult:
    deadline = time.monotonic() + policy.total_timeout
    url = source.url
    for _ in range(policy.max_redirects + 1):
        outcome = _hop(url, source, previous, policy, deadline)
        if isinstance(outcome, FetchResult):
            return outcome
        url = outcome
    raise FetchError(f"{display_url(source.url)} redirected more than {policy.max_redirects} times")


def _hop(
    url: str,
    source: RemoteSource,
    previous: FetchState | None,
    policy: FetchPolicy,
    deadline: float,
) -> FetchResult | str:
    """One request: the result, or the URL a redirect points to."""
    parts, host, port = _address(url)
    headers = _conditional_headers(previous)
    user, password = source.credentials()
    auth = (user, password or "") if user and _same_site(source.url, url) else None
    with requests.Session() as session:
        # Proxies from the environment would reach addresses the guard never saw.
        session.trust_env = False
        adapter = PinnedAdapter(policy, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        try:
            response = session.get(
                _without_credentials(parts),
                headers=headers,
                auth=auth,
                allow_redirects=False,
                stream=True,
                timeout=(policy.timeout, policy.timeout),
                verify=policy.ca_bundle or True,
            )
        except requests.RequestException as exc:
            raise _network_error(exc, host, port, policy) from exc
        except ValueError as exc:
            # requests parses a redirect's Location even when it follows none.
            raise FetchError(
                f"{display_url(url)} redirected to a Location that is not a valid URL ({exc})"
            ) from None
        with response:
            return _handle(response, url, previous, policy, deadline, host, port)


def _handle(
    response: requests.Response,
    url: str,
    previous: FetchState | None,
    policy: FetchPolicy,
    deadline: float,
    host: str,
    port: int,
) -> FetchResult | str:
    status = response.status_code
    if status in REDIRECTS and response.headers.get("Location"):
        return _redirect_target(url, response.headers["Location"])
    etag = response.headers.get("ETag")
    last_modified = response.headers.get("Last-Modified")
    if status == 304:
        state = previous or FetchState()
        state = replace(
            state,
            etag=etag or state.etag,
            last_modified=last_modified or state.last_modified,
        )
        return FetchResult(unchanged=True, state=state)
    if status >= 400:
        raise _status_error(status, url, response)
    if status != 200:
        raise FetchError(f"HTTP {status} for {display_url(url)}: expected the file (200)")
    try:
        content = _read(response, policy, deadline, host, port)
    except requests.RequestException as exc:
        raise _network_error(exc, host, port, policy) from exc
    return content_result(content, previous, etag=etag, last_modified=last_modified)


def _read(
    response: requests.Response, policy: FetchPolicy, deadline: float, host: str, port: int
) -> bytes:
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > policy.max_bytes:
        raise too_large(policy)
    body = bytearray()
    # Counted after decoding, so a small gzip body cannot unpack past the cap.
    for chunk in response.iter_content(CHUNK):
        body += chunk
        if len(body) > policy.max_bytes:
            raise too_large(policy)
        if time.monotonic() > deadline:
            raise FetchError(
                f"the download from {host}:{port} took longer than {policy.total_timeout:g} s"
            )
    return bytes(body)


def _address(url: str) -> tuple[SplitResult, str, int]:
    """The parts, host and port of an http(s) URL; FetchError when it has none that work."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:  # a bad port or a bracketed host that is not an IPv6 address
        raise FetchError(f"the URL is not valid: {exc}") from None
    if not host:
        raise FetchError("the URL is not valid: it names no host")
    return parts, host, port


def _redirect_target(url: str, location: str) -> str:
    """The URL a redirect's Location points to, checked enough to be fetched next."""
    try:
        target = urljoin(url, location)
        scheme = urlsplit(target).scheme
        if scheme in ("http", "https"):
            _address(target)
    except (ValueError, FetchError) as exc:
        detail = str(exc).removeprefix("the URL is not valid: ")
        raise FetchError(
            f"{display_url(url)} redirected to {_quoted(location)}, which is not a valid URL "
            f"({detail})"
        ) from None
    if scheme not in ("http", "https"):
        raise FetchError(
            f"{display_url(url)} redirected to {display_url(target)}, "
            "which is not an http or https URL"
        )
    return target


def _quoted(text: str, limit: int = 200) -> str:
    """*text* as it can go into a message: quoted, and cut when a server sent a long one."""
    return repr(text if len(text) <= limit else f"{text[:limit]}...")


def _conditional_headers(previous: FetchState | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if previous is not None and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous is not None and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    return headers


def _same_site(original: str, current: str) -> bool:
    """Credentials follow a redirect only to the same host and port (an upgrade to https
    included), never to another site."""
    a, b = urlsplit(original), urlsplit(current)
    if a.hostname != b.hostname:
        return False
    if a.scheme == b.scheme:
        return a.port == b.port
    return a.scheme == "http" and b.scheme == "https" and a.port is None and b.port is None


def _without_credentials(parts: SplitResult) -> str:
    """The URL to ask for: no user or password in it (they go as auth, to the same site
    only), and no fragment."""
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _status_error(status: int, url: str, response: requests.Response) -> FetchError:
    """A 401 is the login's fault: the password sent, or the user name not sent."""
    message = _status_message(status, url, response)
    if status == 401:
        sent = bool(response.request.headers.get("Authorization"))
        return FetchLoginRefused(message, field="password" if sent else "username")
    return FetchError(message)


def _status_message(status: int, url: str, response: requests.Response) -> str:
    where = f"HTTP {status} for {display_url(url)}"
    if status == 401:
        if response.request.headers.get("Authorization"):
            return f"{where}: the server refused the user name or password"
        return f"{where}: the server asks for a user name and password"
    if status == 404:
        return f"{where}: the file was not found"
    reason = response.reason or ""
    return f"{where}: {reason}" if reason else where


def _network_error(
    exc: requests.RequestException, host: str, port: int, policy: FetchPolicy
) -> FetchError:
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        verify = re.search(r"certificate verify failed: ([^(]+?)\s*\(", text)
        if verify:
            return FetchError(f"certificate verify failed for host {host} ({verify.group(1)})")
        if "certificate verify failed" in text.lower() or "hostname" in text.lower():
            return FetchError(f"certificate verify failed for host {host}")
        return FetchError(f"TLS handshake with {host}:{port} failed")
    if isinstance(exc, requests.Timeout) or "timed out" in text:
        return FetchError(f"connection to {host}:{port} timed out after {policy.timeout:g} s")
    if "refused" in text.lower():
        return FetchError(f"could not connect to {host}:{port}: connection refused")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return FetchError(f"the download from {host}:{port} was cut off")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return FetchError(f"could not connect to {host}:{port}")
    return FetchError(f"fetching from {host}:{port} failed ({type(exc).__name__})")
