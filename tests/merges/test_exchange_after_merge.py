"""Exchange (the EWS double, through exchangelib's real transport) feeds a person who is
then merged with the phone's card in Contacts. Both ways after the merge: an edit in
Exchange updates the merged card in Exchange's fields only; an edit of the merged card's
Exchange fields goes to Exchange although the card lives in another book, and an edit of
other fields does not. No copy comes back. Both stores."""

from __future__ import annotations

from contacthub.duplicates.merge import merge_cards
from contacthub.duplicates.refs import CardRef
from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.exchange import source as exchange_source
from contacthub.store import RunRecord, SourceRecord, Store
from contacthub.vcard.parse import item_data
from tests.exchange.conftest import EMAIL, PASSWORD
from tests.merges.people import CONTACTS, OWNER, PHONE, items, values
from tests.support.ews_server import EwsServer

WRITES = {"CreateItem", "UpdateItem", "DeleteItem"}
ANN_PHONE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:phone-ann\r\nN:Lee;Annie;;;\r\nFN:Annie Lee\r\n"
    "EMAIL;type=HOME:Ann@Example.org\r\nURL:https://ann.example.org/\r\nEND:VCARD\r\n"
)


def sync(ctx: RunContext, source: SourceRecord, ews: EwsServer) -> tuple[RunRecord, list[str]]:
    before = len(ews.operations())
    run = run_sync(ctx, source)
    return run, [op for op in ews.operations()[before:] if op in WRITES]


def phone_writes(store: Store, text: str) -> None:
    with store.write([CONTACTS], actor=PHONE) as tx:
        tx.put_item(tx.require_collection(CONTACTS), "phone-ann.vcf", item_data(text))


def merged_text(store: Store) -> str:
    (merged,) = items(store, CONTACTS)
    return merged.text


def test_after_a_merge_exchange_and_the_merged_card_update_each_other(
    ctx: RunContext, store: Store, ews: EwsServer
) -> None:
    ann = ews.mailbox.create(
        {"DisplayName": "Ann Lee", "GivenName": "Ann", "Surname": "Lee", "JobTitle": "Clerk"}
    )
    ews.mailbox.set_entry(ann, "EmailAddresses", "EmailAddress1", "ann@example.org")
    source = exchange_source.connect_account(
        ctx, OWNER, {"email": EMAIL, "password": PASSWORD, "server": ews.url}
    )
    run, _ = sync(ctx, source, ews)
    assert run.counts["added"] == 1
    (card,) = items(store, source.book_path)
    phone_writes(store, ANN_PHONE)
    done = merge_cards(
        store,
        OWNER,
        [CardRef(source.book_path, card.href), CardRef(CONTACTS, "phone-ann.vcf")],
        via="admin",
    )
    assert done.merged == CardRef(CONTACTS, "phone-ann.vcf")

    # The merge chose the phone's name: Exchange gets the merged card's Exchange fields.
    run, writes = sync(ctx, source, ews)
    assert writes == ["UpdateItem"] and run.counts["added"] == 0
    assert ews.mailbox.text(ann, "DisplayName") == "Annie Lee"
    assert items(store, source.book_path) == []
    run, writes = sync(ctx, source, ews)
    assert (run.status, writes) == ("no_changes", [])

    # An edit in Exchange: its field changes on the merged card; the rest stays.
    ews.mailbox.edit(ann, {"JobTitle": "Manager"})
    run, writes = sync(ctx, source, ews)
    assert (run.counts["added"], run.counts["updated"], writes) == (0, 1, [])
    assert values(merged_text(store), "TITLE") == ["Manager"]
    assert values(merged_text(store), "FN") == ["Annie Lee"]
    assert values(merged_text(store), "URL") == ["https://ann.example.org/"]
    assert items(store, source.book_path) == []
    run, writes = sync(ctx, source, ews)
    assert writes == []  # the pull's update is not sent back

    # An edit of the merged card's Exchange fields, in Contacts, goes to Exchange.
    phone_writes(store, merged_text(store).replace("TITLE:Manager", "TITLE:Director"))
    run, writes = sync(ctx, source, ews)
    assert writes == ["UpdateItem"]
    assert ews.mailbox.text(ann, "JobTitle") == "Director"
    # An edit of a field Exchange does not hold does not.
    phone_writes(store, merged_text(store).replace("ann.example.org", "ann.example.net"))
    run, writes = sync(ctx, source, ews)
    assert writes == []
    assert values(merged_text(store), "URL") == ["https://ann.example.net/"]
    assert items(store, source.book_path) == []


