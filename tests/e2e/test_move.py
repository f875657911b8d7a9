"""MOVE of a card (Thunderbird and macOS move a contact between books this way) against a
real `contacthub serve` with real client cards, SQLite and PostgreSQL.

Radicale decides the answers (404, 412, 409 no-uid-conflict) from what the plugin's
discovery and `has_uid` say; the plugin's `Storage.move` and the store's `move_item` move
the row, with the change logs of both books and the versions. Every test here also passes
against plain Radicale (`--e2e-server=radicale`): the answers are Radicale's own.
"""

from __future__ import annotations

import uuid

import pytest

from tests.support import dav
from tests.support.servers import DavSession
from tests.support.vcards import PERSON_UID, apple_person_card, make_card

pytestmark = pytest.mark.contacthub_only


def a_book(alice: DavSession, name: str) -> str:
    path = f"/alice/{name}-{uuid.uuid4().hex[:12]}/"
    dav.mkcol_addressbook(alice, path, name)
    return path


def move(
    session: DavSession, source: str, target: str, overwrite: str | None = None
) -> tuple[int, str]:
    headers = {"Destination": session.base_url + target}
    if overwrite is not None:
        headers["Overwrite"] = overwrite
    response = session.request("MOVE", source, headers=headers)
    return response.status_code, response.text


def listing(session: DavSession, book: str) -> dict[str, str | None]:
    """href -> ETag of the book's cards."""
    found = dav.propfind(session, book, [dav.GETETAG], depth="1")
    return {r.href: r.etag for r in found if r.href != book}


def sync_statuses(session: DavSession, book: str, token: str | None) -> dict[str, int | None]:
    """href -> the response's status (None: there, with its ETag; 404: gone) since token."""
    return {r.href: r.status for r in dav.sync_collection(session, book, token)}


def test_a_card_moved_to_another_book_arrives_whole_and_leaves_the_first(
    alice: DavSession,
) -> None:
    home, work = a_book(alice, "home"), a_book(alice, "work")
    text = apple_person_card()
    etag = dav.create_card(alice, f"{home}zoe.vcf", text)
    home_token = dav.sync_collection(alice, home, None).sync_token
    work_token = dav.sync_collection(alice, work, None).sync_token

    assert move(alice, f"{home}zoe.vcf", f"{work}zoe-moved.vcf")[0] == 201

    assert alice.get(f"{home}zoe.vcf").status_code == 404
    got = alice.get(f"{work}zoe-moved.vcf")
    assert got.status_code == 200
    assert got.content == text.encode("utf-8") and got.headers["ETag"] == etag
    assert listing(alice, home) == {}
    assert listing(alice, work) == {f"{work}zoe-moved.vcf": etag}
    # A phone syncing either book learns of the move at its next sync.
    assert sync_statuses(alice, home, home_token) == {f"{home}zoe.vcf": 404}
    assert sync_statuses(alice, work, work_token) == {f"{work}zoe-moved.vcf": None}
    # The card is found where it is now, and no longer where it was.
    match = [dav.TextMatch("EMAIL", "zoe@home.example")]
    assert dav.addressbook_query(alice, work, match).hrefs() == [f"{work}zoe-moved.vcf"]
    assert dav.addressbook_query(alice, home, match).hrefs() == []
    # Its UID is free in the first book again.
    dav.create_card(alice, f"{home}again.vcf", text)


def test_a_card_renamed_within_its_book_is_one_deletion_and_one_addition(
    alice: DavSession,
) -> None:
    book = a_book(alice, "book")
    text = make_card(str(uuid.uuid4()), "Rena Renamed", emails=["rena@example.org"])
    etag = dav.create_card(alice, f"{book}old.vcf", text)
    token = dav.sync_collection(alice, book, None).sync_token

    assert move(alice, f"{book}old.vcf", f"{book}new.vcf")[0] == 201

    assert listing(alice, book) == {f"{book}new.vcf": etag}
    assert sync_statuses(alice, book, token) == {f"{book}old.vcf": 404, f"{book}new.vcf": None}


def test_moving_a_card_that_is_not_there_is_404_and_changes_nothing(alice: DavSession) -> None:
    home, work = a_book(alice, "home"), a_book(alice, "work")
    other = dav.create_card(alice, f"{home}other.vcf", make_card(str(uuid.uuid4()), "Other"))
    etag = dav.create_card(alice, f"{work}kept.vcf", make_card(str(uuid.uuid4()), "Kept"))

    assert move(alice, f"{home}missing.vcf", f"{work}kept.vcf", overwrite="T")[0] == 404

    assert listing(alice, home) == {f"{home}other.vcf": other}
    assert listing(alice, work) == {f"{work}kept.vcf": etag}


def test_overwrite_f_onto_an_existing_card_is_412_and_changes_nothing(
    alice: DavSession,
) -> None:
    home, work = a_book(alice, "home"), a_book(alice, "work")
    moved = dav.create_card(alice, f"{home}zoe.vcf", apple_person_card())
    kept = dav.create_card(alice, f"{work}zoe.vcf", apple_person_card())

    assert move(alice, f"{home}zoe.vcf", f"{work}zoe.vcf", overwrite="F")[0] == 412

    assert listing(alice, home) == {f"{home}zoe.vcf": moved}
    assert listing(alice, work) == {f"{work}zoe.vcf": kept}


def test_overwrite_t_replaces_the_card_of_the_same_uid(alice: DavSession) -> None:
    """The copy of a contact in the target book (same UID) gives way to the moved one."""
    home, work = a_book(alice, "home"), a_book(alice, "work")
    newer = apple_person_card().replace("TITLE:Principal Engineer", "TITLE:Chief Engineer")
    etag = dav.create_card(alice, f"{home}zoe.vcf", newer)
    dav.create_card(alice, f"{work}zoe-copy.vcf", apple_person_card())
    token = dav.sync_collection(alice, work, None).sync_token

    assert move(alice, f"{home}zoe.vcf", f"{work}zoe-copy.vcf", overwrite="T")[0] == 204

    assert listing(alice, home) == {}
    assert listing(alice, work) == {f"{work}zoe-copy.vcf": etag}
    assert alice.get(f"{work}zoe-copy.vcf").content == newer.encode("utf-8")
    assert sync_statuses(alice, work, token) == {f"{work}zoe-copy.vcf": None}


def test_a_uid_already_in_the_target_book_is_409_and_changes_nothing(
    alice: DavSession,
) -> None:
    home, work = a_book(alice, "home"), a_book(alice, "work")
    moved = dav.create_card(alice, f"{home}zoe.vcf", apple_person_card())
    kept = dav.create_card(alice, f"{work}other-name.vcf", apple_person_card())
    other = dav.create_card(alice, f"{work}ann.vcf", make_card(str(uuid.uuid4()), "Ann Other"))

    # Under a new name: the book would hold two cards of one UID.
    status, body = move(alice, f"{home}zoe.vcf", f"{work}zoe.vcf")
    assert status == 409 and "no-uid-conflict" in body
    # Over a card of another UID, even when overwriting is allowed.
    status, body = move(alice, f"{home}zoe.vcf", f"{work}ann.vcf", overwrite="T")
    assert status == 409 and "no-uid-conflict" in body

    assert listing(alice, home) == {f"{home}zoe.vcf": moved}
    assert listing(alice, work) == {f"{work}other-name.vcf": kept, f"{work}ann.vcf": other}
    assert PERSON_UID in alice.get(f"{home}zoe.vcf").text
