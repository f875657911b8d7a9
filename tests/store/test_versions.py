"""Versions: every write of a card keeps the card before it, with when, who and through
what; a run's versions show when it is published and never if it is swept; old versions
are pruned in bounded batches by a clock the test turns by hand. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from contacthub.store import (
    Actor,
    CollectionRecord,
    RunRecord,
    StagedChange,
    Staging,
    Store,
    Transaction,
    VersionRecord,
    prune_history,
)
from contacthub.store.items import row_values
from contacthub.store.schema import items, versions
from contacthub.store.versions import pack, unpack
from contacthub.vcard.parse import item_data
from tests.support.vcards import apple_person_card, make_card

BOOK = "alice/contacts"
OTHER = "alice/other"
PHONE = Actor("alice", "carddav", "DAVx5/4.4.2-ose")
DAY = 86400.0


class Clock:
    """The store's clock, turned by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def turn(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_url: str, clock: Clock) -> Iterator[Store]:
    opened = Store.open(store_url, clock=clock)
    with opened.write() as tx:
        tx.create_collection("alice", {})
        tx.create_collection(BOOK, {"tag": "VADDRESSBOOK"})
        tx.create_collection(OTHER, {"tag": "VADDRESSBOOK"})
    yield opened
    opened.close()


def card(uid: str, name: str, **fields: list[str]) -> str:
    return make_card(uid, name, emails=fields.get("emails", []), tels=fields.get("tels", []))


def put(store: Store, href: str, text: str, actor: Actor = PHONE, book: str = BOOK) -> None:
    with store.write([book], actor=actor) as tx:
        tx.put_item(tx.require_collection(book), href, item_data(text))


def delete(store: Store, href: str, actor: Actor = PHONE, book: str = BOOK) -> None:
    with store.write([book], actor=actor) as tx:
        tx.delete_item(tx.require_collection(book), href)


def history(store: Store, book: str = BOOK) -> list[VersionRecord]:
    with store.read() as tx:
        return tx.versions_after(tx.require_collection(book).id, 0, cards=True)


def texts(versions_: list[VersionRecord]) -> list[str | None]:
    found = []
    for version in versions_:
        before = version.before()
        found.append(before.text if before is not None else None)
    return found


def test_every_write_keeps_the_card_before_it_with_when_who_and_through_what(
    store: Store, clock: Clock
) -> None:
    first, second = card("ann", "Ann"), card("ann", "Ann Lee", emails=["ann@x.org"])
    put(store, "ann.vcf", first)
    clock.turn(10)
    put(store, "ann.vcf", second, Actor("alice", "api"))
    clock.turn(10)
    delete(store, "ann.vcf", Actor("alice", "admin"))

    written = history(store)
    assert [v.action for v in written] == ["add", "update", "delete"]
    assert texts(written) == [None, first, second]
    assert [v.at for v in written] == [clock.now - 20, clock.now - 10, clock.now]
    assert [(v.account, v.via, v.agent) for v in written] == [
        ("alice", "carddav", "DAVx5/4.4.2-ose"),
        ("alice", "api", ""),
        ("alice", "admin", ""),
    ]
    assert [v.uid for v in written] == ["ann"] * 3
    assert written[0].seq < written[1].seq < written[2].seq
    assert written[2].display_name == "Ann Lee"  # the card deleted


def test_writing_the_same_text_again_keeps_no_version(store: Store) -> None:
    put(store, "ann.vcf", card("ann", "Ann"))
    put(store, "ann.vcf", card("ann", "Ann"))
    assert [v.action for v in history(store)] == ["add"]


def test_a_move_keeps_the_card_leaving_one_book_and_the_one_it_replaced_in_the_other(
    store: Store,
) -> None:
    moved, replaced = card("ann", "Ann"), card("bob", "Bob")
    put(store, "ann.vcf", moved)
    put(store, "x.vcf", replaced, book=OTHER)
    with store.write([BOOK, OTHER], actor=PHONE) as tx:
        tx.move_item(tx.require_collection(BOOK), "ann.vcf", tx.require_collection(OTHER), "x.vcf")
    out = history(store)[-1]
    into = history(store, OTHER)[-1]
    assert (out.action, out.href, texts([out])) == ("move_out", "ann.vcf", [moved])
    assert (into.action, into.href, texts([into])) == ("move_in", "x.vcf", [replaced])


def test_many_adds_at_once_keep_one_version_each(store: Store) -> None:
    with store.write([BOOK], actor=PHONE) as tx:
        tx.add_items(
            tx.require_collection(BOOK),
            [(f"{n}.vcf", item_data(card(f"u{n}", f"N{n}"))) for n in range(3)],
        )
    written = history(store)
    assert [(v.href, v.action, v.existed) for v in written] == [
        (f"{n}.vcf", "add", False) for n in range(3)
    ]
    assert len({v.seq for v in written}) == 3


def test_a_write_with_no_actor_records_unknown_and_says_so_in_the_log(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), store.write() as tx:
        tx.put_item(tx.require_collection(BOOK), "ann.vcf", item_data(card("ann", "Ann")))
    assert [(v.account, v.via) for v in history(store)] == [("", "unknown")]
    assert "no actor" in caplog.text


