"""Contacts: list and search with paging, get, create, update with If-Match, delete."""

from __future__ import annotations

from contacthub.store import Store, etag_of
from tests.api.conftest import ApiClient, vcard

BOOK = "/api/v1/books/contacts/contacts"


def create(
    api: ApiClient, uid: str | None, name: str, *lines: str, user: str = "alice", book: str = BOOK
) -> dict:
    response = api.post(book, vcard=vcard(uid, name, *lines), user=user)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def stored_items(store: Store, path: str = "alice/contacts") -> dict[str, str]:
    with store.read() as tx:
        book = tx.get_collection(path)
        return {} if book is None else {i.href: i.text for i in tx.iter_items(book.id)}


def test_create_then_get(api: ApiClient, store: Store) -> None:
    text = vcard(
        "ann-1",
        "Ann Example",
        "EMAIL;TYPE=WORK:Ann@Example.org",
        "TEL;TYPE=CELL:+44 20 7946 0001",
        "ORG:Example Ltd;Sales",
    )
    created = api.post(BOOK, vcard=text)
    assert created.status_code == 201
    shown = created.get_json()
    assert shown == {
        "id": "ann-1.vcf",
        "book": "contacts",
        "uid": "ann-1",
        "etag": etag_of(text),
        "display_name": "Ann Example",
        "emails": ["Ann@Example.org"],
        "phones": ["+44 20 7946 0001"],
        "org": "Example Ltd",
        "vcard": text,
    }
    assert created.headers["ETag"] == etag_of(text)
    fetched = api.get(created.headers["Location"])
    assert fetched.status_code == 200
    assert fetched.get_json() == shown and fetched.headers["ETag"] == etag_of(text)
    assert stored_items(store) == {"ann-1.vcf": text}


def test_a_card_without_uid_gets_one(api: ApiClient, store: Store) -> None:
    shown = create(api, None, "No Uid")
    assert shown["uid"] and f"UID:{shown['uid']}\r\n" in shown["vcard"]
    assert shown["vcard"].startswith("BEGIN:VCARD\r\nUID:")
    assert stored_items(store)[shown["id"]] == shown["vcard"]


def test_ids_are_safe_names_whatever_the_uid(api: ApiClient, store: Store) -> None:
    first = create(api, "../../bob/contacts/x", "Traveller")
    assert first["id"] == "bob-contacts-x.vcf"
    second = create(api, "bob/contacts/x", "Other")  # same safe name, taken: a random one
    assert second["id"] != first["id"] and second["id"].endswith(".vcf")
    assert "/" not in second["id"]
    assert set(stored_items(store)) == {first["id"], second["id"]}
    assert stored_items(store, "bob/contacts") == {}


def test_refused_creates_say_why_and_change_nothing(api: ApiClient, store: Store) -> None:
    create(api, "taken", "Taken")
    before = stored_items(store)
    cases = [
        (vcard("taken", "Again"), "text/vcard", 409, "uid_conflict"),
        ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nEND:VCARD\r\n", "text/vcard", 422, "invalid"),
        ("just some text", "text/vcard", 422, "invalid"),
        (vcard("a", "A") + vcard("b", "B"), "text/vcard", 422, "invalid"),
        ("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/vcard", 422, "invalid"),
        (vcard("u", "Ann"), "application/json", 415, "unsupported_media_type"),
        (vcard("u", "Ann"), "", 415, "unsupported_media_type"),
        (b"BEGIN:VCARD\r\nFN:\xff\r\nEND:VCARD\r\n", "text/vcard", 400, "bad_request"),
        (vcard("big", "Big", "NOTE:" + "x" * 30000), "text/vcard", 413, "too_large"),
    ]
    for body, content_type, status, code in cases:
        response = api.post(BOOK, vcard=body, content_type=content_type, bad_request=True)
        assert response.status_code == status, (body, response.get_json())
        error = response.get_json()["error"]
        assert error["code"] == code
        assert error["message"][0].isupper() and error["message"].endswith(".")
    assert api.post("/api/v1/books/nope/contacts", vcard=vcard("n", "N")).status_code == 404
    assert stored_items(store) == before


def test_update_needs_if_match(api: ApiClient, store: Store) -> None:
    shown = create(api, "u1", "Ann")
    path = f"{BOOK}/{shown['id']}"
    new_text = vcard("u1", "Ann Changed")
    missing = api.put(path, vcard=new_text)
    assert missing.status_code == 428
    assert missing.get_json()["error"]["code"] == "precondition_required"
    stale = api.put(path, vcard=new_text, headers={"If-Match": etag_of("something else")})
    assert stale.status_code == 412 and stale.headers["ETag"] == shown["etag"]
    weak = api.put(path, vcard=new_text, headers={"If-Match": "W/" + shown["etag"]})
    assert weak.status_code == 412
    assert stored_items(store) == {"u1.vcf": shown["vcard"]}
    updated = api.put(path, vcard=new_text, headers={"If-Match": shown["etag"]})
    assert updated.status_code == 200
    assert updated.headers["ETag"] == etag_of(new_text) == updated.get_json()["etag"]
    assert updated.get_json()["display_name"] == "Ann Changed"
    assert stored_items(store) == {"u1.vcf": new_text}
    forced = api.put(path, vcard=vcard("u1", "Forced"), headers={"If-Match": "*"})
    assert forced.status_code == 200 and forced.get_json()["display_name"] == "Forced"


