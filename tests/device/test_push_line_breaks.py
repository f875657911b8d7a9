"""A phone's 2.1 card with a quoted-printable line break (=0D=0A, as Android writes a
note's and Outlook a label's) is taken by the push and the .vcf upload of the Phone sync
page, and stored as 3.0 with the line break written \\n."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contacthub import config
from contacthub.services.devices import receive_upload
from contacthub.sources.context import RunContext
from contacthub.sources.device import apply_push, device_source
from contacthub.store import Store

ANDROID_NOTE = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;Hans;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Hans M=C3=BCller\r\n"
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Erste Zeile=0D=0A=\r\n"
    "Zweite Zeile=0D=0A=0D=0ADritte\r\n"
    "LABEL;HOME;ENCODING=QUOTED-PRINTABLE:Hauptstr. 1=0D=0AM=C3=BCnchen\r\n"
    "END:VCARD\r\n"
)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def test_an_encoded_line_break_is_taken_and_stored_as_a_line_break(
    store: Store, tmp_path: Path
) -> None:
    ctx = RunContext(store, config.load(tmp_path))
    changes = receive_upload(ctx, "ann", "pixel", ANDROID_NOTE.encode())
    assert changes.problems == [] and [c.summary for c in changes.of("add")] == ["Hans Müller"]
    with store.read() as tx:
        source = device_source(tx, "ann", "pixel")
    apply_push(store, source)
    with store.read() as tx:
        book = tx.require_collection("ann/from-ios")
        (item,) = list(tx.iter_items(book.id))
    assert "NOTE:Erste Zeile\\nZweite Zeile\\n\\nDritte\r\n" in item.text
    assert "LABEL;TYPE=HOME:Hauptstr. 1\\nMünchen\r\n" in item.text
    assert "\r\n\r\n" not in item.text and "=0D" not in item.text
