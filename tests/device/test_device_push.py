"""A phone's push into "From iOS": preview of new contacts, tombstones, auto export."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from contacthub.sources.device import (
    PushRefused,
    apply_push,
    cancel_push,
    device_source,
    preview,
    receive_push,
    set_auto_export,
)
from contacthub.store import Store
from tests.support.vcards import big_photo_card


def vcard(uid: str, name: str, extra: str = "") -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\n{extra}END:VCARD\r\n"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def book_uids(store: Store) -> set[str]:
    with store.read() as tx:
        return set(tx.uids_of(tx.require_collection("ann/from-ios").id))


def push(store: Store, body: str) -> list[str]:
    """Push, then accept; returns the names the preview listed as new."""
    changes = receive_push(store, "ann", "iPhone", body.encode())
    new = [change.summary for change in changes.of("add")]
    with store.read() as tx:
        source = device_source(tx, "ann", "iPhone")
    apply_push(store, source)
    return new


def test_preview_lists_only_new_contacts_and_applying_updates_changed_ones(store: Store) -> None:
    assert push(store, vcard("a", "Ann") + vcard("b", "Bob")) == ["Ann", "Bob"]
    changes = receive_push(
        store,
        "ann",
        "iPhone",
        (vcard("a", "Ann Changed") + vcard("b", "Bob") + vcard("c", "Cid")).encode(),
    )
    assert [c.summary for c in changes.of("add")] == ["Cid"]
    assert [c.summary for c in changes.of("update")] == ["Ann Changed"]
    with store.read() as tx:
        source = device_source(tx, "ann", "iPhone")
        book = tx.require_collection("ann/from-ios")
    assert book.display_name == "From iOS"
    apply_push(store, source)
    with store.read() as tx:
        ann = tx.get_item(book.id, tx.uids_of(book.id)["a"])
    assert ann is not None and "FN:Ann Changed" in ann.text


def test_a_contact_deleted_on_the_server_is_never_readded(store: Store) -> None:
    push(store, vcard("a", "Ann") + vcard("b", "Bob"))
    with store.write() as tx:
        book = tx.require_collection("ann/from-ios")
        tx.delete_item(book, tx.uids_of(book.id)["b"])
    new = push(store, vcard("a", "Ann") + vcard("b", "Bob") + vcard("n", "New on the phone"))
    assert new == ["New on the phone"]
    assert book_uids(store) == {"a", "n"}
    push(store, vcard("a", "Ann") + vcard("b", "Bob edited on the phone"))
    assert book_uids(store) == {"a", "n"}  # nor by an edit, nor when the phone drops "n"


def test_every_contact_comes_in_whatever_it_holds(store: Store) -> None:
    body = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:+44 20 7946 0000\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:only@example.org\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Name;Only;;;\r\nEND:VCARD\r\n"
    )
    assert sorted(push(store, body)) == ["+44 20 7946 0000", "Only Name", "only@example.org"]
    assert len(book_uids(store)) == 3
    assert push(store, body) == []  # the same cards again: matched, nothing new


def test_malformed_cards_are_reported_and_the_rest_imported(store: Store) -> None:
    changes = receive_push(
        store,
        "ann",
        "iPhone",
        (vcard("a", "Ann") + "BEGIN:VCARD\r\nnot a line\r\nEND:VCARD\r\n").encode(),
    )
    assert [c.summary for c in changes.of("add")] == ["Ann"]
    assert [p.line for p in changes.problems] == [6]


def test_auto_export_off_refuses_pushes_and_keeps_what_came_in(store: Store) -> None:
    push(store, vcard("a", "Ann"))
    with store.write() as tx:
        set_auto_export(tx, device_source(tx, "ann", "iPhone"), False)
    with pytest.raises(PushRefused, match="automatic export is off"):
        receive_push(store, "ann", "iPhone", vcard("b", "Bob").encode())
    assert book_uids(store) == {"a"}


def test_cancel_discards_the_pending_push(store: Store) -> None:
    receive_push(store, "ann", "iPhone", vcard("a", "Ann").encode())
    with store.read() as tx:
        source = device_source(tx, "ann", "iPhone")
    cancel_push(store, source)
    assert preview(store, source).changes == []
    with pytest.raises(PushRefused, match="no pending push"):
        apply_push(store, source)
    assert book_uids(store) == set()


def test_a_push_stored_applied_or_refused_is_logged_without_its_cards(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="contacthub")
    body = vcard("a", "Ann Secretname")
    push(store, body)
    with store.write() as tx:
        set_auto_export(tx, device_source(tx, "ann", "iPhone"), False)
    with pytest.raises(PushRefused):
        receive_push(store, "ann", "iPhone", body.encode())
    assert [r.getMessage() for r in caplog.records if r.name == "contacthub.sources.device"] == [
        f"push from device 'iPhone' of ann stored for preview ({len(body)} bytes; new contacts: 1)",
        "push from device 'iPhone' of ann applied",
        "push from device 'iPhone' of ann refused: automatic export is off for 'iPhone': "
        "turn it on to push this device's contacts",
    ]
    assert "Secretname" not in caplog.text


def test_a_pushed_card_with_a_big_photo_is_kept_byte_for_byte(store: Store) -> None:
    card = big_photo_card("big", os.urandom(5 * 1024 * 1024), "3.0", fn="Photo Person")
    assert push(store, vcard("a", "Ann") + card) == ["Ann", "Photo Person"]
    with store.read() as tx:
        book = tx.require_collection("ann/from-ios")
        kept = tx.get_item(book.id, tx.uids_of(book.id)["big"])
    assert kept is not None and kept.text == card
