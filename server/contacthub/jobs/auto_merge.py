"""Automatic merging after a source's run, for an account that turns `auto_merge` on.

It runs after the run is recorded and before its report is sent, so the report names what
it merged: the run's counts gain "merged" (the merges made) and its message the merged
contacts' names. It is not part of the run: a failure of it is logged and said in the
run's message, and the run stands as recorded. A run that failed or was refused merges
nothing (its books are as before it; the next good run merges).
"""

from __future__ import annotations

import logging

from contacthub.duplicates.auto import AutoMerged, merge_safest
from contacthub.jobs.notify import MERGED
from contacthub.sources.context import RunContext
from contacthub.store import RunRecord, SourceRecord

logger = logging.getLogger(__name__)

FAILED = "automatic merging failed: an internal error; the server log has the details"
MAX_NAMED = 20
_MERGING_STATUSES = frozenset({"ok", "no_changes"})


def merge_after_run(ctx: RunContext, source: SourceRecord, run: RunRecord) -> RunRecord:
    """Merge the safest duplicates of the source's account if it asks for it, and say so
    on the run. Never raises: the run is recorded already."""
    if run.status not in _MERGING_STATUSES:
        return run
    try:
        done = merge_safest(ctx.store, source.owner)
    except Exception:  # noqa: BLE001 - the run is done; merging must not fail it
        logger.exception("automatic merging after run %s (source %s) failed", run.id, source.id)
        return _amended(ctx, run, dict(run.counts), FAILED)
    if not done.merged:
        return run
    counts = {**run.counts, MERGED: len(done.merged)}
    return _amended(ctx, run, counts, merged_words(done))


def merged_words(done: AutoMerged) -> str:
    """ "merged automatically: Jane Doe (2 contacts), Ann Lee (3 contacts)"."""
    named = [
        f"{outcome.merge.display_name or '(no name)'} ({len(outcome.merge.members)} contacts)"
        for outcome in done.merged[:MAX_NAMED]
    ]
    more = len(done.merged) - MAX_NAMED
    if more > 0:
        named.append(f"and {more} more (see the merges)")
    return "merged automatically: " + ", ".join(named)


def _amended(ctx: RunContext, run: RunRecord, counts: dict[str, int], said: str) -> RunRecord:
    message = f"{run.message.rstrip('. ')}; {said}" if run.message.strip() else said
    try:
        with ctx.store.write() as tx:
            return tx.amend_run(run.id, counts, message)
    except Exception:  # noqa: BLE001 - the merges stand; only the words on the run are lost
        logger.exception("run %s: what automatic merging did was not noted on it", run.id)
        return run
