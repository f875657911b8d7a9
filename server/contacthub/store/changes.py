"""The change log: sync tokens are positions in it (RFC 6578).

Each collection counts its writes in `sync_seq`; the log keeps, for every
href, the position of its latest change. A sync-collection REPORT then costs
O(changes since the token), never O(items).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from sqlalchemy import Executable, and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.base import TxBase
from contacthub.store.errors import InvalidSyncToken
from contacthub.store.records import CollectionRecord
from contacthub.store.schema import changes, collections, pending_changes

TOKEN_PREFIX = "urn:contacthub:sync:"

# Built once: every write runs these.
_ADVANCE = (
    update(collections)
    .where(collections.c.id == bindparam("collection_id"))
    .values(sync_seq=collections.c.sync_seq + 1, modified_at=bindparam("now"))
    .returning(collections.c.sync_seq)
)


def note_change_statement(
    dialect: type[sqlite.Insert] | type[postgresql.Insert], *, only_later: bool = False
) -> Executable:
    """Note an href's latest change; `only_later` keeps an entry already at a later
    position (a client's write after a run was published, when the run settles)."""
    statement = dialect(changes)
    return statement.on_conflict_do_update(
        index_elements=[changes.c.collection_id, changes.c.href],
        set_={
            "seq": statement.excluded.seq,
            "deleted": statement.excluded.deleted,
            "changed_at": statement.excluded.changed_at,
        },
        where=changes.c.seq < statement.excluded.seq if only_later else None,
    )


_NOTE_CHANGE = {
    "sqlite": note_change_statement(sqlite.Insert),
    "postgresql": note_change_statement(postgresql.Insert),
}


def format_token(collection: CollectionRecord, seq: int) -> str:
    return f"{TOKEN_PREFIX}{collection.uuid}:{seq}"


def parse_token(token: str) -> tuple[str, int]:
    if not token.startswith(TOKEN_PREFIX):
        raise InvalidSyncToken(f"not a contacthub sync token: {token!r}")
    uuid, _, seq = token[len(TOKEN_PREFIX) :].rpartition(":")
    if not uuid or not seq.isdigit():
        raise InvalidSyncToken(f"malformed sync token: {token!r}")
    return uuid, int(seq)


class ChangesPart(TxBase):
    def record_change(self, collection_id: int, href: str, *, deleted: bool) -> int:
        """Advance the collection's position and note `href` there; returns the position."""
        self.locks.check_held(collection_id)
        now = time.time()
        seq: int = self.conn.execute(
            _ADVANCE, {"collection_id": collection_id, "now": now}
        ).scalar_one()
        self.conn.execute(
            _NOTE_CHANGE[self.conn.dialect.name],
            {
                "collection_id": collection_id,
                "href": href,
                "seq": seq,
                "deleted": deleted,
                "changed_at": now,
            },
        )
        if deleted:
            self._prune_history(collection_id, now - self.store.history_retention)
        return seq

    def record_changes(self, collection_id: int, hrefs: list[str], *, deleted: bool) -> int:
        """Note many hrefs at once, each at a position of its own (bulk imports); returns
        the first of them (the next position when `hrefs` is empty)."""
        if not hrefs:
            return 0
        self.locks.check_held(collection_id)
        now = time.time()
        last: int = self.conn.execute(
            update(collections)
            .where(collections.c.id == collection_id)
            .values(sync_seq=collections.c.sync_seq + len(hrefs), modified_at=now)
            .returning(collections.c.sync_seq)
        ).scalar_one()
        first = last - len(hrefs) + 1
        self.conn.execute(
            _NOTE_CHANGE[self.conn.dialect.name],
            [
                {
                    "collection_id": collection_id,
                    "href": href,
                    "seq": first + offset,
                    "deleted": deleted,
                    "changed_at": now,
                }
                for offset, href in enumerate(hrefs)
            ],
        )
        if deleted:
            self._prune_history(collection_id, now - self.store.history_retention)
        return first

    def bump(self, collection_id: int) -> None:
        """A change of the collection itself (its properties): new ctag, no href."""
        self.locks.check_held(collection_id)
        self.conn.execute(
            update(collections)
            .where(collections.c.id == collection_id)
            .values(sync_seq=collections.c.sync_seq + 1, modified_at=time.time())
        )

    def changed_since(self, collection: CollectionRecord, token: str) -> Iterator[str]:
        """The hrefs changed (written or deleted) after `token`, each once.

        Raises InvalidSyncToken for a token of another collection, one from
        the future, or one older than the history kept.
        """
        uuid, seq = parse_token(token)
        if uuid != collection.uuid:
            raise InvalidSyncToken("the sync token belongs to another collection")
        if seq > collection.sync_seq:
            raise InvalidSyncToken("the sync token is newer than the collection")
        if seq < collection.history_floor:
            raise InvalidSyncToken("the sync token is older than the history kept")
        found = [
            (row.seq, row.href)
            for row in self.conn.execute(
                select(changes.c.seq, changes.c.href).where(
                    changes.c.collection_id == collection.id, changes.c.seq > seq
                )
            )
        ]
        if collection.published_seq > seq:
            # The latest published run's entries, not yet settled into the log: all of
            # them at the one position where the run appeared.
            found.extend(
                (collection.published_seq, href)
                for href in self.conn.execute(
                    select(pending_changes.c.href).where(
                        pending_changes.c.collection_id == collection.id,
                        pending_changes.c.gen <= collection.published_gen,
                    )
                ).scalars()
            )
        found.sort()
        return iter(dict.fromkeys(href for _, href in found))

    def _prune_history(self, collection_id: int, cutoff: float) -> None:
        """Forget deleted hrefs older than the retention; tokens before them expire."""
        expired = and_(
            changes.c.collection_id == collection_id,
            changes.c.deleted.is_(True),
            changes.c.changed_at < cutoff,
        )
        newest_expired = self.conn.execute(select(func.max(changes.c.seq)).where(expired)).scalar()
        if newest_expired is None:
            return
        self.conn.execute(changes.delete().where(expired))
        self.conn.execute(
            update(collections)
            .where(collections.c.id == collection_id, collections.c.history_floor < newest_expired)
            .values(history_floor=newest_expired)
        )
