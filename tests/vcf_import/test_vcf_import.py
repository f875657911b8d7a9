""".vcf files imported into a book through the reconciler, as phones, Google, Outlook and
Apple export them (2.1 with quoted-printable, folded lines and photos; 3.0; 4.0): one bad
card is reported with its number and line and the others come in; the same file again
updates rather than duplicates; an export imports back to the same contacts. SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contacthub import config
from contacthub.errors import Invalid
from contacthub.services import books, exports, history
from contacthub.services.vcf_imports import VcfImported, import_vcf
from contacthub.sources.context import RunContext
from contacthub.store import CollectionRecord, Store

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
PHONES = HERE.parent / "device" / "fixtures"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def ctx(store: Store, tmp_path: Path) -> RunContext:
    return RunContext(store, config.load(tmp_path))


def cards(ctx: RunContext, book: CollectionRecord) -> dict[str, str]:
    """The book's people (no group cards) by display name, their cards unfolded."""
    with ctx.store.read() as tx:
        items = list(tx.iter_items(tx.require_collection(book.path).id))
    unfolded = {item.display_name: item.text.replace("\r\n ", "") for item in items}
    return {name: text for name, text in unfolded.items() if "KIND:group" not in text}


def imported(
    ctx: RunContext, content: bytes, filename: str = "contacts.vcf", **where: str
) -> VcfImported:
    return import_vcf(ctx, "ann", filename, content, **where)


def test_an_android_21_export_comes_in_as_30_decoded_with_its_photo(ctx: RunContext) -> None:
    done = imported(ctx, (PHONES / "android_export_v21.vcf").read_bytes(), "Android.vcf")
    assert done.book_made and done.book.display_name == "Android (vCard)"
    assert done.outcome.run is not None and done.outcome.run.counts["added"] == 3
    card = cards(ctx, done.book)["Jürgen Schröder"]
    assert "VERSION:3.0" in card and "QUOTED-PRINTABLE" not in card.upper()
    assert "Hauptstraße 12, Hinterhaus, 3. Stock links;München;;80331;Deutschland" in card
    assert "PHOTO;ENCODING=b;TYPE=JPEG:/9j/" in card
    assert "UID:vcf-" in card  # the export had none


def test_a_quoted_printable_line_break_is_a_line_break_of_the_text(ctx: RunContext) -> None:
    android_note = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Berg;Ola;;;\r\n"
        "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Erste Zeile=0D=0A=\r\n"
        "Zweite Zeile=0D=0Adritte\r\nEND:VCARD\r\n"
    )
    done = imported(ctx, android_note.encode())
    assert done.outcome.changes.problems == []
    assert "NOTE:Erste Zeile\\nZweite Zeile\\ndritte" in cards(ctx, done.book)["Ola Berg"]


def test_an_apple_export_keeps_its_grouped_labels(ctx: RunContext) -> None:
    done = imported(ctx, (PHONES / "ios_export.vcf").read_bytes())
    card = cards(ctx, done.book)["Anna Schröder"]
    assert "item1.X-ABLabel:_$!<Other>!$_" in card
    assert "item1.EMAIL;type=INTERNET;type=pref:anna@stadtwerke.example" in card


def test_a_40_card_is_kept_as_40_and_indexed(ctx: RunContext) -> None:
    done = imported(ctx, (FIXTURES / "v40.vcf").read_bytes())
    found = cards(ctx, done.book)
    assert set(found) == {"Aiko Tanaka", "Sakura Labs"}
    assert found["Aiko Tanaka"].startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert "PHOTO:data:image/jpeg;base64,AAECAwQF" in found["Aiko Tanaka"]
    with ctx.store.read() as tx:
        uids = tx.uids_of(tx.require_collection(done.book.path).id)
    assert "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1" in uids  # its own UID kept


def test_googles_export_and_a_card_with_an_empty_fn(ctx: RunContext) -> None:
    done = imported(ctx, (FIXTURES / "google_export.vcf").read_bytes())
    found = cards(ctx, done.book)
    assert set(found) == {"Maria García", "Tomás Ruiz", "noname@example.net"}
    assert "FN:noname@example.net" in found["noname@example.net"]
    assert "CATEGORIES:myContacts,Friends" in found["Maria García"]


def test_outlooks_21_export_with_a_quoted_printable_label(ctx: RunContext) -> None:
    done = imported(ctx, (FIXTURES / "outlook_export.vcf").read_bytes())
    card = cards(ctx, done.book)["Günter Weiß"]
    assert "LABEL;TYPE=WORK,pref:Friedrichstraße 1\\nBerlin 10117\\nDeutschland" in card
    assert "NOTE:Erste Zeile\\nZweite Zeile mit äöü" in card


