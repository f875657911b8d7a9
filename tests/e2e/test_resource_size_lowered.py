"""`[server] max_resource_size` lowered after cards were stored: an oversized card is
withheld as Radicale's own storage withholds it (404 on GET, left out of REPORTs and of
the book's GET), and left out of PROPFIND listings too; the smaller cards are served."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import dav
from tests.support.servers import DavServer

BOOK = "/alice/contacts/"
LIMIT = 2000


def card(uid: str, note: str = "") -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:Ann {uid}", "EMAIL:ann@example.org"]
    if note:
        lines.append(f"NOTE:{note}")
    return "\r\n".join([*lines, "END:VCARD", ""])


@pytest.mark.contacthub_only
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_cards_over_a_lowered_limit_are_withheld(
    contacthub_factory: Callable[..., DavServer],
    backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    small, big = card("small"), card("big", "x" * 500 + "é" * 1200)
    assert len(big) < LIMIT < len(big.encode())  # over the limit in bytes, not in characters
    first = contacthub_factory(store_url=url)
    alice = first.session("alice")
    dav.propfind(alice, BOOK)  # the first request makes the book
    for name, text in (("small.vcf", small), ("big.vcf", big)):
        dav.create_card(alice, BOOK + name, text)
    first.stop()

    lowered = contacthub_factory(
        store_url=url, config={"server": {"max_resource_size": str(LIMIT)}}
    )
    alice = lowered.session("alice")
    assert alice.get(BOOK + "big.vcf").status_code == 404
    assert alice.get(BOOK + "small.vcf").text == small

    listed = dav.propfind(alice, BOOK, [dav.GETETAG], depth="1")
    assert sorted(r.href for r in listed) == [BOOK, BOOK + "small.vcf"]
    multiget = dav.multiget(alice, BOOK, [BOOK + "small.vcf", BOOK + "big.vcf"])
    assert [r.href for r in multiget] == [BOOK + "small.vcf"]  # big.vcf: no answer at all
    assert "UID:small" in (multiget.responses[0].address_data or "")
    query = dav.addressbook_query(alice, BOOK, [dav.TextMatch("EMAIL", "ann@")])
    assert [r.href for r in query] == [BOOK + "small.vcf"]
    synced = dav.sync_collection(alice, BOOK, None)
    assert [r.href for r in synced] == [BOOK + "small.vcf"]
    export = alice.get(BOOK)
    assert export.status_code == 200 and export.text == small
