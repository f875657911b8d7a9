"""Engines for the two databases the store runs on, with the settings each needs."""

from __future__ import annotations

import logging
import os
import selectors
import time
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError, SQLAlchemyError

logger = logging.getLogger(__name__)

# Seconds a write waits for another on SQLite before it is refused as busy (StoreBusy).
DEFAULT_BUSY_TIMEOUT = 30.0
# Seconds between two asks for SQLite's write lock by a writer that waits for it.
LOCK_POLL = 0.005


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_busy(error: OperationalError) -> bool:
    """SQLite's "database is locked": the busy timeout passed while another wrote."""
    return "database is locked" in str(error.orig) or "database is busy" in str(error.orig)


def make_engine(url: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """An engine for the store at `url`. Its errors name the statement but never its
    values (`hide_parameters`): they are logged, and the values are people's contacts,
    password hashes and sealed secrets."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _create_private(parsed.database)
        return _sqlite_engine(url, busy_timeout)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            # psycopg 3 is the driver we ship as the extra; plain URLs mean it.
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _postgres_engine(parsed)
    raise ValueError(f"unsupported store URL {url!r}: use sqlite:///PATH or postgresql://...")


# What a run or a restore writes by the thousand, and a phone's requests read by index.
_PLANNED_TABLES = ("items", "changes", "versions")


def refresh_statistics(engine: Engine) -> None:
    """After thousands of rows were written (a run, a restore): PostgreSQL's planner counts
    them now instead of at autovacuum's next round (a minute or more). Until then it took
    a book of 20,000 new cards for a dozen rows and read every one of them for each
    multiget: 16 ms a query instead of 0.2 ms (benchmarks/README.md, serve_memory.py).
    SQLite's plans come from its indexes alone."""
    if is_sqlite(engine):
        return
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {', '.join(_PLANNED_TABLES)}")
    except SQLAlchemyError:  # the writes are kept; autovacuum counts them in its time
        logger.warning("could not refresh the planner's statistics", exc_info=True)


def _postgres_engine(url: URL) -> Engine:
    engine = create_engine(
        url,
        hide_parameters=True,
        pool_size=10,
        max_overflow=20,
    )

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if closed_by_server(dbapi_connection):
            raise DisconnectionError("the server closed the connection while it was idle")

    return engine


# psycopg prepares a statement it has run five times, and PostgreSQL may then keep a
# generic plan, made once for any values. For a run's `href IN (...500 hrefs...)` that
# plan scanned all of the run's rows at every batch of its settling: 70 ms a statement
# instead of 3, seconds for 10,000 cards (benchmarks/README.md, history_restore.py). So a
# write transaction plans each statement for its values. Reads keep PostgreSQL's choice: a
# phone's requests are a few small statements by index, and planning them at every
# request was a quarter of PostgreSQL's CPU under the load test (benchmarks/README.md).
_PLAN_FOR_THE_VALUES = "SET LOCAL plan_cache_mode = force_custom_plan"


def plan_writes_for_their_values(conn: Connection) -> None:
    """In a write transaction just begun: on PostgreSQL, plan its statements for the
    values they are given (a statement at the start of the transaction; none on SQLite)."""
    if not is_sqlite(conn.engine):
        conn.exec_driver_sql(_PLAN_FOR_THE_VALUES)


def closed_by_server(dbapi_connection: Any) -> bool:
    """Whether PostgreSQL has written to a connection that sat idle in the pool.

    It only does so to end it: a restart, a shutdown or pg_terminate_backend() sends its
    FATAL message and closes the socket. Looking for that costs no round trip, where
    SQLAlchemy's pool_pre_ping sent a SELECT 1 at every checkout, three times in a phone's
    sync-collection (benchmarks/README.md, load_test.py). It is the check go-sql-driver/mysql
    makes before reusing a connection (conncheck.go). A server that vanished without
    closing is not seen; a ping would wait as long for it.
    """
    if dbapi_connection.closed:
        return True
    with selectors.DefaultSelector() as selector:
        selector.register(dbapi_connection.fileno(), selectors.EVENT_READ)
        return bool(selector.select(timeout=0))


def _create_private(path: str) -> None:
    """A new SQLite file is created readable by its owner only: it holds everyone's
    contacts (SQLite gives its -wal and -shm files the database file's mode). An existing
    file keeps the mode its owner gave it."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except (FileExistsError, FileNotFoundError):
        pass  # (a missing folder: SQLite's own error says so when the engine connects)


def _sqlite_engine(url: str, busy_timeout: float) -> Engine:
    engine = create_engine(
        url,
        hide_parameters=True,
        connect_args={"check_same_thread": False, "timeout": busy_timeout},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves: pysqlite's implicit transactions start
        # only at the first write, which gives neither snapshot reads nor an
        # early write lock (SQLAlchemy's documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        # No commit checkpoints the WAL: the store's thread does (store/checkpoints.py).
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer takes SQLite's write lock at BEGIN, so an If-Match check and
        # the write it guards cannot interleave with another writer.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE":
            _take_write_lock(connection, busy_timeout)
        else:
            connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _take_write_lock(connection: Any, busy_timeout: float) -> None:
    """BEGIN IMMEDIATE, asking again every LOCK_POLL seconds while another writer holds the
    lock, for up to `busy_timeout` seconds. SQLite's own busy handler asks only every
    100 ms after the first 0.3 s, so a waiting PUT could miss the short pauses a long
    run leaves between its transactions (store/staging.py) and wait for the next ones."""
    deadline = time.monotonic() + busy_timeout
    connection.exec_driver_sql("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as error:
                if not is_busy(error) or time.monotonic() >= deadline:
                    raise
            time.sleep(LOCK_POLL)
    finally:
        connection.exec_driver_sql(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
