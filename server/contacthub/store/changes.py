"""The change log: sync tokens are positions in it (RFC 6578).

Each collection counts its writes in `sync_seq`; the log keeps, for every
href, the position of its latest change. A sync-collection REPORT then costs
O(changes since the token), never O(items), and a long answer is cut into
pages in the log's order (RFC 6578 3.6), each page's token continuing after it.

A published run's entries sit at one position (store/staging.py): settled or not, they
share a `seq`, so the log's order is (seq, href) and a page may stop inside a position;
its token then names the last href it gave.
"""

from __future__ import annotations

import base64
import binascii
import functools
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Executable,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.base import TxBase
from contacthub.store.errors import InvalidSyncToken
from contacthub.store.records import CollectionRecord
from contacthub.store.schema import changes, collections, items, pending_changes
from contacthub.store.streaming import ROWS_LIMIT, first_rows
from contacthub.store.visible import visible

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


@dataclass(frozen=True)
class Position:
    """Where a token stands in a collection's log: changes after (`seq`, `href`) are still
    to come (`href` None: after all of `seq`), and the client saw the collection at `seen`."""

    seq: int
    seen: int
    href: str | None = None


def format_token(collection: CollectionRecord, seq: int, seen: int | None = None) -> str:
    """The token of a position in the collection's log.

    A page that stops at `seq` of a collection the client saw at `seen` (a later
    position) carries both: the changes after `seq` are still to come, and the
    client holds nothing changed after `seen` (so it misses no deletion while the
    history kept reaches back to `seen`).
    """
    if seen is None or seen == seq:
        return f"{TOKEN_PREFIX}{collection.incarnation}:{seq}"
    return f"{TOKEN_PREFIX}{collection.incarnation}:{seq}:{seen}"


def format_page_token(collection: CollectionRecord, position: Position) -> str:
    """A page's token; one that stops inside a position names its last href (base64url:
    an href may hold colons)."""
    token = f"{TOKEN_PREFIX}{collection.incarnation}:{position.seq}:{position.seen}"
    if position.href is None:
        return token
    encoded = base64.urlsafe_b64encode(position.href.encode()).decode().rstrip("=")
    return f"{token}:h{encoded}"


def parse_token(token: str) -> tuple[str, Position]:
    """The collection's uuid and the position the token stands at."""
    if not token.startswith(TOKEN_PREFIX):
        raise InvalidSyncToken(f"not a contacthub sync token: {token!r}")
    uuid, *parts = token[len(TOKEN_PREFIX) :].split(":")
    href = _href_of(parts.pop(), token) if len(parts) == 3 else None
    if not uuid or len(parts) not in (1, 2) or not all(p.isdigit() for p in parts):
        raise InvalidSyncToken(f"malformed sync token: {token!r}")
    seq, seen = int(parts[0]), int(parts[-1])
    if seen < seq:
        raise InvalidSyncToken(f"malformed sync token: {token!r}")
    return uuid, Position(seq, seen, href)


