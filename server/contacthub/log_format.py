"""How log lines look: Radicale's short text lines (the default) or one JSON object a line.

Both carry one line per request (request_log.py). Radicale writes two or three lines of
its own for each CardDAV request (received, signed in, answered): at INFO they are left
out, as the request's line says it all; at DEBUG, where a person asked for detail, they
stay, and Radicale's warnings and errors always pass.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from contacthub.request_log import REQUEST_ID

# Radicale's per-request messages, by the start of their format strings.
RADICALE_REQUEST_LINES = ("%s request for ", "Successful login: ")
RADICALE_ANSWER_LINE = " response status for "


class RequestIdFilter(logging.Filter):
    """Puts the id of the request being answered on every record (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def drop_radicale_request_lines(record: logging.LogRecord) -> bool:
    if record.levelno >= logging.WARNING or not record.name.startswith("radicale"):
        return True
    message = str(record.msg)
    return not (message.startswith(RADICALE_REQUEST_LINES) or RADICALE_ANSWER_LINE in message)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the request
    id when there is one, a request line's `http` fields, and a traceback as `error`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        http = getattr(record, "http", None)
        if http is not None:
            entry["http"] = http
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def use_json(handlers: list[logging.Handler]) -> None:
    """Radicale's handler keeps its stream (and systemd's journal when it runs under it);
    only its lines change."""
    for handler in handlers:
        handler.setFormatter(JsonFormatter())
        # Radicale's handler picks one of its own formatters unless this one is set.
        if hasattr(handler, "_formatter"):
            setattr(handler, "_formatter", JsonFormatter())  # noqa: B010
