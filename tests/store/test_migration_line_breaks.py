"""Revision 0020: cards indexed while a line break within a value read as the frame
between two values are indexed again at the upgrade, and answered as one value."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from alembic import command
from sqlalchemy import select, text, update

from contacthub.store import CollectionRecord, FilterGroup, Store, TextMatch
from contacthub.store.items import index_columns
from contacthub.store.migrate import alembic_config, upgrade
from contacthub.store.schema import items, versions
from contacthub.store.versions import pack, unpacked_image
from contacthub.vcard.parse import item_data

INDEX = ("idx_fn", "idx_email", "idx_tel", "idx_org", "idx_extra")


def _card(uid: str, *lines: str) -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\n{body}END:VCARD\r\n"


LINES = _card(
    "lines",
    "FN:First line\\nSecond line",
    "EMAIL:two@example.org\\nlines@example.org",
    "ORG:Upper\\NLower;Dept",
    "NOTE:A note\\nover two lines",
)
SECOND = _card("second", "FN:Second line", "EMAIL:lines@example.org", "ORG:Lower")
PRINTABLE = _card("printable", "FN;ENCODING=QUOTED-PRINTABLE:Top=0D=0ABottom")
PLAIN = _card("plain", "FN:Plain Name", "EMAIL:plain@example.org")


def _before_0020(values: Iterable[str]) -> str:
    """An index column as the store framed it before 0020's code: a line break within
    a value left as it was."""
    lowered = [value.lower() for value in values]
    return "\n" + "\n".join(lowered) + "\n" if lowered else ""


def _old_style(card: str) -> dict[str, str]:
    index = item_data(card).index
    return {
        "idx_fn": _before_0020(index.fn),
        "idx_email": _before_0020(index.emails),
        "idx_tel": _before_0020(index.phones),
        "idx_org": _before_0020(index.orgs),
        "idx_extra": _before_0020(index.extra),
    }


def _at_0019(store: Store) -> None:
    command.downgrade(alembic_config(store.engine), "0019")


def _index_rows(store: Store, hrefs: Iterable[str], new: dict[str, dict[str, str]]) -> None:
    """Rows written straight, as the store of revision 0019 wrote them."""
    with store.engine.begin() as conn:
        for href in hrefs:
            conn.execute(update(items).where(items.c.href == href).values(new[href]))


def _put(store: Store, cards: dict[str, str]) -> CollectionRecord:
    with store.write() as tx:
        book = tx.ensure_default_book("alice")
        for uid, card in cards.items():
            tx.put_item(book, f"{uid}.vcf", item_data(card))
    return book


def _found(store: Store, book: CollectionRecord, match: TextMatch) -> set[str]:
    """The hrefs the index answers, checked against the scan of the cards' columns."""
    with store.read() as tx:
        found = tx.match_items(book.id, FilterGroup((match,), all_of=True))
        scanned = tx.match_items(book.id, FilterGroup((match,), all_of=True), by_index=False)
        hrefs = {item.href for item in found}
        assert hrefs == {item.href for item in scanned}, match
    return hrefs


def _rows(store: Store) -> dict[str, Any]:
    with store.engine.connect() as conn:
        return {row.href: row for row in conn.execute(select(items)).all()}


def _check_in_step(store: Store) -> None:
    """SQLite's FTS5 compares its index with the rows of `items` (an error if they
    differ); PostgreSQL keeps its GIN indexes itself."""
    if store.engine.dialect.name == "sqlite":
        with store.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO items_text(items_text, rank) VALUES ('integrity-check', 1)")
            )


MATCHES = [
    (TextMatch("FN", "second line", "equals"), {"second.vcf"}),
    (TextMatch("FN", "second", "starts-with"), {"second.vcf"}),
    (TextMatch("FN", "first line", "ends-with"), set()),
    (TextMatch("EMAIL", "lines@example.org", "equals"), {"second.vcf"}),
    (TextMatch("EMAIL", "two@", "starts-with"), {"lines.vcf"}),
    (TextMatch("ORG", "lower", "equals"), {"second.vcf"}),
    (TextMatch("FN", "bottom", "equals"), set()),
    (TextMatch("FN", "line", "contains"), {"lines.vcf", "second.vcf"}),
]


def test_a_card_indexed_before_is_answered_as_one_value_after_the_upgrade(store: Store) -> None:
    cards = {"lines": LINES, "second": SECOND, "printable": PRINTABLE}
    book = _put(store, cards)
    written = _rows(store)
    _at_0019(store)
    _index_rows(
        store,
        ["lines.vcf", "printable.vcf"],
        {"lines.vcf": _old_style(LINES), "printable.vcf": _old_style(PRINTABLE)},
    )
    # The old index takes each half of a value for a whole one.
    assert _found(store, book, TextMatch("FN", "second line", "equals")) == {
        "lines.vcf",
        "second.vcf",
    }
    assert _found(store, book, TextMatch("FN", "bottom", "equals")) == {"printable.vcf"}

    upgrade(store.engine)

    assert [(m, _found(store, book, m)) for m, _ in MATCHES] == MATCHES
    upgraded = _rows(store)
    for href in ("lines.vcf", "printable.vcf"):
        # The index as a write of the card makes it; the rest of the row as it was.
        assert upgraded[href] == written[href], href
    _check_in_step(store)


