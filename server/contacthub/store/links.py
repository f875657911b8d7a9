"""Links: which contact each of a source's records became."""

from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import Executable, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.base import TxBase
from contacthub.store.records import Link
from contacthub.store.schema import links


def _upsert(dialect: type[sqlite.Insert] | type[postgresql.Insert]) -> Executable:
    statement = dialect(links)
    return statement.on_conflict_do_update(
        index_elements=[links.c.source_id, links.c.external_key],
        set_={
            name: statement.excluded[name]
            for name in ("uid", "href", "record_hash", "deleted", "updated_at")
        },
    )


_SAVE_LINK = {"sqlite": _upsert(sqlite.Insert), "postgresql": _upsert(postgresql.Insert)}
_FORGET_LINK = links.delete().where(
    links.c.source_id == bindparam("source_id"),
    links.c.external_key == bindparam("external_key"),
)


class LinksPart(TxBase):
    def links_of(self, source_id: int) -> dict[str, Link]:
        rows = self.conn.execute(select(links).where(links.c.source_id == source_id))
        return {
            row.external_key: Link(
                row.external_key, row.uid, row.href, row.record_hash, row.deleted
            )
            for row in rows
        }

    def save_links(self, source_id: int, saved: Iterable[Link]) -> None:
        self.wrote_other_rows("links")
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
            self.conn.execute(_SAVE_LINK[self.conn.dialect.name], rows)

    def forget_links(self, source_id: int, keys: Iterable[str]) -> None:
        self.wrote_other_rows("links")
        rows = [{"source_id": source_id, "external_key": key} for key in keys]
        if rows:
            self.conn.execute(_FORGET_LINK, rows)

    def mark_links_deleted(self, source_id: int, keys: Iterable[str]) -> None:
        """Tombstones: the user deleted these contacts; the source may not bring them back."""
        self.wrote_other_rows("links")
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
