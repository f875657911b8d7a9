"""History through the API: a book's trash, a contact's versions, a book (or all of an
account's books) restored to a time after a preview, the undo of a CSV run; only for the
owner; over SQLite and PostgreSQL, every request and answer checked against the document.

The store's clock (the time versions are stamped with) is turned by hand, so that each
step of a test happens at a time of its own; the last test runs against a real
`contacthub serve`, with a CardDAV client beside the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from werkzeug.test import TestResponse

from contacthub.store import Store
from tests.api.conftest import ADMINS, PASSWORDS, ApiClient, vcard
from tests.api.test_imports import PEOPLE, created, patch, replace, run
from tests.api.test_served import call
from tests.history.book import Clock
from tests.support import dav
from tests.support.servers import DavServer

BOOKS = "/api/v1/books"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_url: str, clock: Clock) -> Iterator[Store]:
    opened = Store.open(store_url, clock=clock)
    with opened.write() as tx:
        for name in PASSWORDS:
            tx.set_admin(name, name in ADMINS)
    yield opened
    opened.close()


def new_book(api: ApiClient, name: str = "Work", **kwargs: Any) -> str:
    made = api.post(BOOKS, json={"display_name": name}, **kwargs)
    assert made.status_code == 201, made.get_json()
    return str(made.get_json()["id"])


def add(api: ApiClient, book: str, uid: str, name: str) -> str:
    made = api.post(f"{BOOKS}/{book}/contacts", vcard=vcard(uid, name))
    assert made.status_code == 201, made.get_json()
    return str(made.get_json()["id"])


def edit(api: ApiClient, book: str, contact: str, uid: str, name: str) -> None:
    changed = api.put(
        f"{BOOKS}/{book}/contacts/{contact}", vcard=vcard(uid, name), headers={"If-Match": "*"}
    )
    assert changed.status_code == 200, changed.get_json()


def remove(api: ApiClient, book: str, contact: str) -> None:
    assert api.delete(f"{BOOKS}/{book}/contacts/{contact}").status_code == 204


def names(api: ApiClient, book: str, **kwargs: Any) -> list[str]:
    page = api.get(f"{BOOKS}/{book}/contacts?limit=200", **kwargs).get_json()
    return sorted(contact["display_name"] for contact in page["contacts"])


def cards(api: ApiClient, book: str) -> dict[str, str]:
    """id -> the card as stored, of every contact of the book."""
    page = api.get(f"{BOOKS}/{book}/contacts?limit=200").get_json()
    return {
        c["id"]: api.get(f"{BOOKS}/{book}/contacts/{c['id']}").get_json()["vcard"]
        for c in page["contacts"]
    }


def iso(moment: float, zone: timezone = UTC) -> str:
    return datetime.fromtimestamp(moment, zone).isoformat()


def listed(shown: dict[str, Any], name: str) -> list[str]:
    return sorted(contact["name"] for contact in shown[name])


def error_of(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    found: dict[str, Any] = response.get_json()["error"]
    return found


# -- the trash --------------------------------------------------------------------------------


def test_a_deleted_contact_is_in_the_trash_and_comes_back_with_its_id_and_card(
    api: ApiClient, clock: Clock
) -> None:
    book = new_book(api)
    ann, bob = add(api, book, "ann", "Ann"), add(api, book, "bob", "Bob")
    as_they_were = cards(api, book)
    clock.turn()
    remove(api, book, ann)
    clock.turn()
    remove(api, book, bob)

    trash = api.get(f"{BOOKS}/{book}/trash").get_json()["trash"]
    assert [(e["id"], e["uid"], e["name"]) for e in trash] == [
        (bob, "bob", "Bob"),
        (ann, "ann", "Ann"),
    ]
    assert trash[0]["deleted_by"] == {"account": "alice", "via": "api", "agent": "", "run_id": None}
    assert trash[0]["deleted_at"] == iso(clock.now).replace("+00:00", ".000+00:00")

    done = api.post(f"{BOOKS}/{book}/trash/restore", json={"uids": ["ann"]})
    assert done.status_code == 200, done.get_json()
    result = done.get_json()
    assert (result["kind"], result["status"]) == ("restore", "ok")
    assert listed(result["done"], "brought_back") == ["Ann"]
    assert result["message"] == "1 contact brought back from the trash of 'work'"
    assert cards(api, book) == {ann: as_they_were[ann]}
    assert [e["uid"] for e in api.get(f"{BOOKS}/{book}/trash").get_json()["trash"]] == ["bob"]

    everything = api.post(f"{BOOKS}/{book}/trash/restore", json={"all": True})
    assert everything.get_json()["done"]["counts"]["added"] == 1
    assert cards(api, book) == as_they_were
    assert api.get(f"{BOOKS}/{book}/trash").get_json() == {
        "trash": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }


def test_a_trash_of_several_pages_is_paged_newest_deletion_first(
    api: ApiClient, clock: Clock
) -> None:
    book = new_book(api)
    ids = [add(api, book, f"p{number}", f"Person {number}") for number in range(7)]
    for contact in ids:
        clock.turn()
        remove(api, book, contact)

    pages = [
        api.get(f"{BOOKS}/{book}/trash?limit=3&offset={offset}").get_json() for offset in (0, 3, 6)
    ]
    assert [(page["total"], page["limit"], page["offset"]) for page in pages] == [
        (7, 3, 0),
        (7, 3, 3),
        (7, 3, 6),
    ]
    assert [[entry["id"] for entry in page["trash"]] for page in pages] == [
        ids[6:3:-1],
        ids[3:0:-1],
        ids[:1],
    ]
    past_the_end = api.get(f"{BOOKS}/{book}/trash?limit=3&offset=7").get_json()
    assert (past_the_end["trash"], past_the_end["total"]) == ([], 7)
    whole = api.get(f"{BOOKS}/{book}/trash").get_json()
    assert [entry["id"] for entry in whole["trash"]] == ids[::-1]
    assert (whole["limit"], whole["offset"]) == (50, 0)
    too_many = error_of(api.get(f"{BOOKS}/{book}/trash?limit=201", bad_request=True), 400)
    assert too_many["field"] == "limit"


def test_a_trash_restore_says_which_contacts_or_names_the_field(api: ApiClient) -> None:
    book = new_book(api)
    remove(api, book, add(api, book, "ann", "Ann"))
    restore = f"{BOOKS}/{book}/trash/restore"
    neither = error_of(api.post(restore, json={}), 422)
    assert neither["field"] == "uids" and '"all": true' in neither["message"]
    both = error_of(api.post(restore, json={"uids": ["ann"], "all": True}), 422)
    assert both["field"] == "all"
    unknown = error_of(api.post(restore, json={"uids": ["nobody"]}), 404)
    assert unknown["field"] == "uids" and "'nobody'" in unknown["message"]
    empty = error_of(api.post(restore, json={"uids": []}, bad_request=True), 422)
    assert empty["field"] == "uids"
    typo = error_of(api.post(restore, json={"uid": ["ann"]}, bad_request=True), 422)
    assert typo["field"] == "uid"
    assert names(api, book) == []  # nothing came back from a refused request


# -- a contact's history ------------------------------------------------------------------------


def test_a_contacts_versions_and_one_restored_as_a_new_version(
    api: ApiClient, clock: Clock
) -> None:
    book = new_book(api)
    contact = add(api, book, "ann", "Ann")
    first = cards(api, book)[contact]
    clock.turn()
    edit(api, book, contact, "ann", "Ann Edited")

    shown = api.get(f"{BOOKS}/{book}/contacts/{contact}/history").get_json()
    assert (shown["book"], shown["uid"], shown["name"]) == (book, "ann", "Ann Edited")
    now, before = shown["versions"]
    assert (now["current"], now["version"], now["action"], now["changed"]) == (
        True,
        None,
        "update",
        ["FN"],
    )
    assert now["by"] == {"account": "alice", "via": "api", "agent": "", "run_id": None}
    assert now["at"] == iso(clock.now).replace("+00:00", ".000+00:00")
    assert (before["current"], before["exists"], before["action"]) == (False, True, "add")

    restored = api.post(f"{BOOKS}/{book}/contacts/{contact}/history/{before['version']}/restore")
    assert restored.status_code == 200, restored.get_json()
    assert (restored.get_json()["kind"], restored.get_json()["status"]) == ("restore", "ok")
    assert cards(api, book) == {contact: first}
    again = api.get(f"{BOOKS}/{book}/contacts/{contact}/history").get_json()["versions"]
    assert [v["by"]["via"] for v in again] == ["restore", "api", "api"]
    assert again[0]["by"]["run_id"] == restored.get_json()["run_id"]
    missing = api.post(f"{BOOKS}/{book}/contacts/{contact}/history/999999/restore")
    assert missing.status_code == 404


def test_a_deleted_contacts_history_is_found_by_its_old_id_or_its_uid(api: ApiClient) -> None:
    book = new_book(api)
    contact = add(api, book, "ann-uid", "Ann")
    remove(api, book, contact)
    by_id = api.get(f"{BOOKS}/{book}/contacts/{contact}/history")
    by_uid = api.get(f"{BOOKS}/{book}/contacts/ann-uid/history")
    assert by_id.status_code == by_uid.status_code == 200
    assert by_id.get_json() == by_uid.get_json()
    assert [(v["exists"], v["action"]) for v in by_id.get_json()["versions"]] == [
        (False, "delete"),
        (True, "add"),
    ]
    assert api.get(f"{BOOKS}/{book}/contacts/nobody/history").status_code == 404

    # Back from the trash, its deleted state is a version, which has no card to restore.
    api.post(f"{BOOKS}/{book}/trash/restore", json={"all": True})
    versions = api.get(f"{BOOKS}/{book}/contacts/{contact}/history").get_json()["versions"]
    gone = versions[1]
    assert (gone["exists"], gone["version"] is not None) == (False, True)
    refused = api.post(f"{BOOKS}/{book}/contacts/{contact}/history/{gone['version']}/restore")
    assert error_of(refused, 422)["field"] == "version"


# -- a restore to a time ------------------------------------------------------------------------


def test_a_book_is_previewed_then_restored_to_a_time(api: ApiClient, clock: Clock) -> None:
    book = new_book(api)
    ann, bob = add(api, book, "ann", "Ann"), add(api, book, "bob", "Bob")
    at = clock.turn()
    as_it_was = cards(api, book)
    edit(api, book, ann, "ann", "Ann Edited")
    remove(api, book, bob)
    add(api, book, "cy", "Cy")
    clock.turn()

    ahead = iso(at, timezone(timedelta(hours=2)))  # the same moment, in another zone
    preview = api.post(f"{BOOKS}/{book}/restore/preview", json={"to": ahead})
    assert preview.status_code == 200, preview.get_json()
    shown = preview.get_json()
    assert (listed(shown, "brought_back"), listed(shown, "reverted")) == (["Bob"], ["Ann"])
    assert listed(shown, "removed") == ["Cy"]
    assert shown["counts"] == {"added": 1, "updated": 1, "deleted": 1, "skipped": 0}
    assert names(api, book) == ["Ann Edited", "Cy"]  # a preview changes nothing

    done = api.post(f"{BOOKS}/{book}/restore", json={"to": iso(at), "basis": shown["basis"]})
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["kind"], done.get_json()["status"]) == ("restore", "ok")
    assert done.get_json()["done"]["counts"] == shown["counts"]
    assert cards(api, book) == as_it_was

    # The restore is a run of its own: undoing it puts back what it replaced.
    undone = api.post(f"/api/v1/runs/{done.get_json()['run_id']}/undo")
    assert undone.status_code == 200, undone.get_json()
    assert names(api, book) == ["Ann Edited", "Cy"]


def test_an_apply_whose_preview_no_longer_holds_is_409_and_changes_nothing(
    api: ApiClient, clock: Clock
) -> None:
    book = new_book(api)
    ann = add(api, book, "ann", "Ann")
    at = clock.turn()
    edit(api, book, ann, "ann", "Ann Edited")
    clock.turn()
    basis = api.post(f"{BOOKS}/{book}/restore/preview", json={"to": iso(at)}).get_json()["basis"]
    edit(api, book, ann, "ann", "Ann Edited Again")  # after the preview was shown

    refused = error_of(
        api.post(f"{BOOKS}/{book}/restore", json={"to": iso(at), "basis": basis}), 409
    )
    assert refused["code"] == "changed_since_preview"
    assert names(api, book) == ["Ann Edited Again"]


@pytest.mark.parametrize(
    ("to", "status", "words"),
    [
        ("yesterday", 400, "is not an ISO 8601 date and time"),
        ("2024-13-45T10:00:00Z", 400, "is not an ISO 8601 date and time"),
        ("2999-01-01T00:00:00Z", 422, "in the future"),
        ("2000-01-01T00:00:00+00:00", 422, "The history goes back 30 days"),
    ],
)
def test_a_bad_time_is_refused_naming_the_field(
    api: ApiClient, to: str, status: int, words: str
) -> None:
    book = new_book(api)
    for path in (f"{BOOKS}/{book}/restore/preview", f"{BOOKS}/{book}/restore", "/api/v1/restore"):
        error = error_of(api.post(path, json={"to": to}), status)
        assert error["field"] == "to" and words in error["message"], error
    wrong_type = error_of(
        api.post("/api/v1/restore/preview", json={"to": 5}, bad_request=True), 422
    )
    assert wrong_type["field"] == "to"


def test_all_of_an_accounts_books_or_some_are_restored_in_one_run(
    api: ApiClient, clock: Clock
) -> None:
    work, home = new_book(api, "Work"), new_book(api, "Home")
    add(api, work, "ann", "Ann")
    add(api, home, "bob", "Bob")
    at = clock.turn()
    for book in (work, home):
        for contact in cards(api, book):
            remove(api, book, contact)
    clock.turn()

    some = api.post("/api/v1/restore/preview", json={"to": iso(at), "books": [home]}).get_json()
    assert [(c["book"], c["name"]) for c in some["brought_back"]] == [(home, "Bob")]
    preview = api.post("/api/v1/restore/preview", json={"to": iso(at)}).get_json()
    assert sorted((c["book"], c["name"]) for c in preview["brought_back"]) == [
        (home, "Bob"),
        (work, "Ann"),
    ]
    done = api.post("/api/v1/restore", json={"to": iso(at), "basis": preview["basis"]})
    assert done.status_code == 200, done.get_json()
    assert (names(api, work), names(api, home)) == (["Ann"], ["Bob"])
    unknown = error_of(api.post("/api/v1/restore", json={"to": iso(at), "books": ["x"]}), 404)
    assert "'x'" in unknown["message"]


# -- the undo of a run --------------------------------------------------------------------------


def test_the_undo_of_a_csv_run_with_update_and_delete_not_found(
    api: ApiClient, clock: Clock
) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    book = shown["book"]
    patch(api, shown["id"], key_column="Id", update_existing=True, delete_missing=True)
    run(api, shown["id"])
    as_it_was = cards(api, book)
    clock.turn()
    fewer = PEOPLE.replace("Bob Baker", "Robert Baker").replace(
        "3,Cid Carter,cid@example.org,+1 555 0103,41\r\n", "4,Dee Dunn,dee@example.org,,39\r\n"
    )
    replace(api, shown["id"], fewer)
    second = run(api, shown["id"])
    assert [second["counts"][n] for n in ("added", "updated", "deleted")] == [1, 1, 1]
    clock.turn()

    undo = f"/api/v1/runs/{second['id']}/undo"
    preview = api.get(f"{undo}/preview").get_json()
    assert (listed(preview, "reverted"), listed(preview, "brought_back")) == (
        ["Bob Baker"],
        ["Cid Carter"],
    )
    assert listed(preview, "removed") == ["Dee Dunn"] and preview["changed_later"] == []
    done = api.post(undo, json={"basis": preview["basis"]})
    assert done.status_code == 200, done.get_json()
    assert (done.get_json()["kind"], done.get_json()["status"]) == ("undo", "ok")
    assert cards(api, book) == as_it_was

    # The import's next run of the same file knows its contacts again: nothing doubled.
    replace(api, shown["id"], PEOPLE)
    again = run(api, shown["id"])
    assert (again["counts"]["added"], again["counts"]["deleted"]) == (0, 0)
    assert cards(api, book) == as_it_was


def test_an_undo_names_later_changes_and_skips_or_includes_them(
    api: ApiClient, clock: Clock
) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    book = shown["book"]
    first = run(api, shown["id"])
    clock.turn()
    ann = next(c for c, text in cards(api, book).items() if "Ann Archer" in text)
    text = cards(api, book)[ann].replace("FN:Ann Archer", "FN:Ann From The Phone")
    api.put(f"{BOOKS}/{book}/contacts/{ann}", vcard=text, headers={"If-Match": "*"})
    clock.turn()

    undo = f"/api/v1/runs/{first['id']}/undo"
    skipping = api.get(f"{undo}/preview").get_json()
    assert listed(skipping, "changed_later") == ["Ann From The Phone"]
    assert listed(skipping, "skipped") == ["Ann From The Phone"]
    assert skipping["skipped"][0]["reason"] == "changed again after the run"
    including = api.get(f"{undo}/preview?include_later_changes=true").get_json()
    assert len(including["removed"]) == 3 and including["skipped"] == []
    refused = error_of(api.get(f"{undo}/preview?include_later_changes=maybe"), 400)
    assert refused["field"] == "include_later_changes"

    done = api.post(undo, json={"include_later_changes": False, "basis": skipping["basis"]})
    assert done.status_code == 200, done.get_json()
    assert names(api, book) == ["Ann From The Phone"]


# -- only the owner -------------------------------------------------------------------------


def test_another_users_book_contact_and_run_are_not_found(api: ApiClient, clock: Clock) -> None:
    book = new_book(api)
    contact = add(api, book, "ann", "Ann")
    at = clock.turn()
    remove(api, book, contact)
    imported = created(api, "people.csv", PEOPLE.encode())
    report = run(api, imported["id"])
    clock.turn()
    bob = {"user": "bob"}

    for method, path, body in (
        ("GET", f"{BOOKS}/{book}/trash", None),
        ("POST", f"{BOOKS}/{book}/trash/restore", {"all": True}),
        ("GET", f"{BOOKS}/{book}/contacts/{contact}/history", None),
        ("POST", f"{BOOKS}/{book}/contacts/{contact}/history/1/restore", None),
        ("POST", f"{BOOKS}/{book}/restore/preview", {"to": iso(at)}),
        ("POST", f"{BOOKS}/{book}/restore", {"to": iso(at)}),
        ("POST", "/api/v1/restore/preview", {"to": iso(at), "books": [book]}),
        ("POST", "/api/v1/restore", {"to": iso(at), "books": [book]}),
        ("GET", f"/api/v1/runs/{report['id']}/undo/preview", None),
        ("POST", f"/api/v1/runs/{report['id']}/undo", None),
    ):
        kwargs = {"json": body} if body is not None else {}
        answer = api.request(method, path, **bob, **kwargs)
        assert answer.status_code == 404, (method, path, answer.get_json())
    # Nothing of alice's changed; bob's own restore of all his books touches none of hers.
    assert api.post("/api/v1/restore", json={"to": iso(at)}, **bob).status_code == 200
    assert names(api, book) == [] and len(names(api, imported["book"])) == 3
    assert [e["uid"] for e in api.get(f"{BOOKS}/{book}/trash").get_json()["trash"]] == ["ann"]

    # An administrator acts for alice with ?user=alice.
    carol = api.post(f"{BOOKS}/{book}/trash/restore?user=alice", json={"all": True}, user="carol")
    assert carol.status_code == 200 and names(api, book) == ["Ann"]


# -- a real server, a CardDAV client ------------------------------------------------------------


@pytest.mark.contacthub_only
def test_a_phones_deletion_is_in_the_trash_and_comes_back_through_its_next_sync(
    contacthub_server: DavServer,
) -> None:
    alice = contacthub_server.session("alice")
    book = call(alice, "POST", BOOKS, json={"display_name": "Phone Trash"}).json()["id"]
    url = f"/alice/{book}/"
    card = vcard("phone-1", "From The Phone", "EMAIL:phone@example.org")
    dav.create_card(alice, f"{url}phone-1.vcf", card)
    phone = "DAVx5/4.4.2-ose (2024/05/01; dav4jvm; okhttp/4.12.0)"
    assert alice.delete(f"{url}phone-1.vcf", headers={"User-Agent": phone}).status_code == 200
    token = dav.sync_collection(alice, url, None).sync_token

    trash = call(alice, "GET", f"{BOOKS}/{book}/trash").json()["trash"]
    assert [(e["id"], e["uid"]) for e in trash] == [("phone-1.vcf", "phone-1")]
    assert trash[0]["deleted_by"] == {
        "account": "alice",
        "via": "carddav",
        "agent": phone,
        "run_id": None,
    }
    done = call(alice, "POST", f"{BOOKS}/{book}/trash/restore", json={"uids": ["phone-1"]})
    assert done.status_code == 200 and done.json()["done"]["counts"]["added"] == 1

    # The phone's next sync brings it back as a new change, with the bytes it sent.
    delta = dav.sync_collection(alice, url, token)
    assert [(r.href, r.status) for r in delta] == [(f"{url}phone-1.vcf", None)]
    assert alice.get(f"{url}phone-1.vcf").text == card