def test_a_card_without_a_line_break_in_its_text_is_not_read_again(store: Store) -> None:
    """Stale on purpose: a row the migration rewrote would get the index of its text."""
    book = _put(store, {"plain": PLAIN, "lines": LINES})
    _at_0019(store)
    stale = {**_old_style(PLAIN), "idx_fn": "\nan older name\n"}
    _index_rows(
        store, ["plain.vcf", "lines.vcf"], {"plain.vcf": stale, "lines.vcf": _old_style(LINES)}
    )
    before = _rows(store)

    upgrade(store.engine)

    after = _rows(store)
    assert after["plain.vcf"] == before["plain.vcf"]
    assert after["lines.vcf"] != before["lines.vcf"]
    assert _found(store, book, TextMatch("FN", "an older name", "equals")) == {"plain.vcf"}


def _version_of(store: Store, book: CollectionRecord, uid: str) -> Any:
    with store.read() as tx:
        return tx.versions_of_uid(book.id, uid)[-1]


def test_a_version_kept_before_is_written_back_as_one_value(store: Store) -> None:
    """A restore writes a version's index columns back as they were kept."""
    book = _put(store, {"lines": LINES, "second": SECOND})
    _put(store, {"lines": _card("lines", "FN:Changed Name")})  # LINES kept as a version
    kept = _version_of(store, book, "lines")
    assert kept.before().text == LINES
    _at_0019(store)
    image = unpacked_image(kept.packed)
    old_style = pack(SimpleNamespace(**{**vars(image), **_old_style(LINES)}))
    with store.engine.begin() as conn:
        conn.execute(update(versions).where(versions.c.id == kept.id).values(card=old_style))

    upgrade(store.engine)

    restored = _version_of(store, book, "lines").before()
    assert restored.text == LINES
    with store.write() as tx:
        tx.put_item(book, "lines.vcf", restored)  # what a restore writes
    assert [(m, _found(store, book, m)) for m, _ in MATCHES[:6]] == MATCHES[:6]


def test_a_store_of_many_pages_is_reindexed_to_its_last_card(store: Store) -> None:
    """2,500 cards with a multi-line note (each a candidate, so three pages of ids and
    many batches of cards); every tenth one with a name of two lines indexed as before."""
    count = 2500
    cards = {
        str(i): _card(
            str(i),
            f"FN:Card {i}\\nLine {i}" if i % 10 == 0 else f"FN:Card {i}",
            "NOTE:A note\\nover two lines",
        )
        for i in range(count)
    }
    with store.write() as tx:
        book = tx.ensure_default_book("alice")
        tx.add_items(book, [(f"{uid}.vcf", item_data(card)) for uid, card in cards.items()])
    _at_0019(store)
    broken = [f"{i}.vcf" for i in range(0, count, 10)]
    _index_rows(store, broken, {f"{i}.vcf": _old_style(cards[str(i)]) for i in range(0, count, 10)})
    assert len(_found(store, book, TextMatch("FN", "line", "starts-with"))) == len(broken)

    upgrade(store.engine)

    assert _found(store, book, TextMatch("FN", "line", "starts-with")) == set()
    rows = _rows(store)
    assert all(
        {name: getattr(row, name) for name in INDEX} == index_columns(item_data(row.text))
        for row in rows.values()
    )
    _check_in_step(store)


def test_a_card_in_a_deleted_books_trash_comes_back_answered_as_one_value(store: Store) -> None:
    with store.write() as tx:
        old = tx.create_collection("alice/old", {"tag": "VADDRESSBOOK"})
        tx.put_item(old, "lines.vcf", item_data(LINES))
        tx.put_item(old, "second.vcf", item_data(SECOND))
    with store.write(["alice/old"]) as tx:
        assert tx.delete_collection("alice/old")
    _at_0019(store)
    _index_rows(store, ["lines.vcf"], {"lines.vcf": _old_style(LINES)})

    upgrade(store.engine)

    with store.write() as tx:
        deleted = tx.deleted_books("alice", 0)[0]
    with store.write([deleted.trash_path, "alice"]) as tx:
        restored = tx.restore_deleted_book(deleted)
    assert [(m, _found(store, restored, m)) for m, _ in MATCHES[:6]] == MATCHES[:6]
