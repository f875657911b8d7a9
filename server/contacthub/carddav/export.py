"""GET of a whole address book, streamed: its cards one after another, as they are read.

Radicale answers the GET of a collection with one string it joins in memory,
then encodes and compresses whole: a book of 300 cards with megabyte photos
made the server 1.4 GB larger for that one request. Here the cards are read
from the store in batches of at most BATCH_BYTES and sent as they are read,
so a book of any size costs the server one batch. Each batch is read in a
short transaction of its own, so a long download holds no snapshot open; a
card written during the download is sent as it was or as it became. The
headers are the ones Radicale sends for a book.

The combined book of a one-book client is sent the same way, book by book, each source
book's group card before its cards (contacthub_radicale/union_groups.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from contacthub.carddav.streams import gzipped
from contacthub.store import CollectionRecord, Store
from contacthub.store.bulk import size_batches
from contacthub.vcard.versions import V3, converted
from contacthub_radicale.collection import ctag
from contacthub_radicale.conversions import CONVERSIONS
from contacthub_radicale.items import http_date
from contacthub_radicale.oversized import withheld
from contacthub_radicale.union import union_etag
from contacthub_radicale.union_groups import group_text, read_members

BATCH_CARDS = 1000
BATCH_BYTES = 4 * 1024 * 1024  # one card larger than this is sent on its own


def export_headers(
    books: list[CollectionRecord], gzip: bool, version: str = V3, *, combined: bool = False
) -> list[tuple[str, str]]:
    """The headers of a book's GET (of the combined book of `books`, if `combined`)."""
    record = books[0]
    etag = union_etag(books) if combined else ctag(record)
    title = str(record.props.get("D:displayname") or "Address book")
    if not title.lower().endswith(".vcf"):
        title += ".vcf"
    headers = [
        (
            "Content-Type",
            "text/vcard; charset=utf-8" + ("" if version == V3 else f"; version={version}"),
        ),
        ("Last-Modified", http_date(record.modified_at)),
        ("ETag", etag if version == V3 else f'{etag[:-1]}-{version}"'),
        ("Content-Disposition", f"attachment; filename*=utf-8''{quote(title)}"),
    ]
    if gzip:
        headers.append(("Content-Encoding", "gzip"))
    return headers


def export_body(
    store: Store,
    books: list[CollectionRecord],
    gzip: bool,
    max_resource_size: int,
    version: str = V3,
) -> Iterator[bytes]:
    """The book's cards, each in `version` (converted when stored in the other); of the
    combined book of `books`, each book's in turn, a source book's group card first."""
    cards = _books(store, books, max_resource_size, version)
    return gzipped(cards) if gzip else cards


def _books(
    store: Store, books: list[CollectionRecord], max_resource_size: int, version: str
) -> Iterator[bytes]:
    for index, book in enumerate(books):
        if index:
            yield _group_card(store, book, version).encode()
        yield from _cards(store, book, max_resource_size, version)


def _group_card(store: Store, book: CollectionRecord, version: str) -> str:
    with store.read() as tx:
        text = group_text(book, read_members(tx, book))
    return text if version == V3 else converted(text, version)


def _cards(
    store: Store, record: CollectionRecord, max_resource_size: int, version: str
) -> Iterator[bytes]:
    collection_id = record.id
    after = ""
    while True:
        with store.read() as tx:
            sizes = list(tx.sizes_after(collection_id, after, BATCH_CARDS))
        if not sizes:
            return
        for batch in size_batches(sizes, BATCH_BYTES):
            with store.read() as tx:
                found = tx.get_items(collection_id, batch)
            # A card deleted since its size was read is left out, and so is one over
            # the size limit (contacthub_radicale/oversized.py); the others go in
            # `version` (converted when stored in the other).
            records = (
                found[href]
                for href in batch
                if href in found
                and not withheld(found[href].text, max_resource_size, record.path, href)
            )
            texts = (CONVERSIONS.converted(r.etag, r.text, version) for r in records)
            yield "".join(texts).encode()
        after = sizes[-1][0]
