"""One log line per request, with its request id, and its count in /metrics.

Every request gets an id: the client's or proxy's X-Request-ID when it is a sane one
(letters, digits and -._:, at most 128), else a new one. It is echoed in the answer's
X-Request-ID header, carried by every log record made while the request is answered
(log_format.py puts it in JSON lines), and ends the request's line:

    PROPFIND /alice/contacts/ 207 12.3 ms from 127.0.0.1 id=5f0c...

The line is written, and the request counted, when the answer's last byte has been handed
on (its iterable closed): a streamed export is timed in full.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar, Token
from typing import Any
from urllib.parse import quote

from contacthub.measures import LATENCY, REQUESTS, TIMED_METHODS, method_label

logger = logging.getLogger("contacthub.request")

HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The request being answered in this thread, for log records made meanwhile.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def request_id_of(environ: dict[str, Any]) -> str:
    given = environ.get("HTTP_X_REQUEST_ID", "").strip()
    return given if SANE_ID.fullmatch(given) else uuid.uuid4().hex


class RequestLog:
    """WSGI middleware around the whole app; `door` names the part that answers a request
    (carddav, api, admin, ...) for the counts."""

    def __init__(self, app: WSGIApp, door: Callable[[dict[str, Any]], str]) -> None:
        self.app = app
        self.door = door

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        request = _Request(environ, self.door(environ))
        environ["HTTP_X_REQUEST_ID"] = request.id
        token = REQUEST_ID.set(request.id)

        def starting(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            request.status = status.split(" ", 1)[0]
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            return start_response(status, [*headers, (HEADER, request.id)], *args)

        try:
            answer = self.app(environ, starting)
        except BaseException:
            request.status = request.status or "500"
            request.done(token)
            raise
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(answer, file_wrapper):
            # waitress sends a file (an admin page's static file) by itself, after this
            # returns: logged now, its sending not timed.
            request.done(token)
            return answer
        if hasattr(answer, "__len__"):
            return _SizedAnswer(answer, request, token)
        return _Answer(answer, request, token)


class _Request:
    def __init__(self, environ: dict[str, Any], door: str) -> None:
        self.id = request_id_of(environ)
        self.door = door
        self.method = environ.get("REQUEST_METHOD", "")
        self.path = environ.get("PATH_INFO", "")
        self.client = environ.get("REMOTE_ADDR", "")
        self.status = ""
        self.started = time.perf_counter()

    def done(self, token: Token[str | None]) -> None:
        seconds = time.perf_counter() - self.started
        method = method_label(self.method)
        status = self.status or "000"  # the app raised before it answered
        REQUESTS.labels(door=self.door, method=method, status=status).inc()
        if method in TIMED_METHODS:
            LATENCY.labels(door=self.door, method=method).observe(seconds)
        path = _printable(self.path)
        logger.info(
            "%s %s %s %.1f ms from %s id=%s",
            method,
            path,
            status,
            seconds * 1000,
            self.client,
            self.id,
            extra={
                "http": {
                    "method": method,
                    "path": path,
                    "status": int(status),
                    "duration_ms": round(seconds * 1000, 3),
                    "client": self.client,
                    "door": self.door,
                }
            },
        )
        try:
            REQUEST_ID.reset(token)
        except ValueError:  # closed in another context than it started in: nothing to undo
            pass


def _printable(path: str) -> str:
    """The path as one line of ASCII: WSGI hands it as latin-1 decoded bytes, which may
    hold a newline or anything else; percent-encoded, the log cannot be forged."""
    return quote(path.encode("latin-1", "replace"), safe="/@:+,;=~!$&'()*")


class _Answer:
    """The app's answer, passed on unchanged; the request is logged when it is closed."""

    def __init__(self, answer: Iterable[bytes], request: _Request, token: Token[str | None]):
        self.answer = answer
        self.request = request
        self.token = token
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.answer)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            getattr(self.answer, "close", lambda: None)()
        finally:
            self.request.done(self.token)


class _SizedAnswer(_Answer):
    """An answer that tells its length: waitress sets Content-Length from a list of one."""

    def __len__(self) -> int:
        return len(self.answer)  # type: ignore[arg-type]