def test_update_keeps_the_uid(api: ApiClient, store: Store) -> None:
    shown = create(api, "u1", "Ann")
    path = f"{BOOK}/{shown['id']}"
    changed = api.put(path, vcard=vcard("u2", "Ann"), headers={"If-Match": "*"})
    assert changed.status_code == 409 and changed.get_json()["error"]["code"] == "uid_changed"
    without = api.put(path, vcard=vcard(None, "Ann Again"), headers={"If-Match": "*"})
    assert without.status_code == 200 and without.get_json()["uid"] == "u1"
    assert (
        api.put(f"{BOOK}/missing.vcf", vcard=vcard("m", "M"), headers={"If-Match": "*"}).status_code
        == 404
    )


def test_delete_with_optional_if_match(api: ApiClient, store: Store) -> None:
    first = create(api, "u1", "Ann")
    second = create(api, "u2", "Bob")
    stale = api.delete(f"{BOOK}/{first['id']}", headers={"If-Match": etag_of("x")})
    assert stale.status_code == 412
    assert (
        api.delete(f"{BOOK}/{first['id']}", headers={"If-Match": first["etag"]}).status_code == 204
    )
    assert api.delete(f"{BOOK}/{second['id']}").status_code == 204
    assert api.delete(f"{BOOK}/{second['id']}").status_code == 404
    assert api.get(f"{BOOK}/{second['id']}").status_code == 404
    assert stored_items(store) == {}


def test_list_pages_by_name(api: ApiClient) -> None:
    names = ["delta", "Alpha", "charlie", "Bravo", "echo", "foxtrot", "Golf"]
    for n, name in enumerate(names):
        create(api, f"u{n}", name)
    seen: list[str] = []
    for offset in range(0, 9, 3):
        page = api.get(f"{BOOK}?limit=3&offset={offset}").get_json()
        assert page["total"] == 7 and page["limit"] == 3 and page["offset"] == offset
        seen += [contact["display_name"] for contact in page["contacts"]]
    assert seen == sorted(names, key=str.lower)
    assert "vcard" not in page["contacts"][0]


def test_search_matches_every_word_in_name_email_phone_or_org(api: ApiClient) -> None:
    create(api, "a", "Ann Smith", "EMAIL:ann@example.org", "ORG:Acme")
    create(api, "b", "Bob Jones", "EMAIL:bob@acme.test", "TEL:+1 555 0100")
    create(api, "c", "Cid 100%_", "TEL:+44 20 7946 0000")

    def found(query: str) -> list[str]:
        page = api.get(BOOK, query_string={"q": query}).get_json()
        assert page["total"] == len(page["contacts"])
        return [contact["uid"] for contact in page["contacts"]]

    assert found("acme") == ["a", "b"]
    assert found("ACME jones") == ["b"]
    assert found("555 01") == ["b"]
    assert found("smith example.org") == ["a"]
    assert found("%") == ["c"] and found("_") == ["c"]
    assert found("nobody") == []
    assert found("") == ["a", "b", "c"]


def test_search_across_books(api: ApiClient) -> None:
    api.post("/api/v1/books", json={"display_name": "Work"})
    create(api, "a", "Ann Home")
    create(api, "b", "Ann Work", book="/api/v1/books/work/contacts")
    create(api, "c", "Ann Bob's", user="bob")
    page = api.get("/api/v1/contacts?q=ann").get_json()
    assert [(c["uid"], c["book"]) for c in page["contacts"]] == [("a", "contacts"), ("b", "work")]


def test_bad_paging_parameters(api: ApiClient) -> None:
    for query, field in [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=x", "limit"),
        ("offset=-1", "offset"),
        ("q=" + "x" * 201, "q"),
    ]:
        for path in (BOOK, "/api/v1/contacts"):
            response = api.get(f"{path}?{query}")
            assert response.status_code == 400, query
            assert response.get_json()["error"]["field"] == field


def test_other_users_contacts_are_invisible_to_them_but_not_to_admins(
    api: ApiClient, store: Store
) -> None:
    shown = create(api, "u1", "Ann")
    path = f"{BOOK}/{shown['id']}"
    assert api.get(path, user="bob").status_code == 404
    assert (
        api.put(path, user="bob", vcard=vcard("u1", "Mine"), headers={"If-Match": "*"}).status_code
        == 404
    )
    assert api.delete(path, user="bob").status_code == 404
    assert api.get("/api/v1/contacts?q=ann", user="bob").get_json()["total"] == 0
    assert api.get(f"{path}?user=alice", user="bob").status_code == 403
    assert api.get(f"{path}?user=alice", user="carol").get_json()["uid"] == "u1"
    by_admin = api.post(f"{BOOK}?user=alice", user="carol", vcard=vcard("u2", "By Carol"))
    assert by_admin.status_code == 201
    assert by_admin.headers["Location"] == f"{BOOK}/u2.vcf?user=alice"
    assert set(stored_items(store)) == {"u1.vcf", "u2.vcf"}
    assert stored_items(store, "carol/contacts") == {}