def _href_of(part: str, token: str) -> str:
    if not part.startswith("h") or len(part) < 2:
        raise InvalidSyncToken(f"malformed sync token: {token!r}")
    padded = part[1:] + "=" * (-len(part[1:]) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidSyncToken(f"malformed sync token: {token!r}") from None


@dataclass(frozen=True)
class ChangesPage:
    """Some of the hrefs changed since a token, and the token that follows them."""

    hrefs: list[str]
    token: str
    complete: bool  # False: more changes follow `token`


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
        position = self._position(collection, token)
        rows = self.conn.execute(
            _changed_since(self._has_unsettled(collection), position.href is not None),
            _log_values(collection) | _position_values(position),
        )
        return iter(dict.fromkeys(rows.scalars()))

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
            position = self._position(collection, token)
            seen = position.seen
            inside = position.href is not None
            values = _position_values(position)
        else:  # the first sync lists the items there are, not the deletions
            seen = collection.sync_seq
            inside = None
            values = {}
        query = _changes_page(self._has_unsettled(collection), inside)
        rows = first_rows(self.conn, query, _log_values(collection) | values, members + 1)
        hrefs: list[str] = []
        used = 0
        last = Position(0, seen)
        for href, seq, size in rows:
            if len(hrefs) >= members or (hrefs and used + size > text_bytes):
                stops_inside = seq == last.seq  # the page stops inside a position
                stop = Position(last.seq, max(last.seq, seen), last.href if stops_inside else None)
                return ChangesPage(hrefs, format_page_token(collection, stop), False)
            hrefs.append(href)
            used += size
            last = Position(seq, seen, href)
        return ChangesPage(hrefs, format_token(collection, collection.sync_seq), True)

    def _has_unsettled(self, collection: CollectionRecord) -> bool:
        """Whether a published run's entries are still in the pending log."""
        if not collection.published_seq:
            return False
        found = self.conn.execute(
            _UNSETTLED_ENTRY,
            {"collection_id": collection.id, "published_gen": collection.published_gen},
        )
        return found.first() is not None

    def _position(self, collection: CollectionRecord, token: str) -> Position:
        """Where `token` stands, if the log still reaches back to what its client saw."""
        incarnation, position = parse_token(token)
        if incarnation != collection.incarnation:
            raise InvalidSyncToken("the sync token belongs to another collection")
        if position.seen > collection.sync_seq:
            raise InvalidSyncToken("the sync token is newer than the collection")
        if position.seen < collection.history_floor:
            raise InvalidSyncToken("the sync token is older than the history kept")
        return position

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


# The change log's reads, built once per shape: a phone syncs every few minutes, and
# building a statement costs more than SQLite takes to run it. Their values are those of
# _log_values() and _position_values().

_UNSETTLED_ENTRY = (
    select(pending_changes.c.href)
    .where(
        pending_changes.c.collection_id == bindparam("collection_id"),
        pending_changes.c.gen <= bindparam("published_gen"),
    )
    .limit(1)
)


def _log_values(collection: CollectionRecord) -> dict[str, object]:
    return {
        "collection_id": collection.id,
        "published_seq": collection.published_seq,
        "published_gen": collection.published_gen,
    }


def _position_values(position: Position) -> dict[str, object]:
    return {"seq": position.seq, "seen": position.seen, "href": position.href}


@functools.cache
def _log(unsettled: bool) -> Subquery:
    """A collection's log as rows (seq, href, deleted): the settled entries and, once a
    run is published and until it settles (`unsettled`), its entries at its position."""
    settled = select(changes.c.seq, changes.c.href, changes.c.deleted).where(
        changes.c.collection_id == bindparam("collection_id")
    )
    if not unsettled:
        return settled.subquery()
    pending = select(
        bindparam("published_seq", type_=Integer).label("seq"),
        pending_changes.c.href,
        pending_changes.c.deleted,
    ).where(
        pending_changes.c.collection_id == bindparam("collection_id"),
        pending_changes.c.gen <= bindparam("published_gen"),
    )
    return settled.union_all(pending).subquery()


def _after(log: Subquery, inside: bool) -> ColumnElement[bool]:
    """The log's rows after the position (seq, href), in the order (seq, href); not
    `inside` a position: after all of `seq`."""
    if not inside:
        return log.c.seq > bindparam("seq")
    return or_(
        log.c.seq > bindparam("seq"),
        and_(log.c.seq == bindparam("seq"), log.c.href > bindparam("href")),
    )


@functools.cache
def _changed_since(unsettled: bool, inside: bool) -> Select[str]:
    log = _log(unsettled)
    return select(log.c.href).where(_after(log, inside)).order_by(log.c.seq, log.c.href)


@functools.cache
def _changes_page(unsettled: bool, inside: bool | None) -> Select[str, int, int]:
    """A page's rows (href, seq, the card's text length): after a token's position
    (`inside` it or not), or with no token (None) every item there is."""
    log = _log(unsettled)
    condition: ColumnElement[bool]
    if inside is None:
        condition = log.c.deleted.is_(False)
    else:
        # Deletions the client saw happen before it synced are of cards it never had.
        condition = and_(
            _after(log, inside), or_(log.c.deleted.is_(False), log.c.seq > bindparam("seen"))
        )
    found = and_(
        items.c.collection_id == bindparam("collection_id"),
        items.c.href == log.c.href,
        visible(bindparam("collection_id")),
    )
    return (
        select(log.c.href, log.c.seq, func.coalesce(func.length(items.c.text), 0))
        .select_from(log.outerjoin(items, found))
        .where(condition)
        .order_by(log.c.seq, log.c.href)
        .limit(ROWS_LIMIT)
    )
