"""A deleted address book goes to the trash of deleted books: gone from every listing, its
path free at once, listed with who deleted it, restored with its properties, cards and
history as a new incarnation (old sync tokens refused), its source still working, and
purged by the scheduler once the retention ends."""

from __future__ import annotations

import pytest

from contacthub.duplicates.index import refresh_index
from contacthub.errors import Invalid, NotFound
from contacthub.jobs.scheduler import Scheduler
from contacthub.reconcile.run import RunFailed
from contacthub.services import book_trash, books, history
from contacthub.sources.context import RunContext
from contacthub.store import InvalidSyncToken, SourceRecord, Store, purge_deleted_books
from contacthub.vcard.parse import item_data
from tests.history.book import PHONE, Clock, changed_since, held, put, token
from tests.reconcile.tiny_source import BOOK, BOOK_PROPS, links, names_from, run

DAY = 86400.0


def delete_book(store: Store, path: str = BOOK) -> None:
    with store.write([path], actor=PHONE) as tx:
        tx.delete_collection(path)


def only_deleted(ctx: RunContext, user: str = "alice") -> book_trash.DeletedBookEntry:
    (found,) = book_trash.deleted_books(ctx, user)
    return found


def test_a_deleted_book_is_gone_from_every_listing_and_its_path_free_at_once(
    ctx: RunContext, store: Store
) -> None:
    put(store, "ann", "Ann")
    delete_book(store)

    with store.read() as tx:
        assert tx.get_collection(BOOK) is None
        assert [c.path for c in tx.list_children("alice")] == []
        assert [c.path for c in tx.list_children("")] == ["alice", "bob"]
    assert [b.id for b in books.books_of(ctx, "alice")] == []
    with store.write(["alice"]) as tx:
        tx.create_collection(BOOK, BOOK_PROPS)
    assert held(store) == {}


