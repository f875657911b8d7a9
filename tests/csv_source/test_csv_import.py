"""CSV syncs through the reconciler, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import vobject

from contacthub.reconcile import RunFailed
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.source import CsvImportError, configure, create_import, run_import
from contacthub.store import SourceRecord, Store
from contacthub.vcard.parse import index_of

DATA = Path(__file__).parent.parent / "data" / "csv"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def people(rows: list[tuple[str, str, str]]) -> bytes:
    lines = ["ID,Name,E-mail"] + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


TEN = [(str(n), f"Person {n}", f"p{n}@example.org") for n in range(1, 11)]


def keyed_sync(store: Store, content: bytes, **options: object) -> SourceRecord:
    view = create_import(store, "ann", "people.csv", content)
    return configure(store, view.source, key_column="ID", **options).source


def upload(store: Store, source: SourceRecord, content: bytes) -> SourceRecord:
    csv_source.replace_file(store, source, "people.csv", content)
    with store.read() as tx:
        return tx.require_source(source.id)


def cards(store: Store, book: str = "ann/from-csv-people") -> dict[str, str]:
    """FN -> card text of the book's contacts."""
    with store.read() as tx:
        collection = tx.require_collection(book)
        return {vobject.readOne(i.text).fn.value: i.text for i in tx.iter_items(collection.id)}


def test_google_export_lands_as_valid_cards_and_again_changes_nothing(store: Store) -> None:
    view = create_import(
        store, "ann", "google_contacts.csv", (DATA / "google_contacts.csv").read_bytes()
    )
    assert view.delimiter == "," and view.encoding_detected and view.header[0] == "First Name"
    first = run_import(store, view.source)
    assert first.status == "ok" and first.changes.counts["added"] >= 5
    with store.read() as tx:
        book = tx.require_collection(view.source.book_path)
        assert book.display_name == "From CSV (google_contacts)"
        for item in tx.iter_items(book.id):
            card = vobject.readOne(item.text)
            assert card.version.value == "3.0" and card.uid.value and card.fn.value
            assert "n" in card.contents
    again = run_import(store, view.source)
    assert again.status == "no_changes" and again.run is not None
    assert again.changes.counts["unchanged"] == first.changes.counts["added"]
    assert again.run.message == "every contact was already up to date"


@pytest.mark.parametrize(
    "name",
    [
        "google_contacts.csv",
        "google_contacts_old.csv",
        "outlook_en.csv",
        "outlook_de.csv",
        "excel_semicolon_bom.csv",
        "quoted_multiline.csv",
    ],
)
def test_the_index_of_a_generated_card_is_what_parsing_it_gives(store: Store, name: str) -> None:
    view = create_import(store, "ann", name, (DATA / name).read_bytes())
    records, _ = csv_source.read_records(view.source, (DATA / name).read_bytes())
    assert records
    for record in records:
        data = record.make_card("uid-1")
        assert data.index == index_of(vobject.readOne(data.text))


def test_update_existing_and_delete_missing_follow_the_options(store: Store) -> None:
    source = keyed_sync(store, people(TEN))
    assert run_import(store, source).changes.counts["added"] == 10
    edited = [("1", "Person One", "p1@example.org"), *TEN[1:9]]  # 1 renamed, 10 gone
    source = upload(store, source, people(edited))
    skipped = run_import(store, source)
    assert skipped.changes.counts == {
        "added": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 8,
        "skipped": 1,
        "errors": 0,
    }
    assert "Person 1" in cards(store) and "Person 10" in cards(store)
    source = configure(store, source, update_existing=True, delete_missing=True).source
    applied = run_import(store, source)
    assert (applied.changes.counts["updated"], applied.changes.counts["deleted"]) == (1, 1)
    assert sorted(cards(store)) == sorted(["Person One"] + [f"Person {n}" for n in range(2, 10)])


def test_delete_missing_never_touches_contacts_from_elsewhere(store: Store) -> None:
    source = keyed_sync(store, people(TEN), delete_missing=True)
    run_import(store, source)
    with store.write() as tx:
        book = tx.require_collection(source.book_path)
        tx.put_item(
            book, "mine.vcf", csv_source.read_records(source, people(TEN))[0][0].make_card("mine")
        )
    source = upload(store, source, people(TEN[:5]))
    assert run_import(store, source).changes.counts["deleted"] == 5
    with store.read() as tx:
        assert "mine" in tx.uids_of(tx.require_collection(source.book_path).id)


def test_mass_deletion_is_refused_unattended_and_overridable_by_hand(store: Store) -> None:
    source = keyed_sync(store, people(TEN), delete_missing=True)
    run_import(store, source)
    source = upload(store, source, people(TEN[:1]))
    scheduled = run_import(store, source, trigger="schedule", override_mass_deletion=True)
    assert scheduled.status == "refused" and "would delete 9" in scheduled.run.message
    assert len(cards(store)) == 10
    assert run_import(store, source).status == "refused"
    assert run_import(store, source, override_mass_deletion=True).status == "ok"
    assert list(cards(store)) == ["Person 1"]


