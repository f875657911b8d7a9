"""The trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL) answers text-matches exactly
as the scan did, and follows every write of the items."""

from __future__ import annotations

import random

import pytest
from alembic import command
from sqlalchemy import text

from contacthub.store import MATCH_TYPES, CollectionRecord, FilterGroup, Store, TextMatch
from contacthub.store.migrate import alembic_config, upgrade
from contacthub.store.text_index import has_trigram_indexes
from contacthub.vcard.parse import item_data

# Few letters, so that terms match often; with LIKE's and FTS5's special characters and
# letters whose lower case is not ASCII's.
LETTERS = 'abcé%_\\"*^.@ -É0'
PROPS = ("FN", "EMAIL", "TEL", "ORG")


def _value(rng: random.Random) -> str:
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 12))).strip() or "x"


def _card(uid: str, rng: random.Random) -> str:
    lines = [f"FN:{_value(rng)}"]
    lines += [f"EMAIL:{_value(rng)}" for _ in range(rng.randint(0, 3))]
    lines += [f"TEL:{_value(rng)}" for _ in range(rng.randint(0, 2))]
    lines += [f"ORG:{_value(rng)}" for _ in range(rng.randint(0, 1))]
    body = "\r\n".join(line.replace("\\", "\\\\") for line in lines)
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\n{body}\r\nEND:VCARD\r\n"


def _term(rng: random.Random) -> str:
    """Part of a value a card may hold: whole, its start, its end or its middle."""
    value = _value(rng)
    start = rng.choice((0, 0, rng.randrange(len(value))))
    end = rng.choice((len(value), rng.randint(start, len(value))))
    term = value[start:end] or value
    return term.upper() if rng.random() < 0.3 else term


def _matches(rng: random.Random, count: int) -> list[TextMatch]:
    return [
        TextMatch(rng.choice(PROPS), _term(rng), rng.choice(MATCH_TYPES), rng.random() < 0.15)
        for _ in range(count)
    ]


def _answers(
    store: Store, book: CollectionRecord, matches: list[TextMatch], by_index: bool = True
) -> list[set[str]]:
    with store.read() as tx:
        return [
            {
                item.href
                for item in tx.match_items(
                    book.id, FilterGroup((m,), all_of=True), by_index=by_index
                )
            }
            for m in matches
        ]


def test_the_index_answers_as_the_scan_did(store: Store, store_url: str) -> None:
    rng = random.Random(17)
    with store.write() as tx:
        book = tx.ensure_default_book("alice")
        tx.add_items(book, [(f"{i}.vcf", item_data(_card(str(i), rng))) for i in range(300)])
    matches = _matches(rng, 400)
    indexed = _answers(store, book, matches)
    scanned = _answers(store, book, matches, by_index=False)  # the query before the index
    command.downgrade(alembic_config(store.engine), "0018")
    assert _answers(store, book, matches, by_index=False) == scanned
    upgrade(store.engine)  # the index built over the rows already there
    rebuilt = _answers(store, book, matches)
    assert indexed == scanned == rebuilt
    for match_type in MATCH_TYPES:  # each kind of term does find cards
        found = [
            bool(f) for m, f in zip(matches, scanned, strict=True) if m.match_type == match_type
        ]
        assert sum(found) > 20, match_type


def _find(
    store: Store, book: CollectionRecord, term: str, match_type: str = "contains"
) -> set[str]:
    return _answers(store, book, [TextMatch("EMAIL", term, match_type)])[0]


def _card_with(uid: str, email: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{uid}\r\nEMAIL:{email}\r\nEND:VCARD\r\n"


def test_the_index_follows_every_write(store: Store) -> None:
    with store.write() as tx:
        tx.create_collection("alice/other", {"tag": "VADDRESSBOOK"})
        book = tx.ensure_default_book("alice")
        other = tx.require_collection("alice/other")
        tx.put_item(book, "ann.vcf", item_data(_card_with("ann", "ann@first.example")))
        tx.add_items(book, [("bob.vcf", item_data(_card_with("bob", "bob@first.example")))])
    assert _find(store, book, "first.example", "ends-with") == {"ann.vcf", "bob.vcf"}
    with store.write() as tx:
        tx.put_item(book, "ann.vcf", item_data(_card_with("ann", "ann@second.example")))
    assert _find(store, book, "first") == {"bob.vcf"}
    assert _find(store, book, "ann@second.example", "equals") == {"ann.vcf"}
    with store.write() as tx:
        tx.delete_item(book, "bob.vcf")
    assert _find(store, book, "first") == set()
    with store.write(["alice/contacts", "alice/other"]) as tx:
        tx.move_item(book, "ann.vcf", other, "moved.vcf")
    assert _find(store, book, "second") == set()
    assert _find(store, other, "second") == {"moved.vcf"}
    with store.write(["alice/other"]) as tx:
        trashed = tx.delete_collection("alice/other")
    assert trashed
    with store.write() as tx:
        deleted = tx.deleted_books("alice", 0)[0]
    with store.write([deleted.trash_path, "alice"]) as tx:
        restored = tx.restore_deleted_book(deleted)
    assert _find(store, restored, "ann@", "starts-with") == {"moved.vcf"}
    _check_in_step(store)


def _check_in_step(store: Store) -> None:
    """SQLite's FTS5 compares its index with the rows of `items` (an error if they
    differ); PostgreSQL keeps its indexes itself."""
    if store.engine.dialect.name != "sqlite":
        return
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO items_text(items_text, rank) VALUES ('integrity-check', 1)"))


@pytest.mark.parametrize("term", ["ab", "a", "é"])
def test_short_terms_are_answered_without_the_index(store: Store, term: str) -> None:
    with store.write() as tx:
        book = tx.ensure_default_book("alice")
        tx.put_item(book, "ann.vcf", item_data(_card_with("ann", "Éab@x.example")))
    assert _find(store, book, term) == {"ann.vcf"}


def test_postgresql_gets_its_trigram_indexes(pg_url: str) -> None:
    """pg_trgm is trusted since PostgreSQL 13: the store's owner creates it."""
    store = Store.open(pg_url)
    try:
        with store.engine.connect() as conn:
            assert has_trigram_indexes(conn)
            command.downgrade(alembic_config(store.engine), "0018")
            assert not has_trigram_indexes(conn)
    finally:
        store.close()
