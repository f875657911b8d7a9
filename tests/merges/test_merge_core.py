"""Merging the same person from a CSV sync, a mailbox and a phone: the merged card, where
it lives, what phones see, what the sources' next runs do, and undoing it."""

from __future__ import annotations

import pytest

from contacthub.duplicates.merge import merge_cards, preview_merge, undo_merge
from contacthub.duplicates.refs import CardRef
from contacthub.errors import Invalid, NotFound
from contacthub.reconcile import Policy
from contacthub.store import SourceRecord, Store, format_token
from tests.merges.people import (
    CONTACTS,
    CSV_BOOK,
    JANE_CSV,
    JANE_MAIL,
    MAIL_BOOK,
    items,
    links,
    phone_puts,
    run,
    values,
)


def _fed(store: Store, csv_source: SourceRecord, mail_source: SourceRecord) -> list[CardRef]:
    run(store, csv_source, {"jane": JANE_CSV})
    run(store, mail_source, {"jane@example.org": JANE_MAIL})
    phone_puts(store)
    return [
        CardRef(CSV_BOOK, items(store, CSV_BOOK)[0].href),
        CardRef(MAIL_BOOK, items(store, MAIL_BOOK)[0].href),
        CardRef(CONTACTS, "phone-jane.vcf"),
    ]


def _token(store: Store, book: str) -> str:
    with store.read() as tx:
        collection = tx.require_collection(book)
        return format_token(collection, collection.sync_seq)


def _changed(store: Store, book: str, since: str) -> set[str]:
    with store.read() as tx:
        return set(tx.changed_since(tx.require_collection(book), since))


