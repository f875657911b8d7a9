"""What finding duplicates keeps (contacthub.duplicates computes it): the matching keys of
an account's cards with, per book, where in the change log they were read; the pairs a
person dismissed; the account's settings.

The keys are rows of their own, not columns of `items`: they are computed outside the
write path of a card (a PUT does not pay for phone-number parsing), and replaced per book
only by a writer that read from the position the book's row still holds (compare and set),
so two finds at once never leave a card's keys older than the position says.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Executable, and_, func, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.base import TxBase
from contacthub.store.bulk import driver_rows, insert_tuples, roomy_cache
from contacthub.store.schema import (
    accounts,
    collections,
    duplicate_books,
    duplicate_dirty,
    duplicate_dismissals,
    duplicate_groups,
    duplicate_keys,
    duplicate_members,
    duplicate_reasons,
    duplicate_state,
    items,
)
from contacthub.store.search import is_person_row
from contacthub.store.visible import visible

_T = TypeVar("_T")
_CHUNK = 500  # hrefs per IN (...): under SQLite's 999 parameters
_CONTACT_KINDS = ("email", "tel")


@dataclass(frozen=True, slots=True)
class IndexedBook:
    """Where a book's keys were read: its incarnation, the phone region, the position."""

    collection_id: int
    uuid: str
    region: str
    position: int


class IndexedCard(NamedTuple):
    """What the keys of a card are made from: the store's index columns of a person's card
    (group cards are left out). (A tuple: a first find makes 100,000 of them, and a frozen
    dataclass's __init__ cost three times a tuple's.)"""

    href: str
    display_name: str
    emails: str  # lower-cased, framed by "\n" (store/items.py)
    phones: str
    uid: str


CardKey = tuple[str, str, str, str]  # href, kind (email, tel), key, the card's normalised name
Card = tuple[int, str]  # book id, href
# A card that holds a shared key, with what a group shows of it:
# kind, key, book id, href, normalised name ("" for none), UID, display name.
KeyHolder = tuple[str, str, int, str, str, str, str]
# A holder of a shared key: kind, key, book id, href, normalised name ("" for none).
SharedKey = tuple[str, str, int, str, str]
# A person's card as a group shows it: book id, href, UID, display name.
CardFacts = tuple[int, str, str, str]
# A member of a kept group: book id, href, UID, display name.
Member = tuple[int, str, str, str]
# Why a kept group's cards matched: kind, value, the members that hold it.
KeptReason = tuple[str, str, list[Card]]


@dataclass(frozen=True, slots=True)
class KeptGroup:
    """A group as a find keeps and lists it."""

    id: str
    lane: str
    sort_name: str  # the name it is listed by within its lane
    members: list[Member]
    reasons: list[KeptReason]


@dataclass(frozen=True, slots=True)
class CardIdentity:
    collection_id: int
    href: str
    uid: str
    display_name: str


@dataclass(frozen=True, slots=True)
class DuplicateSettings:
    phone_region: str | None = None
    match_similar_names: bool = False
    auto_merge: bool = False


def _upsert_settings(dialect: type[sqlite.Insert] | type[postgresql.Insert]) -> Executable:
    statement = dialect(accounts)
    return statement.on_conflict_do_update(
        index_elements=[accounts.c.name],
        set_={
            "phone_region": statement.excluded.phone_region,
            "match_similar_names": statement.excluded.match_similar_names,
            "auto_merge": statement.excluded.auto_merge,
        },
    )


_SET_SETTINGS = {
    "sqlite": _upsert_settings(sqlite.Insert),
    "postgresql": _upsert_settings(postgresql.Insert),
}


def _insert_book_once(dialect: type[sqlite.Insert] | type[postgresql.Insert]) -> Executable:
    statement = dialect(duplicate_books).on_conflict_do_nothing(
        index_elements=[duplicate_books.c.collection_id]
    )
    return statement.returning(duplicate_books.c.collection_id)


_INSERT_BOOK = {
    "sqlite": _insert_book_once(sqlite.Insert),
    "postgresql": _insert_book_once(postgresql.Insert),
}


def _insert_dismissal(dialect: type[sqlite.Insert] | type[postgresql.Insert]) -> Executable:
    return dialect(duplicate_dismissals).on_conflict_do_nothing()