def test_the_trash_lists_a_deleted_book_with_who_deleted_it_and_its_contacts(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    put(store, "bob", "Bob")
    clock.turn()
    delete_book(store)

    found = only_deleted(ctx)
    assert (found.display_name, found.book, found.path) == ("People", "people", BOOK)
    assert found.deleted_at == clock.now
    assert found.deleted_by == history.Who("alice", "carddav", PHONE.agent)
    assert found.contacts == 2
    assert found.purge_at == clock.now + store.history_retention
    assert book_trash.deleted_books(ctx, "bob") == []


def test_a_restored_book_comes_back_at_its_path_with_its_cards_as_a_new_incarnation(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    put(store, "bob", "Bob")
    before = held(store)
    old_token = token(store)
    clock.turn()
    delete_book(store)

    restored = book_trash.restore_deleted_book(ctx, "alice", only_deleted(ctx).id)

    assert (restored.book, restored.moved, restored.contacts) == ("people", False, 2)
    assert held(store) == before
    assert [b.record.display_name for b in books.books_of(ctx, "alice")] == ["People"]
    with pytest.raises(InvalidSyncToken):
        changed_since(store, old_token)
    assert token(store) != old_token and changed_since(store, token(store)) == set()
    assert [v.current for v in history.contact_history(ctx, "alice", "people", "ann").versions]
    assert book_trash.deleted_books(ctx, "alice") == []


def test_a_book_whose_path_was_taken_comes_back_beside_it_and_its_source_follows(
    ctx: RunContext, store: Store, source: SourceRecord, clock: Clock
) -> None:
    run(store, source, {"a": "Ann", "b": "Bob"})
    kept = links(store, source)
    clock.turn()
    delete_book(store)
    with store.write(["alice"]) as tx:
        tx.create_collection(BOOK, {**BOOK_PROPS, "D:displayname": "New people"})
        later = tx.create_source("alice", "test", "later", BOOK, {})

    restored = book_trash.restore_deleted_book(ctx, "alice", only_deleted(ctx).id)

    assert (restored.book, restored.moved) == ("people-restored", True)
    assert "another address book took" in restored.message
    with store.read() as tx:
        moved = tx.require_source(source.id)
        assert moved.book_path == "alice/people-restored"
        assert tx.require_source(later.id).book_path == BOOK
    assert names_from(store, "tiny", "alice/people-restored") == {"a": "Ann", "b": "Bob"}
    assert links(store, moved) == kept
    run(store, moved, {"a": "Ann", "b": "Bobby", "c": "Cy"})
    assert names_from(store, "tiny", "alice/people-restored") == {
        "a": "Ann",
        "b": "Bobby",
        "c": "Cy",
    }


def test_a_source_runs_again_into_its_restored_book_with_its_links(
    ctx: RunContext, store: Store, source: SourceRecord
) -> None:
    run(store, source, {"a": "Ann", "b": "Bob"})
    delete_book(store)
    with pytest.raises(RunFailed):  # as before: its book is gone
        run(store, source, {"a": "Ann"})

    book_trash.restore_deleted_book(ctx, "alice", only_deleted(ctx).id)
    run(store, source, {"a": "Anna", "b": "Bob"})

    assert names_from(store, "tiny") == {"a": "Anna", "b": "Bob"}
    assert len(held(store)) == 2  # updated in place: nothing added twice


def test_deleting_a_principal_keeps_each_of_its_books_in_the_trash(
    ctx: RunContext, store: Store
) -> None:
    put(store, "ann", "Ann")
    with store.write(["alice"]) as tx:
        tx.create_collection("alice/work", {"tag": "VADDRESSBOOK"})
        tx.create_collection("alice/folder", {})
    before = held(store)
    with store.write(["alice", "alice/folder", BOOK, "alice/work"], actor=PHONE) as tx:
        assert sorted(b.path for b in tx.delete_collection("alice")) == [BOOK, "alice/work"]
    with store.read() as tx:
        assert tx.get_collections(["alice", "alice/folder", BOOK]) == {}

    deleted = {book.path: book.id for book in book_trash.deleted_books(ctx, "alice")}
    assert sorted(deleted) == [BOOK, "alice/work"]
    book_trash.restore_deleted_book(ctx, "alice", deleted[BOOK])
    assert held(store) == before
    with store.read() as tx:
        assert tx.get_collection("alice") is not None


def test_nobody_restores_anybody_elses_deleted_book(ctx: RunContext, store: Store) -> None:
    delete_book(store)
    book_id = only_deleted(ctx).id
    with pytest.raises(NotFound):
        book_trash.restore_deleted_book(ctx, "bob", book_id)
    with pytest.raises(NotFound):
        book_trash.restore_deleted_book(ctx, "alice", book_id + 1000)


def test_a_deleted_book_is_named_by_its_id_or_its_name(ctx: RunContext, store: Store) -> None:
    delete_book(store)
    book_id = only_deleted(ctx).id
    assert book_trash.deleted_book_named(ctx, "alice", str(book_id)).id == book_id
    assert book_trash.deleted_book_named(ctx, "alice", "PEOPLE").id == book_id
    with store.write(["alice"]) as tx:
        tx.create_collection(BOOK, BOOK_PROPS)
    delete_book(store)
    with pytest.raises(Invalid, match="Several deleted address books"):
        book_trash.deleted_book_named(ctx, "alice", "People")
    with pytest.raises(NotFound):
        book_trash.deleted_book_named(ctx, "alice", "Nobody")


def test_the_schedulers_tick_purges_deleted_books_past_the_retention(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    delete_book(store)
    book_id = only_deleted(ctx).id
    clock.turn(29 * DAY)
    scheduler = Scheduler(ctx)
    scheduler.tick()
    assert only_deleted(ctx).id == book_id

    clock.turn(2 * DAY)
    assert book_trash.deleted_books(ctx, "alice") == []  # no longer offered
    with pytest.raises(NotFound):
        book_trash.restore_deleted_book(ctx, "alice", book_id)
    scheduler.tick()
    with store.read() as tx:
        assert tx.collections_by_id([book_id]) == {}
        assert tx.count_items([book_id]) == {}


def test_purging_a_large_deleted_book_is_bounded_work(store: Store, clock: Clock) -> None:
    for number in range(5):
        put(store, f"c{number}", f"Contact {number}")
    delete_book(store)
    clock.turn(31 * DAY)
    with store.read() as tx:
        ((book_id, _),) = tx.books_to_purge(clock.now)

    purge_deleted_books(store, batch=2, most_batches=1)  # 2 of the 5 of each kind of row
    with store.read() as tx:
        assert tx.count_items([book_id]) == {book_id: 3}
    assert purge_deleted_books(store, batch=2, most_batches=10) == 1
    with store.read() as tx:
        assert tx.collections_by_id([book_id]) == {}


def test_purging_a_deleted_book_forgets_its_duplicates_keys(store: Store, clock: Clock) -> None:
    hrefs = []
    for number in range(5):
        card = (
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:k{number}\r\nFN:Contact {number}\r\n"
            f"EMAIL:c{number}@example.org\r\nEND:VCARD\r\n"
        )
        with store.write([BOOK], actor=PHONE) as tx:
            tx.put_item(tx.require_collection(BOOK), f"k{number}.vcf", item_data(card))
        hrefs.append(f"k{number}.vcf")
    refresh_index(store, "alice", None)
    with store.read() as tx:
        book_id = tx.require_collection(BOOK).id
        assert len(tx.contact_keys_of([(book_id, href) for href in hrefs])) == 5
    delete_book(store)
    clock.turn(31 * DAY)

    purge_deleted_books(store, batch=2, most_batches=1)  # the keys go in bounded batches too
    assert purge_deleted_books(store, batch=2, most_batches=20) == 1
    with store.read() as tx:
        assert tx.contact_keys_of([(book_id, href) for href in hrefs]) == []