def test_emails_past_exchanges_three_slots_stay_on_the_merged_card(
    ctx: RunContext, store: Store, ews: EwsServer
) -> None:
    ann = ews.mailbox.create({"DisplayName": "Ann Lee", "GivenName": "Ann", "Surname": "Lee"})
    ews.mailbox.set_entry(ann, "EmailAddresses", "EmailAddress1", "ann@example.org")
    source = exchange_source.connect_account(
        ctx, OWNER, {"email": EMAIL, "password": PASSWORD, "server": ews.url}
    )
    sync(ctx, source, ews)
    (card,) = items(store, source.book_path)
    more = "".join(f"EMAIL:ann{n}@example.org\r\n" for n in range(1, 5))
    phone_writes(store, ANN_PHONE.replace("END:VCARD", f"{more.rstrip()}\r\nEND:VCARD"))
    merge_cards(
        store,
        OWNER,
        [CardRef(source.book_path, card.href), CardRef(CONTACTS, "phone-ann.vcf")],
        via="admin",
    )
    emails = sorted(values(merged_text(store), "EMAIL"), key=str.lower)
    assert len(emails) == 5

    run, writes = sync(ctx, source, ews)  # the merged card to Exchange: three slots of five
    assert writes == ["UpdateItem"]
    ews.mailbox.edit(ann, {"JobTitle": "Manager"})
    run, writes = sync(ctx, source, ews)  # Exchange's edit back: its three emails, unchanged

    assert run.counts["updated"] == 1 and writes == []
    assert values(merged_text(store), "TITLE") == ["Manager"]
    assert sorted(values(merged_text(store), "EMAIL"), key=str.lower) == emails
    run, writes = sync(ctx, source, ews)
    assert (run.status, writes) == ("no_changes", [])


def test_an_edit_of_two_merged_exchange_contacts_reaches_both(
    ctx: RunContext, store: Store, ews: EwsServer
) -> None:
    ann = ews.mailbox.create({"DisplayName": "Ann Lee", "GivenName": "Ann", "Surname": "Lee"})
    ews.mailbox.set_entry(ann, "EmailAddresses", "EmailAddress1", "ann@example.org")
    again = ews.mailbox.create(
        {"DisplayName": "Ann Lee", "GivenName": "Ann", "Surname": "Lee", "JobTitle": "Clerk"}
    )
    ews.mailbox.set_entry(again, "EmailAddresses", "EmailAddress1", "Ann@Example.org")
    source = exchange_source.connect_account(
        ctx, OWNER, {"email": EMAIL, "password": PASSWORD, "server": ews.url}
    )
    run, _ = sync(ctx, source, ews)
    assert run.counts["added"] == 2
    first, second = items(store, source.book_path)
    done = merge_cards(
        store,
        OWNER,
        [CardRef(source.book_path, first.href), CardRef(source.book_path, second.href)],
        via="admin",
    )
    (merged,) = items(store, done.merged.book)

    # The merged card to both contacts (the job title one of them lacked); then quiet.
    run, writes = sync(ctx, source, ews)
    assert writes == ["UpdateItem", "UpdateItem"] and run.counts["added"] == 0
    assert [ews.mailbox.text(item, "JobTitle") for item in (ann, again)] == ["Clerk", "Clerk"]
    run, writes = sync(ctx, source, ews)
    assert (run.status, writes) == ("no_changes", [])

    # An edit of the merged card goes to both Exchange contacts.
    with store.write([done.merged.book], actor=PHONE) as tx:
        edited = merged.text.replace("TITLE:Clerk", "TITLE:Director")
        tx.put_item(tx.require_collection(done.merged.book), merged.href, item_data(edited))
    run, writes = sync(ctx, source, ews)
    assert writes == ["UpdateItem", "UpdateItem"]
    assert [ews.mailbox.text(item, "JobTitle") for item in (ann, again)] == [
        "Director",
        "Director",
    ]
    run, writes = sync(ctx, source, ews)
    assert (run.status, writes) == ("no_changes", [])

    # An edit in one of them reaches the merged card, and from it the other contact.
    ews.mailbox.edit(again, {"JobTitle": "Manager"})
    run, writes = sync(ctx, source, ews)
    assert run.counts["updated"] == 1
    (merged,) = items(store, done.merged.book)
    assert values(merged.text, "TITLE") == ["Manager"]
    run, writes = sync(ctx, source, ews)
    assert writes == ["UpdateItem"]
    assert ews.mailbox.text(ann, "JobTitle") == "Manager"
    run, writes = sync(ctx, source, ews)
    assert (run.status, writes) == ("no_changes", [])
