"""A CSV import through the API of a real `contacthub serve`, seen by real CardDAV clients.

Google's export is imported over HTTP; vdirsyncer then syncs the import's book into a
local folder and must find exactly those contacts (UIDs, FN, emails), and the export's
labels as group cards (store/groups.py: an iPhone shows them as groups). A second run with
one changed row is exactly one change in a sync-collection REPORT, and in the folder
after the next sync. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
import vobject

from tests.api import spec
from tests.clients.test_vdirsyncer import Vdirsyncer
from tests.support import dav
from tests.support.servers import DavServer, DavSession

pytestmark = pytest.mark.contacthub_only

GOOGLE = Path(__file__).parents[1] / "data" / "csv" / "google_contacts.csv"
LABELS = {"Friends", "VIP", "Kunden"}  # the export's labels, without Google's "* myContacts"


@pytest.fixture(params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, contacthub_factory: Callable[..., DavServer]
) -> DavServer:
    return contacthub_factory(backend=request.param)


def call(session: DavSession, method: str, path: str, **kwargs: Any) -> requests.Response:
    response = session.request(method, path, **kwargs)
    spec.check(method, path, response.status_code, response.headers, response.content)
    return response


def api_contacts(session: DavSession, book: str) -> dict[str, tuple[str, list[str]]]:
    """UID -> (FN, emails) of the book's contacts, as the API shows them."""
    page = call(session, "GET", f"/api/v1/books/{book}/contacts?limit=200").json()
    assert page["total"] == len(page["contacts"])
    return {c["uid"]: (c["display_name"], c["emails"]) for c in page["contacts"]}


def folder_cards(vd: Vdirsyncer) -> tuple[dict[str, tuple[str, list[str]]], set[str]]:
    """UID -> (FN, emails) of the contacts vdirsyncer wrote (one file per UID), and the
    names of the group cards it wrote."""
    contacts, groups = {}, set()
    for uid, path in vd.files().items():
        card = vobject.readOne(path.read_text(encoding="utf-8"))
        assert card.version.value == "3.0" and card.n.value is not None
        kinds = card.contents.get("x-addressbookserver-kind", [])
        if any(kind.value.lower() == "group" for kind in kinds):
            groups.add(card.fn.value)
            continue
        emails = [email.value for email in card.contents.get("email", [])]
        contacts[uid] = (card.fn.value, emails)
    return contacts, groups


def test_an_imported_csv_reaches_carddav_clients(server: DavServer, tmp_path: Path) -> None:
    alice = server.session("alice")
    content = GOOGLE.read_bytes()
    created = call(
        alice,
        "POST",
        "/api/v1/imports",
        data={"name": "Google"},
        files={"file": ("google_contacts.csv", content, "text/csv")},
    )
    assert created.status_code == 201, created.text
    shown = created.json()
    import_id, book = shown["id"], shown["book"]
    settings = call(alice, "PATCH", f"/api/v1/imports/{import_id}", json={"update_existing": True})
    assert settings.status_code == 200, settings.text
    report = call(alice, "POST", f"/api/v1/imports/{import_id}/run").json()
    assert report["status"] == "ok" and report["counts"]["added"] == 5, report

    expected = api_contacts(alice, book)
    assert len(expected) == 5
    names = {name for name, _ in expected.values()}
    assert {"Ada King Lovelace", "Jürgen Weiß", "someone@example.org"} <= names
    ada = next(emails for name, emails in expected.values() if name == "Ada King Lovelace")
    assert ada == ["ada@engines.example", "ada@home.example", "ada.l@home.example"]

    book_path = f"/alice/{book}/"
    token = dav.sync_collection(alice, book_path, None).sync_token
    vd = Vdirsyncer(tmp_path / "vdirsyncer", server.url + book_path, server.users["alice"])
    vd.run("discover")
    out = vd.sync()
    # vdirsyncer's words for copying from the server (b) to the folder (a).
    assert out.count("Copying (uploading)") == out.count(" to local") == 5 + len(LABELS), out
    assert folder_cards(vd) == (expected, LABELS)

    # The same export a week later: Ada's company changed, nothing else.
    changed = content.replace(b"Analytical Engines Ltd", b"Analytical Engines plc")
    assert changed != content
    put = call(
        alice,
        "PUT",
        f"/api/v1/imports/{import_id}/file",
        files={"file": ("google_contacts.csv", changed, "text/csv")},
    )
    assert put.status_code == 200, put.text
    second = call(alice, "POST", f"/api/v1/imports/{import_id}/run").json()
    assert second["status"] == "ok", second
    assert (second["counts"]["updated"], second["counts"]["unchanged"]) == (1, 4), second

    ada_uid = next(uid for uid, (name, _) in expected.items() if name == "Ada King Lovelace")
    ada_href = next(
        c["id"]
        for c in call(alice, "GET", f"/api/v1/books/{book}/contacts").json()["contacts"]
        if c["uid"] == ada_uid
    )
    delta = dav.sync_collection(alice, book_path, token)
    fetched = alice.get(f"{book_path}{ada_href}")
    assert "Analytical Engines plc" in fetched.text
    assert [(r.href, r.etag) for r in delta] == [
        (f"{book_path}{ada_href}", fetched.headers["ETag"])
    ]

    out = vd.sync()
    assert out.count("Copying (updating)") == out.count(" to local") == 1, out[-2000:]
    assert "Copying (uploading)" not in out and "Deleting" not in out, out[-2000:]
    assert folder_cards(vd) == (expected, LABELS)
    local_ada = vd.files()[ada_uid].read_text(encoding="utf-8")
    assert "Analytical Engines plc" in local_ada

    # Running the same file again changes nothing, for the API and for the client.
    third = call(alice, "POST", f"/api/v1/imports/{import_id}/run").json()
    assert third["status"] == "no_changes", third
    assert list(dav.sync_collection(alice, book_path, delta.sync_token)) == []
