"""Cards larger than `[server] max_resource_size`, withheld as Radicale's own storage does.

The limit may be lowered after cards were stored. Radicale's multifilesystem storage then
skips such a file wherever it reads items: a GET (or DELETE) of it answers 404, and it is
left out of multigets, queries and sync-collection answers and of a book's GET. The
plugin does the same, and leaves it out of PROPFIND listings too (Radicale still lists
it there, so a client would ask for it at every sync and never get it).
"""

from __future__ import annotations

from radicale.log import logger

UTF8_MOST = 4  # bytes of one character at most


def is_oversized(text: str, limit: int) -> bool:
    """Whether `text` in UTF-8 is longer than `limit` bytes (encoded only when in doubt)."""
    if len(text) * UTF8_MOST <= limit:
        return False
    return len(text) > limit or len(text.encode("utf-8")) > limit


def withheld(text: str, limit: int, path: str, href: str) -> bool:
    """Whether to withhold a card: oversized, which is logged as Radicale does."""
    if not is_oversized(text, limit):
        return False
    logger.warning(
        "card skipped because its size exceeds [server] max_resource_size %d: %r",
        limit,
        f"{path}/{href}",
    )
    return True
