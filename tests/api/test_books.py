"""Address books: list with counts and source, create, rename, delete."""

from __future__ import annotations

from contacthub.store import Store
from tests.api.conftest import ApiClient, vcard


def books(api: ApiClient, user: str = "alice") -> dict[str, dict]:
    response = api.get("/api/v1/books", user=user)
    assert response.status_code == 200
    return {book["id"]: book for book in response.get_json()["books"]}


def test_the_default_book_exists_from_the_first_request(api: ApiClient, store: Store) -> None:
    with store.read() as tx:
        assert tx.get_collection("alice/contacts") is None
    assert books(api) == {
        "contacts": {
            "id": "contacts",
            "display_name": "Contacts",
            "contacts": 0,
            "default": True,
            "source": {"kind": "carddav", "name": None, "names": []},
        }
    }


def test_create_rename_and_delete(api: ApiClient) -> None:
    created = api.post("/api/v1/books", json={"display_name": "Work"})
    assert created.status_code == 201
    assert created.get_json()["id"] == "work"
    assert created.headers["Location"] == "/api/v1/books/work"
    again = api.post("/api/v1/books", json={"display_name": "  Work  "})
    assert again.get_json() | {"id": "?"} == {
        "id": "?",
        "display_name": "Work",
        "contacts": 0,
        "default": False,
        "source": {"kind": "carddav", "name": None, "names": []},
    }
    assert again.get_json()["id"] == "work-2"
    renamed = api.patch("/api/v1/books/work", json={"display_name": "Office"})
    assert renamed.status_code == 200 and renamed.get_json()["display_name"] == "Office"
    assert list(books(api)) == ["contacts", "work", "work-2"]
    assert books(api)["work"]["display_name"] == "Office"
    assert api.delete("/api/v1/books/work").status_code == 204
    assert api.get("/api/v1/books/work").status_code == 404
    assert list(books(api)) == ["contacts", "work-2"]


def test_book_ids_are_safe_whatever_the_name(api: ApiClient, store: Store) -> None:
    for name, expected in [
        ("../../bob", "bob"),
        ("Família Ünïcode", "familia-unicode"),
        ("日本", "book"),
        (".hidden", "hidden"),
        ("a/b\\c", "a-b-c"),
    ]:
        response = api.post("/api/v1/books", json={"display_name": name})
        assert response.status_code == 201, name
        assert response.get_json()["id"] == expected
        assert response.get_json()["display_name"] == name
    with store.read() as tx:
        assert tx.get_collection("bob") is None
        assert {c.name for c in tx.list_children("alice")} == {
            "contacts",
            "bob",
            "familia-unicode",
            "book",
            "hidden",
            "a-b-c",
        }


def test_counts_and_source(api: ApiClient, store: Store) -> None:
    for n in range(3):
        api.post("/api/v1/books/contacts/contacts", vcard=vcard(f"u{n}", f"Person {n}"))
    api.put("/api/v1/devices/iPhone", json={"auto_export": True})
    listed = books(api)
    assert listed["contacts"]["contacts"] == 3
    assert listed["from-ios"] == {
        "id": "from-ios",
        "display_name": "From iOS",
        "contacts": 0,
        "default": False,
        "source": {"kind": "device", "name": "iPhone", "names": ["iPhone"]},
    }


def test_the_default_book_cannot_be_deleted(api: ApiClient) -> None:
    api.post("/api/v1/books/contacts/contacts", vcard=vcard("u1", "Ann"))
    response = api.delete("/api/v1/books/contacts")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "default_book"
    assert books(api)["contacts"]["contacts"] == 1


def test_bad_bodies_are_refused_with_reasons(api: ApiClient) -> None:
    cases = [
        (
            {"data": "display_name=x", "content_type": "application/x-www-form-urlencoded"},
            415,
            None,
        ),
        ({"data": "{nope", "content_type": "application/json"}, 400, None),
        ({"json": ["Work"]}, 400, None),
        ({"json": {}}, 422, "display_name"),
        ({"json": {"display_name": "   "}}, 422, "display_name"),
        ({"json": {"display_name": 7}}, 422, "display_name"),
        ({"json": {"display_name": "x" * 256}}, 422, "display_name"),
        ({"json": {"display_name": "tab\there"}}, 422, "display_name"),
    ]
    for kwargs, status, field in cases:
        for method, path in (("POST", "/api/v1/books"), ("PATCH", "/api/v1/books/contacts")):
            response = api.request(method, path, bad_request=True, **kwargs)
            assert response.status_code == status, (method, kwargs)
            error = response.get_json()["error"]
            assert error.get("field") == field
            assert error["message"].endswith(".")
    assert list(books(api)) == ["contacts"]
    assert books(api)["contacts"]["display_name"] == "Contacts"


def test_other_users_books_are_invisible(api: ApiClient) -> None:
    api.post("/api/v1/books", json={"display_name": "Secret"})
    assert list(books(api, "bob")) == ["contacts"]
    for method in ("GET", "DELETE"):
        response = api.request(method, "/api/v1/books/secret", user="bob")
        assert response.status_code == 404
    assert (
        api.patch("/api/v1/books/secret", user="bob", json={"display_name": "Mine"}).status_code
        == 404
    )
    assert books(api)["secret"]["display_name"] == "Secret"


def test_a_body_over_the_servers_limit_is_refused(api: ApiClient) -> None:
    # max_content_length is 200,000 bytes in these tests.
    for method, path in (("POST", "/api/v1/books"), ("PATCH", "/api/v1/books/contacts")):
        response = api.request(method, path, json={"display_name": "x" * 200_001}, bad_request=True)
        assert response.status_code == 413
        assert response.get_json()["error"]["code"] == "too_large"
    assert list(books(api)) == ["contacts"]


def test_a_book_fed_by_two_phones_names_both_and_keeps_its_first(api: ApiClient) -> None:
    api.post("/api/v1/devices/iphone/push", vcard=vcard("a", "Ann") + vcard("b", "Bob"))
    api.post("/api/v1/devices/iphone/push/apply")
    api.post("/api/v1/devices/ipad/push", vcard=vcard("c", "Cid"))
    api.post("/api/v1/devices/ipad/push/apply")
    book = books(api)["from-ios"]
    assert book["display_name"] == "From iOS" and book["contacts"] == 3
    assert book["source"] == {"kind": "device", "name": "iphone", "names": ["iphone", "ipad"]}
    assert api.get("/api/v1/books/from-ios").get_json()["source"] == book["source"]
