"""sync-collection (RFC 6578) over HTTP: deltas since a token, and refused tokens.

A client keeps the token of its last sync and asks for what changed since; every
add, change and delete must appear exactly once. A token the server cannot
answer (foreign, from a deleted book, pruned) gets 403 valid-sync-token, so the
client falls back to a full sync.
"""

from __future__ import annotations

import collections
import re
import time
import uuid

import pytest

from tests.conftest import BACKENDS, StartContacthub
from tests.support import dav
from tests.support.dav import DAV, q
from tests.support.servers import DavSession
from tests.support.vcards import make_card, new_uid

VALID_SYNC_TOKEN = q(DAV, "valid-sync-token")


def assert_token_refused(session: DavSession, book: str, token: str) -> None:
    resp = dav.sync_collection_raw(session, book, token)
    assert resp.status_code == 403, (token, resp.status_code, resp.text[:500])
    assert VALID_SYNC_TOKEN in dav.error_conditions(resp.content), resp.text[:500]


def live(ms: dav.Multistatus) -> list[str]:
    """Sorted hrefs of the members a (full) sync reports as present."""
    return sorted(r.href for r in ms if r.status != 404)


def test_delta_lists_each_add_change_and_delete_once(alice: DavSession, new_book: str) -> None:
    uids = {name: new_uid() for name in "abc"}
    for name, uid in uids.items():
        dav.create_card(alice, f"{new_book}{name}.vcf", make_card(uid, f"Person {name}"))
    initial = dav.sync_collection(alice, new_book, None)
    assert sorted(initial.hrefs()) == [f"{new_book}{n}.vcf" for n in "abc"]
    t1 = initial.sync_token
    assert t1

    added = dav.create_card(alice, new_book + "d.vcf", make_card(new_uid(), "Person d"))
    etag_a = alice.get(new_book + "a.vcf").headers["ETag"]
    changed = dav.put_vcard(
        alice, new_book + "a.vcf", make_card(uids["a"], "Person a v2"), if_match=etag_a
    )
    assert changed.status_code in (200, 201, 204)
    assert alice.delete(new_book + "b.vcf").status_code in (200, 204)

    delta = dav.sync_collection(alice, new_book, t1)
    counts = collections.Counter(delta.hrefs())
    assert counts == {new_book + "a.vcf": 1, new_book + "b.vcf": 1, new_book + "d.vcf": 1}
    by_href = delta.by_href()
    assert by_href[new_book + "a.vcf"].etag == changed.headers["ETag"]
    assert by_href[new_book + "d.vcf"].etag == added
    deleted = by_href[new_book + "b.vcf"]
    assert deleted.status == 404 and not deleted.props
    t2 = delta.sync_token
    assert t2 and t2 != t1

    # Nothing new since t2: empty delta, same token.
    quiet = dav.sync_collection(alice, new_book, t2)
    assert quiet.hrefs() == []
    assert quiet.sync_token == t2
    # A token can be used again: the same delta comes back.
    again = dav.sync_collection(alice, new_book, t1)
    assert collections.Counter(again.hrefs()) == counts
    # A full sync shows the current state.
    full = dav.sync_collection(alice, new_book, None)
    assert live(full) == [f"{new_book}{n}.vcf" for n in "acd"]
    assert full.sync_token == t2


def test_repeated_changes_appear_once_with_the_last_etag(alice: DavSession, new_book: str) -> None:
    uid = new_uid()
    etag = dav.create_card(alice, new_book + "busy.vcf", make_card(uid, "Busy 0"))
    token = dav.sync_collection(alice, new_book, None).sync_token
    for i in range(1, 6):
        resp = dav.put_vcard(
            alice, new_book + "busy.vcf", make_card(uid, f"Busy {i}"), if_match=etag
        )
        assert resp.status_code in (200, 201, 204)
        etag = resp.headers["ETag"]
    # Created and deleted after the token: reported at most once, as deleted.
    dav.create_card(alice, new_book + "brief.vcf", make_card(new_uid(), "Brief"))
    assert alice.delete(new_book + "brief.vcf").status_code in (200, 204)

    delta = dav.sync_collection(alice, new_book, token)
    counts = collections.Counter(delta.hrefs())
    assert counts[new_book + "busy.vcf"] == 1
    assert counts[new_book + "brief.vcf"] <= 1
    assert set(counts) <= {new_book + "busy.vcf", new_book + "brief.vcf"}
    assert delta.by_href()[new_book + "busy.vcf"].etag == etag
    if new_book + "brief.vcf" in counts:
        assert delta.by_href()[new_book + "brief.vcf"].status == 404


