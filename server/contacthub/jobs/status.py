"""What the list of syncs shows for one: its latest run, its next run, its status."""

from __future__ import annotations

from dataclasses import dataclass

from contacthub.store import RunRecord, SourceRecord, Transaction

# A run's status, or "running", or "never" before the first run.
STATUSES = ("ok", "no_changes", "failed", "refused", "running", "never")


@dataclass(frozen=True)
class SyncStatus:
    status: str
    text: str  # for people: "ok: 3 added, 1 updated", "failed: HTTP 404 for ..."
    latest: RunRecord | None
    next_run_at: float | None
    running_since: float | None


def status_of(tx: Transaction, source: SourceRecord, now: float) -> SyncStatus:
    runs = tx.runs_of(source.id, limit=1)
    latest = runs[0] if runs else None
    if source.is_running(now):
        status, text = "running", "running"
    elif latest is None:
        status, text = "never", "not run yet"
    else:
        status, text = latest.status, _words(latest)
    return SyncStatus(
        status,
        text,
        latest,
        source.next_run_at,
        source.running_since if status == "running" else None,
    )


def _words(run: RunRecord) -> str:
    if run.status == "ok":
        counts = ", ".join(
            f"{run.counts.get(name, 0)} {name}"
            for name in ("added", "updated", "deleted", "unchanged")
        )
        errors = run.counts.get("errors", len(run.problems))  # conflicts are not errors
        return f"ok: {counts}" + (f", {errors} errors" if errors else "")
    if run.status == "no_changes":
        return "no changes"
    if run.status == "refused":
        return _with_message("refused by the mass-deletion guard", run.message)
    return _with_message("failed", run.message)


def _with_message(words: str, message: str) -> str:
    # A run's message never repeats its status (the store keeps them apart).
    return f"{words}: {message}" if message else words
