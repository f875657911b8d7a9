"""Phone numbers written differently and emails whose domain is written in two forms are
one value of the merge: offered once, written once, as the most recently edited card
holding it writes it."""

from __future__ import annotations

from contacthub.duplicates.merge import merge_cards, preview_merge
from contacthub.duplicates.refs import CardRef
from contacthub.store import DuplicateSettings, SourceRecord, Store
from tests.merges.people import (
    CONTACTS,
    CSV_BOOK,
    JANE_CSV,
    JANE_MAIL,
    MAIL_BOOK,
    items,
    phone_puts,
    run,
    values,
)

CSV_EMAILS = ["jane@example.org", "Jane@Bücher.example"]
MAIL_EMAILS = ["Jane@Example.org", "jane@xn--bcher-kva.example"]


def _fed(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord, region: str | None
) -> list[CardRef]:
    with store.write() as tx:
        tx.set_duplicate_settings("alice", DuplicateSettings(phone_region=region))
    run(store, csv_source, {"jane": {**JANE_CSV, "EMAIL": CSV_EMAILS}})
    mail = {**JANE_MAIL, "EMAIL": MAIL_EMAILS, "TEL": "(0)5555-1234"}
    run(store, mail_source, {"jane@example.org": mail})
    phone_puts(store)  # the phone writes 55551234, and is the card edited last
    return [
        CardRef(CSV_BOOK, items(store, CSV_BOOK)[0].href),
        CardRef(MAIL_BOOK, items(store, MAIL_BOOK)[0].href),
        CardRef(CONTACTS, "phone-jane.vcf"),
    ]


def test_one_number_written_three_ways_is_one_phone_in_the_accounts_region(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    refs = _fed(store, csv_source, mail_source, "EE")
    preview = preview_merge(store, "alice", refs)
    rows = {row.key: row for row in preview.fields}
    (phone,) = rows["phones"].values
    assert phone.text == "55551234"  # as the phone, the card edited last, writes it
    assert phone.cards == (0, 1, 2)
    assert preview.cards[0].ref == CardRef(CONTACTS, "phone-jane.vcf")
    assert len(rows["emails"].values) == 2  # example.org and bücher.example, once each

    done = merge_cards(store, "alice", refs, None, None, via="api")

    (merged,) = items(store, CONTACTS)
    assert done.merged == CardRef(CONTACTS, "phone-jane.vcf")
    assert values(merged.text, "TEL") == ["55551234"]
    assert values(merged.text, "X-ABLABEL") == ["mobile"]  # its label came with it
    assert preview.cards[1].ref.book == MAIL_BOOK  # the mailbox's run came after the CSV's
    assert values(merged.text, "EMAIL") == MAIL_EMAILS  # as the mailbox's card writes them


def test_without_a_region_a_number_with_no_country_code_is_a_value_of_its_own(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    refs = _fed(store, csv_source, mail_source, None)
    preview = preview_merge(store, "alice", refs)
    phones = next(row for row in preview.fields if row.key == "phones")
    assert sorted(value.text for value in phones.values) == [
        "(0)5555-1234",
        "+372 5555 1234",
        "55551234",
    ]


def test_a_number_of_another_region_stays_apart(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    refs = _fed(store, csv_source, mail_source, "FI")
    phones = next(row for row in preview_merge(store, "alice", refs).fields if row.key == "phones")
    assert len(phones.values) > 1  # 55551234 read in Finland is not +372 5555 1234
