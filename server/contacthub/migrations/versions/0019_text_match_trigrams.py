"""trigram indexes for text-match: FTS5 (trigram) on SQLite, pg_trgm GIN on PostgreSQL

Revision ID: 0019
Revises: 0018

store/text_index.py reads them; built here over the rows already there. On SQLite,
triggers keep the FTS5 table in step with every write of `items`. On PostgreSQL, where
pg_trgm cannot be created (it is trusted since PostgreSQL 13, so a database's owner
may), the migration logs it and queries scan as before.
"""

import logging

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

logger = logging.getLogger("contacthub.migrations")

COLUMNS = ("idx_fn", "idx_email", "idx_tel", "idx_org")
FTS = "items_text"
_LISTED = ", ".join(COLUMNS)
_NEW = ", ".join(f"new.{name}" for name in COLUMNS)
_OLD = ", ".join(f"old.{name}" for name in COLUMNS)
_ADD = f"INSERT INTO {FTS}(rowid, {_LISTED}) VALUES (new.id, {_NEW});"
_REMOVE = f"INSERT INTO {FTS}({FTS}, rowid, {_LISTED}) VALUES ('delete', old.id, {_OLD});"

# The columns hold lower-cased text already: the tokenizer folds nothing more, so that
# its idea of case cannot differ from Python's. External content: only the index is kept.
SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {FTS} USING fts5({_LISTED}, content='items', "
    "content_rowid='id', tokenize='trigram case_sensitive 1')",
    f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON items BEGIN {_ADD} END",
    f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON items BEGIN {_REMOVE} END",
    f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF id, {_LISTED} ON items "
    f"BEGIN {_REMOVE} {_ADD} END",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
)
SQLITE_DROP = (
    *(f"DROP TRIGGER IF EXISTS {FTS}_{event}" for event in ("insert", "delete", "update")),
    f"DROP TABLE IF EXISTS {FTS}",
)


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_CREATE:
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        _create_trigram_indexes()


def _create_trigram_indexes() -> None:
    conn = op.get_bind()
    try:
        with conn.begin_nested():
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as error:  # noqa: BLE001 - any refusal leaves the scanning path
        logger.warning("pg_trgm cannot be created (%s): text-match queries scan", error)
        return
    for name in COLUMNS:
        conn.exec_driver_sql(
            f"CREATE INDEX IF NOT EXISTS ix_items_trgm_{name} ON items "
            f"USING gin ({name} gin_trgm_ops)"
        )


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        for statement in SQLITE_DROP:
            conn.exec_driver_sql(statement)
    elif conn.dialect.name == "postgresql":
        for name in COLUMNS:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS ix_items_trgm_{name}")
