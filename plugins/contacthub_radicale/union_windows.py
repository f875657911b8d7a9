"""The windows of a PROPFIND Depth 1 of the combined book: each book's members in windows
of their own (window.py), the default book first, so that a listing of every book of an
account holds one window at a time. A source book's group card is listed in the book's
first window; the group card of a book with no cards, in the listing's first window."""

from __future__ import annotations

from dataclasses import replace

from contacthub.store import CollectionRecord, Transaction
from contacthub_radicale.window import CARD_BYTES, MEMBERS, ListingWindow, plan


def plan_books(
    tx: Transaction,
    books: list[CollectionRecord],
    members: int = MEMBERS,
    card_bytes: int = CARD_BYTES,
) -> list[ListingWindow]:
    """The windows of the combined book of `books` (the default book first)."""
    windows: list[ListingWindow] = []
    empty: list[int] = []
    for index, book in enumerate(books):
        planned = plan(tx.sizes_after(book.id), members, card_bytes)
        if not planned:
            if index:
                empty.append(book.id)
            continue
        group = (book.id,) if index else ()
        for number, window in enumerate(planned):
            windows.append(
                replace(
                    window,
                    first=not windows,
                    book=book.id,
                    groups=group if number == 0 else (),
                )
            )
    if not windows:
        return [ListingWindow("", "", first=True, groups=tuple(empty))] if empty else []
    windows[0] = replace(windows[0], groups=(*windows[0].groups, *empty))
    return windows
