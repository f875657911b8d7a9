"""A portable dump of the store: every table as JSON lines, read in one snapshot.

One format for SQLite and PostgreSQL, chosen over each database's own tools: SQLite's
online backup API copies a file only SQLite reads, and pg_dump needs client binaries of
the server's major version on the machine that runs it. Reading every table with
SQLAlchemy Core inside one read transaction (a SQLite read transaction in WAL mode, a
PostgreSQL REPEATABLE READ read-only one: `Store.read`) is as consistent as either while
`serve` writes, needs nothing but the store's own driver, and loads into either kind of
store (a SQLite server moves to PostgreSQL by backup and restore).
On SQLite the snapshot holds the write-ahead log: while a backup reads, the log grows by
what `serve` writes and starts over after it (store/checkpoints.py waits for no reader).

Tables are read as the database has them (reflected), not as this code's schema says,
but for SQLite's FTS5 index of the items (store/text_index.py), which the items' triggers
fill again as the rows load,
with the Alembic revision beside them; loading first brings the empty target to that
revision, inserts the rows, then upgrades to the code's head. Every collection then gets
a new random `sync_epoch`, which every sync token and collection ETag carries: a token
issued before the restore (also one issued after the backup was taken, whose position the
restored counter would reach again with other changes) is refused with 403
valid-sync-token, and its client syncs in full.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import (
    Boolean,
    Connection,
    Engine,
    LargeBinary,
    MetaData,
    Table,
    func,
    inspect,
    select,
    text,
    update,
)

from contacthub.store.engine import is_sqlite
from contacthub.store.errors import StoreError
from contacthub.store.migrate import upgrade
from contacthub.store.schema import collections
from contacthub.store.text_index import FTS_TABLES

VERSION_TABLE = "alembic_version"
BATCH = 1000


class DumpError(StoreError):
    """A dump that cannot be loaded here, or a target that is not empty."""

    code = "cannot_restore"


@dataclass
class DumpedTable:
    name: str
    columns: list[str]
    rows: int = 0


@dataclass
class Dump:
    """What a dump holds: the store's revision and its tables, in an order that loads
    (a table after those its foreign keys name)."""

    revision: str | None
    dialect: str
    tables: list[DumpedTable] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "dialect": self.dialect,
            "tables": [{"name": t.name, "columns": t.columns, "rows": t.rows} for t in self.tables],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Dump:
        tables = [
            DumpedTable(t["name"], list(t["columns"]), int(t["rows"])) for t in data["tables"]
        ]
        return cls(data["revision"], data["dialect"], tables)


def store_tables(conn: Connection) -> list[Table]:
    """The store's tables, as the database has them, parents before children."""
    reflected = MetaData()
    reflected.reflect(bind=conn, only=lambda name, _: name not in FTS_TABLES)
    return [table for table in reflected.sorted_tables if table.name != VERSION_TABLE]


def revision_of(conn: Connection, table_names: list[str]) -> str | None:
    if VERSION_TABLE not in table_names:
        return None
    return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def read_tables(conn: Connection) -> Iterator[tuple[DumpedTable, Iterator[str]]]:
    """Each table and its rows as JSON lines, read in `conn`'s transaction (one snapshot)."""
    for table in store_tables(conn):
        dumped = DumpedTable(table.name, [column.name for column in table.columns])
        yield dumped, _lines(conn, table, dumped)


def _lines(conn: Connection, table: Table, dumped: DumpedTable) -> Iterator[str]:
    """The table's rows as JSON lines, a batch of them at a time."""
    binary = [i for i, column in enumerate(table.columns) if isinstance(column.type, LargeBinary)]
    query = select(table).order_by(*table.primary_key.columns).execution_options(yield_per=BATCH)
    for rows in conn.execute(query).partitions():
        dumped.rows += len(rows)
        yield "".join(json.dumps(_encoded(row, binary)) + "\n" for row in rows)


def _encoded(row: Any, binary: list[int]) -> list[Any]:
    values = list(row)
    for index in binary:
        if values[index] is not None:
            values[index] = {"b64": base64.b64encode(bytes(values[index])).decode()}
    return values


def _decode(value: Any, binary: bool, boolean: bool) -> Any:
    if binary and isinstance(value, dict):
        return base64.b64decode(value["b64"])
    if boolean and value is not None:
        return bool(value)  # SQLite keeps 0/1, PostgreSQL wants a boolean
    return value


def rows_in(engine: Engine) -> dict[str, int]:
    """The number of rows of each of the store's tables (none: a store never opened)."""
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {
            name: conn.execute(select(func.count()).select_from(text(_quoted(conn, name)))).scalar()
            or 0
            for name in names
            if name != VERSION_TABLE and name not in FTS_TABLES
        }


def _quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def check_empty(engine: Engine, where: str) -> None:
    """DumpError naming the tables that hold rows: a restore never mixes two stores."""
    full = sorted(name for name, count in rows_in(engine).items() if count)
    if full:
        raise DumpError(
            f"the store {where} is not empty (rows in {', '.join(full[:5])}"
            f"{', ...' if len(full) > 5 else ''}): restore only into a new, empty store; "
            "nothing was changed"
        )


def load(engine: Engine, dump: Dump, lines_of: dict[str, IO[bytes]]) -> str:
    """Load `dump` into the empty store of `engine`, then bring it to the code's head and
    give every collection a new sync epoch (returned)."""
    if dump.revision is not None:
        upgrade(engine, dump.revision)
    with engine.begin() as conn:
        targets = {table.name: table for table in store_tables(conn)}
        for dumped in dump.tables:
            table = targets.get(dumped.name)
            if table is None or [c.name for c in table.columns] != dumped.columns:
                raise DumpError(
                    f"the table {dumped.name} of the backup does not match this store at "
                    f"revision {dump.revision}"
                )
            _insert(conn, table, lines_of[dumped.name])
        if not is_sqlite(engine):
            _restart_sequences(conn, list(targets.values()))
    upgrade(engine)
    epoch = secrets.token_hex(8)
    with engine.begin() as conn:
        conn.execute(update(collections).values(sync_epoch=epoch))
    return epoch


def _insert(conn: Connection, table: Table, lines: IO[bytes]) -> None:
    names = [column.name for column in table.columns]
    binary = [isinstance(column.type, LargeBinary) for column in table.columns]
    boolean = [isinstance(column.type, Boolean) for column in table.columns]
    batch: list[dict[str, Any]] = []
    for line in lines:
        values = json.loads(line)
        batch.append(
            {
                name: _decode(value, b, flag)
                for name, value, b, flag in zip(names, values, binary, boolean, strict=True)
            }
        )
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)


def _restart_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL: each serial id's sequence after the largest id loaded."""
    for table in tables:
        for column in table.primary_key.columns:
            sequence = conn.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            key, name = _quoted(conn, column.name), _quoted(conn, table.name)
            conn.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE(MAX({key}), 1), MAX({key}) IS NOT NULL) "
                    f"FROM {name}"
                ),
                {"sequence": sequence},
            )
