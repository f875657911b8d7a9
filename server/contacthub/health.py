"""/healthz and /readyz, for a process supervisor and a load balancer; no sign-in.

/healthz says the process answers (200 "ok") and touches nothing else. /readyz says this
process can serve: the store answers and its schema is at the revision the code needs
(200), else 503 with the reason in JSON. Neither tells more than that: the reason names
revisions, never the store's address or an error's text (those go to the log).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from contacthub.store import Store
from contacthub.store.migrate import current_revision, head_revision

logger = logging.getLogger(__name__)

HEALTH = "/healthz"
READY = "/readyz"
PATHS = (HEALTH, READY)


class Health:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.head = head_revision()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _answer(environ, start_response, "405 Method Not Allowed", b"", "text/plain")
        if environ.get("PATH_INFO") == HEALTH:
            return _answer(environ, start_response, "200 OK", b"ok\n", "text/plain")
        reason = self.not_ready()
        status = "503 Service Unavailable" if reason else "200 OK"
        body = {"status": "not ready", "reason": reason} if reason else {"status": "ready"}
        data = (json.dumps(body) + "\n").encode()
        return _answer(environ, start_response, status, data, "application/json")

    def not_ready(self) -> str | None:
        """Why this process cannot serve now, in words; None when it can."""
        try:
            revision = current_revision(self.store.engine)
        except Exception as error:  # any failure to reach the store means the same here
            # One line: a balancer asks every few seconds, and a traceback each time would
            # bury the log. At DEBUG the traceback is there.
            first = str(error).strip().splitlines()[0] if str(error).strip() else ""
            logger.warning(
                "readyz: the store cannot be reached: %s: %s", type(error).__name__, first
            )
            logger.debug("readyz: the store's error", exc_info=True)
            return "the store cannot be reached"
        if revision == self.head:
            return None
        if revision is None:
            return f"the store has no schema; this server needs revision {self.head}"
        return (
            f"the store is at revision {revision}; this server needs {self.head} "
            "(restart contacthub serve, which upgrades it)"
        )


def _answer(
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    status: str,
    body: bytes,
    content_type: str,
) -> Iterable[bytes]:
    headers = [
        ("Content-Type", f"{content_type}; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ]
    if status.startswith("405"):
        headers.append(("Allow", "GET, HEAD"))
    start_response(status, headers)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
