"""A plain book's addressbook-multiget and sync-collection are written as text
(carddav/report_text.py): the same answers as Radicale's own element tree, response by
response."""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from radicale.app import report as radicale_report
from werkzeug.test import Client, EnvironBuilder

from contacthub import config
from contacthub.carddav import guard, report_text
from contacthub.carddav.app import make_carddav_app
from contacthub.store import Store, StoreError
from contacthub.users import UsersFile
from contacthub_radicale.budget import AnswerBudget
from contacthub_radicale.collection import Collection
from tests.support import dav
from tests.support.stores import new_sqlite_store

ALICE = ("alice", "alice-password")
BOOK = "/alice/contacts/"
CARDS = {
    "plain.vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ann\r\nEND:VCARD\r\n",
    "marks & <tags>.vcf": (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u2\r\nFN:Bob & <Co> ]]>\r\n"
        "NOTE:a > b\\, c < d & e\r\nEMAIL:b@x.example\r\nEND:VCARD\r\n"
    ),
    "ünïcødé 名前.vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u3\r\nFN:Zoë 名前 😀\r\nEND:VCARD\r\n",
    "four.vcf": (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:u4\r\nFN:Dee\r\nTEL;VALUE=uri:tel:+1555\r\nEND:VCARD\r\n"
    ),
}
MULTIGET = (
    '<?xml version="1.0"?><C:addressbook-multiget xmlns:D="DAV:" '
    'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop>{props}</D:prop>{hrefs}'
    "</C:addressbook-multiget>"
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    store = Store.open(new_sqlite_store(tmp_path / "store.db"))
    settings_ = config.load(tmp_path)
    UsersFile(settings_.users_file).add(*ALICE)
    client = Client(make_carddav_app(settings_, store))
    client.open(BOOK, method="PROPFIND", headers={"Depth": "0"}, auth=ALICE)
    for name, card in CARDS.items():
        put = client.put(BOOK + name, data=card.encode(), content_type="text/vcard", auth=ALICE)
        assert put.status_code == 201
    yield client
    store.close()


def answers(client: Client, body: str, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, bytes]:
    """The answer written as text, then Radicale's own."""
    assert radicale_report.xml_report is report_text.xml_report
    ours = client.open(
        BOOK, method="REPORT", data=body.encode(), auth=ALICE, headers={"Depth": "1"}
    )
    with monkeypatch.context() as patched:
        patched.setattr(radicale_report, "xml_report", report_text._radicale_xml_report)
        theirs = client.open(
            BOOK, method="REPORT", data=body.encode(), auth=ALICE, headers={"Depth": "1"}
        )
    assert ours.status_code == theirs.status_code == 207
    assert ours.headers["Content-Type"] == theirs.headers["Content-Type"]
    return ours.get_data(), theirs.get_data()


def same(ours: bytes, theirs: bytes) -> None:
    def responses(body: bytes) -> list[tuple[str, int | None, dict[str, str], dict[str, int]]]:
        parsed = dav.parse_multistatus(body)
        return sorted(
            (r.href, r.status, {k: v.text or "" for k, v in r.props.items()}, r.prop_status)
            for r in parsed
        )

    assert responses(ours) == responses(theirs)


@pytest.mark.parametrize(
    "props",
    [
        "<D:getetag/><C:address-data/>",
        "<C:address-data/><D:getetag/>",
        "<D:getetag/>",
        '<C:address-data content-type="text/vcard" version="4.0"/><D:getetag/>',
    ],
)
def test_a_multiget_is_answered_as_radicale_answers_it(
    client: Client, props: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = [*CARDS, "missing.vcf", "plain.vcf"]
    hrefs = "".join(f"<D:href>{BOOK}{quote(name)}</D:href>" for name in named)
    hrefs += "<D:href>/bob/contacts/x.vcf</D:href><D:href>/alice/other/x.vcf</D:href>"
    ours, theirs = answers(client, MULTIGET.format(props=props, hrefs=hrefs), monkeypatch)
    same(ours, theirs)
    found = dav.parse_multistatus(ours).by_href()
    marked = found[BOOK + "marks & <tags>.vcf"]
    assert marked.etag
    if "address-data" in props:  # the marks escaped, read back as they are
        assert "FN:Bob & <Co> ]]>\nNOTE:a > b\\, c < d & e\n" in (marked.address_data or "")
    assert found[BOOK + "missing.vcf"].status == 404
    assert len([r for r in dav.parse_multistatus(ours) if r.href == BOOK + "plain.vcf"]) == 1


def test_a_multiget_of_other_properties_is_radicales(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = MULTIGET.format(
        props="<D:getetag/><D:getcontenttype/><D:displayname/>",
        hrefs=f"<D:href>{BOOK}plain.vcf</D:href>",
    )
    ours, theirs = answers(client, body, monkeypatch)
    assert ours == theirs


SYNC = (
    '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:" '
    'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:sync-token>{token}</D:sync-token>'
    "<D:sync-level>1</D:sync-level>{limit}<D:prop>{props}</D:prop></D:sync-collection>"
)


def token_of(answer: bytes) -> str:
    token = dav.parse_multistatus(answer).sync_token
    assert token
    return token


@pytest.mark.parametrize("props", ["<D:getetag/>", "<D:getetag/><C:address-data/>"])
def test_a_sync_collection_is_answered_as_radicale_answers_it(
    client: Client, props: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, theirs = answers(client, SYNC.format(token="", limit="", props=props), monkeypatch)
    same(first, theirs)
    assert token_of(first) == token_of(theirs)
    assert len(dav.parse_multistatus(first)) == len(CARDS)
    # a change and a deletion since the first sync: one 200, one 404
    changed = CARDS["plain.vcf"].replace("FN:Ann", "FN:Ann B")
    client.put(BOOK + "plain.vcf", data=changed.encode(), content_type="text/vcard", auth=ALICE)
    client.delete(BOOK + "four.vcf", auth=ALICE)
    body = SYNC.format(token=token_of(first), limit="", props=props)
    ours, theirs = answers(client, body, monkeypatch)
    same(ours, theirs)
    statuses = {r.href: r.status for r in dav.parse_multistatus(ours)}
    assert statuses == {BOOK + "plain.vcf": None, BOOK + "four.vcf": 404}


def test_a_sync_page_cut_short_is_answered_as_radicale_answers_it(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = "<D:limit><D:nresults>2</D:nresults></D:limit>"
    body = SYNC.format(token="", limit=limit, props="<D:getetag/>")
    ours, theirs = answers(client, body, monkeypatch)
    same(ours, theirs)
    assert b"507" in ours
    assert token_of(ours) == token_of(theirs)


@pytest.fixture
def cards_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hrefs whose cards the book's get_multi read."""
    read: list[str] = []
    get_multi = Collection.get_multi

    def counted(self: Collection, hrefs: Iterable[str]) -> Iterator[Any]:
        wanted = list(hrefs)
        read.extend(wanted)
        return get_multi(self, wanted)

    monkeypatch.setattr(Collection, "get_multi", counted)
    return read


def test_a_sync_of_etags_alone_reads_no_card(
    client: Client, cards_read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.open(
        BOOK, method="REPORT", data=SYNC.format(token="", limit="", props="<D:getetag/>").encode(),
        auth=ALICE, headers={"Depth": "1"},
    )  # fmt: skip
    client.delete(BOOK + "plain.vcf", auth=ALICE)
    changed = CARDS["four.vcf"].replace("FN:Dee", "FN:Dee B")  # a 4.0 card: served as 3.0
    client.put(BOOK + "four.vcf", data=changed.encode(), content_type="text/vcard", auth=ALICE)
    body = SYNC.format(token=token_of(first.get_data()), limit="", props="<D:getetag/>")
    cards_read.clear()

    ours, theirs = answers(client, body, monkeypatch)

    same(ours, theirs)
    statuses = {r.href: r.status for r in dav.parse_multistatus(ours)}
    assert statuses == {BOOK + "plain.vcf": 404, BOOK + "four.vcf": None}
    assert sorted(cards_read) == ["four.vcf", "plain.vcf"]  # by Radicale's answer alone


def test_a_card_whose_version_is_past_its_head_is_read_for_its_etag(
    client: Client, cards_read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    late = (
        "BEGIN:VCARD\r\nNOTE:" + "x" * 400 + "\r\nVERSION:4.0\r\nUID:u9\r\nFN:Late\r\nEND:VCARD\r\n"
    )
    put = client.put(BOOK + "late.vcf", data=late.encode(), content_type="text/vcard", auth=ALICE)
    assert put.status_code == 201
    cards_read.clear()

    ours, theirs = answers(
        client, SYNC.format(token="", limit="", props="<D:getetag/>"), monkeypatch
    )

    same(ours, theirs)
    etag = dav.parse_multistatus(ours).by_href()[BOOK + "late.vcf"].etag
    assert etag is not None and etag.endswith('-3.0"')  # the 3.0 form's ETag
    assert len(cards_read) == 2 * (len(CARDS) + 1)  # ours read every card, as Radicale's did


def test_an_invalid_sync_token_is_refused_as_radicale_refuses_it(client: Client) -> None:
    body = SYNC.format(token="http://example.org/nope", limit="", props="<D:getetag/>")
    answer = client.open(
        BOOK, method="REPORT", data=body.encode(), auth=ALICE, headers={"Depth": "1"}
    )
    assert answer.status_code == 403
    assert b"valid-sync-token" in answer.get_data()


# -- a multiget of many cards, sent as it is written ----------------------------------------

ALL_NAMED = (
    "".join(
        f"<D:href>{BOOK}{quote(name)}</D:href>" for name in [*CARDS, "missing.vcf", "plain.vcf"]
    )
    + "<D:href>/bob/contacts/x.vcf</D:href>"
)
WHOLE_BOOK = MULTIGET.format(props="<D:getetag/><C:address-data/>", hrefs=ALL_NAMED)


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every multiget of more than one card streamed, a chunk per card."""
    monkeypatch.setattr(report_text, "STREAMED_HREFS", 1)
    monkeypatch.setattr(report_text, "CHUNK_BYTES", 1)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many of the store's read transactions are open: [opened, closed]."""
    counts = [0, 0]
    read = Store.read

    @contextmanager
    def counted(self: Store) -> Iterator[Any]:
        counts[0] += 1
        try:
            with read(self) as tx:
                yield tx
        finally:
            counts[1] += 1

    monkeypatch.setattr(Store, "read", counted)
    return counts


def report(
    client: Client, body: str, **headers: str
) -> tuple[str, dict[str, str], Iterable[bytes]]:
    """The WSGI answer to a REPORT on the book, its body not read yet."""
    environ = EnvironBuilder(
        BOOK, method="REPORT", data=body.encode(), auth=ALICE, headers={"Depth": "1", **headers}
    ).get_environ()
    started: list[tuple[str, list[tuple[str, str]]]] = []
    body_ = client.application(environ, lambda s, h, *_: started.append((s, h)))
    status, headers_ = started[0]
    return status, dict(headers_), body_


@pytest.mark.usefixtures("streamed")
@pytest.mark.parametrize(
    "props",
    [
        "<D:getetag/><C:address-data/>",
        '<C:address-data content-type="text/vcard" version="4.0"/><D:getetag/>',
    ],
)
def test_a_streamed_multiget_is_answered_as_radicale_answers_it(
    client: Client, props: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = MULTIGET.format(props=props, hrefs=ALL_NAMED)
    ours, theirs = answers(client, body, monkeypatch)
    same(ours, theirs)
    assert len(dav.parse_multistatus(ours)) == len(CARDS) + 2


@pytest.mark.usefixtures("streamed")
def test_a_multiget_of_many_cards_is_sent_as_it_is_read(client: Client) -> None:
    status, headers, body = report(client, WHOLE_BOOK)
    chunks = list(body)
    getattr(body, "close", lambda: None)()
    assert status.startswith("207")
    assert "Content-Length" not in headers  # waitress sends it chunked
    assert len(chunks) > len(CARDS)  # each card's response as it was written
    assert len(dav.parse_multistatus(b"".join(chunks))) == len(CARDS) + 2


@pytest.mark.usefixtures("streamed")
def test_a_streamed_multiget_is_compressed_when_the_client_asks(client: Client) -> None:
    status, headers, body = report(client, WHOLE_BOOK, **{"Accept-Encoding": "gzip"})
    compressed = b"".join(body)
    getattr(body, "close", lambda: None)()
    assert headers["Content-Encoding"] == "gzip"
    plain = client.open(
        BOOK, method="REPORT", data=WHOLE_BOOK.encode(), auth=ALICE, headers={"Depth": "1"}
    ).get_data()
    assert gzip.decompress(compressed) == plain


@pytest.mark.usefixtures("streamed")
def test_a_client_leaving_a_streamed_multiget_midway_lets_go_of_the_store(
    client: Client, reads: list[int]
) -> None:
    status, _headers, body = report(client, WHOLE_BOOK)
    chunks = iter(body)
    next(chunks), next(chunks)
    assert status.startswith("207")
    assert reads[0] > reads[1]  # the answer's snapshot, open while it is sent
    getattr(body, "close", lambda: None)()  # what the server does when the client has left
    assert reads[0] == reads[1]
    started = time.monotonic()
    card = CARDS["plain.vcf"].replace("FN:Ann", "FN:Ann C")
    put = client.put(BOOK + "plain.vcf", data=card.encode(), content_type="text/vcard", auth=ALICE)
    assert put.status_code == 204
    assert time.monotonic() - started < 2


@pytest.mark.usefixtures("streamed")
def test_a_streamed_multiget_over_the_budget_is_refused_before_a_byte(
    client: Client, monkeypatch: pytest.MonkeyPatch, reads: list[int]
) -> None:
    monkeypatch.setattr(guard, "report_budget", lambda *_: AnswerBudget(multiget_bytes=100))
    status, _headers, body = report(client, WHOLE_BOOK)
    answer = b"".join(body)
    assert status.startswith("403")
    assert b"number-of-matches-within-limits" in answer
    assert b"ask for fewer at a time" in answer
    assert reads[0] == reads[1]


@pytest.mark.usefixtures("streamed")
def test_a_store_error_midway_ends_the_answer_unfinished_and_lets_go_of_the_store(
    client: Client,
    monkeypatch: pytest.MonkeyPatch,
    reads: list[int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    written = report_text._response
    count = [0]

    def failing(*args: Any) -> str:
        count[0] += 1
        if count[0] == 3:
            raise StoreError("the disk went away")
        return written(*args)

    monkeypatch.setattr(report_text, "_response", failing)
    status, _headers, body = report(client, WHOLE_BOOK)
    chunks = iter(body)
    sent = [next(chunks), next(chunks)]
    assert status.startswith("207")
    with pytest.raises(StoreError):  # the server ends the connection: no end of the answer
        sent.append(next(chunks))
    getattr(body, "close", lambda: None)()
    assert b"</multistatus>" not in b"".join(sent)
    assert reads[0] == reads[1]
    assert "stopped midway" in caplog.text
