"""Reading rows that may be many (and big) a few at a time, without paying for it when
they are few.

SQLAlchemy's `yield_per` reads a few rows at a time: on PostgreSQL through a server-side
cursor, whose DECLARE and CLOSE are two more round trips, and a FETCH for each few. Most
of a phone's requests read a handful of rows (the cards changed since its last sync, a
multiget of them), so those are read at once. More cards known by their hrefs are read
in groups by their lengths (`groups_by_size`): a multiget of 100 ordinary cards is two
statements (the lengths, then the cards), not a cursor and seven fetches of 16.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVarTuple

from sqlalchemy import Connection, Integer, Row, Select, bindparam

Columns = TypeVarTuple("Columns")

# Rows held at most by a reader that stops early (a budget spent, a page full): a card's
# text may be a megabyte (a photo).
BATCH = 16


def rows_of(
    conn: Connection, query: Select[*Columns], values: dict[str, Any], at_most: int
) -> Iterable[Row[*Columns]]:
    """The rows of `query` with `values`, which returns no more than `at_most` of them."""
    if at_most <= BATCH:
        return conn.execute(query, values).all()
    return conn.execute(query, values, execution_options={"yield_per": BATCH})


# Bytes of card texts a reader holds at once when it reads them in groups by their lengths.
GROUP_BYTES = 1024 * 1024


def groups_by_size(lengths: Iterable[tuple[str, int]], limit: int = GROUP_BYTES) -> list[list[str]]:
    """The keys of `lengths`, in groups whose lengths add up to at most `limit` (a longer
    one on its own), in the order given."""
    groups: list[list[str]] = []
    held = 0
    for key, length in lengths:
        if not groups or held + length > limit:
            groups.append([])
            held = 0
        groups[-1].append(key)
        held += length
    return groups


# The limit of a statement `first_rows` reads, given at each execution.
ROWS_LIMIT = bindparam("rows_limit", type_=Integer)


def first_rows(
    conn: Connection, query: Select[*Columns], values: dict[str, Any], limit: int
) -> Iterable[Row[*Columns]]:
    """The first `limit` rows of `query` (ordered, its limit ROWS_LIMIT) with `values`: a
    batch at once, and the rest streamed only when that batch came back full."""
    first = conn.execute(query, values | {"rows_limit": min(limit, BATCH)}).all()
    if len(first) < BATCH or limit <= BATCH:
        return first
    return conn.execute(query.execution_options(yield_per=BATCH), values | {"rows_limit": limit})


def every_row(
    conn: Connection, first: Select[*Columns], every: Select[*Columns], values: dict[str, Any]
) -> Iterable[Row[*Columns]]:
    """All rows of the query `every` (ordered) with `values`, and `first` the same query
    limited to BATCH rows: that batch at once, and `every` only when it came back full. A
    home's PROPFIND lists the items of the home itself, which has none: one statement,
    not a cursor's three round trips."""
    rows = conn.execute(first, values).all()
    if len(rows) < BATCH:
        return rows
    return conn.execute(every, values)
