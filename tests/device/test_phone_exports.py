"""The .vcf files phones export, pushed as they are: iOS's vCard 3.0 (grouped items, Apple
labels, folded base64 photos, no UID) and Android's 2.1 (quoted-printable UTF-8 with soft
line breaks, bare types, BASE64 photos) or 3.0; a bad card among them is left out alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contacthub import config
from contacthub.errors import Conflict, Invalid
from contacthub.services.devices import receive_upload, set_auto_export
from contacthub.sources.context import RunContext
from contacthub.sources.device import apply_push, device_source, read_push, receive_push
from contacthub.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
BROKEN_CARD = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;BROKEN\r\nEND:VCARD\r\n"


def export(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode()  # CRLF line ends as exported


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def ctx(store: Store, tmp_path: Path) -> RunContext:
    return RunContext(store, config.load(tmp_path))


def stored_cards(store: Store) -> dict[str, str]:
    """The cards of "From iOS" by display name."""
    with store.read() as tx:
        book = tx.require_collection("ann/from-ios")
        items = [tx.get_item(book.id, href) for href in tx.uids_of(book.id).values()]
    return {item.display_name: item.text for item in items if item is not None}


def push_and_apply(store: Store, text: str) -> list[str]:
    changes = receive_push(store, "ann", "phone", text.encode())
    with store.read() as tx:
        source = device_source(tx, "ann", "phone")
    apply_push(store, source)
    return [change.summary for change in changes.of("add")]


def test_an_android_21_export_comes_in_decoded_as_vcard_30(store: Store) -> None:
    assert push_and_apply(store, export("android_export_v21.vcf")) == [
        "Jürgen Schröder",
        "Zoë Dupont",
        "Chidi Okafor",
    ]
    card = stored_cards(store)["Jürgen Schröder"]
    assert "VERSION:3.0" in card and "QUOTED-PRINTABLE" not in card.upper()
    assert "N:Schröder;Jürgen;;;" in card
    assert "TEL;TYPE=CELL:+49 171 7654321" in card and "EMAIL;TYPE=HOME:" in card
    unfolded = card.replace("\r\n ", "")
    assert "Hauptstraße 12, Hinterhaus, 3. Stock links;München;;80331;Deutschland" in unfolded
    assert "Bäcker in Schwabing." in unfolded
    assert "PHOTO;ENCODING=b;TYPE=JPEG:/9j/" in card
    assert "TEL;TYPE=WORK:+33 1 23 45 67 89" in stored_cards(store)["Zoë Dupont"]


def test_an_ios_export_keeps_its_labels_and_photo(store: Store) -> None:
    assert push_and_apply(store, export("ios_export.vcf")) == [
        "Anna Schröder",
        "Zoë Ångström",
        "Fjord Instruments AB",
    ]
    card = stored_cards(store)["Anna Schröder"].replace("\r\n ", "")
    assert "item1.EMAIL;TYPE=INTERNET,pref:anna@stadtwerke.example" in card
    assert "item1.X-ABLABEL:_$!<Other>!$_" in card  # vobject writes property names in capitals
    assert "PHOTO;ENCODING=b;TYPE=JPEG:/9j/" in card
    assert "X-ABUID:2E4F6A8C-1B3D-4E5F-8A9B-0C1D2E3F4A5B:ABPerson" in card


def test_an_android_30_export_comes_in(store: Store) -> None:
    assert push_and_apply(store, export("android_export_v30.vcf")) == [
        "Siri Løvland",
        "Kenji Nakamura",
    ]


def test_the_same_export_again_adds_nothing(store: Store) -> None:
    for name in ("ios_export.vcf", "android_export_v21.vcf"):
        push_and_apply(store, export(name))
    again = receive_push(store, "ann", "phone", export("android_export_v21.vcf").encode())
    assert again.of("add") == [] and again.counts["unchanged"] == 3


def test_a_bad_card_is_reported_by_its_position_and_the_others_come_in() -> None:
    cards = export("android_export_v21.vcf").split("END:VCARD\r\n")
    text = cards[0] + "END:VCARD\r\n" + BROKEN_CARD + "END:VCARD\r\n".join(cards[1:])
    records, problems = read_push(text)
    assert [record.summary for record in records] == [
        "Jürgen Schröder",
        "Zoë Dupont",
        "Chidi Okafor",
    ]
    [problem] = problems
    assert problem.reason.startswith("card 2: not a valid vCard")
    assert problem.line == text[: text.index(BROKEN_CARD)].count("\n") + 1


@pytest.mark.parametrize(
    ("device", "body", "field", "words"),
    [
        ("  ", b"BEGIN:VCARD\r\nEND:VCARD\r\n", "device", "Name the phone"),
        (".hidden", b"BEGIN:VCARD\r\nEND:VCARD\r\n", "device", "does not start with a dot"),
        ("iPhone", b"", "file", "The file is empty"),
        ("iPhone", b"FN:\xff\r\n", "file", "not UTF-8"),
        ("iPhone", b"Name,Phone\r\nAnn,1\r\n", "file", "no vCard"),
    ],
)
def test_an_upload_that_is_no_export_is_refused_at_its_field(
    ctx: RunContext, device: str, body: bytes, field: str, words: str
) -> None:
    with pytest.raises(Invalid) as refused:
        receive_upload(ctx, "ann", device, body)
    assert refused.value.field == field and words in refused.value.message
    with ctx.store.read() as tx:
        assert tx.list_sources(owner="ann") == []


def test_an_upload_with_a_byte_order_mark_is_read(ctx: RunContext) -> None:
    body = b"\xef\xbb\xbf" + export("android_export_v30.vcf").encode()
    changes = receive_upload(ctx, "ann", " iPhone ", body)
    assert [change.summary for change in changes.of("add")] == ["Siri Løvland", "Kenji Nakamura"]


def test_an_upload_while_automatic_export_is_off_is_refused_at_the_device(
    ctx: RunContext,
) -> None:
    set_auto_export(ctx, "ann", "iPhone", False)
    with pytest.raises(Conflict) as refused:
        receive_upload(ctx, "ann", "iPhone", export("ios_export.vcf").encode())
    assert refused.value.field == "device" and "Automatic export is off" in refused.value.message


def test_a_contact_deleted_here_is_not_added_back_by_another_phone(store: Store) -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nEND:VCARD\r\n".format
    both = card(uid="a", name="Ann") + card(uid="b", name="Bob")
    push_and_apply(store, both)  # from "phone"
    with store.write() as tx:
        book = tx.require_collection("ann/from-ios")
        tx.delete_item(book, tx.uids_of(book.id)["b"])
    changes = receive_push(store, "ann", "ipad", (both + card(uid="c", name="Cid")).encode())
    assert [change.summary for change in changes.of("add")] == ["Cid"]
    assert [change.summary for change in changes.stays_deleted] == ["Bob"]
    with store.read() as tx:
        ipad = device_source(tx, "ann", "ipad")
    apply_push(store, ipad)
    assert set(stored_cards(store)) == {"Ann", "Cid"}
