"""The change log: sync tokens are positions in it (RFC 6578).

Each collection counts its writes in `sync_seq`; the log keeps, for every
href, the position of its latest change. A sync-collection REPORT then costs
O(changes since the token), never O(items), and a long answer is cut into
pages in the log's order (RFC 6578 3.6), each page's token continuing after it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Executable, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.base import TxBase
from contacthub.store.errors import InvalidSyncToken
from contacthub.store.records import CollectionRecord
from contacthub.store.schema import changes, collections, items

TOKEN_PREFIX = "urn:contacthub:sync:"

# Built once: every write runs these.
_ADVANCE = (
    update(collections)
    .where(collections.c.id == bindparam("collection_id"))
    .values(sync_seq=collections.c.sync_seq + 1, modified_at=bindparam("now"))
    .returning(collections.c.sync_seq)
)


def _upsert(dialect: type[sqlite.Insert] | type[postgresql.Insert]) -> Executable:
    statement = dialect(changes)
    return statement.on_conflict_do_update(
        index_elements=[changes.c.collection_id, changes.c.href],
        set_={
            "seq": statement.excluded.seq,
            "deleted": statement.excluded.deleted,
            "changed_at": statement.excluded.changed_at,
        },
    )


_NOTE_CHANGE = {"sqlite": _upsert(sqlite.Insert), "postgresql": _upsert(postgresql.Insert)}


def format_token(collection: CollectionRecord, seq: int, seen: int | None = None) -> str:
    """The token of a position in the collection's log.

    A page that stops at `seq` of a collection the client saw at `seen` (a later
    position) carries both: the changes after `seq` are still to come, and the
    client holds nothing changed after `seen` (so it misses no deletion while the
    history kept reaches back to `seen`).
    """
    if seen is None or seen == seq:
        return f"{TOKEN_PREFIX}{collection.uuid}:{seq}"
    return f"{TOKEN_PREFIX}{collection.uuid}:{seq}:{seen}"


def parse_token(token: str) -> tuple[str, int, int]:
    """The collection's uuid, the position after which changes are still to come, and
    the position the client saw the collection at."""
    if not token.startswith(TOKEN_PREFIX):
        raise InvalidSyncToken(f"not a contacthub sync token: {token!r}")
    uuid, *positions = token[len(TOKEN_PREFIX) :].split(":")
    if not uuid or len(positions) not in (1, 2) or not all(p.isdigit() for p in positions):
        raise InvalidSyncToken(f"malformed sync token: {token!r}")
    seq, seen = int(positions[0]), int(positions[-1])
    if seen < seq:
        raise InvalidSyncToken(f"malformed sync token: {token!r}")
    return uuid, seq, seen


@dataclass(frozen=True)
class ChangesPage:
    """Some of the hrefs changed since a token, and the token that follows them."""

    hrefs: list[str]
    token: str
    complete: bool  # False: more changes follow `token`


class ChangesPart(TxBase):
    def record_change(self, collection_id: int, href: str, *, deleted: bool) -> int:
        """Advance the collection's position and note `href` there; returns the position."""
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

    def record_changes(self, collection_id: int, hrefs: list[str], *, deleted: bool) -> None:
        """Note many hrefs at once, each at a position of its own (bulk imports)."""
        if not hrefs:
            return
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

    def bump(self, collection_id: int) -> None:
        """A change of the collection itself (its properties): new ctag, no href."""
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
        seq = self._position(collection, token)
        rows = self.conn.execute(
            select(changes.c.href)
            .where(changes.c.collection_id == collection.id, changes.c.seq > seq)
            .order_by(changes.c.seq)
        )
        return (row.href for row in rows)

    def changes_page(
        self, collection: CollectionRecord, token: str, *, members: int, text_bytes: int
    ) -> ChangesPage:
        """The hrefs changed after `token` (every item's, for no token), in the log's
        order: at most `members` of them, and no more card text than `text_bytes`
        (the first always fits, so every page moves on). A partial page's token
        continues after its last href.

        Raises InvalidSyncToken as changed_since does.
        """
        if token:
            seq = self._position(collection, token)
            seen = parse_token(token)[2]
            # Deletions the client saw happen before it synced are of cards it never had.
            condition = and_(
                changes.c.seq > seq, or_(changes.c.deleted.is_(False), changes.c.seq > seen)
            )
        else:  # the first sync lists the items there are, not the deletions
            seen = collection.sync_seq
            condition = changes.c.deleted.is_(False)
        rows = self.conn.execute(
            select(changes.c.href, changes.c.seq, func.coalesce(func.length(items.c.text), 0))
            .select_from(
                changes.outerjoin(
                    items,
                    and_(
                        items.c.collection_id == changes.c.collection_id,
                        items.c.href == changes.c.href,
                    ),
                )
            )
            .where(changes.c.collection_id == collection.id, condition)
            .order_by(changes.c.seq)
            .limit(members + 1)
            # Rows as they are taken, a few at a time: the page stops reading (and measuring
            # texts: a photo card's is a megabyte) soon after it is full.
            .execution_options(yield_per=16)
        )
        hrefs: list[str] = []
        used = 0
        last = 0
        for href, position, size in rows:
            if len(hrefs) >= members or (hrefs and used + size > text_bytes):
                return ChangesPage(hrefs, format_token(collection, last, max(last, seen)), False)
            hrefs.append(href)
            used += size
            last = position
        return ChangesPage(hrefs, format_token(collection, collection.sync_seq), True)

    def _position(self, collection: CollectionRecord, token: str) -> int:
        """The position after which `token` asks for changes, if the log still has them."""
        uuid, seq, seen = parse_token(token)
        if uuid != collection.uuid:
            raise InvalidSyncToken("the sync token belongs to another collection")
        if seen > collection.sync_seq:
            raise InvalidSyncToken("the sync token is newer than the collection")
        if seen < collection.history_floor:
            raise InvalidSyncToken("the sync token is older than the history kept")
        return seq

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
