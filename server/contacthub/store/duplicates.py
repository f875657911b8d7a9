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
from dataclasses import dataclass

from sqlalchemy import Executable, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.base import TxBase
from contacthub.store.bulk import insert_rows
from contacthub.store.schema import (
    accounts,
    collections,
    duplicate_books,
    duplicate_dismissals,
    duplicate_keys,
    items,
)
from contacthub.store.search import is_person_row
from contacthub.store.visible import visible

_CHUNK = 500  # hrefs per IN (...): under SQLite's 999 parameters


@dataclass(frozen=True, slots=True)
class IndexedBook:
    """Where a book's keys were read: its incarnation, the phone region, the position."""

    collection_id: int
    uuid: str
    region: str
    position: int


@dataclass(frozen=True, slots=True)
class IndexedCard:
    """What the keys of a card are made from: the store's index columns of a person's card
    (group cards are left out)."""

    href: str
    display_name: str
    emails: str  # lower-cased, framed by "\n" (store/items.py)
    phones: str


@dataclass(frozen=True, slots=True)
class CardKey:
    href: str
    kind: str  # email, tel, name
    key: str


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """A card that holds a key."""

    collection_id: int
    href: str
    kind: str
    key: str


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


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


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
        columns = (items.c.href, items.c.display_name, items.c.idx_email, items.c.idx_tel)
        where = (items.c.collection_id == collection_id, visible(collection_id), is_person_row())
        if hrefs is None:
            rows = self.conn.execute(
                select(*columns).where(*where).execution_options(yield_per=2000)
            )
            yield from (IndexedCard(*row) for row in rows)
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
        the book had none); False, and nothing written, if another writer moved them on."""
        self.wrote_other_rows("duplicate keys")
        book_id = read_at.collection_id
        if not self._move_position(owner, read_from, read_at):
            return False
        if hrefs is None:
            self.conn.execute(
                duplicate_keys.delete().where(duplicate_keys.c.collection_id == book_id)
            )
        else:
            for chunk in _chunks(hrefs):
                self.conn.execute(
                    duplicate_keys.delete().where(
                        duplicate_keys.c.collection_id == book_id,
                        duplicate_keys.c.href.in_(chunk),
                    )
                )
        rows = [
            {"collection_id": book_id, "href": k.href, "kind": k.kind, "key": k.key, "owner": owner}
            for k in keys
        ]
        insert_rows(self.conn, duplicate_keys, rows)
        return True

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

    def forget_duplicate_keys(self, collection_ids: Iterable[int]) -> None:
        """Drop the keys of books that are gone from the account (deleted into the trash)."""
        wanted = list(collection_ids)
        if not wanted:
            return
        self.wrote_other_rows("duplicate keys")
        self.conn.execute(duplicate_keys.delete().where(duplicate_keys.c.collection_id.in_(wanted)))
        self.conn.execute(
            duplicate_books.delete().where(duplicate_books.c.collection_id.in_(wanted))
        )

    def shared_keys(self, owner: str, kinds: tuple[str, ...]) -> list[KeyHolder]:
        """Every holder of a key of `kinds` that more than one card of the account holds."""
        shared = (
            select(duplicate_keys.c.kind, duplicate_keys.c.key)
            .where(duplicate_keys.c.owner == owner, duplicate_keys.c.kind.in_(kinds))
            .group_by(duplicate_keys.c.kind, duplicate_keys.c.key)
            .having(func.count() > 1)
        )
        rows = self.conn.execute(
            select(
                duplicate_keys.c.collection_id,
                duplicate_keys.c.href,
                duplicate_keys.c.kind,
                duplicate_keys.c.key,
            ).where(
                duplicate_keys.c.owner == owner,
                tuple_(duplicate_keys.c.kind, duplicate_keys.c.key).in_(shared),
            )
        )
        return [KeyHolder(*row) for row in rows]

    def keys_of_kind(self, owner: str, kind: str) -> list[KeyHolder]:
        rows = self.conn.execute(
            select(
                duplicate_keys.c.collection_id,
                duplicate_keys.c.href,
                duplicate_keys.c.kind,
                duplicate_keys.c.key,
            ).where(duplicate_keys.c.owner == owner, duplicate_keys.c.kind == kind)
        )
        return [KeyHolder(*row) for row in rows]

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
    "CardIdentity",
    "CardKey",
    "DuplicateSettings",
    "DuplicatesPart",
    "IndexedBook",
    "IndexedCard",
    "KeyHolder",
]
