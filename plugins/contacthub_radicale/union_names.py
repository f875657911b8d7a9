"""The names of the cards in the combined book: a card of the default book keeps its own;
a card of another book is `~<book uuid>~<href>`, as is a default-book card whose own name
starts with "~", so that the names of different books never collide; each source book's
group card is `~<book uuid>.vcf` (union_groups.py)."""

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


# A source book's group card is `~<book uuid>.vcf`: one mark only, a name no card of any
# book has in the combined book (each of theirs is plain or has two marks).
GROUP_SUFFIX = ".vcf"


def group_href(book_uuid: str) -> str:
    return f"{MARK}{book_uuid}{GROUP_SUFFIX}"


def group_book(href: str) -> str | None:
    """The uuid of the book whose group card `href` names; None for any other name."""
    if not href.startswith(MARK) or not href.endswith(GROUP_SUFFIX):
        return None
    book_uuid = href[len(MARK) : -len(GROUP_SUFFIX)]
    return book_uuid if book_uuid and MARK not in book_uuid else None
