"""Sources and a phone feeding the same person into three books, for the merge's tests.

A source's record is a mapping of vCard property names to values; the card it becomes is
made from them (vCard 3.0, as the sources write). "From CSV" brings a name, an email, a
phone and an organization; "From IMAP" a name, an email and a count of messages; the
phone's card (in "Contacts", written through CardDAV) a name, a phone and a birthday.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from contacthub.reconcile import Incoming, Policy, RunOutcome, run_source
from contacthub.store import Actor, ItemData, ItemRecord, Link, SourceRecord, Store
from contacthub.vcard.parse import item_data

OWNER = "alice"
CONTACTS = "alice/contacts"
CSV_BOOK = "alice/from-csv"
MAIL_BOOK = "alice/from-imap"
PHONE = Actor("alice", "carddav", "iOS/17.4 (21E219) dataaccessd/1.0")
Record = Mapping[str, str | list[str]]

JANE_CSV: Record = {
    "FN": "Jane Doe",
    "EMAIL": "jane@example.org",
    "TEL": "+372 5555 1234",
    "ORG": "ACME",
}
JANE_MAIL: Record = {
    "FN": "jane@example.org",
    "EMAIL": "Jane@Example.org",
    "X-CONTACTHUB-MESSAGES": "3",
}
JANE_PHONE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
    "UID:phone-jane\r\nN:Doe;Jane;;;\r\nFN:Jane Doe (phone)\r\n"
    "item1.TEL;type=CELL:55551234\r\nitem1.X-ABLabel:mobile\r\nBDAY:1990-04-01\r\n"
    "END:VCARD\r\n"
)


def make_books(store: Store) -> None:
    with store.write() as tx:
        tx.ensure_collection(OWNER)
        for path, name in (
            (CONTACTS, "Contacts"),
            (CSV_BOOK, "From CSV"),
            (MAIL_BOOK, "From IMAP"),
        ):
            tx.ensure_collection(path, {"tag": "VADDRESSBOOK", "D:displayname": name})


def create_source(store: Store, kind: str, name: str, book: str) -> SourceRecord:
    with store.write() as tx:
        return tx.create_source(OWNER, kind, name, book, {})


def card_text(uid: str, fields: Record) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}"]
    for name, values in fields.items():
        for value in [values] if isinstance(values, str) else values:
            lines.append(f"{name}:{value}")
    if "N" not in fields:
        lines.append("N:;;;;")
    return "\r\n".join([*lines, "END:VCARD", ""])


def record(key: str, fields: Record) -> Incoming:
    def make_card(uid: str) -> ItemData:
        return item_data(card_text(uid, fields))

    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
    return Incoming(key, "", make_card, digest, summary=str(fields.get("FN", "")))


def run(
    store: Store, source: SourceRecord, records: Mapping[str, Record], policy: Policy | None = None
) -> RunOutcome:
    incoming = [record(key, fields) for key, fields in records.items()]
    return run_source(store, source, lambda: (incoming, []), policy or Policy())


def phone_puts(store: Store, text: str = JANE_PHONE, href: str = "phone-jane.vcf") -> None:
    with store.write([CONTACTS], actor=PHONE) as tx:
        tx.put_item(tx.require_collection(CONTACTS), href, item_data(text))


def items(store: Store, book: str) -> list[ItemRecord]:
    with store.read() as tx:
        return list(tx.iter_items(tx.require_collection(book).id))


def links(store: Store, source: SourceRecord) -> dict[str, Link]:
    with store.read() as tx:
        return tx.links_of(source.id)


def values(text: str, name: str) -> list[str]:
    """The values of the property `name` in a card (any group, parameters left aside)."""
    found = []
    for line in text.replace("\r\n ", "").splitlines():
        head, _, value = line.partition(":")
        if head.split(";")[0].split(".")[-1].upper() == name:
            found.append(value)
    return found
