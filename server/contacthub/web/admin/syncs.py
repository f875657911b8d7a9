"""The list of synchronizations: each CSV sync of the signed-in user with its latest and
next import, its status, and buttons to import it now, edit it or delete it.

What a row shows comes from the same code as GET /api/v1/syncs (the sync's origin and
status model), and Delete goes through the same code as DELETE /api/v1/syncs/{id}.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, g, redirect, url_for
from werkzeug.wrappers import Response

from contacthub.jobs.status import SyncStatus, status_of
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.origin import Origin
from contacthub.sources.csv.remote import origin_of
from contacthub.store import Transaction
from contacthub.store.sources import SourceRecord
from contacthub.web.admin.pages import NotFound, page
from contacthub.web.admin.runs import require_runnable
from contacthub.web.api.common import run_context, store
from contacthub.web.api.syncs import delete_now
from contacthub.web.errors import ApiError

bp = Blueprint("syncs", __name__, url_prefix="/syncs")


@dataclass(frozen=True)
class SyncRow:
    """One line of the list."""

    source: SourceRecord
    origin: Origin
    status: SyncStatus
    filename: str | None  # the uploaded file's name, for an upload

    @property
    def origin_words(self) -> str:
        """Where the file comes from, never with a password: the URL has none."""
        if self.origin.is_remote:
            return self.origin.url
        return f"Uploaded file {self.filename}" if self.filename else "Uploaded file"


def _row(tx: Transaction, source: SourceRecord, now: float) -> SyncRow:
    origin = origin_of(source)
    filename = None if origin.is_remote else tx.upload_filename(source.id)
    return SyncRow(source, origin, status_of(tx, source, now), filename)


def _rows(user: str) -> list[SyncRow]:
    now = run_context().now()
    with store().read() as tx:
        return [
            _row(tx, source, now) for source in tx.list_sources(owner=user, kind=csv_source.KIND)
        ]


def _require_sync(sync_id: int) -> SourceRecord:
    """The signed-in user's sync `sync_id` (404 for anybody else's, or a mail account)."""
    source = require_runnable(sync_id)
    if source.kind != csv_source.KIND:
        raise NotFound("There is no such sync.")
    return source


@bp.get("/")
def index() -> Response:
    return page("syncs.html", syncs=_rows(g.caller.user), title="Synchronizations")


@bp.post("/<int:sync_id>/delete")
def delete(sync_id: int) -> Response:
    source = _require_sync(sync_id)
    try:
        delete_now(source, "sync")
    except ApiError as error:
        if error.status != 409:
            raise
        flash(error.message, "error")
    else:
        flash(f"The sync “{source.name}” is deleted. Its contacts stay in their address book.")
    return redirect(url_for(".index"))
