"""What the API's views share: reading bodies, addresses of created objects, and the
JSON of a source's schedule and status."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for

from contacthub.errors import BadRequest, UserError
from contacthub.jobs.status import SyncStatus
from contacthub.services.sources import DEFAULT_RUNS, MAX_RUNS
from contacthub.sources.schedule import ScheduleError
from contacthub.sources.settings import notify_of, schedule_of
from contacthub.store import SourceRecord
from contacthub.vcard.parse import is_vcard_media_type
from contacthub.web.errors import ApiError
from contacthub.web.inputs import int_arg
from contacthub.web.shapes import iso, sync_run_json


def location(endpoint: str, **values: Any) -> str:
    """The URL of a created object, for whoever the request acted for."""
    if g.caller.user != g.caller.login:
        values["user"] = g.caller.user
    return url_for(endpoint, **values)


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send the request body as JSON (Content-Type: application/json).",
        )
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("The request body is not valid JSON.")
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def vcard_body(limit: int) -> str:
    """The body as vCard text: the right media type, at most `limit` bytes, UTF-8."""
    content_type = request.content_type or ""
    if not is_vcard_media_type(content_type):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Send the contact as text/vcard, not {content_type or 'no type'!r}.",
        )
    return utf8_text(read_body(limit))


def utf8_text(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"The body is not UTF-8 text (byte {error.start}).") from None
    if "\x00" in text:
        raise BadRequest(f"The body contains a NUL character (byte {body.index(0)}).")
    return text


def read_body(limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise too_large(request.content_length, limit)
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise too_large(None, limit)
    return body


def too_large(size: int | None, limit: int) -> UserError:
    has = f"has {size} bytes" if size is not None else "is larger than that"
    return ApiError(413, "too_large", f"The request body {has}; the limit is {limit} bytes.")


def override_mass_deletion() -> bool:
    """``override_mass_deletion`` from an optional JSON body (one RunOptions took)."""
    if not request.get_data(cache=True):
        return False
    return bool(json_body().get("override_mass_deletion", False))


def runs_limit() -> int:
    return int_arg("limit", DEFAULT_RUNS, 1, MAX_RUNS)


def _schedule_json(source: SourceRecord) -> tuple[dict[str, Any] | None, str | None]:
    """The schedule and its words; a stored one that cannot be read (the scheduler drops
    it) is shown as such rather than failing the whole list."""
    try:
        schedule = schedule_of(source)
    except ScheduleError as error:
        return None, f"the stored schedule cannot be read ({error}); set it again"
    return (schedule.to_json(), schedule.describe()) if schedule else (None, None)


def run_state_json(source: SourceRecord, status: SyncStatus) -> dict[str, Any]:
    """What a scheduled source shows (a sync, a mail account): its schedule and
    notification addresses, its next and latest run, and its status."""
    schedule, schedule_text = _schedule_json(source)
    return {
        "schedule": schedule,
        "schedule_text": schedule_text,
        "notify": notify_of(source),
        "next_run": iso(status.next_run_at),
        "status": status.status,
        "status_text": status.text,
        "latest_run": sync_run_json(status.latest) if status.latest else None,
        "running_since": iso(status.running_since),
    }
