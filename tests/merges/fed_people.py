"""The issue's people (tests/duplicates/people.py) as each source brings them through its
real run: a phone's push of its book (the API's push and apply), a mail from each in
Dovecot, a staff CSV on FTP, and contacts in the EWS double.

Each source writes the numbers and emails its own way: the push `+372 5555 1234` and
`Jane.Doe@Example.Com`, the CSV `55551234` (the account's region EE gives the country),
Exchange `(0)5555-1234` and no email, the mail `JANE.DOE@EXAMPLE.COM`. The CSV also holds
the two Maria Tamms of Acme and their colleague, who share the switchboard's number.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from email.utils import formataddr
from pathlib import Path
from typing import Any

from contacthub.store import ItemRecord, Link, SourceRecord, Store
from tests.duplicates.people import (
    NAMESAKE,
    OWNER,
    PEOPLE,
    PHONE_BOOK,
    SWITCHBOARD,
    Person,
    cards_of,
)
from tests.imap.messages import message
from tests.support.ews_server import EwsServer
from tests.support.servers import ContacthubServer

DEVICE = "iPhone"
CSV_HEADER = ("Id", "Name", "Email", "Mobile", "Work Phone", "Company", "Notes")
COMPANY = "Example Ltd"
NOTE = "Staff since 2020"
JOB = "Engineer"
NAMESAKES = (
    ("maria-1", NAMESAKE, "maria.tamm@acme.ee", "+372 5100 0001", SWITCHBOARD, "Acme", ""),
    ("maria-2", NAMESAKE, "m.tamm@acme.ee", "+372 5100 0002", SWITCHBOARD, "Acme", ""),
    ("colleague", "Ants Acme", "ants@acme.ee", "", SWITCHBOARD, "Acme", ""),
)
CSV_MODIFIED = 1_700_000_000


# -- the phone's push ----------------------------------------------------------------------


def push_body(phones: Mapping[int, str] | None = None) -> str:
    """The phone's book: every person as the phone writes them; `phones` changes some
    people's numbers (by number)."""
    cards = []
    for person in PEOPLE:
        text = cards_of(person)[PHONE_BOOK]
        if phones and person.number in phones:
            local = person.local_number
            text = text.replace(f"+372 {local[:4]} {local[4:]}", phones[person.number])
        cards.append(text)
    return "".join(cards)


def push(server: ContacthubServer, user: str, body: str) -> dict[str, int]:
    """The phone's push through the API, accepted: the counts of its run."""
    session = server.session(user)
    sent = session.post(
        f"/api/v1/devices/{DEVICE}/push",
        data=body.encode(),
        headers={"Content-Type": "text/vcard"},
    )
    assert sent.status_code == 200, sent.text
    applied = session.post(f"/api/v1/devices/{DEVICE}/push/apply")
    assert applied.status_code == 200, applied.text
    return dict(applied.json()["run"]["counts"])


# -- mail ------------------------------------------------------------------------------------


def mail_from(person: Person, to: str, day: int) -> bytes:
    """A mail from the person; half of them send without a display name."""
    sender = person.email.upper()
    if person.number % 2 == 0:
        sender = formataddr((person.name.lower(), sender))
    return message(
        f"From: {sender}\nTo: {to}\nSubject: Hello {person.number}\n"
        f"Date: {day:02d} Mar 2024 10:00:00 +0000\n"
        f"Message-ID: <p{person.number}-{day}@example.com>"
    )


# -- the CSV ---------------------------------------------------------------------------------


def csv_rows(notes: Mapping[int, str] | None = None) -> list[tuple[str, ...]]:
    """The staff file; `notes` changes some people's notes (by number)."""
    rows = [
        (
            str(person.number),
            f"{person.last}, {person.first}",
            person.email,
            person.local_number,
            "",
            COMPANY,
            (notes or {}).get(person.number, NOTE),
        )
        for person in PEOPLE
    ]
    return [*rows, *NAMESAKES]


def put_csv(root: Path, rows: list[tuple[str, ...]], modified: float = CSV_MODIFIED) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([CSV_HEADER, *rows])
    path = root / "staff.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    os.utime(path, (modified, modified))


# -- Exchange --------------------------------------------------------------------------------


def fill_exchange(ews: EwsServer) -> dict[int, str]:
    """Each person as a contact in the mailbox; their item ids by number."""
    ids = {}
    for person in PEOPLE:
        item = ews.mailbox.create(
            {
                "DisplayName": person.name,
                "GivenName": person.first,
                "Surname": person.last,
                "JobTitle": JOB,
            }
        )
        local = person.local_number
        ews.mailbox.set_entry(item, "PhoneNumbers", "BusinessPhone", f"(0){local[:4]}-{local[4:]}")
        ids[person.number] = item
    return ids


# -- what the store holds --------------------------------------------------------------------


def cards(store: Store) -> dict[tuple[str, str], ItemRecord]:
    """Every card of every book, by (book path, href)."""
    with store.read() as tx:
        return {
            (book.path, item.href): item
            for book in tx.list_children(OWNER)
            for item in tx.iter_items(book.id)
        }


def links(store: Store, sources: list[SourceRecord]) -> dict[int, dict[str, Link]]:
    with store.read() as tx:
        return {source.id: tx.links_of(source.id) for source in sources}


def of_person(found: Mapping[Any, ItemRecord], person: Person) -> dict[Any, ItemRecord]:
    """The cards holding the person's email or their number as some source writes it."""
    local = person.local_number
    marks = (person.email, local, f"{local[:4]} {local[4:]}", f"{local[:4]}-{local[4:]}")
    return {
        key: item for key, item in found.items() if any(mark in item.text.lower() for mark in marks)
    }
