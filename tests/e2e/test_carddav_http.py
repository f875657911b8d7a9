"""CardDAV items over HTTP: ETags and preconditions, byte-exact round trips,
UID uniqueness, getctag/sync-token, addressbook-multiget and addressbook-query.

Runs against a real ``contacthub serve`` process, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
import vobject

from tests.support import dav
from tests.support.dav import GETCTAG, GETETAG, SYNC_TOKEN, TextMatch
from tests.support.servers import DavServer, DavSession
from tests.support.vcards import REALISTIC_CARDS, make_card, new_uid

STRONG_ETAG = re.compile(r'^"[^"\s]+"$')
OK_WRITE = (200, 201, 204)


def listing(session: DavSession, book: str) -> dict[str, str]:
    """href -> ETag of every item in *book* (PROPFIND Depth 1)."""
    ms = dav.propfind(session, book, [GETETAG], depth="1")
    return {r.href: r.etag or "" for r in ms if r.href != book}


def test_put_get_delete_with_etags_and_preconditions(alice: DavSession, new_book: str) -> None:
    href = new_book + "ann.vcf"
    card = make_card(new_uid(), "Ann Example", emails=["ann@example.org"], tels=["+1 555 0100"])

    created = dav.put_vcard(alice, href, card, if_none_match="*")
    assert created.status_code == 201
    etag = created.headers.get("ETag", "")
    assert STRONG_ETAG.match(etag), f"not a strong quoted ETag: {etag!r}"

    got = alice.get(href)
    assert got.status_code == 200
    assert got.headers["ETag"] == etag
    assert got.headers["Content-Type"].split(";")[0].strip() == "text/vcard"
    assert listing(alice, new_book) == {href: etag}

    # If-None-Match: * on an existing item: refused, nothing changes.
    again = make_card(new_uid(), "Ann Overwritten")
    assert dav.put_vcard(alice, href, again, if_none_match="*").status_code == 412
    # If-Match with a stale ETag: refused.
    assert dav.put_vcard(alice, href, again, if_match='"stale-etag"').status_code == 412
    unchanged = alice.get(href)
    assert unchanged.headers["ETag"] == etag and "Ann Example" in unchanged.text

    # If-Match with the current ETag: accepted, new ETag.
    uid = re.search(r"UID:(\S+)", card).group(1)  # type: ignore[union-attr]
    updated_card = make_card(uid, "Ann Updated", emails=["ann@example.org"])
    updated = dav.put_vcard(alice, href, updated_card, if_match=etag)
    assert updated.status_code in OK_WRITE
    new_etag = updated.headers.get("ETag", "")
    assert STRONG_ETAG.match(new_etag) and new_etag != etag
    got = alice.get(href)
    assert got.headers["ETag"] == new_etag and "FN:Ann Updated" in got.text
    assert listing(alice, new_book) == {href: new_etag}

    # The old ETag no longer matches, for PUT and for DELETE.
    assert dav.put_vcard(alice, href, card, if_match=etag).status_code == 412
    assert alice.delete(href, headers={"If-Match": etag}).status_code == 412
    assert alice.get(href).headers["ETag"] == new_etag

    # DELETE with the current ETag.
    assert alice.delete(href, headers={"If-Match": new_etag}).status_code in (200, 204)
    assert alice.get(href).status_code == 404
    assert alice.delete(href).status_code == 404
    assert listing(alice, new_book) == {}
    # If-Match on an item that does not exist.
    assert dav.put_vcard(alice, href, card, if_match=new_etag).status_code == 412
    assert alice.get(href).status_code == 404


def test_put_without_preconditions_creates_and_replaces(alice: DavSession, new_book: str) -> None:
    href = new_book + "plain.vcf"
    uid = new_uid()
    first = dav.put_vcard(alice, href, make_card(uid, "Plain One"))
    assert first.status_code == 201
    second = dav.put_vcard(alice, href, make_card(uid, "Plain Two"))
    assert second.status_code in OK_WRITE
    got = alice.get(href)
    assert "FN:Plain Two" in got.text
    assert got.headers["ETag"] == second.headers["ETag"] != first.headers["ETag"]


@pytest.mark.contacthub_only  # Radicale's own storage re-serializes cards with vobject
@pytest.mark.parametrize("kind", sorted(REALISTIC_CARDS))
def test_cards_round_trip_byte_for_byte(alice: DavSession, new_book: str, kind: str) -> None:
    card = REALISTIC_CARDS[kind]().encode("utf-8")
    href = f"{new_book}{uuid.uuid4()}.vcf"
    put = dav.put_vcard(alice, href, card, if_none_match="*")
    assert put.status_code == 201
    assert put.headers.get("ETag"), "stored bytes equal the sent ones: the PUT must give the ETag"

    got = alice.get(href)
    assert got.status_code == 200
    assert got.content == card
    assert got.headers["ETag"] == put.headers["ETag"]

    # The same bytes in REPORT answers (XML normalizes CRLF to LF).
    ms = dav.multiget(alice, new_book, [href])
    data = ms.by_href()[href].address_data or ""
    assert data.replace("\r\n", "\n") == card.decode("utf-8").replace("\r\n", "\n")
    assert ms.by_href()[href].etag == put.headers["ETag"]


@pytest.mark.parametrize("kind", sorted(REALISTIC_CARDS))
def test_realistic_cards_keep_their_content(alice: DavSession, new_book: str, kind: str) -> None:
    """Whatever the storage does with the bytes, no property or parameter is lost."""
    text = REALISTIC_CARDS[kind]()
    href = f"{new_book}{uuid.uuid4()}.vcf"
    dav.create_card(alice, href, text)
    got = alice.get(href).content.decode("utf-8")

    def signature(card_text: str) -> list[tuple[str, object, object]]:
        card = vobject.readOne(card_text)
        sig = []
        for line in card.getChildren():
            if line.name in ("VERSION", "PRODID"):
                continue
            params = sorted((k.upper(), sorted(v)) for k, v in line.params.items())
            sig.append((str(line.group) + "." + line.name, str(line.value), params))
        return sorted(sig, key=repr)

    assert signature(got) == signature(text)
    for marker in ("X-ADDRESSBOOKSERVER-MEMBER", "X-APPLE-OMIT-YEAR=1604", "X-ABCROP"):
        if marker in text:
            assert marker in got


def test_uid_is_unique_within_a_book(alice: DavSession, new_book: str) -> None:
    uid = new_uid()
    first = dav.create_card(alice, new_book + "first.vcf", make_card(uid, "Uniq One"))
    resp = dav.put_vcard(alice, new_book + "second.vcf", make_card(uid, "Uniq Two"))
    assert resp.status_code == 409
    assert dav.q(dav.CARD, "no-uid-conflict") in dav.error_conditions(resp.content)
    assert alice.get(new_book + "second.vcf").status_code == 404
    assert listing(alice, new_book) == {new_book + "first.vcf": first}
    # The same UID in another book is fine.
    other = f"/alice/other-{uuid.uuid4().hex[:8]}/"
    dav.mkcol_addressbook(alice, other, "Other")
    dav.create_card(alice, other + "copy.vcf", make_card(uid, "Uniq Elsewhere"))


def _ctag_and_token(session: DavSession, book: str) -> tuple[str, str]:
    resp = dav.propfind_one(session, book, [GETCTAG, SYNC_TOKEN])
    ctag, token = resp.text(GETCTAG), resp.text(SYNC_TOKEN)
    assert ctag and token, resp.prop_status
    return ctag, token


def test_getctag_and_sync_token_follow_writes(alice: DavSession, new_book: str) -> None:
    empty = _ctag_and_token(alice, new_book)
    assert _ctag_and_token(alice, new_book) == empty  # stable without writes

    href = new_book + "c.vcf"
    uid = new_uid()
    etag = dav.create_card(alice, href, make_card(uid, "Ctag Person"))
    after_put = _ctag_and_token(alice, new_book)
    assert after_put[0] != empty[0] and after_put[1] != empty[1]
    assert _ctag_and_token(alice, new_book) == after_put

    # Refused writes change nothing.
    assert dav.put_vcard(alice, href, make_card(uid, "X"), if_match='"nope"').status_code == 412
    assert _ctag_and_token(alice, new_book) == after_put

    updated = dav.put_vcard(alice, href, make_card(uid, "Ctag Person 2"), if_match=etag)
    assert updated.status_code in OK_WRITE
    after_update = _ctag_and_token(alice, new_book)
    assert after_update[0] not in (empty[0], after_put[0])
    assert after_update[1] not in (empty[1], after_put[1])

    assert alice.delete(href).status_code in (200, 204)
    after_delete = _ctag_and_token(alice, new_book)
    assert after_delete[0] != after_update[0]
    assert after_delete[1] not in (empty[1], after_put[1], after_update[1])
    # The sync-token of PROPFIND is the one sync-collection answers with.
    assert dav.sync_collection(alice, new_book, None).sync_token == after_delete[1]


@pytest.mark.contacthub_only
def test_sync_tokens_are_change_log_positions(alice: DavSession, new_book: str) -> None:
    token_re = re.compile(r"^urn:contacthub:sync:([0-9a-f-]{36}):(\d+)$")
    _, t0 = _ctag_and_token(alice, new_book)
    m0 = token_re.match(t0)
    assert m0, t0
    dav.create_card(alice, new_book + "a.vcf", make_card(new_uid(), "Seq A"))
    dav.create_card(alice, new_book + "b.vcf", make_card(new_uid(), "Seq B"))
    _, t2 = _ctag_and_token(alice, new_book)
    m2 = token_re.match(t2)
    assert m2 and m2.group(1) == m0.group(1)
    assert int(m2.group(2)) > int(m0.group(2))


def test_addressbook_multiget(alice: DavSession, new_book: str) -> None:
    cards = {
        new_book + "mg-1.vcf": make_card(new_uid(), "Multi One", emails=["one@mg.example"]),
        new_book + "mg%202.vcf": make_card(new_uid(), "Multi Two", emails=["two@mg.example"]),
        new_book + "mg-3.vcf": make_card(new_uid(), "Multi Three"),
    }
    etags = {}
    for href, card in cards.items():
        etags[href.replace("%20", " ")] = dav.create_card(alice, href, card)
    wanted = [new_book + "mg-1.vcf", new_book + "mg%202.vcf", new_book + "missing.vcf"]
    ms = dav.multiget(alice, new_book, wanted)
    found = ms.by_href()
    assert set(found) == {new_book + "mg-1.vcf", new_book + "mg 2.vcf", new_book + "missing.vcf"}
    for href in (new_book + "mg-1.vcf", new_book + "mg 2.vcf"):
        assert found[href].etag == etags[href]
        original = vobject.readOne(cards[href.replace(" ", "%20")])
        data = vobject.readOne(found[href].address_data or "")
        assert (data.uid.value, data.fn.value) == (original.uid.value, original.fn.value)
    missing = found[new_book + "missing.vcf"]
    assert missing.status == 404 or set(missing.prop_status.values()) == {404}
    assert not missing.props


QUERY_CARDS = {
    "ann": make_card(
        new_uid(),
        "Ann Example",
        emails=["ann@example.org"],
        tels=["+1 555 0100"],
        org="Example Org",
    ),
    "bob": make_card(
        new_uid(),
        "Bob Builder",
        emails=["bob@builders.example", "b.builder@example.org"],
        tels=["+44 20 7946 0000"],
        org="Builders Ltd",
    ),
    "cyd": make_card(new_uid(), "Cyd Annex", emails=["CYD@Example.NET"], tels=["+1 555 0199"]),
    "dee": make_card(new_uid(), "Dee", tels=["0049 30 1234567"]),
    "eve": make_card(new_uid(), "Évelyne Côté", emails=["evelyne@cote.example"]),
    "grp": REALISTIC_CARDS["apple-group"](),
}


@pytest.fixture(scope="module")
def query_book(contacthub_server: DavServer) -> Iterator[str]:
    alice = contacthub_server.session("alice")
    book = f"/alice/query-{uuid.uuid4().hex[:8]}/"
    dav.mkcol_addressbook(alice, book, "Query")
    for name, card in QUERY_CARDS.items():
        dav.create_card(alice, f"{book}{name}.vcf", card)
    # A look-alike in another book must never show up in this book's answers.
    decoy = f"/alice/decoy-{uuid.uuid4().hex[:8]}/"
    dav.mkcol_addressbook(alice, decoy, "Decoy")
    dav.create_card(
        alice, decoy + "ann.vcf", make_card(new_uid(), "Ann Decoy", emails=["ann@example.org"])
    )
    yield book


QueryCase = tuple[list[TextMatch], str, set[str]]
QUERIES: dict[str, QueryCase] = {
    "email-equals": ([TextMatch("EMAIL", "ann@example.org", "equals")], "anyof", {"ann"}),
    "email-equals-is-not-contains": ([TextMatch("EMAIL", "example.org", "equals")], "anyof", set()),
    "email-contains": ([TextMatch("EMAIL", "example.org")], "anyof", {"ann", "bob"}),
    "email-starts-with": ([TextMatch("EMAIL", "bob@", "starts-with")], "anyof", {"bob"}),
    "email-ends-with": ([TextMatch("EMAIL", "example.net", "ends-with")], "anyof", {"cyd"}),
    "email-case-insensitive": ([TextMatch("EMAIL", "cyd@example.net", "equals")], "anyof", {"cyd"}),
    "fn-contains": ([TextMatch("FN", "ann")], "anyof", {"ann", "cyd"}),
    "fn-starts-with": ([TextMatch("FN", "ann", "starts-with")], "anyof", {"ann"}),
    "fn-equals": ([TextMatch("FN", "dee", "equals")], "anyof", {"dee"}),
    "fn-non-ascii": ([TextMatch("FN", "ÉVELYNE CÔ")], "anyof", {"eve"}),
    "fn-no-match": ([TextMatch("FN", "zebra")], "anyof", set()),
    "tel-contains": ([TextMatch("TEL", "555")], "anyof", {"ann", "cyd"}),
    "tel-starts-with": ([TextMatch("TEL", "+44", "starts-with")], "anyof", {"bob"}),
    "tel-equals": ([TextMatch("TEL", "+1 555 0100", "equals")], "anyof", {"ann"}),
    "org-contains": ([TextMatch("ORG", "builders")], "anyof", {"bob"}),
    "anyof": (
        [TextMatch("EMAIL", "builders"), TextMatch("FN", "dee", "equals")],
        "anyof",
        {"bob", "dee"},
    ),
    "allof": ([TextMatch("FN", "ann"), TextMatch("TEL", "0199")], "allof", {"cyd"}),
    "fn-negate": ([TextMatch("FN", "ann", negate=True)], "anyof", {"bob", "dee", "eve", "grp"}),
}


@pytest.mark.parametrize("case", sorted(QUERIES))
def test_addressbook_query_text_match(
    contacthub_server: DavServer, query_book: str, case: str
) -> None:
    filters, test, expected = QUERIES[case]
    alice = contacthub_server.session("alice")
    ms = dav.addressbook_query(alice, query_book, filters, test)  # type: ignore[arg-type]
    names = set()
    for resp in ms:
        assert resp.href.startswith(query_book), resp.href
        name = resp.href[len(query_book) :].removesuffix(".vcf")
        names.add(name)
        assert resp.etag
        data = vobject.readOne(resp.address_data or "")
        assert data.uid.value == vobject.readOne(QUERY_CARDS[name]).uid.value
    assert len(ms) == len(names), f"duplicates in {ms.hrefs()}"
    assert names == expected


def test_whole_book_upload_by_put(alice: DavSession) -> None:
    """PUT of a .vcf with several cards onto a new collection path creates a book."""
    book = f"/alice/imported-{uuid.uuid4().hex[:8]}/"
    cards = [make_card(new_uid(), f"Imported {i}", emails=[f"i{i}@imp.example"]) for i in range(3)]
    resp = alice.put(book, data="".join(cards).encode(), headers={"Content-Type": "text/vcard"})
    assert resp.status_code == 201, resp.text
    items = listing(alice, book)
    assert len(items) == 3
    texts = [alice.get(href).text for href in items]
    assert sorted(t.count("FN:Imported") for t in texts) == [1, 1, 1]
    hit = dav.addressbook_query(alice, book, [TextMatch("EMAIL", "i1@imp.example", "equals")])
    assert len(hit) == 1
