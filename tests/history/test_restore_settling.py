"""A restore answers once its cards are back: settling its rows (store/staging.py) goes on
in a thread of the store, changes nothing anyone sees, and is finished by the book's next
run if the thread could not finish it."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from contacthub.services import history
from contacthub.sources.context import RunContext
from contacthub.store import Store
from contacthub.store.schema import pending_changes
from tests.history.book import Clock, changed_since, delete, held, put, token


def _unsettled(store: Store) -> int:
    with store.read() as tx:
        return tx.conn.execute(sa.select(sa.func.count()).select_from(pending_changes)).scalar_one()


def _two_deleted(store: Store, clock: Clock) -> tuple[float, dict[str, str], str]:
    put(store, "ann", "Ann")
    put(store, "bob", "Bob")
    at = clock.turn()
    as_it_was = held(store)
    delete(store, "ann.vcf")
    delete(store, "bob.vcf")
    clock.turn()
    return at, as_it_was, token(store)


def test_the_cards_are_back_when_the_apply_answers_before_its_rows_are_settled(
    ctx: RunContext, store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, as_it_was, before = _two_deleted(store, clock)
    release = threading.Event()
    in_background = store.settle_in_background

    def held_back(name: str, settle: Callable[[], None]) -> None:
        def when_released() -> None:
            assert release.wait(30)
            settle()

        in_background(name, when_released)

    monkeypatch.setattr(store, "settle_in_background", held_back)

    try:
        done = history.apply_restore(ctx, "alice", ["people"], at, via="api")

        assert done.done.counts["added"] == 2
        assert held(store) == as_it_was
        assert changed_since(store, before) == {"ann.vcf", "bob.vcf"}
        assert _unsettled(store) == 2  # the thread waits: nothing of it is settled yet
    finally:
        release.set()
    store.close()  # waits for the thread
    assert _unsettled(store) == 0
    assert held(store) == as_it_was


def test_a_settling_that_failed_is_finished_by_the_next_run_of_the_book(
    ctx: RunContext, store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, as_it_was, _ = _two_deleted(store, clock)
    in_background = store.settle_in_background

    def failing(name: str, settle: Callable[[], None]) -> None:
        def ended() -> None:
            raise RuntimeError("the process ended")

        in_background(name, ended)

    monkeypatch.setattr(store, "settle_in_background", failing)
    history.apply_restore(ctx, "alice", ["people"], at, via="api")
    store.close()
    assert _unsettled(store) == 2
    assert held(store) == as_it_was

    put(store, "cy", "Cy")  # a client's write: the run stays published, readers see it
    assert held(store) == {**as_it_was, **{"cy.vcf": held(store)["cy.vcf"]}}
    history.apply_restore(ctx, "alice", ["people"], clock.turn(), via="api")  # nothing to do
    undo = history.preview_restore(ctx, "alice", ["people"], at)
    assert [c.name for c in undo.removed] == ["Cy"]
    assert _unsettled(store) == 0  # the next run of the book settled the first
