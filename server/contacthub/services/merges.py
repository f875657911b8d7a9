"""Merging duplicates, for the API, the admin page and the CLI: contacts named by their
book's id and href, ownership checked (another account's book is NotFound), results as
JSON-able dicts. What a merge does is contacthub.duplicates.merge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from contacthub.duplicates import merge as merging
from contacthub.duplicates.refs import CardRef
from contacthub.errors import Invalid
from contacthub.services.times import iso_time
from contacthub.sources.context import RunContext
from contacthub.store import MergeRecord, check_name
from contacthub.store.errors import UnsafeName


def card_ref(user: str, book_id: str, href: str) -> CardRef:
    """The user's contact `href` of the book `book_id` (Invalid for a name that cannot be
    one: a path, an empty name)."""
    for name, value in (("book", book_id), ("href", href)):
        try:
            check_name(value)
        except UnsafeName:
            raise Invalid(f"{value!r} is not a {name} id.", field=f"contacts.{name}") from None
    return CardRef(f"{user}/{book_id}", href)


def refs_of(user: str, contacts: Iterable[Mapping[str, str]]) -> list[CardRef]:
    return [card_ref(user, contact["book"], contact["href"]) for contact in contacts]


def book_id(path: str) -> str:
    return path.split("/", 1)[-1]


def preview(ctx: RunContext, user: str, refs: list[CardRef]) -> dict[str, Any]:
    found = merging.preview_merge(ctx.store, user, refs)
    return {
        "contacts": [
            {
                "book": book_id(card.book.path),
                "book_name": card.book.display_name,
                "href": card.item.href,
                "uid": card.item.uid,
                "fn": card.item.display_name,
                "edited_at": iso_time(card.edited_at),
                "edited_by_person": card.by_person,
            }
            for card in found.cards
        ],
        "fields": [
            {
                "key": row.key,
                "label": row.label,
                "kind": row.kind,
                "values": [
                    {"id": value.id, "text": value.text, "contacts": list(value.cards)}
                    for value in row.values
                ],
                "chosen": row.chosen,
            }
            for row in found.fields
        ],
        "into": book_id(found.into),
        "keeps": _ref_json(found.keeps) if found.keeps else None,
    }


def merge(
    ctx: RunContext,
    user: str,
    refs: list[CardRef],
    choices: Mapping[str, Sequence[str]] | None,
    into: str | None,
    *,
    via: str,
) -> dict[str, Any]:
    if into is not None:
        card_ref(user, into, "x")  # an id, not a path
    done = merging.merge_cards(ctx.store, user, refs, choices, into, via=via)
    return merge_json(done.merge, book_id(done.merged.book))


def undo(ctx: RunContext, user: str, merge_id: int, *, via: str) -> dict[str, Any]:
    done = merging.undo_merge(ctx.store, user, merge_id, via=via)
    shown = merge_json(done.merge, _book_of(ctx, done.merge))
    shown["changed_later"] = [
        {"book": book_id(later.book), "href": later.href, "fn": later.name}
        for later in done.changed_later
    ]
    return shown


def merges(ctx: RunContext, user: str) -> list[dict[str, Any]]:
    found = merging.merges_of(ctx.store, user)
    with ctx.store.read() as tx:
        books = tx.collections_by_id({merge.collection_id for merge in found})
    return [
        merge_json(merge, book_id(books[merge.collection_id].path))
        if merge.collection_id in books
        else merge_json(merge, None)
        for merge in found
    ]


def _book_of(ctx: RunContext, found: MergeRecord) -> str | None:
    with ctx.store.read() as tx:
        book = tx.collections_by_id([found.collection_id]).get(found.collection_id)
    return book_id(book.path) if book is not None else None


def merge_json(found: MergeRecord, merged_book: str | None) -> dict[str, Any]:
    return {
        "id": found.id,
        "run_id": found.run_id,
        "automatic": found.automatic,
        "state": found.state,
        "created_at": iso_time(found.created_at),
        "undone_at": iso_time(found.undone_at) if found.undone_at is not None else None,
        "merged": {
            "book": merged_book,
            "href": found.href,
            "uid": found.uid,
            "fn": found.display_name,
        },
        "members": [
            {
                "book": book_id(member["book"]),
                "href": member["href"],
                "uid": member["uid"],
                "fn": member["fn"],
            }
            for member in found.members
        ],
    }


def _ref_json(ref: CardRef) -> dict[str, str]:
    return {"book": book_id(ref.book), "href": ref.href}
