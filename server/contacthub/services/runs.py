"""Any run of the caller's by its id: a source's run (its source's owner's), or a restore or
an undo (recorded with the account that asked for it). Another account's run is NotFound,
as one that does not exist.

services.sources finds a run of a given source; pages that only know the run (a card's
history names the run that wrote it, a restore links to the run it became) start here.
"""

from __future__ import annotations

from dataclasses import dataclass

from contacthub.errors import NotFound
from contacthub.sources.context import RunContext
from contacthub.store import RunRecord, SourceRecord

MAX_ID = 2**31 - 1  # larger ids exist nowhere (and overflow PostgreSQL's integer)
CHANGES = ("added", "updated", "deleted")


@dataclass(frozen=True)
class OwnedRun:
    run: RunRecord
    source: SourceRecord | None  # None: a restore or an undo

    @property
    def undoable(self) -> bool:
        return undoable(self.run)


def undoable(run: RunRecord) -> bool:
    """Whether the run changed contacts, so that undoing it would change something. A
    merge is undone as a merge (services/merges.py): its sources' links go back too."""
    return (
        run.status == "ok" and run.kind != "merge" and any(run.counts.get(name) for name in CHANGES)
    )


def owned_run(ctx: RunContext, user: str, run_id: int) -> OwnedRun:
    with ctx.store.read() as tx:
        run = tx.get_run(run_id) if 0 < run_id <= MAX_ID else None
        source = tx.get_source(run.source_id) if run and run.source_id is not None else None
    owner = source.owner if source is not None else run.owner if run is not None else None
    if run is None or owner != user or (run.source_id is not None and source is None):
        raise NotFound(f"There is no run {run_id}.")
    return OwnedRun(run, source)