def test_a_kept_card_is_written_back_with_the_index_it_had(store: Store) -> None:
    put(store, "zoe.vcf", apple_person_card())
    with store.read() as tx:
        row = tx.conn.execute(sa.select(items).where(items.c.href == "zoe.vcf")).one()
    packed = pack(row)
    assert len(packed) < len(row.text.encode())  # it pays: compressed
    again = row_values(unpack(packed))
    kept = dict(row._mapping)
    for column in ("text", "uid", "etag", "display_name", "idx_fn", "idx_email", "idx_tel"):
        assert again[column] == kept[column], column
    assert (again["idx_org"], again["idx_extra"]) == (kept["idx_org"], kept["idx_extra"])


# -- a run's versions -----------------------------------------------------------------------------


def _book(store: Store, path: str = BOOK) -> CollectionRecord:
    with store.read() as tx:
        return tx.require_collection(path)


def _stage_update(staging: Staging, store: Store, href: str, text: str) -> None:
    with store.read() as tx:
        old = tx.get_item(_book(store).id, href)
    assert old is not None
    change = StagedChange("update", href, href, old.uid, data=item_data(text), base_etag=old.etag)
    assert staging.stage(None, [change]) == set()


def test_a_runs_versions_show_when_it_is_published_named_by_its_run(
    store: Store, clock: Clock
) -> None:
    put(store, "ann.vcf", card("ann", "Ann"))
    clock.turn(60)
    run_actor = Actor("alice", "run")
    with Staging(store, BOOK, run_actor) as staging:
        _stage_update(staging, store, "ann.vcf", card("ann", "Ann Run"))
        add = StagedChange("add", "bob", "bob.vcf", "bob", data=item_data(card("bob", "Bob")))
        assert staging.stage(None, [add]) == set()
        clock.turn(5)
        assert [v.action for v in history(store)] == ["add"]  # written ahead: not yet

        def record(tx: Transaction) -> RunRecord:
            return tx.record_run(
                None,
                owner="alice",
                kind="restore",
                started_at=0,
                status="ok",
                trigger="api",
                counts={},
            )

        run = staging.publish(record)
        published = history(store)  # published, not settled yet
        clock.turn(5)
    settled = history(store)
    assert published == settled
    assert [(v.href, v.action) for v in settled] == [
        ("ann.vcf", "add"),
        ("ann.vcf", "update"),
        ("bob.vcf", "add"),
    ]
    of_run = settled[1:]
    assert {(v.run_id, v.via, v.at) for v in of_run} == {(run.id, "run", clock.now - 5)}
    with store.read() as tx:
        assert tx.versions_of_run(run.id) == of_run
        unsettled = sa.select(sa.func.count()).select_from(versions).where(versions.c.gen != 0)
        assert tx.conn.execute(unsettled).scalar() == 0


def test_a_swept_runs_versions_never_show_and_go(store: Store) -> None:
    put(store, "ann.vcf", card("ann", "Ann"))
    with pytest.raises(RuntimeError), Staging(store, BOOK, Actor("alice", "run")) as staging:
        _stage_update(staging, store, "ann.vcf", card("ann", "Ann Run"))
        raise RuntimeError("the run failed")
    assert [v.action for v in history(store)] == ["add"]
    with store.read() as tx:
        assert tx.conn.execute(sa.select(sa.func.count()).select_from(versions)).scalar() == 1


def test_a_clients_write_during_a_run_drops_the_runs_version_of_that_card(store: Store) -> None:
    put(store, "ann.vcf", card("ann", "Ann"))
    with Staging(store, BOOK, Actor("alice", "run")) as staging:
        _stage_update(staging, store, "ann.vcf", card("ann", "Ann Run"))
        put(store, "ann.vcf", card("ann", "Ann Phone"))
        staging.publish(lambda tx: None)
    written = history(store)
    assert [(v.action, v.via) for v in written] == [("add", "carddav"), ("update", "carddav")]
    assert texts(written) == [None, card("ann", "Ann")]


# -- pruning --------------------------------------------------------------------------------------


def test_versions_older_than_the_retention_are_pruned_in_bounded_batches(
    store_url: str, clock: Clock
) -> None:
    store = Store.open(store_url, clock=clock, history_retention=30 * DAY)
    with store.write() as tx:
        tx.create_collection("alice", {})
        tx.create_collection(BOOK, {"tag": "VADDRESSBOOK"})
    for n in range(5):
        put(store, f"{n}.vcf", card(f"u{n}", f"Old {n}"), book=BOOK)
    clock.turn(20 * DAY)
    put(store, "new.vcf", card("new", "New"))
    clock.turn(11 * DAY)  # the first five are 31 days old, the last 11

    assert prune_history(store, batch=2, most_batches=2) == 4  # bounded: two batches of two
    assert prune_history(store, batch=2, most_batches=2) == 1
    assert prune_history(store, batch=2, most_batches=2) == 0
    assert [v.href for v in history(store)] == ["new.vcf"]
    store.close()
