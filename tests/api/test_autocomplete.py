"""Autocomplete for composing mail."""

from __future__ import annotations

from tests.api.conftest import ApiClient, vcard

BOOK = "/api/v1/books/contacts/contacts"


def add(
    api: ApiClient, uid: str, name: str, *emails: str, user: str = "alice", book: str = BOOK
) -> None:
    lines = [f"EMAIL:{email}" for email in emails]
    assert api.post(book, vcard=vcard(uid, name, *lines), user=user).status_code == 201


def suggest(
    api: ApiClient, query: str, as_user: str = "alice", **params: str
) -> list[tuple[str, str]]:
    response = api.get("/api/v1/autocomplete", query_string={"q": query, **params}, user=as_user)
    assert response.status_code == 200
    return [(s["name"], s["email"]) for s in response.get_json()["suggestions"]]


def test_best_first_name_prefix_then_word_prefix_then_address(api: ApiClient) -> None:
    add(api, "1", "Zoe Andrews", "zoe@example.org")
    add(api, "2", "Anna Bell", "Anna.Bell@Example.org", "ab@home.test")
    add(api, "3", "Bert Anderson", "bert@example.org")
    add(api, "4", "Carl Jones", "andy.carl@example.org", "carl@example.org")
    add(api, "5", "Andrew No Email")
    add(api, "6", "andre", "andre@example.org")
    add(api, "7", "Jean-Anne Martin", "ja@example.org")
    add(api, "8", "Dora", "dora@example.org")
    assert suggest(api, "an") == [
        ("andre", "andre@example.org"),
        ("Anna Bell", "Anna.Bell@Example.org"),
        ("Anna Bell", "ab@home.test"),
        ("Bert Anderson", "bert@example.org"),
        ("Jean-Anne Martin", "ja@example.org"),
        ("Zoe Andrews", "zoe@example.org"),
        ("Carl Jones", "andy.carl@example.org"),
    ]
    assert suggest(api, "AN", limit="2") == [
        ("andre", "andre@example.org"),
        ("Anna Bell", "Anna.Bell@Example.org"),
    ]
    assert suggest(api, "anna.b") == [("Anna Bell", "Anna.Bell@Example.org")]
    assert suggest(api, "x") == []
    assert suggest(api, "%") == [] and suggest(api, "_") == []


def test_across_the_users_books_only(api: ApiClient) -> None:
    api.post("/api/v1/books", json={"display_name": "Work"})
    add(api, "1", "Ann Home", "ann@home.test")
    add(api, "2", "Ann Work", "ann@work.test", book="/api/v1/books/work/contacts")
    add(api, "3", "Ann Bob", "ann@bob.test", user="bob")
    response = api.get("/api/v1/autocomplete?q=ann")
    assert response.get_json()["suggestions"] == [
        {"name": "Ann Home", "email": "ann@home.test", "uid": "1", "book": "contacts"},
        {"name": "Ann Work", "email": "ann@work.test", "uid": "2", "book": "work"},
    ]
    assert suggest(api, "ann", as_user="carol") == []
    assert [
        s
        for s in api.get("/api/v1/autocomplete?q=ann&user=bob", user="carol").get_json()[
            "suggestions"
        ]
    ] == [{"name": "Ann Bob", "email": "ann@bob.test", "uid": "3", "book": "contacts"}]


def test_bad_queries(api: ApiClient) -> None:
    for query in ("", "q=", "q=%20%20", "q=a&limit=0", "q=a&limit=51", "q=" + "a" * 101):
        response = api.get(f"/api/v1/autocomplete?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]["field"] in ("q", "limit")
