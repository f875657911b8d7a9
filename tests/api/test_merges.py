"""Merging through the API: a preview side by side, a merge with choices into a chosen
book, the list of merges, undo; another account's contacts are 404; over SQLite and
PostgreSQL, every request and answer checked against the document."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import ApiClient, vcard

BOOKS = "/api/v1/books"


def _book(api: ApiClient, name: str, user: str = "alice") -> str:
    made = api.post(BOOKS, json={"display_name": name}, user=user)
    assert made.status_code == 201, made.get_data(as_text=True)
    return str(made.get_json()["id"])


def _contact(api: ApiClient, book: str, uid: str, name: str, *lines: str) -> dict[str, str]:
    made = api.post(f"{BOOKS}/{book}/contacts", vcard=vcard(uid, name, *lines))
    assert made.status_code == 201, made.get_data(as_text=True)
    return {"book": book, "href": made.get_json()["id"]}


def _names(api: ApiClient, book: str) -> list[str]:
    listed = api.get(f"{BOOKS}/{book}/contacts").get_json()
    return sorted(contact["display_name"] for contact in listed["contacts"])


def test_a_merge_previewed_chosen_and_undone(api: ApiClient) -> None:
    work, home = _book(api, "Work"), _book(api, "Home")
    one = _contact(api, work, "w1", "Jane Doe", "EMAIL:jane@example.org", "ORG:ACME")
    two = _contact(api, home, "h1", "Jane", "EMAIL:JANE@example.org", "TEL:+372 5555 1234")
    contacts = [one, two]

    preview = api.post("/api/v1/merges/preview", json={"contacts": contacts})
    assert preview.status_code == 200
    shown: dict[str, Any] = preview.get_json()
    assert shown["into"] == home  # the contact edited last
    fields = {field["key"]: field for field in shown["fields"]}
    assert fields["emails"]["kind"] == "union" and len(fields["emails"]["values"]) == 1
    first_name = next(v for v in fields["name"]["values"] if v["text"] == "Jane Doe")

    merged = api.post(
        "/api/v1/merges",
        json={"contacts": contacts, "choices": {"name": [first_name["id"]]}, "into": work},
    )
    assert merged.status_code == 201, merged.get_data(as_text=True)
    made = merged.get_json()
    assert made["merged"]["book"] == work and made["merged"]["fn"] == "Jane Doe"
    assert (_names(api, work), _names(api, home)) == (["Jane Doe"], [])
    listed = api.get("/api/v1/merges").get_json()["merges"]
    assert [m["id"] for m in listed] == [made["id"]] and not listed[0]["automatic"]

    undone = api.post(f"/api/v1/merges/{made['id']}/undo")
    assert undone.status_code == 200 and undone.get_json()["state"] == "undone"
    assert (_names(api, work), _names(api, home)) == (["Jane Doe"], ["Jane"])
    again = api.post(f"/api/v1/merges/{made['id']}/undo")
    assert again.status_code == 409


def test_another_accounts_contacts_and_merges_are_not_found(api: ApiClient) -> None:
    work = _book(api, "Work")
    one = _contact(api, work, "w1", "Jane Doe")
    two = _contact(api, work, "w2", "Jane")
    bobs = _book(api, "Bobs", user="bob")
    refused = api.post("/api/v1/merges", json={"contacts": [one, {"book": bobs, "href": "x.vcf"}]})
    assert refused.status_code == 404
    as_bob = api.post("/api/v1/merges", json={"contacts": [one, two]}, user="bob")
    assert as_bob.status_code == 404
    made = api.post("/api/v1/merges", json={"contacts": [one, two]}).get_json()
    assert api.post(f"/api/v1/merges/{made['id']}/undo", user="bob").status_code == 404
    assert api.get("/api/v1/merges", user="bob").get_json() == {"merges": []}


def test_a_bad_merge_body_names_its_field(api: ApiClient) -> None:
    work = _book(api, "Work")
    one = _contact(api, work, "w1", "Jane Doe")
    too_few = api.post("/api/v1/merges", json={"contacts": [one]}, bad_request=True)
    assert too_few.status_code == 422
    assert too_few.get_json()["error"]["field"] == "contacts"
    two = _contact(api, work, "w2", "Jane")
    unknown = api.post("/api/v1/merges", json={"contacts": [one, two], "choices": {"x": []}})
    assert unknown.status_code == 422
    assert unknown.get_json()["error"]["field"] == "choices.x"


def test_a_merges_run_is_undone_as_a_merge_only(api: ApiClient) -> None:
    work, home = _book(api, "Work"), _book(api, "Home")
    contacts = [_contact(api, work, "w1", "Jane Doe"), _contact(api, home, "h1", "Jane")]
    made = api.post("/api/v1/merges", json={"contacts": contacts}).get_json()

    refused = api.post(f"/api/v1/runs/{made['run_id']}/undo")

    assert refused.status_code == 409
    assert "undo it as a merge" in refused.get_json()["error"]["message"]
    assert (_names(api, work), _names(api, home)) in ((["Jane"], []), ([], ["Jane"]))
