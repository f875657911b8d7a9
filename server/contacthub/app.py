"""The WSGI app of `contacthub serve`: /api/ and /admin/ go to the Flask sidecar,
/metrics, /healthz and /readyz to their own apps, the rest to CardDAV; every request is
logged and counted on its way (request_log.py)."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import Any

from contacthub.carddav.app import make_carddav_app
from contacthub.carddav.guard import WSGIApp
from contacthub.config import Settings
from contacthub.favicon import favicon, is_favicon
from contacthub.health import PATHS as HEALTH_PATHS
from contacthub.health import Health
from contacthub.metrics import PATH as METRICS_PATH
from contacthub.metrics import Metrics
from contacthub.request_log import RequestLog
from contacthub.signin_throttle import SignInThrottle
from contacthub.store import Store
from contacthub.web import create_app

# Paths of the sidecar; users.RESERVED_NAMES keeps principals from living there.
SIDECAR_PREFIXES = ("/api", "/admin")
ADMIN_PAGE = "/admin/"


def make_app(settings: Settings, store: Store) -> WSGIApp:
    # One count of wrong passwords for every door: guessing over the API slows CardDAV too.
    throttle = SignInThrottle(settings.throttle)
    dispatcher = Dispatcher(
        create_app(settings, store, throttle),
        make_carddav_app(settings, store, throttle),
        metrics=Metrics(settings, store, throttle),
        health=Health(store),
    )
    return RequestLog(dispatcher, dispatcher.door)


class Dispatcher:
    def __init__(
        self,
        sidecar: WSGIApp,
        carddav: WSGIApp,
        *,
        metrics: WSGIApp | None = None,
        health: WSGIApp | None = None,
    ) -> None:
        self.sidecar = sidecar
        self.carddav = carddav
        self.metrics = metrics
        self.health = health

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.route(environ)[1](environ, start_response)

    def door(self, environ: dict[str, Any]) -> str:
        """Which part answers the request, for its count in /metrics."""
        return self.route(environ)[0]

    def route(self, environ: dict[str, Any]) -> tuple[str, WSGIApp]:
        path = environ.get("PATH_INFO", "")
        if is_favicon(environ):
            return "favicon", favicon
        if self.health is not None and path in HEALTH_PATHS:
            return "health", self.health
        if self.metrics is not None and path == METRICS_PATH:
            return "metrics", self.metrics
        if is_browser_at_root(environ):
            return "admin", to_admin_page
        for prefix in SIDECAR_PREFIXES:
            if path == prefix or path.startswith(prefix + "/"):
                return prefix.removeprefix("/"), self.sidecar
        return "carddav", self.carddav


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
