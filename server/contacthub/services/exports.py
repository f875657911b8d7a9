"""A book, or all of an account's books, as one file: vCards (as stored, or in one
version) or CSV in Google's or Outlook's format (sources/csv/formats.py), which the
importer reads back to the same contacts.

The file is made as it is read: the contacts of a book are read from the store a page
of hrefs at a time, their cards in batches of at most BATCH_BYTES, each batch in a short
read of its own, and each batch is written out before the next is read. A book of any
size costs one batch, and a long download holds no snapshot open (a card written during
it is sent as it was or as it became). Group cards are not contacts and are left out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from contacthub.errors import BadRequest
from contacthub.services.books import book_named, require_book, user_books
from contacthub.sources.context import RunContext
from contacthub.sources.csv.formats import HEADERS, ROW_WRITERS
from contacthub.store import CollectionRecord, Store
from contacthub.store.bulk import size_batches
from contacthub.vcard.contact_read import contact_fields
from contacthub.vcard.versions import V3, V4, converted, version_of, without_quoted_printable

VCF = "vcf"
FORMATS = (VCF, *ROW_WRITERS)
AS_STORED = "as-stored"
VCARD_VERSIONS = (AS_STORED, V3, V4)
PAGE = 1000  # hrefs asked per query
BATCH_BYTES = 4 * 1024 * 1024  # card text read per batch; a larger card comes on its own
_BOM = "\ufeff"  # Outlook's and Excel's sign of a UTF-8 file


@dataclass(frozen=True)
class Export:
    """What to send: a file name, its media type, and its bytes as they are made."""

    filename: str
    media_type: str
    chunks: Iterator[bytes]


def check_format(value: str) -> str:
    if value not in FORMATS:
        raise BadRequest(f"The format must be one of {', '.join(FORMATS)}.", field="format")
    return value


def check_version(value: str) -> str:
    if value not in VCARD_VERSIONS:
        raise BadRequest(
            f"The vCard version must be one of {', '.join(VCARD_VERSIONS)}.",
            field="vcard_version",
        )
    return value


def books_to_export(
    ctx: RunContext, user: str, book: str | None, *, by_name: bool = False
) -> list[CollectionRecord]:
    """The book `book` (its id; or else its display name when `by_name`), or all of the
    user's books when None; NotFound for a book that is not the user's."""
    if book is not None and by_name:
        return [book_named(ctx, user, book)]
    with ctx.store.read() as tx:
        return [require_book(tx, user, book)] if book is not None else user_books(tx, user)


def export(
    store: Store,
    user: str,
    books: list[CollectionRecord],
    file_format: str,
    vcard_version: str = AS_STORED,
    *,
    one_book: bool = False,
) -> Export:
    """The export of `books` (one book's when `one_book`, else all of `user`'s), checked
    before a byte is made; `vcard_version` applies to the vcf format only."""
    check_format(file_format)
    check_version(vcard_version)
    title = books[0].display_name if one_book and books else f"{user} contacts"
    if file_format == VCF:
        chunks = _vcards(store, books, vcard_version)
        return Export(f"{title}.vcf", "text/vcard; charset=utf-8", chunks)
    kind = "Google" if file_format == "google-csv" else "Outlook"
    chunks = _csv(store, books, file_format)
    return Export(f"{title} ({kind}).csv", "text/csv; charset=utf-8", chunks)


def _vcards(store: Store, books: list[CollectionRecord], version: str) -> Iterator[bytes]:
    as_version = _as_version(version)
    for texts in _card_batches(store, books):
        yield "".join(_ended(as_version(text)) for text in texts).encode()


def _as_version(version: str) -> Callable[[str], str]:
    if version == AS_STORED:
        return lambda text: text
    if version == V3:
        return lambda text: (
            converted(text, V3) if version_of(text) == V4 else without_quoted_printable(text)
        )
    return lambda text: converted(text, V4)


def _ended(text: str) -> str:
    return text if text.endswith(("\n", "\r")) else text + "\r\n"


def _csv(store: Store, books: list[CollectionRecord], file_format: str) -> Iterator[bytes]:
    row_of = ROW_WRITERS[file_format]
    bom = _BOM if file_format == "outlook-csv" else ""
    yield (bom + _csv_text([list(HEADERS[file_format])])).encode()
    for texts in _card_batches(store, books):
        yield _csv_text(row_of(contact_fields(text)) for text in texts).encode()


def _csv_text(rows: Iterator[list[str]] | list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def _card_batches(store: Store, books: list[CollectionRecord]) -> Iterator[list[str]]:
    """The texts of the books' contacts, book by book in href order, in batches."""
    for book in books:
        after = ""
        while True:
            with store.read() as tx:
                sizes = tx.people_sizes_after(book.id, after, PAGE)
            if not sizes:
                break
            for hrefs in size_batches(sizes, BATCH_BYTES):
                with store.read() as tx:
                    found = tx.get_items(book.id, hrefs)
                # A card deleted since its size was read is left out.
                yield [found[href].text for href in hrefs if href in found]
            after = sizes[-1][0]
