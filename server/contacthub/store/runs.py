"""Runs: what each run of a source did, for reports, the sync list and emails."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, update

from contacthub.store.base import TxBase
from contacthub.store.records import RunRecord
from contacthub.store.schema import runs, stagings


class RunsPart(TxBase):
    def record_run(
        self,
        source_id: int | None,
        *,
        started_at: float,
        status: str,
        trigger: str,
        counts: Mapping[str, int],
        problems: Sequence[Mapping[str, Any]] = (),
        message: str = "",
        owner: str | None = None,
        kind: str = "",
    ) -> RunRecord:
        """Record a run of a source, or of no source (`owner`'s restore or undo: `kind`).
        A run recorded in the transaction that publishes a staging is that staging's run:
        the versions it wrote ahead name it."""
        self.wrote_other_rows("runs")
        run_id = self.conn.execute(
            runs.insert()
            .values(
                source_id=source_id,
                owner=owner,
                kind=kind,
                started_at=started_at,
                finished_at=time.time(),
                status=status,
                trigger=trigger,
                counts=json.dumps(dict(counts)),
                problems=json.dumps([dict(p) for p in problems]),
                message=message,
            )
            .returning(runs.c.id)
        ).scalar_one()
        for collection_id, gen in self.publishing:
            self.conn.execute(
                update(stagings)
                .where(stagings.c.collection_id == collection_id, stagings.c.gen == gen)
                .values(run_id=run_id)
            )
        return self.require_run(run_id)

    def require_run(self, run_id: int) -> RunRecord:
        row = self.conn.execute(select(runs).where(runs.c.id == run_id)).one()
        return RunRecord.from_row(row)

    def get_run(self, run_id: int) -> RunRecord | None:
        row = self.conn.execute(select(runs).where(runs.c.id == run_id)).first()
        return RunRecord.from_row(row) if row else None

    def runs_of(self, source_id: int, limit: int = 20) -> list[RunRecord]:
        rows = self.conn.execute(
            select(runs)
            .where(runs.c.source_id == source_id)
            .order_by(runs.c.started_at.desc(), runs.c.id.desc())
            .limit(limit)
        )
        return [RunRecord.from_row(row) for row in rows]

    def amend_run(self, run_id: int, counts: Mapping[str, int], message: str) -> RunRecord:
        """Say more on a recorded run: what was done after it, in its counts and message."""
        self.wrote_other_rows("runs")
        self.conn.execute(
            update(runs)
            .where(runs.c.id == run_id)
            .values(counts=json.dumps(dict(counts)), message=message)
        )
        return self.require_run(run_id)

    def set_run_email(self, run_id: int, email: str) -> None:
        """What became of the run's report email (sent, or why not)."""
        self.wrote_other_rows("runs")
        self.conn.execute(update(runs).where(runs.c.id == run_id).values(email=email))
