"""Sources: the saved settings of a CSV sync, a phone's push, a mail account."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from contacthub.store.base import TxBase
from contacthub.store.errors import AlreadyExists, NotFound
from contacthub.store.records import SourceRecord
from contacthub.store.schema import sources


class SourcesPart(TxBase):
    def create_source(
        self, owner: str, kind: str, name: str, book_path: str, settings: Mapping[str, Any]
    ) -> SourceRecord:
        if self.find_source(owner, kind, name) is not None:
            raise AlreadyExists(f"{owner} already has a {kind} source named {name!r}")
        now = time.time()
        source_id = self.conn.execute(
            sources.insert()
            .values(
                owner=owner,
                kind=kind,
                name=name,
                book_path=book_path,
                settings=json.dumps(dict(settings)),
                enabled=True,
                created_at=now,
                updated_at=now,
            )
            .returning(sources.c.id)
        ).scalar_one()
        return self.require_source(source_id)

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
        self.conn.execute(sources.delete().where(sources.c.id == source.id))
