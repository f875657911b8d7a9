"""A sync of the combined book cut into pages by the REPORT's budget: each page's token
carries every book's position, and following the pages gives each change once, and each
source book's group card once its book's changes are given."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from radicale import config as radicale_config

from contacthub.store import InvalidSyncToken, Store, purge_deleted_books
from contacthub.vcard.parse import item_data
from contacthub_radicale import Storage, context
from contacthub_radicale.budget import AnswerBudget
from contacthub_radicale.one_book import showing_one_book
from contacthub_radicale.union import UnionBook
from contacthub_radicale.union_names import group_book, group_href
from contacthub_radicale.union_windows import plan_books
from tests.support.stores import new_sqlite_store

BOOKS = ("alice/contacts", "alice/from-csv", "alice/from-imap")


def card(uid: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{uid}\r\nEND:VCARD\r\n"


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    store = Store.open(new_sqlite_store(tmp_path / "store.db"))
    with store.write() as tx:
        for number, path in enumerate(BOOKS):
            book = tx.create_collection(path, {"tag": "VADDRESSBOOK"})
            names = [f"b{number}-{n}" for n in range(5)]
            tx.add_items(book, [(f"{u}.vcf", item_data(card(u))) for u in names])
    yield Storage(radicale_config.load(), store=store)
    store.close()


def combined(storage: Storage) -> UnionBook:
    with showing_one_book(True):
        found = next(iter(storage.discover("/alice/contacts/")))
    assert isinstance(found, UnionBook)
    return found


def pages(book: UnionBook, token: str, members: int) -> tuple[list[list[str]], str]:
    got: list[list[str]] = []
    for _ in range(100):
        budget = AnswerBudget(members=members)
        with context.budgeting(budget):
            token, hrefs = book.sync(token)
        got.append(list(hrefs))
        if not budget.truncated:
            return got, token
    raise AssertionError("a sync that never ends")


def test_pages_across_books_give_each_card_once(storage: Storage) -> None:
    got, token = pages(combined(storage), "", members=4)
    every = [href for page in got for href in page]
    assert len(got) == 5 and all(len(page) <= 4 for page in got)
    assert len(every) == 15 + 2 == len(set(every))  # the cards, and two source groups
    assert sum(1 for href in every if not href.startswith("~")) == 5  # the default book's
    groups = [href for href in every if group_book(href)]
    # Each group card comes after the last of its book's cards.
    for group in groups:
        book = group_book(group)
        assert every.index(group) > max(i for i, h in enumerate(every) if h.startswith(f"~{book}~"))

    with storage.store.write() as tx:
        book = tx.require_collection("alice/from-imap")
        tx.put_item(book, "late.vcf", item_data(card("late")))
    later, _ = pages(combined(storage), token, members=4)
    assert [len(page) for page in later] == [2] and later[0][0].endswith("~late.vcf")
    assert group_book(later[0][1]) == later[0][0][1:].split("~")[0]  # its book's group


def test_the_text_budget_is_shared_by_the_books(storage: Storage) -> None:
    size = len(card("b0-0"))
    got: list[list[str]] = []
    token = ""
    for _ in range(100):
        budget = AnswerBudget(members=100, card_bytes=7 * size)
        with context.budgeting(budget):
            token, hrefs = combined(storage).sync(token)
        got.append(list(hrefs))
        if not budget.truncated:
            break
    # Group cards count as members, not as card text (made when read).
    assert [len(page) for page in got] == [7, 8, 2]


def test_a_listing_of_the_combined_book_is_planned_book_by_book(storage: Storage) -> None:
    with storage.store.write() as tx:
        empty = tx.create_collection("alice/empty", {"tag": "VADDRESSBOOK"})
    union = combined(storage)
    with storage.store.read() as tx:
        windows = plan_books(tx, union.books, members=3)
    ids = [book.id for book in union.books]
    assert [(w.book, w.after, w.last) for w in windows] == [
        (ids[0], "", "b0-2.vcf"),
        (ids[0], "b0-2.vcf", "b0-4.vcf"),
        (ids[1], "", "b1-2.vcf"),
        (ids[1], "b1-2.vcf", "b1-4.vcf"),
        (ids[2], "", "b2-2.vcf"),
        (ids[2], "b2-2.vcf", "b2-4.vcf"),
    ]
    assert [w.first for w in windows] == [True] + [False] * 5
    # A source book's group card in its first window; an empty book's in the first.
    assert [w.groups for w in windows] == [(empty.id,), (), (ids[1],), (), (ids[2],), ()]

    listed = [item.href for window in windows for item in union.get_window(window)]
    assert sorted(listed) == sorted(item.href for item in union.get_all())
    assert len(listed) == 15 + 3 == len(set(listed))


def test_a_deleted_books_cards_and_group_are_reported_until_its_trash_is_purged(
    storage: Storage,
) -> None:
    _, token = pages(combined(storage), "", members=100)
    with storage.store.write() as tx:
        gone = tx.require_collection("alice/from-imap")
        tx.delete_collection(gone.path)
    got, later = pages(combined(storage), token, members=100)
    assert sorted(got[0]) == sorted(
        [group_href(gone.uuid), *(f"~{gone.uuid}~b2-{n}.vcf" for n in range(5))]
    )
    assert pages(combined(storage), later, members=100)[0] == [[]]

    storage.store.history_retention = 0
    storage.store.clock = lambda: time.time() + 60
    assert purge_deleted_books(storage.store) == 1
    with pytest.raises(InvalidSyncToken):
        combined(storage).sync(token)
