"""The list of synchronizations: each CSV sync of the signed-in user with its latest and
next import, its status, and buttons to import it now, edit it or delete it.

What a row shows comes from the same service as GET /api/v1/syncs (the sync's origin and
status), and Delete goes through the same service as DELETE /api/v1/syncs/{id}.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, g, redirect, url_for
from werkzeug.wrappers import Response

from contacthub.errors import NotFound
from contacthub.jobs.status import SyncStatus
from contacthub.services import syncs
from contacthub.services.sources import SourceRunning
from contacthub.sources.csv.origin import Origin
from contacthub.store import SourceRecord
from contacthub.web.admin.pages import page
from contacthub.web.admin.runs import require_runnable
from contacthub.web.context import run_context

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


def _rows(user: str) -> list[SyncRow]:
    return [
        SyncRow(state.source, state.origin, state.status, state.filename)
        for state in syncs.sync_states(run_context(), user)
    ]


def _require_sync(sync_id: int) -> SourceRecord:
    """The signed-in user's sync `sync_id` (404 for anybody else's, or a mail account)."""
    source = require_runnable(sync_id)
    if source.kind != syncs.KIND:
        raise NotFound("There is no such sync.")
    return source


@bp.get("/")
def index() -> Response:
    return page("syncs.html", syncs=_rows(g.caller.user), title="Synchronizations")


@bp.post("/<int:sync_id>/delete")
def delete(sync_id: int) -> Response:
    source = _require_sync(sync_id)
    try:
        syncs.delete_sync(run_context(), source)
    except SourceRunning as running:
        flash(running.message, "error")
    else:
        flash(f"The sync “{source.name}” is deleted. Its contacts stay in their address book.")
    return redirect(url_for(".index"))
