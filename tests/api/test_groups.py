"""A book's groups: group cards are listed as groups, never among its contacts; the
book's group form is a setting of the API."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import ApiClient, vcard

BOOK = "/api/v1/books/contacts"


def add(api: ApiClient, uid: str, name: str, *lines: str) -> None:
    response = api.post(f"{BOOK}/contacts", vcard=vcard(uid, name, *lines))
    assert response.status_code == 201, response.get_json()


def names(api: ApiClient, path: str) -> set[str]:
    page = api.get(path).get_json()
    return {contact["display_name"] for contact in page["contacts"]}


def groups(api: ApiClient) -> list[dict[str, Any]]:
    response = api.get(f"{BOOK}/groups")
    assert response.status_code == 200
    shown: list[dict[str, Any]] = response.get_json()["groups"]
    return shown


def test_a_category_makes_a_group_not_a_contact(api: ApiClient) -> None:
    add(api, "ann", "Ann Lee", "EMAIL:ann@example.org", "CATEGORIES:Friends,Choir")
    add(api, "bob", "Bob Ray", "EMAIL:bob@example.org", "CATEGORIES:Friends")
    assert names(api, f"{BOOK}/contacts") == {"Ann Lee", "Bob Ray"}
    assert names(api, "/api/v1/contacts?q=friends") == {"Ann Lee", "Bob Ray"}
    book = api.get(BOOK).get_json()
    assert book["contacts"] == 2
    assert [(group["name"], group["members"]) for group in groups(api)] == [
        ("Choir", 1),
        ("Friends", 2),
    ]


def test_a_phones_group_card_is_a_group(api: ApiClient) -> None:
    add(api, "ann", "Ann Lee", "EMAIL:ann@example.org")
    add(
        api,
        "g1",
        "Group Everyone",
        "X-ADDRESSBOOKSERVER-KIND:group",
        "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:ann",
        "EMAIL:group@example.org",
    )
    assert names(api, f"{BOOK}/contacts") == {"Ann Lee"}
    assert names(api, "/api/v1/contacts?q=group@example") == set()
    completed = api.get("/api/v1/autocomplete?q=gro").get_json()
    assert completed["suggestions"] == []
    assert api.get(BOOK).get_json()["contacts"] == 1
    assert [(group["name"], group["members"]) for group in groups(api)] == [("Group Everyone", 1)]


def test_a_contact_whose_category_is_group_is_a_contact(api: ApiClient) -> None:
    add(api, "ann", "Ann Lee", "CATEGORIES:group", "NICKNAME:group")
    assert names(api, f"{BOOK}/contacts") == {"Ann Lee"}
    assert [group["name"] for group in groups(api)] == ["group"]


def test_the_group_form_setting(api: ApiClient) -> None:
    assert api.get(f"{BOOK}/settings").get_json() == {"group_form": "both"}
    changed = api.patch(f"{BOOK}/settings", json={"group_form": "categories"})
    assert changed.status_code == 200
    assert changed.get_json() == {"group_form": "categories"}
    assert api.get(f"{BOOK}/settings").get_json() == {"group_form": "categories"}
    add(api, "ann", "Ann Lee", "CATEGORIES:Friends")
    assert groups(api) == []
    refused = api.patch(f"{BOOK}/settings", json={"group_form": "cards"}, bad_request=True)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "group_form"
    assert api.get("/api/v1/books/nope/settings").status_code == 404
    assert api.get("/api/v1/books/nope/groups").status_code == 404
