"""Queries over the index columns: CardDAV text-match and search for people.

Callers describe what they look for in plain values (`TextMatch`, `PropertyPresence`,
`FilterGroup`); only this module turns them into SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeAlias, assert_never

from sqlalchemy import ColumnElement, and_, case, false, func, literal, not_, or_, select, true

from contacthub.store import text_index
from contacthub.store.base import TxBase
from contacthub.store.group_cards import GROUP_MARK
from contacthub.store.records import ItemRecord
from contacthub.store.schema import items
from contacthub.store.visible import visible

# vCard property -> index column; the column holds every instance, framed by newlines.
_COLUMNS = {
    "FN": items.c.idx_fn,
    "EMAIL": items.c.idx_email,
    "TEL": items.c.idx_tel,
    "ORG": items.c.idx_org,
}
INDEXED_PROPERTIES = frozenset(_COLUMNS)
MATCH_TYPES = ("equals", "contains", "starts-with", "ends-with")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def is_group_row() -> ColumnElement[bool]:
    """The row of a group card: its extra values start with the mark (a prefix test)."""
    return items.c.idx_extra.like(f"\n{GROUP_MARK}\n%")


def is_person_row() -> ColumnElement[bool]:
    return not_(is_group_row())


def _has_values(column: ColumnElement[str]) -> ColumnElement[bool]:
    # "> ''" rather than "!= ''": a range SQLite seeks in the column's index,
    # where "!=" left its planner free to pick any index of the table.
    return column > ""


@dataclass(frozen=True)
class TextMatch:
    """One RFC 6352 text-match on an indexed property (case-insensitive, as Radicale's)."""

    prop: str
    text: str
    match_type: str = "contains"
    negate: bool = False


@dataclass(frozen=True)
class PropertyPresence:
    """A prop-filter without a text-match: defined, or is-not-defined."""

    prop: str
    defined: bool = True


@dataclass(frozen=True)
class FilterGroup:
    """RFC 6352's anyof (or, with `all_of`, allof) over `filters`.

    An empty anyof matches nothing, as in Radicale; an empty allof matches every item.
    """

    filters: tuple[CardFilter, ...]
    all_of: bool = False


CardFilter: TypeAlias = TextMatch | PropertyPresence | FilterGroup


def _text_match(match: TextMatch) -> ColumnElement[bool]:
    column = _COLUMNS[match.prop]
    needle = _escape_like(match.text.lower())
    pattern = {
        "equals": f"%\n{needle}\n%",
        "contains": f"%{needle}%",
        "starts-with": f"%\n{needle}%",
        "ends-with": f"%{needle}\n%",
    }[match.match_type]
    matched = column.like(pattern, escape="\\")
    # A card without the property matches neither a condition nor its negation.
    return and_(_has_values(column), not_(matched) if match.negate else matched)


def _condition(card_filter: CardFilter) -> ColumnElement[bool]:
    match card_filter:
        case TextMatch():
            return _text_match(card_filter)
        case PropertyPresence(prop=prop, defined=defined):
            column = _COLUMNS[prop]
            return _has_values(column) if defined else column == ""
        case FilterGroup(filters=filters, all_of=all_of):
            conditions = [_condition(each) for each in filters]
            if not conditions:
                return true() if all_of else false()
            return and_(*conditions) if all_of else or_(*conditions)
        case _:
            assert_never(card_filter)


_FRAMED = {
    "equals": "\n{}\n",
    "contains": "{}",
    "starts-with": "\n{}",
    "ends-with": "{}\n",
}


def _trigram_query(card_filter: CardFilter) -> str | None:
    """An FTS5 query finding at least every item `card_filter` matches, or None if the
    filter can match an item without a term the index holds (a short term, a negation,
    a presence test)."""
    match card_filter:
        case TextMatch(prop=prop, text=text, match_type=match_type, negate=False):
            # The newlines that frame each value are indexed too: a prefix is a substring
            # that starts after one.
            framed = _FRAMED[match_type].format(text.lower())
            if not text_index.narrows(framed):
                return None
            return text_index.fts_term(_COLUMNS[prop].name, framed)
        case FilterGroup(filters=filters, all_of=all_of) if filters:
            parts = [_trigram_query(each) for each in filters]
            if all_of:
                parts = [part for part in parts if part is not None]
            if not parts or None in parts:
                return None
            return (
                " AND ".join(f"({part})" for part in parts)
                if all_of
                else " OR ".join(f"({part})" for part in parts)
            )
        case _:
            return None


class SearchPart(TxBase):
    def match_items(
        self,
        collection_id: int,
        card_filter: CardFilter,
        limit: int | None = None,
        *,
        by_index: bool = True,
    ) -> Iterator[ItemRecord]:
        """The collection's items that `card_filter` matches, in no particular order;
        at most `limit` of them. `by_index=False` scans the book as before the trigram
        index (store/text_index.py), for checking that both answer the same."""
        # No ORDER BY: it would make SQLite walk the href index instead of
        # scanning the narrow index of the matched column.
        in_book = items.c.collection_id == collection_id
        trigrams = _trigram_query(card_filter) if self.is_sqlite and by_index else None
        if trigrams is not None:
            # The FTS5 index finds the candidates; the condition still decides. "+ 0" keeps
            # SQLite from scanning the book's index of the column and testing each row.
            in_book = and_(
                text_index.fts_rows(trigrams), items.c.collection_id + 0 == collection_id
            )
        rows = self.conn.execute(
            select(items)
            .where(
                in_book,
                _condition(card_filter),
                visible(collection_id),
            )
            .limit(limit)
            # Rows in small batches: a reader that stops early never holds more.
            .execution_options(yield_per=50)
        )
        return (ItemRecord.from_row(row) for row in rows)

    def count_items(self, collection_ids: Sequence[int]) -> dict[int, int]:
        """Items per collection (collections without items are left out)."""
        if not collection_ids:
            return {}
        rows = self.conn.execute(
            select(items.c.collection_id, func.count())
            .where(items.c.collection_id.in_(list(collection_ids)), visible(items.c.collection_id))
            .group_by(items.c.collection_id)
        )
        return {collection_id: count for collection_id, count in rows}

    def count_people(self, collection_ids: Sequence[int]) -> dict[int, int]:
        """Contacts per collection, group cards left out (collections without any are
        left out)."""
        if not collection_ids:
            return {}
        rows = self.conn.execute(
            select(items.c.collection_id, func.count())
            .where(
                items.c.collection_id.in_(list(collection_ids)),
                visible(items.c.collection_id),
                is_person_row(),
            )
            .group_by(items.c.collection_id)
        )
        return {collection_id: count for collection_id, count in rows}

    def people_sizes_after(
        self, collection_id: int, after: str, limit: int
    ) -> list[tuple[str, int]]:
        """The hrefs of the collection's contacts (group cards left out) after `after`,
        in href order, the first `limit`, each with its text's length: an export reads
        a book page by page with it, the texts in batches of bounded size."""
        rows = self.conn.execute(
            select(items.c.href, func.length(items.c.text))
            .where(
                items.c.collection_id == collection_id,
                items.c.href > after,
                visible(collection_id),
                is_person_row(),
            )
            .order_by(items.c.href)
            .limit(limit)
        )
        return [(href, size) for href, size in rows]

    def people_uids(self, collection_id: int) -> list[str]:
        """The UIDs of the collection's contacts (group cards left out), in UID order."""
        rows = self.conn.execute(
            select(items.c.uid)
            .where(
                items.c.collection_id == collection_id,
                visible(collection_id),
                items.c.name == "VCARD",
                is_person_row(),
            )
            .order_by(items.c.uid)
        )
        return list(dict.fromkeys(uid for uid in rows.scalars() if uid))

    def search_contacts(
        self, collection_ids: Sequence[int], words: Sequence[str], *, limit: int, offset: int
    ) -> tuple[list[ItemRecord], int]:
        """A page of the collections' contacts (group cards left out) where every word is
        in the name, an email, a phone or the organisation; ordered by name. Returns
        (page, total matches)."""
        if not collection_ids:
            return [], 0
        searched = (*_COLUMNS.values(), items.c.idx_extra)
        condition = and_(
            items.c.collection_id.in_(list(collection_ids)),
            visible(items.c.collection_id),
            is_person_row(),
            *(
                or_(
                    *(
                        column.like(f"%{_escape_like(word.lower())}%", escape="\\")
                        for column in searched
                    )
                )
                for word in words
            ),
        )
        total = self.conn.execute(select(func.count()).where(condition)).scalar_one()
        rows = self.conn.execute(
            select(items)
            .where(condition)
            .order_by(self._by_name(), items.c.collection_id, items.c.href)
            .limit(limit)
            .offset(offset)
        )
        return [ItemRecord.from_row(row) for row in rows], total

    def autocomplete(
        self, collection_ids: Sequence[int], prefix: str, *, limit: int
    ) -> list[tuple[ItemRecord, int]]:
        """Contacts (not group cards) with an email address whose name or an address
        starts with `prefix`.

        Returns (item, rank) best first: rank 0 when a name starts with the
        prefix, 1 when a later word of a name does, 2 when only an email
        address does; then by name.
        """
        if not collection_ids or not prefix:
            return []
        needle = _escape_like(prefix.lower())
        name_prefix = items.c.idx_fn.like(f"%\n{needle}%", escape="\\")
        word_prefix = or_(
            *(items.c.idx_fn.like(f"%{sep}{needle}%", escape="\\") for sep in (" ", "-"))
        )
        email_prefix = items.c.idx_email.like(f"%\n{needle}%", escape="\\")
        rank = case((name_prefix, literal(0)), (word_prefix, literal(1)), else_=literal(2))
        best = (
            select(items.c.id, rank.label("rank"))
            .where(
                items.c.collection_id.in_(list(collection_ids)),
                visible(items.c.collection_id),
                _has_values(items.c.idx_email),
                is_person_row(),
                or_(name_prefix, word_prefix, email_prefix),
            )
            .order_by(rank, self._by_name(), items.c.collection_id, items.c.href)
            .limit(limit)
        ).subquery()
        # Only the winners' rows (with their cards) are read.
        rows = self.conn.execute(
            select(items, best.c.rank)
            .join(best, best.c.id == items.c.id)
            .order_by(best.c.rank, self._by_name(), items.c.collection_id, items.c.href)
        )
        return [(ItemRecord.from_row(row), row.rank) for row in rows]

    def _by_name(self) -> ColumnElement[str]:
        lowered = func.lower(items.c.display_name)
        # Byte order on both databases, so that SQLite and PostgreSQL agree.
        return lowered if self.is_sqlite else lowered.collate("C")
