"""/favicon.ico: the admin page's icon for every browser that asks, without signing in
(a 401 there would cost each page the sign-in delay and a password prompt)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

PATH = "/favicon.ico"
ICON = (Path(__file__).parent / "web" / "admin" / "static" / "favicon.svg").read_bytes()
HEADERS = [
    ("Content-Type", "image/svg+xml"),
    ("Content-Length", str(len(ICON))),
    ("Cache-Control", "public, max-age=86400"),
]


def is_favicon(environ: dict[str, Any]) -> bool:
    return environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD") in {"GET", "HEAD"}


def favicon(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [ICON]
