"""The undo of a run: its adds removed, its updates and deletions reverted, its source's
links put back so the source's next run is not confused; contacts changed again after
the run named in the preview, skipped or included as the person chooses."""

from __future__ import annotations

import pytest

from contacthub.errors import NotFound
from contacthub.reconcile import Policy
from contacthub.services import history
from contacthub.sources.context import RunContext
from contacthub.store import SourceRecord, Store
from tests.history.book import Clock, delete, put
from tests.reconcile.tiny_source import card_of, cards, links, names_from, run

FIRST = {"a": "Ann", "b": "Bob", "c": "Cy"}
SECOND = {"a": "Ann New", "b": "Bob", "d": "Dee"}  # a updated, c gone, d new
DELETE_MISSING = Policy(delete_missing=True)


def _names(contacts: list[history.PlannedContact]) -> list[str]:
    return sorted(contact.name for contact in contacts)


def test_undoing_a_run_with_update_and_delete_not_found_puts_the_book_back(
    ctx: RunContext, store: Store, source: SourceRecord, clock: Clock
) -> None:
    run(store, source, FIRST)
    clock.turn()
    second = run(store, source, SECOND, DELETE_MISSING).run
    assert second is not None
    assert second.counts["deleted"] == 1
    with store.read() as tx:
        written = tx.versions_of_run(second.id)
    assert sorted(v.action for v in written) == ["add", "delete", "update"]
    assert {(v.account, v.via, v.run_id) for v in written} == {("alice", "run", second.id)}
    clock.turn()

    preview = history.preview_undo(ctx, "alice", second.id)
    assert (_names(preview.reverted), _names(preview.brought_back), _names(preview.removed)) == (
        ["Ann"],
        ["Cy"],
        ["Dee"],
    )
    assert preview.changed_later == []
    done = history.apply_undo(ctx, "alice", second.id, False, via="api", basis=preview.basis)
    assert (done.kind, done.status) == ("undo", "ok")
    assert names_from(store, "tiny") == FIRST
    linked = links(store, source)
    assert sorted(linked) == ["a", "b", "c"]  # c's link is back, d's went with it
    assert linked["c"].uid == card_of(store, "tiny", "c").uid and not linked["c"].deleted

    # The source's next run knows every contact again: no duplicate, nothing re-added.
    clock.turn()
    again = run(store, source, FIRST, DELETE_MISSING).run
    assert again is not None
    assert (again.counts["added"], again.counts["deleted"]) == (0, 0)
    assert names_from(store, "tiny") == FIRST
    assert len(cards(store)) == 3


def test_a_contact_changed_after_the_run_is_named_and_skipped_or_included(
    ctx: RunContext, store: Store, source: SourceRecord, clock: Clock
) -> None:
    added = run(store, source, {"a": "Ann", "b": "Bob"}).run
    assert added is not None
    clock.turn()
    href = card_of(store, "tiny", "a").href
    put(store, card_of(store, "tiny", "a").uid, "Ann From The Phone", href=href)
    clock.turn()

    skipping = history.preview_undo(ctx, "alice", added.id)
    assert [c.name for c in skipping.changed_later] == ["Ann From The Phone"]
    assert (_names(skipping.removed), _names(skipping.skipped)) == (["Bob"], ["Ann From The Phone"])
    including = history.preview_undo(ctx, "alice", added.id, include_later_changes=True)
    assert _names(including.removed) == ["Ann From The Phone", "Bob"]
    assert including.skipped == []

    history.apply_undo(ctx, "alice", added.id, False, via="admin", basis=skipping.basis)
    assert [c.name for c in cards(store)] == ["Ann From The Phone"]
    assert sorted(links(store, source)) == ["a"]


def test_an_undo_including_later_changes_reverts_them_too(
    ctx: RunContext, store: Store, source: SourceRecord, clock: Clock
) -> None:
    run(store, source, {"a": "Ann"})
    clock.turn()
    updated = run(store, source, {"a": "Ann New"}).run
    assert updated is not None
    clock.turn()
    card = card_of(store, "tiny", "a")
    put(store, card.uid, "Ann From The Phone", href=card.href)
    clock.turn()
    history.apply_undo(ctx, "alice", updated.id, True, via="cli")
    assert names_from(store, "tiny") == {"a": "Ann"}


def test_a_contact_the_user_deleted_and_restored_is_the_sources_again(
    ctx: RunContext, store: Store, source: SourceRecord, clock: Clock
) -> None:
    run(store, source, {"a": "Ann"})
    delete(store, card_of(store, "tiny", "a").href)
    clock.turn()
    run(store, source, {"a": "Ann"})  # "deleted on the server": the link is a tombstone
    assert links(store, source)["a"].deleted
    clock.turn()

    history.restore_from_trash(ctx, "alice", "people", None, via="api")
    assert not links(store, source)["a"].deleted
    clock.turn()
    later = run(store, source, {"a": "Ann Changed"}).run
    assert later is not None and later.counts["updated"] == 1
    assert names_from(store, "tiny") == {"a": "Ann Changed"}


def test_a_run_of_another_account_or_none_is_not_found(
    ctx: RunContext, store: Store, source: SourceRecord
) -> None:
    added = run(store, source, {"a": "Ann"}).run
    assert added is not None
    with pytest.raises(NotFound):
        history.preview_undo(ctx, "bob", added.id)
    with pytest.raises(NotFound):
        history.apply_undo(ctx, "bob", added.id, False, via="api")
    with pytest.raises(NotFound):
        history.preview_undo(ctx, "alice", added.id + 1000)