def test_default_merge_keeps_the_phones_card_with_the_union_and_the_latest_single_fields(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    refs = _fed(store, csv_source, mail_source)
    preview = preview_merge(store, "alice", refs)
    assert preview.into == CONTACTS  # the card a person edited last is the phone's
    assert preview.keeps == CardRef(CONTACTS, "phone-jane.vcf")
    emails = next(row for row in preview.fields if row.key == "emails")
    assert len(emails.values) == 1  # Jane@Example.org and jane@example.org are one address
    tokens = {book: _token(store, book) for book in (CONTACTS, CSV_BOOK, MAIL_BOOK)}

    done = merge_cards(store, "alice", refs, None, None, via="api")

    assert done.merged == CardRef(CONTACTS, "phone-jane.vcf")
    assert sorted(done.removed) == sorted(refs[:2])
    assert items(store, CSV_BOOK) == [] and items(store, MAIL_BOOK) == []
    (merged,) = items(store, CONTACTS)
    assert merged.uid == "phone-jane"
    assert values(merged.text, "FN") == ["Jane Doe (phone)"]  # the phone's edit is the latest
    assert sorted(values(merged.text, "TEL")) == ["+372 5555 1234", "55551234"]
    assert [v.lower() for v in values(merged.text, "EMAIL")] == ["jane@example.org"]
    assert values(merged.text, "BDAY") == ["1990-04-01"]
    assert values(merged.text, "ORG") == ["ACME"]
    assert values(merged.text, "X-CONTACTHUB-MESSAGES") == ["3"]
    assert values(merged.text, "X-ABLABEL") == ["mobile"]  # the label went with its phone
    # Phones see the deletions and the update at their next sync.
    assert _changed(store, CSV_BOOK, tokens[CSV_BOOK]) == {refs[0].href}
    assert _changed(store, MAIL_BOOK, tokens[MAIL_BOOK]) == {refs[1].href}
    assert _changed(store, CONTACTS, tokens[CONTACTS]) == {"phone-jane.vcf"}
    # The sources' links point at the merged card, in its book.
    with store.read() as tx:
        contacts_id = tx.require_collection(CONTACTS).id
        written = tx.versions_of_run(done.run.id)
    assert {(v.via, v.run_id) for v in written} == {("merge", done.run.id)}
    for source in (csv_source, mail_source):
        (link,) = links(store, source).values()
        assert (link.uid, link.href, link.collection_id) == (
            "phone-jane",
            "phone-jane.vcf",
            contacts_id,
        )
        assert link.merged_base is not None and not link.deleted


def test_choices_and_the_book_chosen_are_the_merged_cards(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    refs = _fed(store, csv_source, mail_source)
    preview = preview_merge(store, "alice", refs)
    rows = {row.key: row for row in preview.fields}
    csv_index = next(i for i, card in enumerate(preview.cards) if card.ref.book == CSV_BOOK)
    name = next(v.id for v in rows["name"].values if csv_index in v.cards)
    phones = [v.id for v in rows["phones"].values if v.text == "+372 5555 1234"]

    done = merge_cards(
        store,
        "alice",
        refs,
        {"name": [name], "phones": phones, "birthday": []},
        "from-csv",
        via="admin",
    )

    assert done.merged.book == CSV_BOOK
    assert items(store, CONTACTS) == [] and items(store, MAIL_BOOK) == []
    (merged,) = items(store, CSV_BOOK)
    assert values(merged.text, "FN") == ["Jane Doe"]
    assert values(merged.text, "TEL") == ["+372 5555 1234"]
    assert values(merged.text, "BDAY") == []
    (link,) = links(store, csv_source).values()
    assert link.collection_id is None  # the card lives in the source's own book


def test_refusals_name_what_is_wrong(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    refs = _fed(store, csv_source, mail_source)
    with pytest.raises(NotFound):
        merge_cards(store, "alice", [refs[0], CardRef("bob/contacts", "x.vcf")], via="api")
    with pytest.raises(NotFound):
        merge_cards(store, "bob", refs, via="api")  # another account's cards
    with pytest.raises(NotFound):
        merge_cards(store, "alice", refs, into="bob/contacts", via="api")
    with pytest.raises(Invalid) as refused:
        merge_cards(store, "alice", refs, {"emails": ["nope"]}, via="api")
    assert refused.value.field == "choices.emails"
    with pytest.raises(Invalid):
        merge_cards(store, "alice", refs[:1], via="api")
    assert len(items(store, CSV_BOOK)) == 1  # nothing merged


def test_sources_run_again_update_the_merged_card_and_bring_no_copy(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    refs = _fed(store, csv_source, mail_source)
    merge_cards(store, "alice", refs, via="api")

    csv_run = run(
        store, csv_source, {"jane": {**JANE_CSV, "FN": "Jane Q. Doe", "ORG": "ACME Ltd"}}
    ).run
    mail_run = run(
        store, mail_source, {"jane@example.org": {**JANE_MAIL, "X-CONTACTHUB-MESSAGES": "5"}}
    ).run

    assert csv_run is not None and mail_run is not None
    assert (csv_run.counts["added"], csv_run.counts["updated"]) == (0, 1)
    assert (mail_run.counts["added"], mail_run.counts["updated"]) == (0, 1)
    assert items(store, CSV_BOOK) == [] and items(store, MAIL_BOOK) == []
    (merged,) = items(store, CONTACTS)
    assert values(merged.text, "ORG") == ["ACME Ltd"]  # the CSV's own field
    assert values(merged.text, "X-CONTACTHUB-MESSAGES") == ["5"]  # the mailbox's
    assert values(merged.text, "FN") == ["Jane Doe (phone)"]  # the person's choice stays
    assert values(merged.text, "BDAY") == ["1990-04-01"]
    # Unchanged records change nothing.
    again = run(store, csv_source, {"jane": {**JANE_CSV, "FN": "Jane Q. Doe", "ORG": "ACME Ltd"}})
    assert again.run is not None and again.run.status == "no_changes"


def test_a_record_gone_forgets_its_link_while_another_source_feeds_the_card(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    refs = _fed(store, csv_source, mail_source)
    merge_cards(store, "alice", refs, via="api")
    delete_missing = Policy(delete_missing=True, override_mass_deletion=True)

    run(store, csv_source, {}, delete_missing)
    assert len(items(store, CONTACTS)) == 1  # the mailbox still feeds it
    assert links(store, csv_source) == {}

    run(store, mail_source, {}, delete_missing)
    assert items(store, CONTACTS) == []  # the last source deleted it


def test_a_merged_card_deleted_by_a_person_stays_deleted(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    refs = _fed(store, csv_source, mail_source)
    merge_cards(store, "alice", refs, via="api")
    with store.write([CONTACTS]) as tx:
        tx.delete_item(tx.require_collection(CONTACTS), "phone-jane.vcf")
    outcome = run(store, csv_source, {"jane": {**JANE_CSV, "ORG": "Other"}})
    assert outcome.run is not None and outcome.run.counts["added"] == 0
    assert items(store, CSV_BOOK) == [] and items(store, CONTACTS) == []
    assert links(store, csv_source)["jane"].deleted


def test_undo_puts_the_cards_and_links_back_and_the_sources_run_as_before(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    refs = _fed(store, csv_source, mail_source)
    before = {
        book: {i.href: i.text for i in items(store, book)}
        for book in (CONTACTS, CSV_BOOK, MAIL_BOOK)
    }
    linked_before = (links(store, csv_source), links(store, mail_source))
    done = merge_cards(store, "alice", refs, via="api")

    undone = undo_merge(store, "alice", done.merge.id, via="api")

    assert undone.merge.state == "undone" and undone.changed_later == []
    after = {
        book: {i.href: i.text for i in items(store, book)}
        for book in (CONTACTS, CSV_BOOK, MAIL_BOOK)
    }
    assert after == before
    assert (links(store, csv_source), links(store, mail_source)) == linked_before
    # A later run behaves as before the merge: its card in its own book, updated there.
    outcome = run(store, csv_source, {"jane": {**JANE_CSV, "ORG": "ACME Ltd"}})
    assert outcome.run is not None and outcome.run.counts["updated"] == 1
    assert values(items(store, CSV_BOOK)[0].text, "ORG") == ["ACME Ltd"]
    assert len(items(store, CONTACTS)) == 1
    with pytest.raises(Exception, match="undone already"):
        undo_merge(store, "alice", done.merge.id, via="api")
    with pytest.raises(NotFound):
        undo_merge(store, "bob", done.merge.id, via="api")
