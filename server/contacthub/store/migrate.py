"""Schema migrations with Alembic, run in place on the live store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from contacthub.store.schema import SQLITE_ONLY_INDEXES
from contacthub.store.text_index import FTS_TABLES, TRIGRAM_INDEXES

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def schema_filter(dialect_name: str) -> Callable[..., bool]:
    """Alembic's include_object: SQLite-only indexes count on SQLite only; the trigram
    indexes (store/text_index.py) are the migrations' alone."""

    def include_object(_obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        if type_ == "table" and name in FTS_TABLES:
            return False
        if type_ == "index" and name in TRIGRAM_INDEXES:
            return False
        return not (type_ == "index" and name in SQLITE_ONLY_INDEXES and dialect_name != "sqlite")

    return include_object


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The revision the code's migrations end at: what a store at head carries."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()
