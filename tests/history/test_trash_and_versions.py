"""A book's trash (who deleted what, when; brought back under its UID and href as a new
write) and a contact's history (its versions, what changed, one restored)."""

from __future__ import annotations

import pytest

from contacthub.errors import Invalid, NotFound
from contacthub.services import history
from contacthub.sources.context import RunContext
from contacthub.store import Actor, Store
from contacthub.vcard.parse import item_data
from tests.history.book import (
    ADMIN,
    API,
    PHONE,
    Clock,
    changed_since,
    delete,
    held,
    put,
    text,
    token,
)
from tests.reconcile.tiny_source import BOOK

DAY = 86400.0


def test_the_trash_lists_deleted_contacts_newest_first_with_who_deleted_them(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    put(store, "bob", "Bob")
    put(store, "cy", "Cy")
    clock.turn()
    delete(store, "ann.vcf")
    clock.turn()
    delete(store, "bob.vcf", by=ADMIN)

    listed = history.trash(ctx, "alice", "people")
    assert [(e.uid, e.href, e.name) for e in listed] == [
        ("bob", "bob.vcf", "Bob"),
        ("ann", "ann.vcf", "Ann"),
    ]
    assert listed[0].deleted_by == history.Who("alice", "admin")
    assert listed[1].deleted_by == history.Who("alice", "carddav", PHONE.agent)
    assert listed[0].deleted_at == clock.now
    assert listed[0].as_dict()["deleted_by"]["via"] == "admin"


def test_a_contact_comes_back_from_the_trash_under_its_uid_and_href_as_a_new_change(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    put(store, "bob", "Bob")
    clock.turn()
    delete(store, "ann.vcf")
    delete(store, "bob.vcf")
    before = token(store)
    clock.turn()

    done = history.restore_from_trash(ctx, "alice", "people", ["ann"], via="admin")
    assert held(store) == {"ann.vcf": text("ann", "Ann")}
    assert changed_since(store, before) == {"ann.vcf"}  # clients see it arrive
    assert [e.uid for e in history.trash(ctx, "alice", "people")] == ["bob"]
    assert (done.kind, done.done.counts["added"]) == ("restore", 1)

    history.restore_from_trash(ctx, "alice", "people", None, via="api")
    assert sorted(held(store)) == ["ann.vcf", "bob.vcf"]
    assert history.trash(ctx, "alice", "people") == []


def test_a_contact_whose_href_was_taken_comes_back_at_a_free_one(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    clock.turn()
    delete(store, "ann.vcf")
    put(store, "other", "Other", href="ann.vcf")
    clock.turn()
    done = history.restore_from_trash(ctx, "alice", "people", ["ann"], via="api")
    (back,) = done.done.brought_back
    assert back.href != "ann.vcf"
    assert held(store)[back.href] == text("ann", "Ann")
    assert held(store)["ann.vcf"] == text("other", "Other")


def test_the_trash_forgets_what_is_older_than_the_retention_and_what_came_back(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    put(store, "bob", "Bob")
    delete(store, "ann.vcf")
    clock.turn(31 * DAY)
    delete(store, "bob.vcf")
    put(store, "bob", "Bob Again")  # created again under its UID: not in the trash
    assert history.trash(ctx, "alice", "people") == []


def test_restoring_what_is_not_in_the_trash_or_another_accounts_book_is_not_found(
    ctx: RunContext, store: Store
) -> None:
    put(store, "ann", "Ann")
    delete(store, "ann.vcf")
    with pytest.raises(NotFound) as missing:
        history.restore_from_trash(ctx, "alice", "people", ["nobody"], via="api")
    assert missing.value.field == "uids"
    with pytest.raises(NotFound):
        history.trash(ctx, "bob", "people")
    with pytest.raises(NotFound):
        history.restore_from_trash(ctx, "bob", "people", None, via="api")


def test_a_contacts_history_names_each_version_its_writer_and_what_changed(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    first = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann\r\nEND:VCARD\r\n"
    emailed = first.replace("END:", "EMAIL:ann@x.org\r\nEND:")
    phoned = emailed.replace("FN:Ann", "FN:Ann Lee").replace("END:", "TEL:+1 555 0100\r\nEND:")
    _write(store, first, PHONE)
    clock.turn()
    _write(store, emailed, API)
    clock.turn()
    _write(store, phoned, ADMIN)
    clock.turn()
    delete(store, "ann.vcf")
    clock.turn()
    history.restore_from_trash(ctx, "alice", "people", ["ann"], via="api")

    found = history.contact_history(ctx, "alice", "people", "ann")
    assert found.name == "Ann Lee"
    shown = [(v.action, v.by.via if v.by else None, v.exists, v.changed) for v in found.versions]
    assert shown == [
        (
            "add",
            "restore",
            True,
            ["EMAIL", "FN", "N", "TEL", "UID"][:0] or ["EMAIL", "FN", "TEL", "UID"],
        ),
        ("delete", "carddav", False, ["EMAIL", "FN", "TEL", "UID"]),
        ("update", "admin", True, ["FN", "TEL"]),
        ("update", "api", True, ["EMAIL"]),
        ("add", "carddav", True, ["FN", "UID"]),
    ]
    assert found.versions[0].current and not any(v.current for v in found.versions[1:])
    assert found.versions[-1].by == history.Who("alice", "carddav", PHONE.agent)

    oldest = found.versions[-1].version
    assert oldest is not None
    clock.turn()
    done = history.restore_version(ctx, "alice", "people", "ann", oldest, via="admin")
    assert held(store) == {"ann.vcf": first}
    assert done.done.counts["updated"] == 1
    again = history.contact_history(ctx, "alice", "people", "ann")
    assert (again.versions[0].by, again.versions[0].changed) == (
        history.Who("alice", "restore", "", done.run_id),
        ["EMAIL", "FN", "TEL"],
    )


def _write(store: Store, card: str, by: Actor) -> None:
    with store.write([BOOK], actor=by) as tx:
        tx.put_item(tx.require_collection(BOOK), "ann.vcf", item_data(card))


def test_a_deleted_version_cannot_be_restored_and_a_stranger_sees_no_history(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    clock.turn()
    delete(store, "ann.vcf")
    clock.turn()
    put(store, "ann", "Ann Again")
    found = history.contact_history(ctx, "alice", "people", "ann")
    deleted = next(v for v in found.versions if not v.exists)
    assert deleted.version is not None
    with pytest.raises(Invalid):
        history.restore_version(ctx, "alice", "people", "ann", deleted.version, via="api")
    with pytest.raises(NotFound):
        history.contact_history(ctx, "bob", "people", "ann")
    with pytest.raises(NotFound):
        history.contact_history(ctx, "alice", "people", "nobody")
