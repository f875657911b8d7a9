"""Queries over the index columns: CardDAV text-match and search for people."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, not_, or_, select, true

from .base import TxBase
from .records import ItemRecord
from .schema import items

# vCard property -> index column; the column holds every instance, framed by newlines.
INDEXED_PROPERTIES = {
    "FN": items.c.idx_fn,
    "EMAIL": items.c.idx_email,
    "TEL": items.c.idx_tel,
    "ORG": items.c.idx_org,
}
MATCH_TYPES = ("equals", "contains", "starts-with", "ends-with")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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

    def condition(self) -> ColumnElement[bool]:
        column = INDEXED_PROPERTIES[self.prop]
        needle = _escape_like(self.text.lower())
        pattern = {
            "equals": f"%\n{needle}\n%",
            "contains": f"%{needle}%",
            "starts-with": f"%\n{needle}%",
            "ends-with": f"%{needle}\n%",
        }[self.match_type]
        matched = column.like(pattern, escape="\\")
        # A card without the property matches neither a condition nor its negation.
        return and_(_has_values(column), not_(matched) if self.negate else matched)


@dataclass(frozen=True)
class PropertyPresence:
    """A prop-filter without a text-match: defined, or is-not-defined."""

    prop: str
    defined: bool = True

    def condition(self) -> ColumnElement[bool]:
        column = INDEXED_PROPERTIES[self.prop]
        return _has_values(column) if self.defined else column == ""


def combine(conditions: list[ColumnElement[bool]], *, all_of: bool) -> ColumnElement[bool]:
    """anyof / allof, as RFC 6352 (an empty anyof matches nothing, as in Radicale)."""
    if not conditions:
        return true() if all_of else false()
    return and_(*conditions) if all_of else or_(*conditions)


class SearchPart(TxBase):
    def match_items(
        self, collection_id: int, condition: ColumnElement[bool]
    ) -> Iterator[ItemRecord]:
        # No ORDER BY: it would make SQLite walk the href index instead of
        # scanning the narrow index of the matched column.
        rows = self.conn.execute(
            select(items).where(items.c.collection_id == collection_id, condition)
        )
        return (ItemRecord.from_row(row) for row in rows)
