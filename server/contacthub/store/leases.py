"""Leases and due times: which process runs a source now, and when it runs next.

A run holds a lease on its source. A scheduled occurrence is claimed with one
compare-and-set UPDATE that moves `next_run_at` on and takes the lease, so of
any number of workers on one store exactly one runs each occurrence (on
PostgreSQL the second UPDATE waits for the first and then finds the row no
longer matches). A lease is renewed while its run lasts; one that expired
belongs to a process that died, and `expired_leases` finds it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update

from contacthub.store.base import TxBase
from contacthub.store.records import Lease
from contacthub.store.schema import sources


def _free(now: float) -> ColumnElement[bool]:
    return or_(sources.c.leased_by.is_(None), sources.c.lease_until < now)


class LeasesPart(TxBase):
    def set_next_run(self, source_id: int, at: float | None) -> None:
        self.wrote_other_rows("sources")
        self.conn.execute(update(sources).where(sources.c.id == source_id).values(next_run_at=at))

    def due_sources(self, now: float, limit: int = 100) -> list[tuple[int, float]]:
        """(source id, due time) of enabled sources that are due and not running."""
        rows = self.conn.execute(
            select(sources.c.id, sources.c.next_run_at)
            .where(sources.c.enabled, sources.c.next_run_at <= now, _free(now))
            .order_by(sources.c.next_run_at, sources.c.id)
            .limit(limit)
        )
        return [(row.id, row.next_run_at) for row in rows]

    def claim_due(self, source_id: int, due: float, next_at: float | None, lease: Lease) -> bool:
        """Take the occurrence due at `due` and schedule the next one; False if
        another process took it first or the source is running."""
        self.wrote_other_rows("sources")
        result = self.conn.execute(
            update(sources)
            .where(
                sources.c.id == source_id,
                sources.c.enabled,
                sources.c.next_run_at == due,
                _free(lease.taken_at),
            )
            .values(next_run_at=next_at, **_lease_values(lease))
        )
        return result.rowcount == 1

    def take_lease(self, lease: Lease) -> bool:
        """Lease a source for a run started by a person; False if it is running."""
        self.wrote_other_rows("sources")
        result = self.conn.execute(
            update(sources)
            .where(sources.c.id == lease.source_id, _free(lease.taken_at))
            .values(**_lease_values(lease))
        )
        return result.rowcount == 1

    def renew_lease(self, lease: Lease, until: float) -> bool:
        self.wrote_other_rows("sources")
        result = self.conn.execute(
            update(sources)
            .where(sources.c.id == lease.source_id, sources.c.leased_by == lease.holder)
            .values(lease_until=until)
        )
        return result.rowcount == 1

    def end_lease(self, lease: Lease, *, expired_before: float | None = None) -> bool:
        """Release the lease; False if its holder no longer holds it. With
        `expired_before`, only a lease that expired by then ends: recovering a run must
        neither end one its holder renewed meanwhile nor one another process already
        recovered (the UPDATE waits for that process, then finds nothing to end)."""
        self.wrote_other_rows("sources")
        condition = and_(sources.c.id == lease.source_id, sources.c.leased_by == lease.holder)
        if expired_before is not None:
            condition = and_(
                condition,
                sources.c.leased_at == lease.taken_at,
                sources.c.lease_until < expired_before,
            )
        result = self.conn.execute(
            update(sources)
            .where(condition)
            .values(leased_by=None, lease_trigger=None, leased_at=None, lease_until=None)
        )
        return result.rowcount == 1

    def lease_of(self, source_id: int) -> Lease | None:
        row = self.conn.execute(select(sources).where(sources.c.id == source_id)).first()
        return _lease(row) if row is not None and row.leased_by is not None else None

    def expired_leases(self, now: float) -> list[Lease]:
        rows = self.conn.execute(
            select(sources)
            .where(and_(sources.c.leased_by.is_not(None), sources.c.lease_until < now))
            .order_by(sources.c.id)  # source rows are locked in id order
        )
        return [_lease(row) for row in rows]


def _lease_values(lease: Lease) -> dict[str, object]:
    return {
        "leased_by": lease.holder,
        "lease_trigger": lease.trigger,
        "leased_at": lease.taken_at,
        "lease_until": lease.until,
    }


def _lease(row: Any) -> Lease:
    return Lease(
        row.id,
        row.leased_by,
        row.lease_trigger or "schedule",
        row.leased_at or 0.0,
        row.lease_until or 0.0,
    )