def test_sync_can_return_address_data(alice: DavSession, new_book: str) -> None:
    token = dav.sync_collection(alice, new_book, None).sync_token
    card = make_card(new_uid(), "Data Person", emails=["data@example.org"])
    dav.create_card(alice, new_book + "data.vcf", card)
    delta = dav.sync_collection(alice, new_book, token, props=(dav.GETETAG, dav.ADDRESS_DATA))
    assert delta.hrefs() == [new_book + "data.vcf"]
    assert "FN:Data Person" in (delta.responses[0].address_data or "")


def test_token_of_another_book_is_refused(alice: DavSession, new_book: str) -> None:
    other = f"/alice/other-{uuid.uuid4().hex[:8]}/"
    dav.mkcol_addressbook(alice, other, "Other")
    dav.create_card(alice, other + "x.vcf", make_card(new_uid(), "Other X"))
    foreign = dav.sync_collection(alice, other, None).sync_token
    assert foreign
    assert_token_refused(alice, new_book, foreign)
    # The book itself is fine: a full sync still works.
    assert live(dav.sync_collection(alice, new_book, None)) == []


@pytest.mark.parametrize(
    "token", ["garbage", "urn:contacthub:sync:not-a-token", "http://radicale.org/ns/sync/0000"]
)
def test_malformed_token_is_refused(alice: DavSession, new_book: str, token: str) -> None:
    assert_token_refused(alice, new_book, token)


@pytest.mark.contacthub_only
def test_token_from_the_future_is_refused(alice: DavSession, new_book: str) -> None:
    token = dav.sync_collection(alice, new_book, None).sync_token or ""
    match = re.match(r"^(urn:contacthub:sync:[0-9a-f-]{36}):(\d+)$", token)
    assert match, token
    assert_token_refused(alice, new_book, f"{match.group(1)}:{int(match.group(2)) + 1000}")
    stranger = f"urn:contacthub:sync:{uuid.uuid4()}:{match.group(2)}"
    assert_token_refused(alice, new_book, stranger)


def test_token_of_a_deleted_and_recreated_book_is_refused(alice: DavSession) -> None:
    book = f"/alice/reborn-{uuid.uuid4().hex[:8]}/"
    dav.mkcol_addressbook(alice, book, "Reborn")
    dav.create_card(alice, book + "old.vcf", make_card(new_uid(), "Old Life"))
    token = dav.sync_collection(alice, book, None).sync_token or ""
    assert alice.delete(book).status_code in (200, 204)
    dav.mkcol_addressbook(alice, book, "Reborn")
    assert_token_refused(alice, book, token)
    assert live(dav.sync_collection(alice, book, None)) == []


@pytest.mark.contacthub_only
@pytest.mark.parametrize("backend", BACKENDS)
def test_pruned_token_is_refused(contacthub_factory: StartContacthub, backend: str) -> None:
    retention = 5
    server = contacthub_factory(backend, config={"store": {"history_retention": str(retention)}})
    alice = server.session("alice")
    book = "/alice/contacts/"
    dav.sync_collection(alice, book, None)  # first login: the default book exists
    dav.create_card(alice, book + "gone.vcf", make_card(new_uid(), "Soon Gone"))
    dav.create_card(alice, book + "kept.vcf", make_card(new_uid(), "Kept"))
    old = dav.sync_collection(alice, book, None).sync_token or ""
    deleted_at = time.monotonic()
    assert alice.delete(book + "gone.vcf").status_code in (200, 204)
    # Within the retention the delete is still reported.
    fresh = dav.sync_collection(alice, book, old)
    assert time.monotonic() - deleted_at < retention, "too slow to check the fresh token"
    assert fresh.hrefs() == [book + "gone.vcf"] and fresh.responses[0].status == 404

    # Once the tombstone is older than the retention, the old token is refused.
    # Keep writing (pruning may happen on writes) and poll.
    deadline = deleted_at + retention + 20
    status = None
    while time.monotonic() < deadline:
        scratch = f"{book}scratch-{uuid.uuid4().hex[:8]}.vcf"
        dav.create_card(alice, scratch, make_card(new_uid(), "Scratch"))
        assert alice.delete(scratch).status_code in (200, 204)
        status = dav.sync_collection_raw(alice, book, old).status_code
        if status == 403:
            break
        assert status == 207
        time.sleep(0.25)
    assert status == 403, f"token from before a pruned delete still answered after {retention} s"
    assert_token_refused(alice, book, old)

    # The fallback works: a full sync, then deltas from the new token.
    full = dav.sync_collection(alice, book, None)
    assert live(full) == [book + "kept.vcf"]
    dav.create_card(alice, book + "new.vcf", make_card(new_uid(), "New"))
    assert dav.sync_collection(alice, book, full.sync_token).hrefs() == [book + "new.vcf"]
