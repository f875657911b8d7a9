"""One lock order for every writer, checked by the store on SQLite and on PostgreSQL.

A writer that breaks the order would deadlock only under load, and only on PostgreSQL; the
store refuses it at once instead (LockOrderError), so these tests find it on either
database. Creation is idempotent: two transactions that make the same thing at once both
succeed, and one thing exists.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from contacthub.store import AlreadyExists, LockOrderError, Store, Transaction
from contacthub.vcard.parse import item_data

T = TypeVar("T")


def card(uid: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{uid}\r\nEND:VCARD\r\n"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    with opened.write() as tx:
        tx.ensure_default_book("alice")
        tx.create_collection("alice/work", {"tag": "VADDRESSBOOK"})
    yield opened
    opened.close()


def test_a_collection_above_one_held_is_refused(store: Store) -> None:
    """The deadlock of issue 12: a CardDAV PUT held the book and then locked the account,
    while an API write held the account and waited for the book."""
    with (
        pytest.raises(LockOrderError, match="'alice' locked after"),
        store.write(["alice/contacts/x.vcf", "alice/contacts"]) as tx,
    ):
        tx.lock_collections(["alice"])


def test_collections_named_up_front_are_written_in_any_order(store: Store) -> None:
    with store.write(["alice/contacts", "alice/work"]) as tx:
        work, contacts = (
            tx.require_collection("alice/work"),
            tx.require_collection("alice/contacts"),
        )
        tx.put_item(work, "w.vcf", item_data(card("w")))
        tx.put_item(contacts, "c.vcf", item_data(card("c")))
        tx.move_item(work, "w.vcf", contacts, "w.vcf")
    with store.read() as tx:
        assert sorted(tx.iter_hrefs(contacts.id)) == ["c.vcf", "w.vcf"]


def test_a_collection_below_the_ones_held_is_locked_when_first_written(store: Store) -> None:
    with store.write(["alice/contacts"]) as tx:
        work = tx.require_collection("alice/work")
        tx.put_item(work, "w.vcf", item_data(card("w")))  # "alice/work" sorts after: allowed
    with pytest.raises(LockOrderError), store.write(["alice/work"]) as tx:
        tx.put_item(tx.require_collection("alice/contacts"), "c.vcf", item_data(card("c")))
    with store.read() as tx:
        assert list(tx.iter_hrefs(tx.require_collection("alice/contacts").id)) == []


def test_no_collection_is_locked_after_another_row_was_written(store: Store) -> None:
    with pytest.raises(LockOrderError, match="after sources were written"), store.write() as tx:
        tx.create_source("alice", "csv", "people", "alice/contacts", {})
        tx.put_item(tx.require_collection("alice/contacts"), "c.vcf", item_data(card("c")))
    with store.read() as tx:
        assert tx.list_sources("alice") == []


def test_a_collection_is_never_written_without_its_lock(store: Store) -> None:
    with pytest.raises(LockOrderError, match="without its lock"), store.write() as tx:
        tx.record_change(tx.require_collection("alice/contacts").id, "x.vcf", deleted=False)


def test_a_failed_savepoint_forgets_the_locks_it_took(store: Store) -> None:
    """PostgreSQL releases the row locks of a rolled-back savepoint; the store's count of
    what it holds follows, so later locks are checked against what is really held."""
    with store.write() as tx:
        with pytest.raises(RuntimeError), tx.savepoint():
            tx.lock_collections(["alice/work"])
            raise RuntimeError("undo")
        tx.lock_collections(["alice/contacts"])  # would be out of order had "work" stayed
        tx.put_item(tx.require_collection("alice/contacts"), "c.vcf", item_data(card("c")))


def at_once(
    store: Store, first: Callable[[Transaction], T], second: Callable[[Transaction], T]
) -> tuple[T, T]:
    """Run `first` in a transaction left open while `second` starts in another (it waits:
    on PostgreSQL for the rows, on SQLite for the writer's lock), then commit both."""
    results: dict[str, T] = {}
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            with store.write() as tx:
                results["second"] = second(tx)
        except BaseException as error:  # reported by the test
            errors.append(error)

    with store.write() as tx:
        results["first"] = first(tx)
        thread = threading.Thread(target=run_second)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "the second transaction did not wait for the first"
    thread.join(timeout=30)
    assert not thread.is_alive()
    if errors:
        raise errors[0]
    return results["first"], results["second"]


def test_two_first_requests_of_one_account_make_one_home_and_one_book(store: Store) -> None:
    first, second = at_once(
        store, lambda tx: tx.ensure_default_book("zoe"), lambda tx: tx.ensure_default_book("zoe")
    )
    assert first.id == second.id
    with store.read() as tx:
        assert [c.path for c in tx.list_children("")].count("zoe") == 1
        assert [c.name for c in tx.list_children("zoe")] == ["contacts"]


def test_two_first_pushes_of_one_phone_make_one_source(store: Store) -> None:
    def ensure(tx: Transaction) -> int:
        book = tx.ensure_collection("alice/from-ios", {"tag": "VADDRESSBOOK"})
        return tx.ensure_source("alice", "device", "phone", book.path, {}).id

    first, second = at_once(store, ensure, ensure)
    assert first == second
    with store.read() as tx:
        assert [s.id for s in tx.list_sources("alice")] == [first]


def test_a_strict_create_of_what_another_transaction_made_is_already_exists(store: Store) -> None:
    def create(tx: Transaction) -> int:
        return tx.create_collection("alice/new", {"tag": "VADDRESSBOOK"}).id

    with pytest.raises(AlreadyExists):
        at_once(store, create, create)