def test_a_repeated_key_keeps_the_later_row_and_says_so(store: Store) -> None:
    source = keyed_sync(store, people([("7", "Early", "e@x.org"), ("7", "Late", "l@x.org")]))
    outcome = run_import(store, source)
    assert list(cards(store)) == ["Late"]
    assert any("repeats line 2" in p.reason and p.line == 3 for p in outcome.changes.problems)


def test_generated_keys_are_nine_digits_stable_and_unique(store: Store) -> None:
    view = create_import(store, "ann", "people.csv", people(TEN))
    run_import(store, view.source)
    codes = {
        name: re.search(r"X-CONTACTHUB-KEY:(\d+)", text).group(1)  # type: ignore[union-attr]
        for name, text in cards(store).items()
    }
    assert all(re.fullmatch(r"[1-9]\d{8}", code) for code in codes.values())
    assert len(set(codes.values())) == 10
    assert run_import(store, view.source).status == "no_changes"


def test_a_deleted_contact_is_not_brought_back(store: Store) -> None:
    source = keyed_sync(store, people(TEN), update_existing=True)
    run_import(store, source)
    with store.write() as tx:
        book = tx.require_collection(source.book_path)
        tx.delete_item(book, tx.uids_of(book.id)[_uid_of(cards(store)["Person 3"])])
    source = upload(store, source, people([(k, f"{n}!", e) for k, n, e in TEN]))
    outcome = run_import(store, source)
    assert "Person 3!" not in cards(store) and len(cards(store)) == 9
    assert [c.reason for c in outcome.changes.of("skip")] == ["deleted on the server"]


def _uid_of(text: str) -> str:
    return str(vobject.readOne(text).uid.value)


def test_problems_are_reported_with_line_and_column(store: Store) -> None:
    content = people(
        [
            ("1", "Good", "good@example.org"),
            ("2", "Bad mail", "not-an-address"),
            ("", "No key", "k@example.org"),
        ]
    )
    outcome = run_import(store, keyed_sync(store, content))
    located = {(p.line, p.column, p.reason) for p in outcome.changes.problems}
    assert (3, "E-mail", "invalid email address") in located
    assert (4, "ID", "the unique key is empty: the row is skipped") in located
    assert sorted(cards(store)) == ["Bad mail", "Good"]


def test_a_dry_run_changes_nothing_and_records_no_run(store: Store) -> None:
    source = keyed_sync(store, people(TEN))
    dry = run_import(store, source, dry_run=True)
    assert dry.run is None and dry.changes.counts["added"] == 10
    with store.read() as tx:
        assert tx.runs_of(source.id) == []
        assert tx.uids_of(tx.require_collection(source.book_path).id) == {}


def test_a_failure_in_the_middle_leaves_the_book_as_it_was(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = keyed_sync(store, people(TEN))

    def broken(*_: object) -> None:
        raise RuntimeError("disk full")

    # Every row is written ahead, then making them visible fails.
    monkeypatch.setattr("contacthub.store.transaction.Transaction.publish_staging", broken)
    with pytest.raises(RunFailed, match="internal error"):
        run_import(store, source)
    with store.read() as tx:
        assert tx.uids_of(tx.require_collection(source.book_path).id) == {}
        runs = tx.runs_of(source.id)
    assert [run.status for run in runs] == ["failed"]
    assert "disk full" not in runs[0].message  # internals stay in the log


def test_two_syncs_whose_names_look_alike_get_books_of_their_own(store: Store) -> None:
    first = create_import(store, "ann", "a b.csv", people(TEN)).source
    second = create_import(store, "ann", "a-b.csv", people(TEN)).source
    assert first.book_path != second.book_path


@pytest.mark.parametrize(
    ("name", "message"),
    [("garbage.bin", "does not look like a CSV"), ("pixel.png", "does not look like a CSV")],
)
def test_a_file_that_is_not_csv_is_refused_and_nothing_is_created(
    store: Store, name: str, message: str
) -> None:
    with pytest.raises(CsvImportError, match=message):
        create_import(store, "ann", name, (DATA / name).read_bytes())
    with store.read() as tx:
        assert tx.list_sources("ann") == []


def test_a_mapping_naming_a_missing_column_is_refused(store: Store) -> None:
    source = keyed_sync(store, people(TEN))
    with pytest.raises(CsvImportError, match="Phone"):
        configure(
            store,
            source,
            mapping={"version": 1, "columns": [{"column": "Phone", "field": "phone.mobile"}]},
        )
    with pytest.raises(CsvImportError, match="key column 'Nope'"):
        configure(store, source, key_column="Nope")
