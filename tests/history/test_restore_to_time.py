"""A book (or all of an account's books) restored to a time: a preview, then one run that
makes each book exactly as it was, as new writes clients see at their next sync; refused
whole when a card changed since the preview or changes while it is applied."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from contacthub.errors import Invalid, NotFound
from contacthub.reconcile import restore
from contacthub.reconcile.restore import ChangedSincePreview
from contacthub.services import history
from contacthub.sources.context import RunContext
from contacthub.store import Store
from contacthub.store.schema import runs
from tests.history.book import ADMIN, API, Clock, changed_since, delete, held, put, text, token
from tests.reconcile.tiny_source import BOOK_PROPS

DAY = 86400.0


def _names(contacts: list[history.PlannedContact]) -> list[str]:
    return sorted(contact.name for contact in contacts)


def test_a_book_comes_back_as_it_was_at_the_time_with_later_edits_undone(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    put(store, "bob", "Bob")
    put(store, "cy", "Cy")
    at = clock.turn()
    as_it_was = held(store)
    put(store, "ann", "Ann Edited", by=API)
    delete(store, "bob.vcf")
    put(store, "dee", "Dee", by=ADMIN)
    clock.turn()
    put(store, "ann", "Ann Edited Twice")
    put(store, "bob", "Bob Again", href="bob2.vcf")
    delete(store, "bob2.vcf")
    before = token(store)

    preview = history.preview_restore(ctx, "alice", ["people"], at)
    assert _names(preview.brought_back) == ["Bob"]
    assert _names(preview.reverted) == ["Ann"]  # as it will be
    assert _names(preview.removed) == ["Dee"]
    assert preview.counts == {"added": 1, "updated": 1, "deleted": 1, "skipped": 0}
    assert held(store) != as_it_was  # a preview changes nothing

    clock.turn()
    done = history.apply_restore(ctx, "alice", ["people"], at, via="api", basis=preview.basis)
    assert held(store) == as_it_was
    assert (done.kind, done.status) == ("restore", "ok")
    # New writes: every client sees them at its next sync, from a later position.
    assert changed_since(store, before) == {"ann.vcf", "bob.vcf", "dee.vcf"}
    with store.read() as tx:
        run = tx.require_run(done.run_id)
        written = tx.versions_of_run(done.run_id)
    assert (run.owner, run.kind, run.trigger, run.source_id) == ("alice", "restore", "api", None)
    assert {(v.href, v.via, v.account) for v in written} == {
        ("ann.vcf", "restore", "alice"),
        ("bob.vcf", "restore", "alice"),
        ("dee.vcf", "restore", "alice"),
    }


def test_a_restore_is_undone_like_any_run(ctx: RunContext, store: Store, clock: Clock) -> None:
    put(store, "ann", "Ann")
    at = clock.turn()
    put(store, "ann", "Ann Edited")
    put(store, "bob", "Bob")
    clock.turn()
    after_edits = held(store)
    done = history.apply_restore(ctx, "alice", ["people"], at, via="cli")
    clock.turn()
    preview = history.preview_undo(ctx, "alice", done.run_id)
    assert (_names(preview.reverted), _names(preview.brought_back)) == (["Ann Edited"], ["Bob"])
    history.apply_undo(ctx, "alice", done.run_id, False, via="api", basis=preview.basis)
    assert held(store) == after_edits


def test_all_books_of_an_account_are_restored_in_one_run(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    with store.write() as tx:
        tx.create_collection("alice/work", BOOK_PROPS)
    put(store, "ann", "Ann")
    put(store, "wes", "Wes", book="alice/work")
    at = clock.turn()
    people, work = held(store), held(store, "alice/work")
    delete(store, "ann.vcf")
    delete(store, "wes.vcf", book="alice/work")
    put(store, "new", "New", book="alice/work")
    clock.turn()

    done = history.apply_restore(ctx, "alice", None, at, via="admin")
    assert (held(store), held(store, "alice/work")) == (people, work)
    assert done.done.counts == {"added": 2, "updated": 0, "deleted": 1, "skipped": 0}
    with store.read() as tx:
        books = {v.collection_id for v in tx.versions_of_run(done.run_id)}
    assert len(books) == 2


def test_a_card_changed_since_the_preview_makes_the_apply_refuse_and_change_nothing(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    at = clock.turn()
    put(store, "ann", "Ann Edited")
    delete_later = "ann.vcf"
    clock.turn()
    preview = history.preview_restore(ctx, "alice", ["people"], at)
    put(store, "ann", "Ann From The Phone")  # a phone wins the race
    clock.turn()
    with pytest.raises(ChangedSincePreview):
        history.apply_restore(ctx, "alice", ["people"], at, via="api", basis=preview.basis)
    assert held(store) == {delete_later: text("ann", "Ann From The Phone")}


def test_a_client_writing_while_the_restore_is_applied_keeps_its_write_and_nothing_is_restored(
    ctx: RunContext, store: Store, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(store, "ann", "Ann")
    put(store, "bob", "Bob")
    at = clock.turn()
    put(store, "ann", "Ann Edited")
    delete(store, "bob.vcf")
    clock.turn()
    written_ahead = restore._stage

    def then_a_phone_writes(*args: Any, **kwargs: Any) -> None:
        written_ahead(*args, **kwargs)
        put(store, "ann", "Ann From The Phone")

    monkeypatch.setattr(restore, "_stage", then_a_phone_writes)
    with pytest.raises(ChangedSincePreview):
        history.apply_restore(ctx, "alice", ["people"], at, via="api")
    # Not half applied: Bob is not back; the phone's write is not lost.
    assert held(store) == {"ann.vcf": text("ann", "Ann From The Phone")}
    with store.read() as tx:
        assert list(tx.conn.execute(sa.select(runs.c.kind)).scalars()) == []


def test_a_time_before_the_retention_or_in_the_future_is_refused(
    ctx: RunContext, clock: Clock
) -> None:
    with pytest.raises(Invalid) as old:
        history.preview_restore(ctx, "alice", ["people"], clock.now - 31 * DAY)
    with pytest.raises(Invalid) as future:
        history.apply_restore(ctx, "alice", ["people"], clock.now + 60, via="api")
    assert (old.value.field, future.value.field) == ("at", "at")
    assert "30 days" in str(old.value)


def test_another_accounts_book_is_not_found(ctx: RunContext, clock: Clock) -> None:
    with pytest.raises(NotFound):
        history.preview_restore(ctx, "bob", ["people"], clock.now - 10)
