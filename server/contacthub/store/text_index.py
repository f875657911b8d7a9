"""Trigram indexes that find the candidates of a text-match without scanning a book.

SQLite: an FTS5 table with the trigram tokenizer over the index columns of `items`
(external content: it keeps only the index), kept in step by triggers, so that every
path that writes `items` (a PUT, a run's COPY or executemany, a move, the trash, a
restore, a cascade) updates it. PostgreSQL: pg_trgm GIN indexes on the same columns,
which its planner uses for the LIKE itself.

The index only narrows the rows: the LIKE of store/search.py still decides, so an
answer is the same with or without it. A term shorter than a trigram (counting the
newlines that frame the values, for equals, starts-with and ends-with) is not narrowed.
"""

from __future__ import annotations

import logging

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)

from contacthub.store.schema import items

logger = logging.getLogger(__name__)

COLUMNS = ("idx_fn", "idx_email", "idx_tel", "idx_org")
FTS_TABLE = "items_text"
# FTS5 keeps its index in these tables beside the virtual one.
FTS_TABLES = frozenset(
    {FTS_TABLE, *(f"{FTS_TABLE}_{part}" for part in ("data", "idx", "docsize", "config"))}
)
TRIGRAM_INDEXES = frozenset(f"ix_items_trgm_{name}" for name in COLUMNS)
SHORTEST_TERM = 3


def has_trigram_indexes(conn: Connection) -> bool:
    """Whether PostgreSQL has the indexes (the migration could create pg_trgm)."""
    if conn.dialect.name != "postgresql":
        return True
    found = conn.execute(
        select(func.count())
        .select_from(text("pg_indexes"))
        .where(text("tablename = 'items' AND indexname LIKE 'ix_items_trgm_%'"))
    ).scalar_one()
    return bool(found == len(COLUMNS))


def warn_if_missing(engine: Engine) -> None:
    """Say at start-up that PostgreSQL's text-matches scan, pg_trgm missing."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        if not has_trigram_indexes(conn):
            logger.warning(
                "no pg_trgm indexes on items (CREATE EXTENSION pg_trgm was refused): "
                "addressbook-query text-matches scan the book; see README, "
                "'Searching a big book'"
            )


_fts = table(FTS_TABLE, column("rowid"))


def narrows(term: str) -> bool:
    return len(term) >= SHORTEST_TERM


def fts_term(prop_column: str, term: str) -> str:
    """An FTS5 query for the rows whose column holds `term` (lower-cased, at least
    SHORTEST_TERM long, newlines included): a quoted phrase of its trigrams, in that
    column."""
    quoted = term.replace('"', '""')
    return f'{{{prop_column}}} : "{quoted}"'


def fts_rows(query: str) -> ColumnElement[bool]:
    """Items whose ids the FTS5 `query` finds."""
    return items.c.id.in_(select(_fts.c.rowid).where(literal_column(FTS_TABLE).match(query)))
