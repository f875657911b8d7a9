"""What every kind of source offers the same way: finding one of the caller's, deleting
it (never while it runs), running it now, its runs and its status.

A source is called a sync, an import, a mail account or a phone depending on where it
is seen; `what` is that word, for messages.
"""

from __future__ import annotations

from collections.abc import Collection

from contacthub.errors import Conflict, NotFound, quoted
from contacthub.jobs.runner import run_in_background, run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.progress import FINISHED, Progress
from contacthub.sources.settings import SyncBusy, delete_sync
from contacthub.store import RunRecord, SourceRecord

MAX_ID = 2**31 - 1  # larger ids exist nowhere (and overflow PostgreSQL's integer)
DEFAULT_RUNS, MAX_RUNS = 20, 100


def find_source(
    ctx: RunContext, user: str, source_id: int, kinds: Collection[str]
) -> SourceRecord | None:
    """The user's source `source_id` if it is of one of `kinds`; None for anybody else's."""
    with ctx.store.read() as tx:
        source = tx.get_source(source_id) if source_id <= MAX_ID else None
    if source is None or source.owner != user or source.kind not in kinds:
        return None
    return source


def require_source(
    ctx: RunContext, user: str, source_id: int, kinds: Collection[str], missing: str
) -> SourceRecord:
    """As find_source; NotFound with the message `missing` when there is none."""
    source = find_source(ctx, user, source_id, kinds)
    if source is None:
        raise NotFound(missing)
    return source


def delete_source(ctx: RunContext, source: SourceRecord, what: str) -> None:
    """The source stops and goes, its contacts and book stay; SourceRunning while it runs
    (its run would have nowhere to be recorded)."""
    try:
        delete_sync(ctx, source)
    except SyncBusy:
        raise SourceRunning(
            f"The {what} {quoted(source.name)} is running; delete it when the run has finished."
        ) from None


class SourceRunning(Conflict):
    def __init__(self, message: str) -> None:
        super().__init__("sync_running", message)


def run_now(ctx: RunContext, source: SourceRecord, *, override_mass_deletion: bool) -> RunRecord:
    """Run the source as the scheduler does: one run at a time, a remote file fetched
    first, the report email sent to its addresses (SourceRunning while it runs)."""
    try:
        return run_sync(ctx, source, override_mass_deletion=override_mass_deletion)
    except SyncBusy:
        raise SourceRunning(
            f"The sync {quoted(source.name)} is running already; try "
            "again when the run has finished."
        ) from None


def start_run(ctx: RunContext, source: SourceRecord, *, override_mass_deletion: bool) -> None:
    """Start a run in the background, followed on ctx.progress; a source that is running
    already is left to the run that is going on."""
    try:
        run_in_background(ctx, source, override_mass_deletion=override_mass_deletion)
    except SyncBusy:
        pass


def progress_of(ctx: RunContext, source: SourceRecord) -> tuple[Progress | None, int | None]:
    """How far the source's run is, and once no run is going on, the id of the run to
    report (the one just ended, else the latest; None before the first)."""
    progress = ctx.progress.get(source.id)
    if progress is not None and progress.phase != FINISHED:
        return progress, None
    if progress is not None and progress.run_id:
        return progress, progress.run_id
    with ctx.store.read() as tx:
        latest = tx.runs_of(source.id, limit=1)
    return progress, latest[0].id if latest else None


def runs_of(ctx: RunContext, source: SourceRecord, limit: int) -> list[RunRecord]:
    """The source's latest runs, newest first."""
    with ctx.store.read() as tx:
        return tx.runs_of(source.id, limit=limit)


def find_run(ctx: RunContext, source: SourceRecord, run_id: int) -> RunRecord | None:
    """The source's run `run_id`; None when the source has no such run."""
    with ctx.store.read() as tx:
        run = tx.get_run(run_id) if run_id <= MAX_ID else None
    return run if run is not None and run.source_id == source.id else None


def require_run(ctx: RunContext, source: SourceRecord, run_id: int, missing: str) -> RunRecord:
    run = find_run(ctx, source, run_id)
    if run is None:
        raise NotFound(missing)
    return run


def filled_book(ctx: RunContext, source: SourceRecord) -> tuple[str, str] | None:
    """The id and name of the address book the source fills; None once it is gone."""
    with ctx.store.read() as tx:
        book = tx.get_collection(source.book_path)
    return (book.name, book.display_name) if book is not None else None
