"""Merges: an account's cards merged into one, and what undoing one needs."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from contacthub.store.base import TxBase
from contacthub.store.errors import NotFound
from contacthub.store.schema import merges


@dataclass(frozen=True)
class MergeRecord:
    """One merge: its run, the merged card (book id, href, UID, name), the cards merged
    and the links as they were before it (JSON-able dicts), whether it was automatic."""

    id: int
    owner: str
    run_id: int
    collection_id: int
    href: str
    uid: str
    display_name: str
    members: list[dict[str, Any]]
    prior_links: list[dict[str, Any]]
    automatic: bool
    state: str  # merged, undone
    created_at: float
    undone_at: float | None
    undo_run_id: int | None

    @classmethod
    def from_row(cls, row: Any) -> MergeRecord:
        return cls(
            id=row.id,
            owner=row.owner,
            run_id=row.run_id,
            collection_id=row.collection_id,
            href=row.href,
            uid=row.uid,
            display_name=row.display_name,
            members=json.loads(row.members),
            prior_links=json.loads(row.prior_links),
            automatic=row.automatic,
            state=row.state,
            created_at=row.created_at,
            undone_at=row.undone_at,
            undo_run_id=row.undo_run_id,
        )


class MergesPart(TxBase):
    def record_merge(
        self,
        owner: str,
        run_id: int,
        *,
        collection_id: int,
        href: str,
        uid: str,
        display_name: str,
        members: list[dict[str, Any]],
        prior_links: list[dict[str, Any]],
        automatic: bool,
    ) -> MergeRecord:
        self.wrote_other_rows("merges")
        merge_id = self.conn.execute(
            merges.insert()
            .values(
                owner=owner,
                run_id=run_id,
                collection_id=collection_id,
                href=href,
                uid=uid,
                display_name=display_name,
                members=json.dumps(members),
                prior_links=json.dumps(prior_links),
                automatic=automatic,
                state="merged",
                created_at=time.time(),
            )
            .returning(merges.c.id)
        ).scalar_one()
        return self.require_merge(owner, merge_id)

    def get_merge(self, owner: str, merge_id: int) -> MergeRecord | None:
        row = self.conn.execute(
            select(merges).where(merges.c.id == merge_id, merges.c.owner == owner)
        ).one_or_none()
        return MergeRecord.from_row(row) if row is not None else None

    def require_merge(self, owner: str, merge_id: int) -> MergeRecord:
        found = self.get_merge(owner, merge_id)
        if found is None:
            raise NotFound(f"There is no merge {merge_id}.")
        return found

    def merges_of(self, owner: str, limit: int = 100) -> list[MergeRecord]:
        rows = self.conn.execute(
            select(merges)
            .where(merges.c.owner == owner)
            .order_by(merges.c.created_at.desc(), merges.c.id.desc())
            .limit(limit)
        )
        return [MergeRecord.from_row(row) for row in rows]

    def undone_merges(self, owner: str) -> list[MergeRecord]:
        """Every merge of the owner that has been undone, however old."""
        rows = self.conn.execute(
            select(merges).where(merges.c.owner == owner, merges.c.state == "undone")
        )
        return [MergeRecord.from_row(row) for row in rows]

    def mark_merge_undone(self, merge_id: int, undo_run_id: int) -> None:
        self.wrote_other_rows("merges")
        self.conn.execute(
            update(merges)
            .where(merges.c.id == merge_id)
            .values(state="undone", undone_at=time.time(), undo_run_id=undo_run_id)
        )
