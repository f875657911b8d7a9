"""Contacts named as iOS and macOS name them: a card without a name by its organization,
then its email, then its phone; a salutation ("Frau", Outlook's Title, Google's Name Prefix)
stays in N and out of FN."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import vobject

from contacthub.sources.device import apply_push, device_source, receive_push
from contacthub.store import Store
from contacthub.vcard.fields import ContactFields, Email, Phone
from contacthub.vcard.parse import index_of
from contacthub.vcard.write import to_vcard


def card(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", *lines, "END:VCARD", ""])


def test_a_salutation_stays_in_n_and_out_of_fn() -> None:
    fields = ContactFields(prefix="Frau", given="Anna", family="Schröder")
    written = vobject.readOne(to_vcard(fields, "u1"))
    assert written.fn.value == "Anna Schröder"
    assert written.n.value.prefix == "Frau"


def test_a_card_without_a_name_is_named_by_organization_then_email_then_phone() -> None:
    email, phone = [Email("info@acme.example", "work")], [Phone("+49 30 1234", "work")]
    assert ContactFields(organisation="Acme", emails=email).derived_full_name() == "Acme"
    assert ContactFields(emails=email, phones=phone).derived_full_name() == "info@acme.example"
    assert ContactFields(phones=phone).derived_full_name() == "+49 30 1234"
    parsed = [
        (card("N:;;;;", "ORG:Acme GmbH;Sales", "EMAIL:info@acme.example"), "Acme GmbH"),
        (card("N:;;;;", "EMAIL:info@acme.example", "TEL:+49 30 1234"), "info@acme.example"),
        (card("TEL:+49 30 1234"), "+49 30 1234"),
        (card("N:Schröder;Anna;;Frau;"), "Anna Schröder"),
    ]
    for text, name in parsed:
        assert index_of(vobject.readOne(text)).display_name == name


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def test_a_pushed_card_with_only_an_organization_is_named_by_it(store: Store) -> None:
    body = card("UID:acme", "ORG:Acme GmbH").encode()
    changes = receive_push(store, "ann", "iPhone", body)
    assert [change.summary for change in changes.of("add")] == ["Acme GmbH"]
    with store.read() as tx:
        apply_push(store, device_source(tx, "ann", "iPhone"))
    with store.read() as tx:
        book = tx.require_collection("ann/from-ios")
        [text] = [item.text for item in tx.iter_items(book.id)]
    assert vobject.readOne(text).fn.value == "Acme GmbH"
