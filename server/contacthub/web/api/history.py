"""History: a book's trash, a contact's versions, a restore of a book (or of all the user's
books) to a time with its preview, the undo of a run with its preview.

Each apply is recorded as a run (kind restore or undo, trigger api) that can be undone in
turn. An apply given the `basis` of the preview that was shown is refused with 409 if a
contact it would touch changed since. What each does is contacthub.services.history.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, request

from contacthub.errors import Invalid, UserError
from contacthub.services import history
from contacthub.services.history_refs import contact_uid
from contacthub.services.times import iso_time, parse_time
from contacthub.web.api.common import json_body
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.inputs import bool_arg, limit_offset

bp = Blueprint("history", __name__)

VIA = "api"


@bp.get("/books/<book_id>/trash")
def list_trash(book_id: str) -> dict[str, Any]:
    found = history.trash_page(run_context(), current_user(), book_id, *limit_offset())
    return {
        "trash": [_trash_entry_json(entry) for entry in found.entries],
        "total": found.total,
        "limit": found.limit,
        "offset": found.offset,
    }


@bp.post("/books/<book_id>/trash/restore")
def restore_from_trash(book_id: str) -> dict[str, Any]:
    uids = _chosen_uids(json_body())
    done = history.restore_from_trash(run_context(), current_user(), book_id, uids, via=VIA)
    return _result_json(done)


@bp.get("/books/<book_id>/contacts/<contact_id>/history")
def contact_history(book_id: str, contact_id: str) -> dict[str, Any]:
    ctx, user = run_context(), current_user()
    uid = contact_uid(ctx, user, book_id, contact_id)
    return _history_json(history.contact_history(ctx, user, book_id, uid))


@bp.post("/books/<book_id>/contacts/<contact_id>/history/<int:version>/restore")
def restore_version(book_id: str, contact_id: str, version: int) -> dict[str, Any]:
    ctx, user = run_context(), current_user()
    uid = contact_uid(ctx, user, book_id, contact_id)
    return _result_json(history.restore_version(ctx, user, book_id, uid, version, via=VIA))


@bp.post("/books/<book_id>/restore/preview")
def preview_book_restore(book_id: str) -> dict[str, Any]:
    at = _restore_time(json_body())
    with _time_named_to():
        preview = history.preview_restore(run_context(), current_user(), [book_id], at)
    return _preview_json(preview)


@bp.post("/books/<book_id>/restore")
def restore_book(book_id: str) -> dict[str, Any]:
    body = json_body()
    at = _restore_time(body)
    with _time_named_to():
        done = history.apply_restore(
            run_context(), current_user(), [book_id], at, via=VIA, basis=body.get("basis")
        )
    return _result_json(done)


@bp.post("/restore/preview")
def preview_account_restore() -> dict[str, Any]:
    body = json_body()
    at = _restore_time(body)
    with _time_named_to():
        preview = history.preview_restore(run_context(), current_user(), body.get("books"), at)
    return _preview_json(preview)


@bp.post("/restore")
def restore_account() -> dict[str, Any]:
    body = json_body()
    at = _restore_time(body)
    with _time_named_to():
        done = history.apply_restore(
            run_context(), current_user(), body.get("books"), at, via=VIA, basis=body.get("basis")
        )
    return _result_json(done)


@bp.get("/runs/<int:run_id>/undo/preview")
def preview_undo(run_id: int) -> dict[str, Any]:
    include = bool_arg("include_later_changes", False)
    preview = history.preview_undo(run_context(), current_user(), run_id, include)
    return _preview_json(preview)


@bp.post("/runs/<int:run_id>/undo")
def undo_run(run_id: int) -> dict[str, Any]:
    body = json_body() if request.get_data(cache=True) else {}
    done = history.apply_undo(
        run_context(),
        current_user(),
        run_id,
        bool(body.get("include_later_changes", False)),
        via=VIA,
        basis=body.get("basis"),
    )
    return _result_json(done)


# -- reading the request ----------------------------------------------------------------------


def _chosen_uids(body: dict[str, Any]) -> list[str] | None:
    """The UIDs to bring back, or None for the whole trash (TrashRestoreInput took the
    body's types)."""
    everything, uids = body.get("all", False), body.get("uids")
    if everything and uids is not None:
        raise Invalid("Send either uids or all: true, not both.", field="all")
    if everything:
        return None
    if uids is None:
        raise Invalid(
            'Say which contacts to bring back: "uids": [...], or "all": true for the whole trash.',
            field="uids",
        )
    return list(uids)


def _restore_time(body: dict[str, Any]) -> float:
    return parse_time(body["to"], field="to")


@contextmanager
def _time_named_to() -> Iterator[None]:
    """The services name the time to restore to `at`; this API's body calls it `to`."""
    try:
        yield
    except UserError as error:
        if error.field == "at":
            error.field = "to"
        raise


# -- the answers ------------------------------------------------------------------------------


def who_json(who: history.Who | None) -> dict[str, Any] | None:
    if who is None:
        return None
    return {"account": who.account, "via": who.via, "agent": who.agent, "run_id": who.run_id}


def _trash_entry_json(entry: history.TrashEntry) -> dict[str, Any]:
    return {
        "book": entry.book,
        "id": entry.href,
        "uid": entry.uid,
        "name": entry.name,
        "deleted_at": iso_time(entry.deleted_at),
        "deleted_by": who_json(entry.deleted_by),
    }


def _version_json(version: history.ContactVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "exists": version.exists,
        "current": version.current,
        "at": iso_time(version.at) if version.at is not None else None,
        "by": who_json(version.by),
        "action": version.action,
        "changed": version.changed,
    }


def _history_json(found: history.ContactHistory) -> dict[str, Any]:
    return {
        "book": found.book,
        "uid": found.uid,
        "name": found.name,
        "versions": [_version_json(version) for version in found.versions],
    }


def _planned_json(contact: history.PlannedContact) -> dict[str, Any]:
    return {
        "book": contact.book,
        "id": contact.href,
        "uid": contact.uid,
        "name": contact.name,
        "reason": contact.reason,
    }


def _preview_json(preview: history.RestorePreview) -> dict[str, Any]:
    listed = {
        name: [_planned_json(contact) for contact in getattr(preview, name)]
        for name in ("brought_back", "reverted", "removed", "skipped", "changed_later")
    }
    return {**listed, "counts": preview.counts, "basis": preview.basis}


def _result_json(done: history.RestoreResult) -> dict[str, Any]:
    return {
        "run_id": done.run_id,
        "kind": done.kind,
        "status": done.status,
        "message": done.message,
        "done": _preview_json(done.done),
    }
