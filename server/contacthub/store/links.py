"""Links: which contact each of a source's records became."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Executable, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.base import TxBase
from contacthub.store.records import Link
from contacthub.store.schema import collections, links, pending_links


def _upsert(dialect: type[sqlite.Insert] | type[postgresql.Insert]) -> Executable:
    statement = dialect(links)
    return statement.on_conflict_do_update(
        index_elements=[links.c.source_id, links.c.external_key],
        set_={
            name: statement.excluded[name]
            for name in ("uid", "href", "record_hash", "deleted", "updated_at")
        },
    )


SAVE_LINK = {"sqlite": _upsert(sqlite.Insert), "postgresql": _upsert(postgresql.Insert)}
_FORGET_LINK = links.delete().where(
    links.c.source_id == bindparam("source_id"),
    links.c.external_key == bindparam("external_key"),
)


# A run's changes to links that are published but not yet settled into `links`.
_PUBLISHED_OPS = (
    select(pending_links)
    .join(collections, collections.c.id == pending_links.c.collection_id)
    .where(
        pending_links.c.source_id == bindparam("source_id"),
        pending_links.c.gen <= collections.c.published_gen,
    )
    .order_by(pending_links.c.gen)
)


class LinksPart(TxBase):
    def links_of(self, source_id: int) -> dict[str, Link]:
        rows = self.conn.execute(select(links).where(links.c.source_id == source_id))
        found = {row.external_key: _link(row) for row in rows}
        for op in self.conn.execute(_PUBLISHED_OPS, {"source_id": source_id}):
            apply_link_op(found, op)
        return found

    def links_to_uids(
        self, source_ids: Iterable[int], uids: Collection[str]
    ) -> list[tuple[int, Link]]:
        """The links of these sources whose contact has one of `uids` (a merge's cards)."""
        found: list[tuple[int, Link]] = []
        for source_id in source_ids:
            of_source: dict[str, Link] = {}
            for start in range(0, len(uids), 500):
                chunk = list(uids)[start : start + 500]
                rows = self.conn.execute(
                    select(links).where(links.c.source_id == source_id, links.c.uid.in_(chunk))
                )
                of_source.update({row.external_key: _link(row) for row in rows})
            for op in self.conn.execute(_PUBLISHED_OPS, {"source_id": source_id}):
                if op.op == "save" and op.uid in uids and op.external_key not in of_source:
                    of_source[op.external_key] = Link(
                        op.external_key, op.uid, op.href, op.record_hash
                    )
                apply_link_op(of_source, op)
            found += [(source_id, link) for link in of_source.values() if link.uid in uids]
        return found

    def put_links(self, source_id: int, saved: Iterable[Link]) -> None:
        """Write these links whole, merge columns included (a merge re-links them; its
        undo puts them back)."""
        self.wrote_other_rows("links")
        saved = list(saved)
        self._supersede_ops(source_id, [link.external_key for link in saved])
        now = time.time()
        for link in saved:
            values = {
                "uid": link.uid,
                "href": link.href,
                "record_hash": link.record_hash,
                "deleted": link.deleted,
                "collection_id": link.collection_id,
                "merged_base": link.merged_base,
                "updated_at": now,
            }
            changed = self.conn.execute(
                update(links)
                .where(links.c.source_id == source_id, links.c.external_key == link.external_key)
                .values(**values)
            ).rowcount
            if not changed:
                self.conn.execute(
                    links.insert().values(
                        source_id=source_id, external_key=link.external_key, **values
                    )
                )

    def save_links(self, source_id: int, saved: Iterable[Link]) -> None:
        self.wrote_other_rows("links")
        saved = list(saved)
        self._supersede_ops(source_id, [link.external_key for link in saved])
        now = time.time()
        rows = [
            {
                "source_id": source_id,
                "external_key": link.external_key,
                "uid": link.uid,
                "href": link.href,
                "record_hash": link.record_hash,
                "deleted": link.deleted,
                "updated_at": now,
            }
            for link in saved
        ]
        if rows:
            self.conn.execute(SAVE_LINK[self.conn.dialect.name], rows)

    def forget_links(self, source_id: int, keys: Iterable[str]) -> None:
        self.wrote_other_rows("links")
        keys = list(keys)
        self._supersede_ops(source_id, keys)
        rows = [{"source_id": source_id, "external_key": key} for key in keys]
        if rows:
            self.conn.execute(_FORGET_LINK, rows)

    def mark_links_deleted(self, source_id: int, keys: Iterable[str]) -> None:
        """Tombstones: the user deleted these contacts; the source may not bring them back."""
        self.wrote_other_rows("links")
        keys = list(keys)
        self._supersede_ops(source_id, keys)
        rows = [{"sid": source_id, "key": key} for key in keys]
        if rows:
            self.conn.execute(
                update(links)
                .where(
                    links.c.source_id == bindparam("sid"), links.c.external_key == bindparam("key")
                )
                .values(deleted=True, updated_at=time.time()),
                rows,
            )

    def _supersede_ops(self, source_id: int, keys: list[str]) -> None:
        """A link written now wins over what a run wrote ahead for the same key."""
        for start in range(0, len(keys), 500):
            self.conn.execute(
                pending_links.delete().where(
                    pending_links.c.source_id == source_id,
                    pending_links.c.external_key.in_(keys[start : start + 500]),
                )
            )


def _link(row: Any) -> Link:
    return Link(
        row.external_key,
        row.uid,
        row.href,
        row.record_hash,
        row.deleted,
        row.collection_id,
        row.merged_base,
    )


def apply_link_op(found: dict[str, Link], op: Any) -> None:
    """One op a run wrote ahead (a row of pending_links) applied to a source's links."""
    key = op.external_key
    if op.op == "save":
        # Settling updates the link's row: what a merge wrote into it stays.
        before = found.get(key)
        found[key] = Link(
            key,
            op.uid,
            op.href,
            op.record_hash,
            collection_id=before.collection_id if before else None,
            merged_base=before.merged_base if before else None,
        )
    elif op.op == "forget":
        found.pop(key, None)
    elif op.op == "tombstone" and key in found:
        link = found[key]
        found[key] = Link(key, link.uid, link.href, link.record_hash, deleted=True)
