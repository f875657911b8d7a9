"""A run written ahead in small transactions: invisible until published, whole when it
is, and yielding to what clients write meanwhile. SQLite and PostgreSQL.

Each change is written ahead in a transaction of its own here (BATCH 1), and cards are
built between those transactions, so a card's builder is where a test plays the client
(or the reader) in the middle of a run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from contacthub.reconcile import Incoming, Policy, RunFailed, run_source
from contacthub.reconcile.run import CHANGED_MEANWHILE
from contacthub.store import ItemData, SourceRecord, Store, format_token
from contacthub.store.schema import pending_changes, pending_links, stagings
from contacthub.vcard.parse import item_data
from tests.reconcile.tiny_source import (
    BOOK,
    Card,
    card_of,
    card_text,
    cards,
    client_deletes,
    client_puts,
    create_source,
    links,
    names_from,
    run,
    snapshot,
)

PEOPLE = {"a": "Ann", "b": "Bob", "c": "Cy"}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = (
        f"sqlite:///{tmp_path / 'store.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    opened = Store.open(url)
    yield opened
    opened.close()


@pytest.fixture
def source(store: Store, monkeypatch: pytest.MonkeyPatch) -> SourceRecord:
    monkeypatch.setattr("contacthub.reconcile.run.BATCH", 1)
    return create_source(store, "tiny")


def meanwhile(
    named: dict[str, str], at: str, action: Callable[[], None]
) -> Callable[[], tuple[list[Incoming], list[object]]]:
    """The records `named`; `action` runs when the card of `at` is built (before it is
    written ahead; the changes of earlier keys are written ahead by then)."""

    def record(key: str, name: str) -> Incoming:
        def make_card(uid: str) -> ItemData:
            if key == at:
                action()
            return item_data(card_text(uid, name, "tiny", key))

        digest = hashlib.sha256(f"{key}\x1f{name}".encode()).hexdigest()
        return Incoming(key, "", make_card, digest, summary=name)

    return lambda: ([record(key, name) for key, name in named.items()], [])


def leftovers(store: Store) -> list[int]:
    """Rows of pending_changes, pending_links and stagings: none once a run has ended."""
    with store.read() as tx:
        return [
            tx.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (pending_changes, pending_links, stagings)
        ]


def test_a_reader_during_the_run_sees_none_of_it_and_then_all_of_it(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    before = snapshot(store, source)
    with store.read() as tx:
        book = tx.require_collection(BOOK)
        token = format_token(book, book.sync_seq)
    seen: list[object] = []

    def look() -> None:
        seen.append(snapshot(store, source))
        with store.read() as tx:
            book = tx.require_collection(BOOK)
            seen.append(list(tx.changed_since(book, token)))
            seen.append(tx.search_contacts([book.id], ["anna"], limit=10, offset=0)[1])

    changed = {"a": "Anna", "b": "Bob", "c": "Cyrus", "d": "Di", "e": "Eve"}
    outcome = run_source(store, source, meanwhile(changed, "e", look), Policy(delete_missing=True))
    # "e" is the last of the adds; a's and c's updates come after it, the adds before.
    assert seen == [before, [], 0]
    assert outcome.run is not None and outcome.run.message == "2 added, 2 updated"
    assert names_from(store, "tiny") == changed
    with store.read() as tx:
        book = tx.require_collection(BOOK)
        delta = set(tx.changed_since(book, token))
        assert book.sync_seq == before.sync_seq + 1  # the run appeared at one position
        assert tx.search_contacts([book.id], ["anna"], limit=10, offset=0)[1] == 1
    assert delta == {card_of(store, "tiny", key).href for key in "acde"}
    assert leftovers(store) == [0, 0, 0]


def test_a_client_edit_before_its_card_is_written_wins_and_the_next_run_tries_again(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    bob = card_of(store, "tiny", "b")
    linked = links(store, source)

    def phone_edits_bob() -> None:
        client_puts(store, bob.uid, "Bob from the phone", href=bob.href)

    outcome = run_source(
        store,
        source,
        meanwhile({"a": "Anna", "b": "Robert", "c": "Cy"}, "b", phone_edits_bob),
        Policy(),
    )
    assert outcome.run is not None
    assert (outcome.run.counts["updated"], outcome.run.counts["skipped"]) == (1, 1)
    (skip,) = outcome.changes.of("skip")
    assert (skip.key, skip.reason) == ("b", CHANGED_MEANWHILE)
    assert card_of(store, "client", bob.uid).name == "Bob from the phone"
    assert names_from(store, "tiny") == {"a": "Anna", "c": "Cy"}
    assert links(store, source)["b"] == linked["b"]  # the run left Bob as it found him
    # The source's change is applied by the next run, as any change of its record is.
    again = run(store, source, {"a": "Anna", "b": "Robert", "c": "Cy"})
    assert again.run is not None and again.run.counts["updated"] == 1
    assert names_from(store, "tiny") == {"a": "Anna", "b": "Robert", "c": "Cy"}


def test_a_client_edit_after_its_card_was_written_ahead_wins(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    ann = card_of(store, "tiny", "a")
    linked = links(store, source)
    edited: list[Card] = []

    def phone_edits_ann() -> None:  # a's update is written ahead by the time c's is built
        edited.append(client_puts(store, ann.uid, "Ann from the phone", href=ann.href))

    changed = {"a": "Anna", "b": "Bob", "c": "Cyrus"}
    run_source(store, source, meanwhile(changed, "c", phone_edits_ann), Policy())
    assert [card.href for card in cards(store) if card.uid == ann.uid] == [ann.href]
    (now,) = [card for card in cards(store) if card.uid == ann.uid]
    assert (now.name, now.etag) == ("Ann from the phone", edited[0].etag)
    assert names_from(store, "tiny") == {"b": "Bob", "c": "Cyrus"}
    assert links(store, source)["a"] == linked["a"]  # what the run wrote ahead of Ann went
    again = run(store, source, changed)
    assert again.run is not None and again.run.counts["updated"] == 1
    assert names_from(store, "tiny") == changed
    assert leftovers(store) == [0, 0, 0]


def test_a_contact_a_client_deletes_during_the_run_stays_deleted(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    ann, bob = card_of(store, "tiny", "a"), card_of(store, "tiny", "b")

    def phone_deletes_both() -> None:  # a's update is written ahead; b's is not yet
        client_deletes(store, ann.href)
        client_deletes(store, bob.href)

    run_source(
        store,
        source,
        meanwhile({"a": "Anna", "b": "Robert", "c": "Cyrus"}, "b", phone_deletes_both),
        Policy(),
    )
    assert names_from(store, "tiny") == {"c": "Cyrus"}
    # The next run sees them deleted on the server: tombstones, never brought back.
    again = run(store, source, {"a": "Anna", "b": "Robert", "c": "Cyrus"})
    assert again.run is not None and again.run.counts["skipped"] == 2
    assert names_from(store, "tiny") == {"c": "Cyrus"}


def test_a_client_card_with_the_uid_of_a_card_being_added_wins(
    store: Store, source: SourceRecord
) -> None:
    def record(key: str, uid: str, then: Callable[[], None] | None = None) -> Incoming:
        def make_card(card_uid: str) -> ItemData:
            if then is not None:
                then()
            return item_data(card_text(card_uid, key.upper(), "tiny", key))

        return Incoming(key, uid, make_card, hashlib.sha256(key.encode()).hexdigest())

    def phone_adds_same_uid() -> None:  # x is written ahead by the time y is built
        client_puts(store, "shared-uid", "Typed on a phone", href="phone.vcf")

    incoming = [record("x", "shared-uid"), record("y", "other-uid", phone_adds_same_uid)]
    run_source(store, source, lambda: (incoming, []), Policy())
    with store.read() as tx:
        uids = tx.uids_of(tx.require_collection(BOOK).id)
    assert uids == {"shared-uid": "phone.vcf", "other-uid": card_of(store, "tiny", "y").href}
    assert card_of(store, "client", "shared-uid").name == "Typed on a phone"
    assert "x" not in links(store, source)


def test_a_run_that_fails_after_writing_ahead_leaves_no_trace(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    before = snapshot(store, source)

    def fail() -> None:
        raise RuntimeError("the disk is full")

    with pytest.raises(RunFailed):
        run_source(
            store,
            source,
            meanwhile({"a": "Anna", "d": "Di", "e": "Eve"}, "e", fail),
            Policy(delete_missing=True),
        )
    assert snapshot(store, source) == before
    assert leftovers(store) == [0, 0, 0]
    assert run(store, source, {"a": "Anna"}, Policy()).run is not None
    assert names_from(store, "tiny")["a"] == "Anna"


def test_what_a_killed_run_wrote_ahead_is_swept_by_the_next_run(
    store: Store, source: SourceRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(store, source, PEOPLE)
    before = snapshot(store, source)

    class Killed(BaseException):
        """Stands for kill -9: the run ends where it is, nothing of it cleans up."""

    def killed() -> None:
        raise Killed()

    # A dead process's hold on the book: its holder names a process that is gone.
    monkeypatch.setattr("contacthub.store.staging.holder_alive", lambda holder: False)
    monkeypatch.setattr("contacthub.store.staging.Staging.__exit__", lambda *args: None)
    with pytest.raises(Killed):  # when c's update is built, d's add and a's are written
        run_source(
            store,
            source,
            meanwhile({"a": "Anna", "b": "Bob", "c": "Cyrus", "d": "Di"}, "c", killed),
            Policy(delete_missing=True),
        )
    assert snapshot(store, source) == before  # nothing of it is visible
    assert leftovers(store) == [2, 2, 1]  # what it wrote ahead, and its hold, are left
    monkeypatch.undo()
    monkeypatch.setattr("contacthub.reconcile.run.BATCH", 1)
    monkeypatch.setattr("contacthub.store.staging.holder_alive", lambda holder: False)
    outcome = run(store, source, {"a": "Anna", "e": "Eve"}, Policy())
    assert outcome.run is not None and outcome.run.message == "1 added, 1 updated"
    assert names_from(store, "tiny") == {"a": "Anna", "b": "Bob", "c": "Cy", "e": "Eve"}
    assert leftovers(store) == [0, 0, 0]


def _every_page(store: Store, token: str, members: int) -> tuple[list[list[str]], str]:
    """The pages of a sync from `token` on, and the token after the last one."""
    pages = []
    while True:
        with store.read() as tx:
            page = tx.changes_page(
                tx.require_collection(BOOK), token, members=members, text_bytes=10**6
            )
        pages.append(page.hrefs)
        token = page.token
        if page.complete:
            return pages, token


def test_sync_pages_cover_a_published_run_before_and_after_it_settles(
    store: Store, source: SourceRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's entries share one position of the log, settled or not: pages that stop
    inside it go on from the href they stopped at, and miss nothing."""
    run(store, source, PEOPLE)  # settled: a, b and c at one position
    with store.read() as tx:
        book = tx.require_collection(BOOK)
        before_run = format_token(book, book.sync_seq)
    monkeypatch.setattr("contacthub.store.staging.Staging._settle", lambda self, gen: None)
    more = {**PEOPLE, "d": "Di", "e": "Eve", "f": "Fay"}
    run(store, source, more)
    assert leftovers(store)[0] == 3  # published, its entries not yet in the log
    everything = sorted(card.href for card in cards(store))
    first_sync, _ = _every_page(store, "", members=2)
    assert [len(page) for page in first_sync] == [2, 2, 2]
    assert sorted(href for page in first_sync for href in page) == everything
    added = {card.href for card in cards(store) if card.name in ("Di", "Eve", "Fay")}
    delta, _ = _every_page(store, before_run, members=2)
    assert sorted(href for page in delta for href in page) == sorted(added)
    with store.read() as tx:
        halfway = tx.changes_page(
            tx.require_collection(BOOK), before_run, members=1, text_bytes=10**6
        )
    monkeypatch.undo()
    run(store, source, more)  # claims the book: settles the run before it first
    assert leftovers(store) == [0, 0, 0]
    rest, _ = _every_page(store, halfway.token, members=1)
    assert sorted(halfway.hrefs + [href for page in rest for href in page]) == sorted(added)
    first_sync, _ = _every_page(store, "", members=2)
    assert sorted(href for page in first_sync for href in page) == everything
