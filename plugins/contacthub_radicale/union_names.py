"""The names of the cards in the combined book: a card of the default book keeps its own;
a card of another book is `~<book uuid>~<href>`, as is a default-book card whose own name
starts with "~", so that the names of different books never collide."""

from __future__ import annotations

MARK = "~"


def union_href(book_uuid: str, href: str, *, default: bool) -> str:
    if default and not href.startswith(MARK):
        return href
    return f"{MARK}{book_uuid}{MARK}{href}"


def split_href(href: str, default_uuid: str) -> tuple[str, str]:
    """The uuid of the book a combined-book name points into, and the card's own name."""
    if href.startswith(MARK):
        book_uuid, mark, own = href[len(MARK) :].partition(MARK)
        if mark and book_uuid and own:
            return book_uuid, own
    return default_uuid, href
