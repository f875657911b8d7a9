"""Inserting a run's thousands of rows at once.

On PostgreSQL, COPY: psycopg's executemany sends each row as a statement of its own, and
the server runs each through its executor; COPY streams the rows into one. Measured for
a restore's 10,000 cards (items, versions, the run's pending changes): a third of the
time. Elsewhere (SQLite, a handful of rows), SQLAlchemy's executemany.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Connection, Select, Table

# Fewer rows than this go as statements: COPY's own round trips cost more than it saves.
COPY_FROM = 50
# SQLite's page cache (KiB) while a transaction writes rows by the hundred thousand into
# an index that takes them in no order of its own (a find's (owner, kind, key) index of
# the keys, 10 MB for 100,000 cards): with the default 2 MB each row's leaf page was read
# back, and dirty pages spilled into the WAL before the commit, some again and again.
ROOMY_CACHE_KIB = 32768


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (alike: the same keys) into `table`."""
    if not rows:
        return
    columns = _copied_columns(table, rows[0])
    if conn.dialect.name != "postgresql" or len(rows) < COPY_FROM or columns is None:
        conn.execute(table.insert(), list(rows))
        return
    from psycopg import sql  # the PostgreSQL extra's driver: SQLite installs lack it

    copy_to = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c.name) for c in columns)
    )
    # The connection of SQLAlchemy's transaction: the rows are part of it.
    driver_connection: Any = conn.connection.dbapi_connection
    with driver_connection.cursor() as cursor, cursor.copy(copy_to) as copy:
        for row in rows:
            copy.write_row([row[c.name] if c.name in row else _default(c) for c in columns])


def _copied_columns(table: Table, row: Mapping[str, Any]) -> list[Column[Any]] | None:
    """The columns to copy: those given, and those that have a default of SQLAlchemy's
    (which COPY would not apply); None if a default is not a plain value."""
    columns = []
    for column in table.columns:
        if column.name in row:
            columns.append(column)
        elif column.default is not None:
            if not column.default.is_scalar:
                return None
            columns.append(column)
    return columns


def _default(column: Column[Any]) -> Any:
    assert column.default is not None and column.default.is_scalar
    return column.default.arg  # type: ignore[attr-defined]


def insert_tuples(
    conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert `rows`, each the values of `columns` in order: COPY on PostgreSQL, the
    driver's executemany elsewhere (no dict per row for SQLAlchemy to bind: for a find's
    hundreds of thousands of keys, that was most of its writing)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        from psycopg import sql

        copy_to = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
        )
        driver_connection: Any = conn.connection.dbapi_connection
        with driver_connection.cursor() as cursor, cursor.copy(copy_to) as copy:
            for row in rows:
                copy.write_row(row)
        return
    if conn.dialect.name == "sqlite":
        quote = conn.dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})",  # noqa: S608
            [tuple(row) for row in rows],
        )
        return
    conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])


@contextmanager
def roomy_cache(conn: Connection) -> Iterator[None]:
    """On SQLite, a page cache of ROOMY_CACHE_KIB for what the block writes; the
    connection's own size again after it (the pages over it go at the commit)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())
    conn.exec_driver_sql(f"PRAGMA cache_size=-{ROOMY_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={before}")


def driver_rows(conn: Connection, statement: Select[Any], size: int = 5000) -> Iterator[Any]:
    """The rows of `statement` as the driver's own tuples, taken `size` at a time. No
    SQLAlchemy Row per row: for a find's hundreds of thousands of rows that was a third of
    their read. Only for columns the driver returns as they are (integers, text). (A
    client-side cursor on PostgreSQL too: the planner plans a server-side one for its
    first rows, and a find wants them all.)"""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.params
    if compiled.positiontup is not None:
        params = tuple(params[name] for name in compiled.positiontup)
    driver_connection: Any = conn.connection.dbapi_connection
    cursor = driver_connection.cursor()
    try:
        cursor.execute(compiled.string, params)
        while rows := cursor.fetchmany(size):
            yield from rows
    finally:
        cursor.close()


def size_batches(sizes: Sequence[tuple[str, int]], most_bytes: int) -> Iterator[list[str]]:
    """The hrefs of `sizes` (href, size in bytes), in order, in batches of at most
    `most_bytes` (a larger card comes on its own): what one short read may bring."""
    batch: list[str] = []
    used = 0
    for href, size in sizes:
        if batch and used + size > most_bytes:
            yield batch
            batch, used = [], 0
        batch.append(href)
        used += size
    if batch:
        yield batch
