"""The WSGI app of `contacthub serve`: /api/ and /admin/ go to the Flask sidecar, the rest
to CardDAV."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any

from contacthub.carddav.app import make_carddav_app
from contacthub.carddav.guard import WSGIApp
from contacthub.config import Settings
from contacthub.favicon import favicon, is_favicon
from contacthub.signin_throttle import SignInThrottle
from contacthub.store import Store
from contacthub.web import create_app

# Paths of the sidecar; users.RESERVED_NAMES keeps principals from living there.
SIDECAR_PREFIXES = ("/api", "/admin")
ADMIN_PAGE = "/admin/"


def make_app(settings: Settings, store: Store) -> WSGIApp:
    # One count of wrong passwords for every door: guessing over the API slows CardDAV too.
    throttle = SignInThrottle(settings.throttle)
    return Dispatcher(
        create_app(settings, store, throttle), make_carddav_app(settings, store, throttle)
    )


class Dispatcher:
    def __init__(self, sidecar: WSGIApp, carddav: WSGIApp) -> None:
        self.sidecar = sidecar
        self.carddav = carddav

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if is_favicon(environ):
            return favicon(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if is_browser_at_root(environ):
            return to_admin_page(environ, start_response)
        if any(path == prefix or path.startswith(prefix + "/") for prefix in SIDECAR_PREFIXES):
            return self.sidecar(environ, start_response)
        return self.carddav(environ, start_response)


def is_browser_at_root(environ: dict[str, Any]) -> bool:
    """A browser opening the server's address: a GET of / that asks for a page. CardDAV
    clients never ask / for text/html; their PROPFIND, OPTIONS and GET of / (and
    /.well-known/carddav) go to Radicale as ever."""
    return (
        environ.get("PATH_INFO", "") == "/"
        and environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        and "text/html" in environ.get("HTTP_ACCEPT", "")
    )


def to_admin_page(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    location = environ.get("SCRIPT_NAME", "").rstrip("/") + ADMIN_PAGE
    link = html.escape(location)
    body = f'<!doctype html><title>contacthub</title><a href="{link}">{link}</a>\n'.encode()
    start_response(
        "302 Found",
        [
            ("Location", location),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body] if environ.get("REQUEST_METHOD") == "GET" else []
