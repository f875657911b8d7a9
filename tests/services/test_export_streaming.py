"""An export reads a book as it writes the file: a page of contacts at a time, each page
read when the file has come that far, never the whole book at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from contacthub.services import exports
from contacthub.store import Store
from contacthub.vcard.parse import item_data
from tests.support.stores import new_sqlite_store


def card(uid: str, name: str, *lines: str) -> str:
    body = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", *lines, "END:VCARD", ""]
    return "\r\n".join(body)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(new_sqlite_store(tmp_path / "store.db"))
    with opened.write() as tx:
        tx.create_collection("ann", {})
        book = tx.create_collection("ann/book", {"tag": "VADDRESSBOOK"})
        tx.add_items(
            book, [(f"{n:05d}.vcf", item_data(card(f"u{n}", f"Person {n}"))) for n in range(2500)]
        )
        group = card("g", "Everyone", "X-ADDRESSBOOKSERVER-KIND:group")
        tx.put_item(book, "01000-group.vcf", item_data(group))
    return opened


def test_a_book_is_read_page_by_page_as_the_file_is_written(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "PAGE", 100)
    with store.read() as tx:
        book = tx.require_collection("ann/book")
    chunks = exports.export(store, "ann", [book], "vcf").chunks
    first = next(chunks).decode()
    assert first.count("BEGIN:VCARD") == 100
    # Written after the file was begun, after the first page: in the file, as it is now.
    with store.write() as tx:
        tx.put_item(book, "99999.vcf", item_data(card("late", "Late Comer")))
        tx.put_item(book, "02000.vcf", item_data(card("u2000", "Person 2000 renamed")))
    rest = b"".join(chunks).decode()
    assert first.count("BEGIN:VCARD") + rest.count("BEGIN:VCARD") == 2501
    assert "FN:Late Comer" in rest and "FN:Person 2000 renamed" in rest
    assert "Everyone" not in first + rest
    store.close()


def test_card_text_is_read_in_batches_of_bounded_size(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "BATCH_BYTES", 2000)
    with store.read() as tx:
        book = tx.require_collection("ann/book")
    chunks = list(exports.export(store, "ann", [book], "google-csv").chunks)
    # The header, then batches of at most 2,000 bytes of card text (a card here is
    # 60 to 70 bytes): about 30 rows each, never the book at once.
    rows = [chunk.count(b"\r\n") for chunk in chunks[1:]]
    assert max(rows) <= 2000 // 60 and len(rows) >= 2500 * 60 // 2000
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 2501
    store.close()