def test_a_cp1252_file_as_outlook_writes_it_on_windows(ctx: RunContext) -> None:
    text = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Weiß;Jürgen\r\nFN:Jürgen Weiß\r\nEND:VCARD\r\n"
    done = imported(ctx, text.encode("cp1252"))
    assert set(cards(ctx, done.book)) == {"Jürgen Weiß"}


def test_one_bad_card_is_reported_by_number_and_line_and_the_others_come_in(
    ctx: RunContext,
) -> None:
    done = imported(ctx, (FIXTURES / "one_bad_card.vcf").read_bytes())
    run = done.outcome.run
    assert run is not None and run.status == "ok"
    assert run.counts["added"] == 4 and run.counts["errors"] == 1
    assert set(cards(ctx, done.book)) == {
        "First Good",
        "Nora Sans-FN",  # no FN: derived from N
        "Only An Org Inc.",  # no FN, no N, no UID: named after its ORG
        "Last Good",
    }
    (problem,) = run.problems
    assert problem["line"] == 11  # the line "N;BROKEN" in the file
    assert problem["reason"].startswith("card 2 (from line 7): ")
    assert "N;BROKEN" in problem["reason"]


def test_a_file_that_is_not_vcard_is_refused_whole(ctx: RunContext) -> None:
    with pytest.raises(Invalid) as refused:
        imported(ctx, b"Name,Email\r\nAnn,ann@example.org\r\n", "people.vcf")
    assert refused.value.field == "file" and "BEGIN:VCARD" in refused.value.message
    assert books.books_of(ctx, "ann") == []  # no book made


def test_the_same_file_again_changes_nothing_and_an_edited_one_updates(ctx: RunContext) -> None:
    content = (FIXTURES / "google_export.vcf").read_bytes()
    first = imported(ctx, content)
    again = imported(ctx, content)
    assert again.book.path == first.book.path and not again.book_made
    assert again.outcome.run is not None and again.outcome.run.status == "no_changes"
    edited = content.replace(b"Likes tea.", b"Likes coffee.")
    third = imported(ctx, edited)
    assert third.outcome.run is not None and third.outcome.run.counts["updated"] == 1
    found = cards(ctx, first.book)
    assert len(found) == 3 and "Likes coffee." in found["Maria García"]


def test_into_a_chosen_book_and_a_run_that_can_be_undone(ctx: RunContext) -> None:
    book = books.create_book(ctx, "ann", "Team")
    done = imported(ctx, (FIXTURES / "v40.vcf").read_bytes(), book=book.id)
    assert not done.book_made and done.book.path == book.record.path
    assert done.outcome.run is not None
    history.apply_undo(ctx, "ann", done.outcome.run.id, False, via="api")
    assert cards(ctx, done.book) == {}


def test_an_export_imports_back_into_a_new_book_as_the_same_contacts(ctx: RunContext) -> None:
    sources = [
        PHONES / "android_export_v21.vcf",
        PHONES / "ios_export.vcf",
        FIXTURES / "v40.vcf",
        FIXTURES / "google_export.vcf",
    ]
    origin = books.create_book(ctx, "ann", "Origin")
    for path in sources:
        imported(ctx, path.read_bytes(), book=origin.id)
    made = exports.export(ctx.store, "ann", [origin.record], exports.VCF, one_book=True)
    content = b"".join(made.chunks)
    back = imported(ctx, content, new_book="Copy")
    assert back.outcome.changes.problems == []
    assert cards(ctx, back.book) == cards(ctx, origin.record)


def test_5000_cards_with_one_bad_one(ctx: RunContext) -> None:
    parts = []
    for number in range(5000):
        if number == 2500:
            parts.append("BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n")  # nothing in it at all
            continue
        parts.append(
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:person-{number}\r\nFN:Person {number}\r\n"
            f"N:{number};Person;;;\r\nEMAIL:p{number}@example.org\r\nTEL:+1 555 {number:04d}\r\n"
            "END:VCARD\r\n"
        )
    done = imported(ctx, "".join(parts).encode(), "big.vcf")
    run = done.outcome.run
    assert run is not None and run.counts["added"] == 4999 and run.counts["errors"] == 1
    assert run.problems[0]["reason"].startswith("card 2501 (from line 20001): the card has no name")
    assert len(cards(ctx, done.book)) == 4999
