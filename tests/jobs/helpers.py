"""What the sync tests share: CSV files, syncs of them, and views of the store."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from contacthub.sources.context import RunContext
from contacthub.sources.csv.remote import create_remote_sync, origin_of
from contacthub.sources.settings import parse_schedule, save_settings
from contacthub.store import RunRecord, SourceRecord, Store
from contacthub.store.schema import sources
from tests.fetch.http_server import LocalHTTPServer, ServedFile, Site
from tests.jobs.conftest import OWNER

HEADER = "Name,Email,Company"


def csv_of(*rows: tuple[str, str, str]) -> bytes:
    lines = [HEADER, *(",".join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode()


ANN = ("Ann Archer", "ann@example.org", "Acme")
BOB = ("Bob Baker", "bob@example.org", "Bakery")
CID = ("Cid Carter", "cid@example.org", "Carts")
PEOPLE = csv_of(ANN, BOB)


def crowd(size: int) -> list[tuple[str, str, str]]:
    return [(f"Person {n:02}", f"person{n:02}@example.org", "Crowd") for n in range(size)]


def serve(site: Site, path: str, content: bytes, **options: Any) -> None:
    site.files[path] = ServedFile(content, **options)


def http_sync(
    ctx: RunContext,
    site: Site,
    http: LocalHTTPServer,
    path: str = "/people.csv",
    content: bytes = PEOPLE,
    **origin: Any,
) -> SourceRecord:
    """A sync of a file served at `path` (the creation fetches it once, for its preview)."""
    if path not in site.files:
        serve(site, path, content)
    return create_remote_sync(ctx, OWNER, {"url": http.url(path), **origin})


def schedule(ctx: RunContext, source: SourceRecord, **form: Any) -> SourceRecord:
    """Save a schedule given in the API's form (start, timezone, frequency, ...)."""
    return save_settings(ctx, source, schedule=parse_schedule(form, origin_of(source), ctx.now()))


def reload(store: Store, source: SourceRecord) -> SourceRecord:
    with store.read() as tx:
        return tx.require_source(source.id)


def runs_of(store: Store, source: SourceRecord) -> list[RunRecord]:
    """Every run of the sync, oldest first."""
    with store.read() as tx:
        return sorted(tx.runs_of(source.id, limit=10_000), key=lambda run: run.id)


@dataclass(frozen=True)
class Book:
    sync_seq: int
    cards: tuple[tuple[str, str, str], ...]  # href, etag, text

    @property
    def names(self) -> list[str]:
        return sorted(
            line[3:]
            for _, _, text in self.cards
            for line in text.splitlines()
            if line.startswith("FN:")
        )


def book_of(store: Store, source: SourceRecord) -> Book:
    with store.read() as tx:
        book = tx.require_collection(source.book_path)
        cards = sorted((item.href, item.etag, item.text) for item in tx.iter_items(book.id))
    return Book(book.sync_seq, tuple(cards))


def stored_settings_json(store: Store, source: SourceRecord) -> str:
    """The settings column exactly as the database holds it."""
    with store.engine.connect() as conn:
        return str(
            conn.execute(select(sources.c.settings).where(sources.c.id == source.id)).scalar_one()
        )


def stored_fetch_state(store: Store, source: SourceRecord) -> dict[str, Any] | None:
    saved = json.loads(stored_settings_json(store, source)).get("fetch")
    return saved["state"] if saved else None


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
