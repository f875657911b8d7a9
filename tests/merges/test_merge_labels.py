"""The merge view names each field in words, contacthub's own X- properties and a CSV's
custom fields included."""

from __future__ import annotations

from contacthub.duplicates.merge import preview_merge
from contacthub.duplicates.refs import CardRef
from contacthub.store import SourceRecord, Store
from tests.merges.people import (
    CSV_BOOK,
    JANE_CSV,
    JANE_MAIL,
    MAIL_BOOK,
    items,
    run,
)


def test_fields_are_labelled_in_words(
    store: Store, csv_source: SourceRecord, mail_source: SourceRecord
) -> None:
    run(store, csv_source, {"jane": {**JANE_CSV, "X-SHOE-SIZE": "38", "NICKNAME": "JD"}})
    mail = {**JANE_MAIL, "X-CONTACTHUB-LAST-CONTACT": "2024-05-01T10:00:00Z"}
    run(store, mail_source, {"jane@example.org": mail})
    refs = [CardRef(book, items(store, book)[0].href) for book in (CSV_BOOK, MAIL_BOOK)]

    labels = {row.key: row.label for row in preview_merge(store, "alice", refs).fields}

    assert labels["x-contacthub-messages"] == "Messages (mail)"
    assert labels["x-contacthub-last-contact"] == "Last contact (mail)"
    assert labels["x-shoe-size"] == "Shoe size"
    assert labels["nickname"] == "Nickname"
    assert labels["emails"] == "Emails"
