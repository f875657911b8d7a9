"""What the API answers and the admin page shows of books, contacts, runs and imports:
plain dicts made from what the services return."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import vobject

from contacthub.reconcile import applied, effect
from contacthub.services.books import Book
from contacthub.services.contacts import ContactsPage
from contacthub.services.imports import ImportSummary
from contacthub.sources.csv import Mapping, delimiter_name
from contacthub.sources.csv.source import ImportView
from contacthub.store import ItemRecord, RunRecord


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def run_json(run: RunRecord) -> dict[str, Any]:
    """A run; its counts are what it did when `applied`, what it would have done when not
    (a refused or failed run changed nothing), and `effect` says which in words."""
    return {
        "id": run.id,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "counts": run.counts,
        "applied": applied(run.status),
        "effect": effect(run.status, run.counts),
        "message": run.message,
        "problems": run.problems,
    }


def sync_run_json(run: RunRecord) -> dict[str, Any]:
    """A run as /imports shows it, and what became of its report email."""
    return {**run_json(run), "email": run.email}


def book_json(book: Book) -> dict[str, Any]:
    kind, name = book.source if book.source else ("carddav", None)
    return {
        "id": book.id,
        "display_name": book.record.display_name,
        "contacts": book.contacts,
        "default": book.is_default,
        "source": {"kind": kind, "name": name, "names": book.source_names},
    }


def _values(card: Any, name: str) -> list[str]:
    found: list[str] = []
    for prop in card.contents.get(name, []):
        value = prop.value
        parts = value if isinstance(value, list) else [value]
        found.extend(str(part) for part in parts if str(part).strip())
    return found


def contact_json(item: ItemRecord, book_id: str, *, with_vcard: bool) -> dict[str, Any]:
    """A contact as the API shows it; the fields come from the stored card as sent."""
    emails: list[str] = []
    phones: list[str] = []
    org: str | None = None
    try:
        card = vobject.readOne(item.text, validate=False)
    except Exception:  # a card stored before validation existed: show what the index has
        card = None
    if card is not None:
        emails = _values(card, "email")
        phones = _values(card, "tel")
        orgs = _values(card, "org")
        org = orgs[0] if orgs else None
    shown: dict[str, Any] = {
        "id": item.href,
        "book": book_id,
        "uid": item.uid,
        "etag": item.etag,
        "display_name": item.display_name,
        "emails": emails,
        "phones": phones,
        "org": org,
    }
    if with_vcard:
        shown["vcard"] = item.text
    return shown


def contacts_page_json(page: ContactsPage) -> dict[str, Any]:
    return {
        "contacts": [
            contact_json(item, book_id, with_vcard=False) for item, book_id in page.contacts
        ],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


def import_summary_json(summary: ImportSummary) -> dict[str, Any]:
    source, settings = summary.source, summary.settings
    return {
        "id": source.id,
        "name": source.name,
        "book": book_id_of(source.book_path),
        "key_column": settings.key_column,
        "update_existing": settings.update_existing,
        "delete_missing": settings.delete_missing,
        "uploaded_at": iso(summary.uploaded_at),
        "last_run": run_json(summary.last_run) if summary.last_run else None,
    }


def import_json(summary: ImportSummary, view: ImportView) -> dict[str, Any]:
    """An import with its file as its settings read it."""
    return import_summary_json(summary) | {
        "filename": view.filename,
        "encoding": view.encoding,
        "encoding_detected": view.encoding_detected,
        "delimiter": delimiter_name(view.delimiter),
        "delimiter_detected": view.delimiter_detected,
        "header": view.header,
        "preview": view.preview,
        "mapping": Mapping.from_json(view.settings.mapping).to_json(),
    }


def book_id_of(book_path: str) -> str:
    return book_path.rsplit("/", 1)[-1]
