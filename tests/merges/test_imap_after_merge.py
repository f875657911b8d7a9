"""An IMAP harvest from the real Dovecot feeds a person who is then merged with the phone's
card; new mail from them updates the merged card's count of messages and last contact and
brings no copy back; the name chosen stays. Both stores."""

from __future__ import annotations

from contacthub.duplicates.merge import merge_cards
from contacthub.duplicates.refs import CardRef
from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.imap import source as imap_source
from contacthub.sources.imap.connection import ImapAccount
from contacthub.store import Store
from tests.imap.messages import EXPECTED, message
from tests.merges.people import CONTACTS, OWNER, items, phone_puts, values
from tests.support.dovecot import DovecotServer

BOB_PHONE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-bob\r\nN:Stone;Bobby;;;\r\nFN:Bobby Stone\r\n"
    "EMAIL;type=HOME:Bob@Example.net\r\nTEL;type=CELL:+372 5555 4321\r\nEND:VCARD\r\n"
)


def test_new_mail_updates_the_merged_cards_counts_and_keeps_the_name_chosen(
    ctx: RunContext, store: Store, dovecot: DovecotServer, seeded: ImapAccount
) -> None:
    source = imap_source.connect_account(
        ctx,
        OWNER,
        {
            "username": seeded.username,
            "password": seeded.password,
            "host": seeded.host,
            "port": seeded.port,
            "ssl": seeded.ssl,
        },
    )
    assert run_sync(ctx, source).counts["added"] == len(EXPECTED)
    (bob,) = [i for i in items(store, source.book_path) if "bob@example.net" in i.text.lower()]
    assert values(bob.text, "X-CONTACTHUB-MESSAGES") == ["3"]
    phone_puts(store, BOB_PHONE, "phone-bob.vcf")
    done = merge_cards(
        store,
        OWNER,
        [CardRef(source.book_path, bob.href), CardRef(CONTACTS, "phone-bob.vcf")],
        via="admin",
    )
    assert done.merged == CardRef(CONTACTS, "phone-bob.vcf")

    with dovecot.client(seeded.username) as client:
        dovecot.append(
            client,
            "INBOX",
            message(f"""\
From: Bob Stone <bob@example.net>
To: {seeded.username}
Subject: Lunch?
Date: Wed, 20 Mar 2024 10:00:00 +0000"""),
        )
    changed = run_sync(ctx, source)
    again = run_sync(ctx, source)

    assert (changed.status, changed.counts["added"], changed.counts["updated"]) == ("ok", 0, 1)
    assert again.status == "no_changes"
    in_mail_book = [i.text.lower() for i in items(store, source.book_path)]
    assert not any("bob@example.net" in text for text in in_mail_book)  # no copy came back
    assert len(in_mail_book) == len(EXPECTED) - 1
    (merged,) = items(store, CONTACTS)
    assert values(merged.text, "X-CONTACTHUB-MESSAGES") == ["4"]
    assert values(merged.text, "X-CONTACTHUB-LAST-CONTACT") == ["2024-03-20"]
    assert values(merged.text, "FN") == ["Bobby Stone"]  # the phone's name, chosen, stays
    assert values(merged.text, "TEL") == ["+372 5555 4321"]
    assert [email.lower() for email in values(merged.text, "EMAIL")] == ["bob@example.net"]
