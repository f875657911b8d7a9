"""Reading cards by their hrefs (a multiget): every card found comes back whole, and a
reader holds about a megabyte of texts at a time, however many cards it asked for.
Reading all of a collection's cards: every one, in href order.

On PostgreSQL, where each statement is a round trip, the texts' lengths are read first and
the cards then in groups of at most GROUP_BYTES (one card longer than that alone); a
collection's cards go through a server-side cursor only when there are more than a batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import event

from contacthub.store import Actor, ItemData, Store
from contacthub.store.streaming import BATCH, GROUP_BYTES, groups_by_size
from contacthub.vcard.parse import item_data
from tests.support.vcards import make_card

ALICE = Actor("alice", "carddav", "test")
PHOTO_BYTES = 600_000  # a big photo: two of them are over a group


def card(uid: str, photo_bytes: int = 0) -> ItemData:
    photo = [f"PHOTO;ENCODING=b;TYPE=JPEG:{'A' * photo_bytes}"] if photo_bytes else []
    return item_data(make_card(uid, f"Person {uid}", extra=photo))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.mark.parametrize(
    ("lengths", "groups"),
    [
        ([], []),
        ([("a", 10), ("b", 10)], [["a", "b"]]),
        ([("a", 10), ("b", 11)], [["a"], ["b"]]),
        ([("a", 5), ("big", 50), ("c", 5), ("d", 15)], [["a"], ["big"], ["c", "d"]]),
        ([("empty", 0), ("a", 20)], [["empty", "a"]]),
    ],
)
def test_groups_add_up_to_the_limit_at_most(
    lengths: list[tuple[str, int]], groups: list[list[str]]
) -> None:
    assert groups_by_size(lengths, limit=20) == groups


def test_a_multiget_reads_every_card_whole_a_megabyte_at_a_time(store: Store) -> None:
    texts: dict[str, str] = {}
    with store.write(actor=ALICE) as tx:
        tx.create_collection("alice", {})
        book = tx.ensure_default_book("alice")
        for n in range(100):
            uid = f"c{n}"
            data = card(uid, PHOTO_BYTES if n in (10, 11, 50) else 0)
            tx.put_item(book, f"{uid}.vcf", data)
            texts[f"{uid}.vcf"] = data.text
    wanted = [*texts, "missing.vcf"]
    reads: list[list[str]] = []

    def note(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        columns = statement.split("FROM")[0]
        if statement.startswith("SELECT") and "items.text" in columns and "length" not in columns:
            reads.append([v for v in _values(parameters) if v in texts])

    event.listen(store.engine, "before_cursor_execute", note)
    with store.read() as tx:
        found = {record.href: record.text for record in tx.stream_items(book.id, wanted)}
    assert found == texts
    if store.engine.dialect.name != "postgresql":
        return
    # 97 small cards and three photos, no two of which fit together: three or four
    # statements, none over GROUP_BYTES but for a lone card.
    assert sorted(href for group in reads for href in group) == sorted(texts)
    assert 3 <= len(reads) <= 4, [len(group) for group in reads]
    for group in reads:
        assert len(group) == 1 or sum(len(texts[h].encode()) for h in group) <= GROUP_BYTES


def _values(parameters: Any) -> list[Any]:
    """A statement's values, the hrefs of an array (PostgreSQL's `= ANY`) one by one."""
    values = parameters.values() if isinstance(parameters, dict) else parameters
    return [one for value in values for one in (value if isinstance(value, list) else [value])]


@pytest.mark.parametrize("count", [0, BATCH - 1, BATCH, 3 * BATCH + 1])
def test_a_collection_s_cards_take_a_cursor_only_when_there_are_many(
    store: Store, count: int
) -> None:
    with store.write(actor=ALICE) as tx:
        home = tx.create_collection("alice", {})
        book = tx.ensure_default_book("alice")
        for n in range(count):
            tx.put_item(book, f"c{n:03}.vcf", card(f"c{n:03}"))
    cursors: list[bool] = []

    def note(_conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if "FROM items" in statement:
            cursors.append(isinstance(cursor, psycopg.ServerCursor))

    event.listen(store.engine, "before_cursor_execute", note)
    with store.read() as tx:
        hrefs = [record.href for record in tx.iter_items(book.id)]
        assert list(tx.iter_items(home.id)) == []  # a home PROPFIND's Depth 1 asks this
    assert hrefs == [f"c{n:03}.vcf" for n in range(count)]
    if store.engine.dialect.name != "postgresql":
        return
    if count < BATCH:
        assert cursors == [False, False]  # one statement each, no DECLARE, FETCH, CLOSE
    else:
        assert cursors == [False, True, False]


def test_a_multiget_s_statements_are_the_same_whatever_its_length(store: Store) -> None:
    """On PostgreSQL the hrefs go as one array: psycopg and the server prepare each
    statement once, where an IN list was a new text (parsed, planned) for every length."""
    with store.write(actor=ALICE) as tx:
        tx.create_collection("alice", {})
        book = tx.ensure_default_book("alice")
        for n in range(60):
            tx.put_item(book, f"c{n:02}.vcf", card(f"c{n:02}"))
    texts: set[str] = set()

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "FROM items" in statement:
            texts.add(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    with store.read() as tx:
        for count in (3, 5, 20, 41, 60):
            wanted = [f"c{n:02}.vcf" for n in range(count)]
            assert sorted(r.href for r in tx.stream_items(book.id, wanted)) == wanted
            assert sorted(h.href for h in tx.item_etags(book.id, wanted)) == wanted
    if store.engine.dialect.name == "postgresql":
        # the cards, their lengths (over a batch of hrefs), the heads of a sync page
        assert len(texts) == 3, texts
    else:
        assert len(texts) > 3  # SQLite's IN lists: one text per length
