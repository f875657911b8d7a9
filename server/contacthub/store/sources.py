"""Sources: the saved settings of a CSV sync, a phone's push, a mail account."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Executable, select, update
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.base import TxBase
from contacthub.store.errors import AlreadyExists, NotFound
from contacthub.store.records import SourceRecord
from contacthub.store.schema import sources


def _insert_once(dialect: type[sqlite.Insert] | type[postgresql.Insert]) -> Executable:
    """An insert that does nothing when the owner has a source of that kind and name, even
    one not committed yet (PostgreSQL waits for its transaction)."""
    statement = dialect(sources).on_conflict_do_nothing(
        index_elements=[sources.c.owner, sources.c.kind, sources.c.name]
    )
    return statement.returning(sources.c.id)


_INSERT_SOURCE = {
    "sqlite": _insert_once(sqlite.Insert),
    "postgresql": _insert_once(postgresql.Insert),
}


class SourcesPart(TxBase):
    def create_source(
        self, owner: str, kind: str, name: str, book_path: str, settings: Mapping[str, Any]
    ) -> SourceRecord:
        """A new source; AlreadyExists if the owner has one of that kind and name (also
        when another transaction created it a moment ago)."""
        created = self._insert_source(owner, kind, name, book_path, settings)
        if created is None:
            raise AlreadyExists(f"{owner} already has a {kind} source named {name!r}")
        return created

    def ensure_source(
        self, owner: str, kind: str, name: str, book_path: str, settings: Mapping[str, Any]
    ) -> SourceRecord:
        """The owner's source of that kind and name, created with `book_path` and
        `settings` if there is none; any number of transactions may ask at once."""
        found = self.find_source(owner, kind, name)
        if found is None:
            found = self._insert_source(owner, kind, name, book_path, settings)
        return found or self._require_named(owner, kind, name)

    def _insert_source(
        self, owner: str, kind: str, name: str, book_path: str, settings: Mapping[str, Any]
    ) -> SourceRecord | None:
        self.wrote_other_rows("sources")
        now = time.time()
        source_id = self.conn.execute(
            _INSERT_SOURCE[self.conn.dialect.name],
            {
                "owner": owner,
                "kind": kind,
                "name": name,
                "book_path": book_path,
                "settings": json.dumps(dict(settings)),
                "enabled": True,
                "created_at": now,
                "updated_at": now,
            },
        ).scalar()
        return self.require_source(source_id) if source_id is not None else None

    def _require_named(self, owner: str, kind: str, name: str) -> SourceRecord:
        found = self.find_source(owner, kind, name)
        if found is None:
            raise NotFound(f"{owner} has no {kind} source named {name!r}")
        return found

    def get_source(self, source_id: int) -> SourceRecord | None:
        row = self.conn.execute(select(sources).where(sources.c.id == source_id)).first()
        return SourceRecord.from_row(row) if row else None

    def require_source(self, source_id: int) -> SourceRecord:
        found = self.get_source(source_id)
        if found is None:
            raise NotFound(f"no source {source_id}")
        return found

    def find_source(self, owner: str, kind: str, name: str) -> SourceRecord | None:
        row = self.conn.execute(
            select(sources).where(
                sources.c.owner == owner, sources.c.kind == kind, sources.c.name == name
            )
        ).first()
        return SourceRecord.from_row(row) if row else None

    def list_sources(self, owner: str | None = None, kind: str | None = None) -> list[SourceRecord]:
        query = select(sources).order_by(sources.c.id)
        if owner is not None:
            query = query.where(sources.c.owner == owner)
        if kind is not None:
            query = query.where(sources.c.kind == kind)
        return [SourceRecord.from_row(row) for row in self.conn.execute(query)]

    def update_source(self, source: SourceRecord, **values: Any) -> SourceRecord:
        """Change name, book_path, settings or enabled."""
        self.wrote_other_rows("sources")
        if "settings" in values:
            values["settings"] = json.dumps(dict(values["settings"]))
        self.conn.execute(
            update(sources)
            .where(sources.c.id == source.id)
            .values(updated_at=time.time(), **values)
        )
        return self.require_source(source.id)

    def delete_source(self, source: SourceRecord) -> None:
        """The source, its links and its runs go; its contacts and book stay."""
        self.wrote_other_rows("sources")
        self.conn.execute(sources.delete().where(sources.c.id == source.id))
