"""Data a source keeps until a person acts on it (an uploaded file, a phone's push)."""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import select

from contacthub.store.base import TxBase
from contacthub.store.records import Upload
from contacthub.store.schema import uploads


class UploadsPart(TxBase):
    def put_upload(self, source_id: int, filename: str, content: bytes) -> Upload:
        self.wrote_other_rows("uploads")
        self.drop_upload(source_id)
        upload = Upload(filename, content, hashlib.sha256(content).hexdigest(), time.time())
        self.conn.execute(
            uploads.insert().values(
                source_id=source_id,
                filename=filename,
                content=content,
                sha256=upload.sha256,
                created_at=upload.created_at,
            )
        )
        return upload

    def get_upload(self, source_id: int) -> Upload | None:
        row = self.conn.execute(select(uploads).where(uploads.c.source_id == source_id)).first()
        return Upload(row.filename, row.content, row.sha256, row.created_at) if row else None

    def drop_upload(self, source_id: int) -> None:
        self.wrote_other_rows("uploads")
        self.conn.execute(uploads.delete().where(uploads.c.source_id == source_id))

    def upload_filename(self, source_id: int) -> str | None:
        """The name of the source's uploaded file, without reading it; None if none."""
        return self.conn.execute(
            select(uploads.c.filename).where(uploads.c.source_id == source_id)
        ).scalar()

    def upload_created_at(self, source_id: int) -> float | None:
        """When the source's pending data arrived, without reading it; None if none."""
        return self.conn.execute(
            select(uploads.c.created_at).where(uploads.c.source_id == source_id)
        ).scalar()
