"""PROPFIND Depth 1 of a big address book, answered in windows and sent as it is made.

Radicale answers a PROPFIND of a collection's members with one multistatus it
builds whole in memory, from every member held at once: for a book of 50,000
cards the server grew by 130 MB for a getetag listing and by 530 MB for
allprop, and by the size of its photos for a book of photo cards. A book with
more members than one window holds (contacthub_radicale/window.py: 2,000 cards
or 4 MiB of their text) is answered here instead: Radicale is asked the same
request once per window, its storage listing only that window's members and
its responses serialized without the multistatus around them
(carddav/application.py), and each window is sent as soon as it is made. The
windows are planned once, from the cards' sizes, and every window reads one
snapshot of the store, so the listing is the book as it was at one moment.
The first window goes through Radicale before anything is sent, so a refusal
(rights, a body it cannot read) is its own answer; Radicale logs each window
as a request. The combined book of a one-book client is listed the same way, book by
book (contacthub_radicale/union_windows.py).

When the client has left, waitress refuses the next window's bytes and the
listing stops there: the work a departed client leaves behind is one window.
"""

from __future__ import annotations

import contextvars
import io
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import Any

from contacthub.carddav.streams import accepts_gzip, gzipped
from contacthub.store import Store, Transaction
from contacthub_radicale import context
from contacthub_radicale.window import ListingWindow

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Planner = Callable[[Transaction], list[ListingWindow]]
_DROPPED = ("content-length", "content-encoding")


def answer_in_windows(
    app: WSGIApp,
    store: Store,
    windows_of: Planner,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
) -> Iterable[bytes] | None:
    """The answer to a PROPFIND listing a book's members, in the windows `windows_of`
    plans; None when one window holds them all (Radicale answers that whole, as always)."""
    snapshot = ExitStack()
    try:
        tx = snapshot.enter_context(store.read())
        windows = windows_of(tx)
        if len(windows) < 2:
            snapshot.close()
            return None
        request = _Request(app, tx, environ)
        status, headers, first = request.window(windows[0])
    except BaseException:
        snapshot.close()
        raise
    if not status.startswith("207"):
        snapshot.close()
        start_response(status, headers)
        return [first]
    gzip = accepts_gzip(environ)
    kept = [(name, value) for name, value in headers if name.lower() not in _DROPPED]
    start_response(status, kept + ([("Content-Encoding", "gzip")] if gzip else []))
    chunks = _windows(request, windows[1:], first, _charset(headers), snapshot)
    return gzipped(chunks) if gzip else chunks


class _Request:
    """The client's PROPFIND, to be sent to Radicale once per window."""

    def __init__(self, app: WSGIApp, tx: Transaction, environ: dict[str, Any]) -> None:
        self.app = app
        self.tx = tx
        self.environ = environ
        self.body = environ["wsgi.input"].read()  # the guard has read and checked it
        # The windows after the first are made once the guard has returned: each runs in
        # the request's context as the guard set it (its client, whether it sees one book).
        self.context = contextvars.copy_context()

    def window(self, window: ListingWindow) -> tuple[str, list[tuple[str, str]], bytes]:
        environ = {
            **self.environ,
            "wsgi.input": io.BytesIO(self.body),
            "CONTENT_LENGTH": str(len(self.body)),
        }
        environ.pop("HTTP_ACCEPT_ENCODING", None)  # compressed once, around every window
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            started.append((status, headers))

        def answer() -> bytes:
            with context.using(self.tx), context.listing(window):
                return b"".join(self.app(environ, start_response))

        body = self.context.run(answer)
        status, headers = started[0]
        return status, headers, body


def _windows(
    request: _Request,
    windows: list[ListingWindow],
    first: bytes,
    charset: str,
    snapshot: ExitStack,
) -> Iterator[bytes]:
    try:
        yield f"<?xml version='1.0' encoding='{charset}'?>\n".encode(charset)
        yield b'<multistatus xmlns="DAV:">' + first
        for window in windows:
            status, _headers, responses = request.window(window)
            if not status.startswith("207"):
                # The status is sent; an unfinished multistatus tells the client it failed.
                logger.error("a window of a listing was answered %s; the listing stops", status)
                return
            yield responses
        yield b"</multistatus>"
    finally:
        snapshot.close()


def _charset(headers: list[tuple[str, str]]) -> str:
    for name, value in headers:
        if name.lower() == "content-type" and "charset=" in value:
            return value.split("charset=", 1)[1].split(";")[0].strip()
    return "utf-8"
