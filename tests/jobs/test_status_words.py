"""A run's status is said once: its message never starts with it again, neither for runs
recorded now nor for runs recorded before the two were kept apart."""

from __future__ import annotations

import pytest

from contacthub.jobs.status import status_of
from contacthub.store import Store

LEGACY = [
    (
        "failed",
        "failed: column 'Middle Name' is not in the file",
        "column 'Middle Name' is not in the file",
    ),
    ("refused", "refused: this run would delete 4 of 24", "this run would delete 4 of 24"),
    (
        "no_changes",
        "no changes: the file is the same as at the last import",
        "the file is the same as at the last import",
    ),
    ("no_changes", "no changes", ""),
    ("ok", "2 added", "2 added"),
    ("failed", "FTP login failed for user ann", "FTP login failed for user ann"),
]


@pytest.mark.parametrize(("status", "stored", "read"), LEGACY)
def test_a_message_recorded_with_its_status_in_front_is_read_without_it(
    store: Store, status: str, stored: str, read: str
) -> None:
    with store.write() as tx:
        source = tx.create_source("ann", "csv", "People", "ann/people", {})
        tx.record_run(
            source.id, started_at=1.0, status=status, trigger="manual", counts={}, message=stored
        )
    with store.read() as tx:
        [run] = tx.runs_of(source.id, limit=1)
        shown = status_of(tx, source, 2.0).text
    assert run.message == read
    words = {"failed": "failed", "refused": "refused", "no_changes": "no changes"}.get(status)
    if words is not None:
        assert shown.count(words + ":") <= 1 and not shown.startswith(f"{words}: {words}")
