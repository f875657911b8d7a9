"""Fetching a remote CSV file over HTTP(S) or FTP(S), conditionally and within limits.

``fetch(source, previous, policy)`` returns the bytes and the state to keep for the next
run, or ``unchanged=True`` when the server (ETag, Last-Modified, MDTM+SIZE) or the content
hash says the file is as last time. Every problem is a ``FetchError`` with a message for
the user. Hosts pass the address guard (``guard``) on every hop.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from contacthub.fetch.ftp import fetch_ftp
from contacthub.fetch.guard import check_address, refusal, resolve
from contacthub.fetch.http import fetch_http
from contacthub.fetch.model import (
    FetchError,
    FetchLoginRefused,
    FetchPolicy,
    FetchResult,
    FetchState,
    RemoteSource,
    display_url,
)

logger = logging.getLogger(__name__)

__all__ = [
    "FetchError",
    "FetchLoginRefused",
    "FetchPolicy",
    "FetchResult",
    "FetchState",
    "RemoteSource",
    "check_address",
    "display_url",
    "fetch",
    "refusal",
    "resolve",
]


def fetch(
    source: RemoteSource, previous: FetchState | None, policy: FetchPolicy | None = None
) -> FetchResult:
    """Fetch *source*; *previous* is the state stored after the last successful fetch."""
    policy = policy or FetchPolicy()
    if source.scheme in ("http", "https"):
        result = fetch_http(source, previous, policy)
    else:
        result = fetch_ftp(source, previous, policy)
    # Only the scheme and host: a path or query may be a secret link, and the URL may
    # hold a password.
    where = f"{source.scheme}://{urlsplit(source.url).hostname}"
    if result.content is None:
        logger.info("fetched from %s: unchanged", where)
    else:
        logger.info("fetched from %s: %d bytes, new", where, len(result.content))
    return result
