"""The API in a real `contacthub serve`, beside CardDAV (SQLite and PostgreSQL).

API writes reach CardDAV clients through sync-collection at once, and CardDAV
writes reach the API; every request and response is checked against the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.api import spec
from tests.api.conftest import vcard
from tests.support import dav
from tests.support.servers import DavServer, DavSession

pytestmark = pytest.mark.contacthub_only


def call(session: DavSession, method: str, path: str, **kwargs: Any) -> requests.Response:
    response = session.request(method, path, **kwargs)
    spec.check_sent(method, path, response.request)
    spec.check(method, path, response.status_code, response.headers, response.content)
    return response


def vcard_headers(**extra: str) -> dict[str, str]:
    return {"Content-Type": "text/vcard; charset=utf-8", **extra}


def test_api_writes_reach_carddav_sync_at_once(contacthub_server: DavServer) -> None:
    alice = contacthub_server.session("alice")
    book = call(alice, "POST", "/api/v1/books", json={"display_name": "Synced"}).json()["id"]
    url = f"/alice/{book}/"
    token = dav.sync_collection(alice, url, None).sync_token
    text = vcard("api-1", "Made By The API", "EMAIL:api@example.org")
    created = call(
        alice, "POST", f"/api/v1/books/{book}/contacts", data=text.encode(), headers=vcard_headers()
    )
    assert created.status_code == 201
    href = f"{url}{created.json()['id']}"
    delta = dav.sync_collection(alice, url, token)
    assert [(r.href, r.etag) for r in delta] == [(href, created.headers["ETag"])]
    assert alice.get(href).text == text

    call(alice, "DELETE", f"/api/v1/books/{book}/contacts/{created.json()['id']}")
    after = dav.sync_collection(alice, url, delta.sync_token)
    assert [(r.href, r.status) for r in after] == [(href, 404)]


def test_carddav_writes_reach_the_api(contacthub_server: DavServer) -> None:
    alice = contacthub_server.session("alice")
    text = vcard("dav-1", "Put Over CardDAV", "EMAIL:dav@example.org")
    etag = dav.create_card(alice, "/alice/contacts/dav-1.vcf", text)
    shown = call(alice, "GET", "/api/v1/books/contacts/contacts/dav-1.vcf").json()
    assert shown["etag"] == etag and shown["vcard"] == text
    suggestions = call(alice, "GET", "/api/v1/autocomplete?q=put").json()["suggestions"]
    assert {
        "name": "Put Over CardDAV",
        "email": "dav@example.org",
        "uid": "dav-1",
        "book": "contacts",
    } in suggestions
    updated = call(
        alice,
        "PUT",
        "/api/v1/books/contacts/contacts/dav-1.vcf",
        data=vcard("dav-1", "Changed By The API").encode(),
        headers=vcard_headers(**{"If-Match": etag}),
    )
    assert updated.status_code == 200
    assert alice.get("/alice/contacts/dav-1.vcf").headers["ETag"] == updated.headers["ETag"]
    stale = call(
        alice,
        "PUT",
        "/api/v1/books/contacts/contacts/dav-1.vcf",
        data=vcard("dav-1", "Lost Update").encode(),
        headers=vcard_headers(**{"If-Match": etag}),
    )
    assert stale.status_code == 412
    assert "Changed By The API" in alice.get("/alice/contacts/dav-1.vcf").text


def test_a_phone_push_with_a_carddav_deletion_between(contacthub_server: DavServer) -> None:
    bob = contacthub_server.session("bob")
    push = "/api/v1/devices/bobs-phone/push"
    first = call(
        bob,
        "POST",
        push,
        data=(vcard("p1", "One") + vcard("p2", "Two")).encode(),
        headers=vcard_headers(),
    )
    assert [c["uid"] for c in first.json()["new"]] == ["p1", "p2"]
    assert call(bob, "POST", f"{push}/apply").json()["run"]["counts"]["added"] == 2
    assert bob.delete("/bob/from-ios/p2.vcf").status_code in (200, 204)
    second = call(
        bob,
        "POST",
        push,
        headers=vcard_headers(),
        data=(vcard("p1", "One") + vcard("p2", "Two") + vcard("p3", "Three")).encode(),
    )
    assert second.json()["new"] == [{"uid": "p3", "name": "Three"}]
    call(bob, "POST", f"{push}/apply")
    full = dav.sync_collection(bob, "/bob/from-ios/", None)
    assert sorted(r.href for r in full if r.status != 404) == [
        "/bob/from-ios/p1.vcf",
        "/bob/from-ios/p3.vcf",
    ]


def test_errors_and_routing(contacthub_server: DavServer) -> None:
    anonymous = contacthub_server.session(None)
    refused = call(anonymous, "GET", "/api/v1/books")
    assert refused.status_code == 401 and "Basic" in refused.headers["WWW-Authenticate"]
    assert refused.json()["error"]["code"] == "unauthorized"
    carol = contacthub_server.session("carol")
    assert call(carol, "GET", "/api/v1/books?user=alice").status_code == 403
    assert call(carol, "GET", "/api/v1/nothing").status_code == 404
    assert call(carol, "GET", "/api/v1/openapi.json").json()["openapi"] == "3.1.0"
    # Everything else is still CardDAV.
    principal = dav.propfind_one(carol, "/carol/", [dav.DISPLAYNAME])
    assert principal.status in (None, 200)
