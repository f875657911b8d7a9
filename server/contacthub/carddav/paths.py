"""Paths as the text the client meant, whatever WSGI server runs the app.

WSGI (PEP 3333) hands the request path over as the raw bytes decoded as latin-1, and
header values the same way; clients send UTF-8 (a card's name made from a Cyrillic UID
arrives as `%D0%B3...`). Radicale's own server decodes the path as UTF-8 before its app
sees it; under waitress (`contacthub serve`), gunicorn or wsgiref the app would see the
mojibake and refuse it. So every path a request carries (PATH_INFO, SCRIPT_NAME and the
headers that hold one) is decoded here as UTF-8, once, before the guard and Radicale;
a path whose bytes are not UTF-8 is refused with 400 in words.

A server that already gave text beyond latin-1 (it decoded the path itself) is believed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# The environ keys whose value is a path, already percent-decoded by the server.
DECODED_PATHS = ("PATH_INFO", "SCRIPT_NAME")
# Headers holding a path or URL that may still be percent-encoded (Radicale unquotes them).
PATH_HEADERS = {"HTTP_DESTINATION": "Destination", "HTTP_X_SCRIPT_NAME": "X-Script-Name"}
DONE = "contacthub.utf8_paths"


class NotUtf8(ValueError):
    """A path whose bytes are not UTF-8; the message says where."""


def utf8_text(wsgi_text: str, what: str) -> str:
    """`wsgi_text` (latin-1 of the bytes received) as the UTF-8 text it encodes."""
    try:
        raw = wsgi_text.encode("latin-1")
    except UnicodeEncodeError:  # the server decoded it already
        return wsgi_text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotUtf8(f"the {what} is not UTF-8 (byte {error.start})") from None


def check_encoded_path(url: str, what: str) -> None:
    """Refuse a URL whose percent-encoded path does not decode as UTF-8 (Radicale would
    turn the bad bytes into U+FFFD and use that name)."""
    try:
        unquote_to_bytes(urlsplit(url).path).decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotUtf8(f"the path in the {what} is not UTF-8 (byte {error.start})") from None


def decode_paths(environ: dict[str, Any]) -> None:
    """Rewrite the paths of `environ` in place as text (NotUtf8 if one is not UTF-8)."""
    if environ.get(DONE):
        return
    for key in DECODED_PATHS:
        if key in environ:
            environ[key] = utf8_text(environ[key], "path" if key == "PATH_INFO" else key)
    for key, header in PATH_HEADERS.items():
        if key in environ:
            environ[key] = utf8_text(environ[key], f"{header} header")
            check_encoded_path(environ[key], f"{header} header")
    environ[DONE] = True


class Utf8Paths:
    """WSGI middleware: the app below sees every path as UTF-8 text."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        try:
            decode_paths(environ)
        except NotUtf8 as error:
            logger.info(
                "refused %s %r: 400 (%s)",
                environ.get("REQUEST_METHOD"),
                environ.get("PATH_INFO", ""),
                error,
            )
            body = f"{error}\n".encode()
            start_response(
                "400 Bad Request",
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return self.app(environ, start_response)