_DISMISS = {
    "sqlite": _insert_dismissal(sqlite.Insert),
    "postgresql": _insert_dismissal(postgresql.Insert),
}


def _chunks(values: list[_T], size: int = _CHUNK) -> Iterator[list[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _by_book(cards: Iterable[Card]) -> dict[int, list[str]]:
    found: dict[int, set[str]] = {}
    for book_id, href in cards:
        found.setdefault(book_id, set()).add(href)
    return {book_id: sorted(hrefs) for book_id, hrefs in found.items()}


def _reason_rows(owner: str, group: KeptGroup) -> Iterator[tuple[str, str, str, str, str]]:
    """A row per reason, its holders as positions among the members ordered by card."""
    position = {
        (book_id, href): str(at) for at, (book_id, href, _, _) in enumerate(sorted(group.members))
    }
    for kind, value, held in group.reasons:
        yield owner, group.id, kind, value, ",".join(position[card] for card in held)


def _group_id(group: KeptGroup) -> str:
    return group.id


class DuplicatesPart(TxBase):
    # -- the keys ------------------------------------------------------------------------

    def indexed_books(self, owner: str) -> dict[int, IndexedBook]:
        rows = self.conn.execute(select(duplicate_books).where(duplicate_books.c.owner == owner))
        return {
            row.collection_id: IndexedBook(row.collection_id, row.uuid, row.region, row.position)
            for row in rows
        }

    def indexed_cards(self, collection_id: int, hrefs: list[str] | None) -> Iterator[IndexedCard]:
        """The person cards of the book (those at `hrefs` only, when given) as their keys
        need them, read as they are taken."""
        columns = (
            items.c.href,
            items.c.display_name,
            items.c.idx_email,
            items.c.idx_tel,
            items.c.uid,
        )
        where = (items.c.collection_id == collection_id, visible(collection_id), is_person_row())
        if hrefs is None:
            rows = driver_rows(self.conn, select(*columns).where(*where))
            yield from map(IndexedCard._make, rows)
            return
        for chunk in _chunks(hrefs):
            rows = self.conn.execute(select(*columns).where(*where, items.c.href.in_(chunk)))
            yield from (IndexedCard(*row) for row in rows)

    def replace_duplicate_keys(
        self,
        owner: str,
        read_from: IndexedBook | None,
        read_at: IndexedBook,
        hrefs: list[str] | None,
        keys: list[CardKey],
    ) -> bool:
        """Replace the keys of the cards at `hrefs` (None: of the whole book) with `keys`,
        read at `read_at`, if the book's keys are still those read at `read_from` (None:
        the book had none); False, and nothing written, if another writer moved them on.
        The cards, and the holders of the keys they had, are the next find's to regroup
        (a whole book: every group)."""
        self.wrote_other_rows("duplicate keys")
        book_id = read_at.collection_id
        if not self._move_position(owner, read_from, read_at):
            return False
        if hrefs is None:
            self.forget_groups(owner)
            self.conn.execute(
                duplicate_keys.delete().where(duplicate_keys.c.collection_id == book_id)
            )
        else:
            self.mark_dirty(owner, [(book_id, href) for href in hrefs])
            for chunk in _chunks(hrefs):
                self._mark_holders_dirty(owner, book_id, chunk)
                self.conn.execute(
                    duplicate_keys.delete().where(
                        duplicate_keys.c.collection_id == book_id,
                        duplicate_keys.c.href.in_(chunk),
                    )
                )
        # In the primary key's order: each row goes next to the last one written.
        rows = [(book_id, href, kind, key, name, owner) for href, kind, key, name in sorted(keys)]
        with roomy_cache(self.conn) if hrefs is None else nullcontext():
            insert_tuples(
                self.conn,
                duplicate_keys,
                ("collection_id", "href", "kind", "key", "name", "owner"),
                rows,
            )
        return True

    def _mark_holders_dirty(self, owner: str, book_id: int, hrefs: list[str]) -> None:
        held = select(duplicate_keys.c.kind, duplicate_keys.c.key).where(
            duplicate_keys.c.collection_id == book_id, duplicate_keys.c.href.in_(hrefs)
        )
        rows = self.conn.execute(
            select(duplicate_keys.c.collection_id, duplicate_keys.c.href)
            .where(
                duplicate_keys.c.owner == owner,
                tuple_(duplicate_keys.c.kind, duplicate_keys.c.key).in_(held),
            )
            .distinct()
        )
        self.mark_dirty(owner, [(book_id, href) for book_id, href in rows])

    def _move_position(
        self, owner: str, read_from: IndexedBook | None, read_at: IndexedBook
    ) -> bool:
        values = {"uuid": read_at.uuid, "region": read_at.region, "position": read_at.position}
        if read_from is None:
            inserted = self.conn.execute(
                _INSERT_BOOK[self.conn.dialect.name],
                {"collection_id": read_at.collection_id, "owner": owner, **values},
            ).scalar()
            return inserted is not None
        moved = self.conn.execute(
            update(duplicate_books)
            .where(
                duplicate_books.c.collection_id == read_from.collection_id,
                duplicate_books.c.uuid == read_from.uuid,
                duplicate_books.c.region == read_from.region,
                duplicate_books.c.position == read_from.position,
            )
            .values(**values)
        )
        return moved.rowcount == 1

    def count_duplicate_keys(self) -> None:
        """Let PostgreSQL's planner know the keys just written: a whole book's, before
        autovacuum counted them, planned the read of the shared keys' holders for a few
        rows (nested loops: a first find's groups took 45 s instead of 2)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(text("ANALYZE duplicate_keys"))

    def forget_duplicate_keys(self, owner: str, collection_ids: Iterable[int]) -> None:
        """Drop the keys of books that are gone from the account (deleted into the trash)."""
        wanted = list(collection_ids)
        if not wanted:
            return
        self.wrote_other_rows("duplicate keys")
        self.forget_groups(owner)
        self.conn.execute(duplicate_keys.delete().where(duplicate_keys.c.collection_id.in_(wanted)))
        self.conn.execute(
            duplicate_books.delete().where(duplicate_books.c.collection_id.in_(wanted))
        )

    def shared_keys(self, owner: str, most: int) -> Iterator[SharedKey]:
        """Every (kind, key, book id, href, name) of an email or phone key that 2 to `most`
        of the account's cards hold (the cards may be in the trash: `card_facts` says which
        are there), read as they are taken (a first find's hundreds of thousands of rows
        are not held at once). The holders' UIDs and display names are `card_facts`'s:
        read per card, not per key (a join per key row cost twice the keys' own read)."""
        k = duplicate_keys
        where = [k.c.owner == owner, k.c.kind.in_(_CONTACT_KINDS)]
        shared = (
            select(k.c.kind, k.c.key)
            .where(*where)
            .group_by(k.c.kind, k.c.key)
            .having(func.count().between(2, most))
            .subquery()
        )
        rows = (
            select(k.c.kind, k.c.key, k.c.collection_id, k.c.href, k.c.name)
            .select_from(
                shared.join(
                    k, and_(k.c.owner == owner, k.c.kind == shared.c.kind, k.c.key == shared.c.key)
                )
            )
            .where(*where)
        )
        return driver_rows(self.conn, rows)

    def card_facts(self, collection_ids: Iterable[int]) -> Iterator[CardFacts]:
        """Each person's card of the books that is there (group cards are left out): book
        id, href, UID, display name; read as they are taken."""
        for book_id in collection_ids:
            rows = select(
                items.c.collection_id, items.c.href, items.c.uid, items.c.display_name
            ).where(items.c.collection_id == book_id, visible(book_id), is_person_row())
            yield from driver_rows(self.conn, rows)

    def shared_keys_of(self, owner: str, most: int, keys: list[tuple[str, str]]) -> list[KeyHolder]:
        """The holders of `keys` only, with what `card_facts` reads of each."""
        found: list[KeyHolder] = []
        for kind in _CONTACT_KINDS:
            values = sorted({key for its_kind, key in keys if its_kind == kind})
            for chunk in _chunks(values):
                found.extend(self._shared_key_holders(owner, most, (kind, chunk)))
        return found

    def _shared_key_holders(
        self, owner: str, most: int, keys: tuple[str, list[str]] | None
    ) -> Iterator[KeyHolder]:
        """(`keys`: a kind and keys of it: a seek each in the (owner, kind, key) index.)"""
        k = duplicate_keys
        if keys is None:
            where = [k.c.owner == owner, k.c.kind.in_(_CONTACT_KINDS)]
        else:
            where = [k.c.owner == owner, k.c.kind == keys[0], k.c.key.in_(keys[1])]
        shared = (
            select(k.c.kind, k.c.key)
            .where(*where)
            .group_by(k.c.kind, k.c.key)
            .having(func.count().between(2, most))
            .subquery()
        )
        rows = self.conn.execute(
            select(
                k.c.kind,
                k.c.key,
                k.c.collection_id,
                k.c.href,
                k.c.name,
                items.c.uid,
                items.c.display_name,
            )
            .select_from(
                shared.join(
                    k, and_(k.c.owner == owner, k.c.kind == shared.c.kind, k.c.key == shared.c.key)
                ).join(
                    items,
                    and_(items.c.collection_id == k.c.collection_id, items.c.href == k.c.href),
                )
            )
            # The holders' own conditions again: SQLite then seeks them in the index
            # instead of reading every key of the account to join the shared ones.
            .where(*where, visible(items.c.collection_id))
            .execution_options(yield_per=2000)
        )
        return (tuple(row) for row in rows)

    def contact_keys_of(self, cards: Iterable[Card]) -> list[tuple[str, str]]:
        """The email and phone keys the cards hold."""
        found: set[tuple[str, str]] = set()
        for book_id, hrefs in _by_book(cards).items():
            for chunk in _chunks(hrefs):
                rows = self.conn.execute(
                    select(duplicate_keys.c.kind, duplicate_keys.c.key).where(
                        duplicate_keys.c.collection_id == book_id, duplicate_keys.c.href.in_(chunk)
                    )
                )
                found.update((kind, key) for kind, key in rows)
        return sorted(found)

    # -- the groups kept ---------------------------------------------------------------

    def groups_state(self, owner: str) -> bool | None:
        """Whether the kept groups include the name lane; None: they are not whole."""
        value = self.conn.execute(
            select(duplicate_state.c.name_lane).where(duplicate_state.c.owner == owner)
        ).scalar()
        return None if value is None else bool(value)

    def forget_groups(self, owner: str) -> None:
        """The next find computes every group again."""
        self.wrote_other_rows("duplicate groups")
        self.conn.execute(duplicate_state.delete().where(duplicate_state.c.owner == owner))

    def mark_dirty(self, owner: str, cards: Iterable[Card]) -> None:
        """These cards' groups are the next find's to compute again."""
        wanted = {card for card in cards}
        if not wanted:
            return
        self.wrote_other_rows("duplicate groups")
        known = set(self.dirty_cards(owner))
        insert_tuples(
            self.conn,
            duplicate_dirty,
            ("owner", "collection_id", "href"),
            [(owner, book_id, href) for book_id, href in sorted(wanted - known)],
        )

    def dirty_cards(self, owner: str) -> list[Card]:
        rows = self.conn.execute(
            select(duplicate_dirty.c.collection_id, duplicate_dirty.c.href).where(
                duplicate_dirty.c.owner == owner
            )
        )
        return [(book_id, href) for book_id, href in rows]

    def groups_of(self, owner: str, cards: Iterable[Card]) -> dict[str, list[Card]]:
        """The kept groups that hold one of the cards: their ids and all their members."""
        m = duplicate_members
        ids: set[str] = set()
        for book_id, hrefs in _by_book(cards).items():
            for chunk in _chunks(hrefs):
                ids.update(
                    self.conn.execute(
                        select(m.c.group_id).where(
                            m.c.owner == owner, m.c.collection_id == book_id, m.c.href.in_(chunk)
                        )
                    ).scalars()
                )
        found: dict[str, list[Card]] = {}
        for chunk in _chunks(sorted(ids)):
            rows = self.conn.execute(
                select(m.c.group_id, m.c.collection_id, m.c.href).where(
                    m.c.owner == owner, m.c.group_id.in_(chunk)
                )
            )
            for group, book_id, href in rows:
                found.setdefault(group, []).append((book_id, href))
        return found

    def kept_group_order(self, owner: str, lane: str | None) -> list[tuple[str, str, str]]:
        """Every kept group (of `lane` only, when given): id, lane, the name it is listed by."""
        g = duplicate_groups
        where = [g.c.owner == owner] + ([g.c.lane == lane] if lane is not None else [])
        return list(driver_rows(self.conn, select(g.c.id, g.c.lane, g.c.sort_name).where(*where)))

    def kept_groups(self, owner: str, ids: list[str] | None) -> dict[str, KeptGroup]:
        """The kept groups `ids` (None: all of them) by id, each with its members and
        reasons: three queries (per 500 ids), not three per group."""
        g, m, r = duplicate_groups, duplicate_members, duplicate_reasons
        found: dict[str, KeptGroup] = {}
        for chunk in [None] if ids is None else _chunks(sorted(set(ids))):

            def where(table: Any, chunk: list[str] | None = chunk) -> list[Any]:
                owned = [table.c.owner == owner]
                column = table.c.id if table is g else table.c.group_id
                return owned if chunk is None else [*owned, column.in_(chunk)]

            # (The driver's own tuples: listing all of a first find's groups read
            # hundreds of thousands of rows, and a Row each was a third of it.)
            for group, lane, name in driver_rows(
                self.conn, select(g.c.id, g.c.lane, g.c.sort_name).where(*where(g))
            ):
                found[group] = KeptGroup(group, lane, name, [], [])
            for group, book_id, href, uid, fn in driver_rows(
                self.conn,
                select(m.c.group_id, m.c.collection_id, m.c.href, m.c.uid, m.c.display_name).where(
                    *where(m)
                ),
            ):
                kept = found.get(group)
                if kept is not None:
                    kept.members.append((book_id, href, uid, fn))
            ordered: dict[str, list[Card]] = {}
            for group, kind, value, holders in driver_rows(
                self.conn, select(r.c.group_id, r.c.kind, r.c.value, r.c.holders).where(*where(r))
            ):
                kept = found.get(group)
                if kept is None:
                    continue
                cards = ordered.get(group)
                if cards is None:
                    cards = ordered[group] = [(m[0], m[1]) for m in sorted(kept.members)]
                kept.reasons.append((kind, value, [cards[int(at)] for at in holders.split(",")]))
        return found

    def replace_groups(
        self,
        owner: str,
        dropped: list[str] | None,
        groups: list[KeptGroup],
        regrouped: list[Card],
        name_lane: bool,
    ) -> None:
        """Drop the groups `dropped` (None: all), keep `groups`, and note that the cards
        `regrouped` were grouped again (a card marked since stays marked)."""
        self.wrote_other_rows("duplicate groups")
        with roomy_cache(self.conn) if dropped is None else nullcontext():
            self._drop_groups(owner, dropped, regrouped)
            self._keep_groups(owner, groups)
        self.conn.execute(duplicate_state.delete().where(duplicate_state.c.owner == owner))
        self.conn.execute(duplicate_state.insert(), {"owner": owner, "name_lane": name_lane})

    def _drop_groups(self, owner: str, dropped: list[str] | None, regrouped: list[Card]) -> None:
        g, m, r, d = duplicate_groups, duplicate_members, duplicate_reasons, duplicate_dirty
        if dropped is None:
            for table in (g, m, r, d):
                self.conn.execute(table.delete().where(table.c.owner == owner))
            return
        for chunk in _chunks(sorted(set(dropped))):
            self.conn.execute(g.delete().where(g.c.owner == owner, g.c.id.in_(chunk)))
            for table in (m, r):
                self.conn.execute(
                    table.delete().where(table.c.owner == owner, table.c.group_id.in_(chunk))
                )
        for book_id, hrefs in _by_book(regrouped).items():
            for chunk in _chunks(hrefs):
                self.conn.execute(
                    d.delete().where(
                        d.c.owner == owner, d.c.collection_id == book_id, d.c.href.in_(chunk)
                    )
                )

    def _keep_groups(self, owner: str, groups: list[KeptGroup]) -> None:
        # Each table's rows in its primary key's order (as duplicate_keys'); the reasons
        # (a rowid table) by group, as their (owner, group_id) index takes them, each
        # group's in their own order.
        by_id = sorted(groups, key=_group_id)
        insert_tuples(
            self.conn,
            duplicate_groups,
            ("owner", "id", "lane", "sort_name"),
            [(owner, group.id, group.lane, group.sort_name) for group in by_id],
        )
        insert_tuples(
            self.conn,
            duplicate_members,
            ("owner", "collection_id", "href", "group_id", "uid", "display_name"),
            sorted(
                (owner, book_id, href, group.id, uid, fn)
                for group in groups
                for book_id, href, uid, fn in group.members
            ),
        )
        insert_tuples(
            self.conn,
            duplicate_reasons,
            ("owner", "group_id", "kind", "value", "holders"),
            [row for group in by_id for row in _reason_rows(owner, group)],
        )

    def card_identities(
        self, cards: Iterable[tuple[int, str]]
    ) -> dict[tuple[int, str], CardIdentity]:
        """The UID and name of each card (book id, href) that is there."""
        by_book: dict[int, list[str]] = {}
        for book_id, href in cards:
            by_book.setdefault(book_id, []).append(href)
        found: dict[tuple[int, str], CardIdentity] = {}
        for book_id, hrefs in by_book.items():
            for chunk in _chunks(sorted(set(hrefs))):
                rows = self.conn.execute(
                    select(items.c.href, items.c.uid, items.c.display_name).where(
                        items.c.collection_id == book_id,
                        items.c.href.in_(chunk),
                        visible(book_id),
                    )
                )
                for href, uid, name in rows:
                    found[(book_id, href)] = CardIdentity(book_id, href, uid, name)
        return found

    def live_book_ids(self, collection_ids: Iterable[int]) -> set[int]:
        """Which of these collections are not in the trash of deleted books."""
        wanted = list(collection_ids)
        if not wanted:
            return set()
        rows = self.conn.execute(
            select(collections.c.id).where(
                collections.c.id.in_(wanted), collections.c.deleted_at.is_(None)
            )
        )
        return set(rows.scalars())

    # -- dismissed pairs -----------------------------------------------------------------

    def dismissed_pairs(self, owner: str) -> set[tuple[str, str]]:
        rows = self.conn.execute(
            select(duplicate_dismissals.c.first, duplicate_dismissals.c.second).where(
                duplicate_dismissals.c.owner == owner
            )
        )
        return {(first, second) for first, second in rows}

    def dismiss_pairs(self, owner: str, pairs: Iterable[tuple[str, str]]) -> None:
        """Remember that each pair (two stable identities, in order) is not one person."""
        now = time.time()
        rows = [
            {"owner": owner, "first": first, "second": second, "dismissed_at": now}
            for first, second in sorted(set(pairs))
        ]
        if not rows:
            return
        self.wrote_other_rows("duplicate dismissals")
        self.conn.execute(_DISMISS[self.conn.dialect.name], rows)

    # -- the account's settings ------------------------------------------------------------

    def duplicate_settings(self, owner: str) -> DuplicateSettings:
        row = self.conn.execute(
            select(
                accounts.c.phone_region, accounts.c.match_similar_names, accounts.c.auto_merge
            ).where(accounts.c.name == owner)
        ).first()
        if row is None:
            return DuplicateSettings()
        return DuplicateSettings(
            row.phone_region, bool(row.match_similar_names), bool(row.auto_merge)
        )

    def set_duplicate_settings(self, owner: str, settings: DuplicateSettings) -> None:
        self.wrote_other_rows("accounts")
        self.conn.execute(
            _SET_SETTINGS[self.conn.dialect.name],
            {
                "name": owner,
                "is_admin": False,
                "created_at": time.time(),
                "phone_region": settings.phone_region,
                "match_similar_names": settings.match_similar_names,
                "auto_merge": settings.auto_merge,
            },
        )


__all__ = [
    "Card",
    "CardFacts",
    "CardIdentity",
    "CardKey",
    "DuplicateSettings",
    "DuplicatesPart",
    "IndexedBook",
    "IndexedCard",
    "KeptGroup",
    "KeptReason",
    "KeyHolder",
    "Member",
    "SharedKey",
]
