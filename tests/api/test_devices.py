"""A phone's push into "From iOS" through the API."""

from __future__ import annotations

from contacthub.store import Store
from tests.api.conftest import ApiClient, vcard

PUSH = "/api/v1/devices/iPhone/push"


def book_uids(store: Store, user: str = "alice") -> set[str]:
    with store.read() as tx:
        book = tx.get_collection(f"{user}/from-ios")
        return set() if book is None else set(tx.uids_of(book.id))


def test_preview_lists_only_new_contacts_then_apply(api: ApiClient, store: Store) -> None:
    body = vcard("a", "Ann") + vcard("b", "Bob") + "BEGIN:VCARD\r\nFN;BROKEN\r\nEND:VCARD\r\n"
    preview = api.post(PUSH, vcard=body)
    assert preview.status_code == 200
    shown = preview.get_json()
    assert shown["new"] == [{"uid": "a", "name": "Ann"}, {"uid": "b", "name": "Bob"}]
    assert shown["counts"]["added"] == 2 and shown["counts"]["errors"] == 1
    assert [p["line"] for p in shown["problems"]] == [11]
    assert book_uids(store) == set()
    assert api.get(PUSH).get_json() == shown
    device = api.get("/api/v1/devices/iPhone").get_json()
    assert device["auto_export"] is True and device["pending_push"] is not None
    assert device["book"] == "from-ios" and device["last_run"] is None

    applied = api.post(f"{PUSH}/apply")
    assert applied.status_code == 200
    run = applied.get_json()["run"]
    assert run["status"] == "ok" and run["counts"]["added"] == 2
    assert book_uids(store) == {"a", "b"}
    assert api.get(PUSH).status_code == 404
    assert api.post(f"{PUSH}/apply").status_code == 404
    listed = api.get("/api/v1/devices").get_json()["devices"]
    assert [(d["name"], d["pending_push"], d["last_run"]["id"]) for d in listed] == [
        ("iPhone", None, run["id"])
    ]

    again = api.post(
        PUSH, vcard=vcard("a", "Ann Changed") + vcard("b", "Bob") + vcard("c", "Cid")
    ).get_json()
    assert again["new"] == [{"uid": "c", "name": "Cid"}]
    assert again["counts"]["updated"] == 1 and again["counts"]["unchanged"] == 1


def test_a_contact_deleted_through_the_api_is_never_readded(api: ApiClient, store: Store) -> None:
    api.post(PUSH, vcard=vcard("a", "Ann") + vcard("b", "Bob"))
    api.post(f"{PUSH}/apply")
    assert api.delete("/api/v1/books/from-ios/contacts/b.vcf").status_code == 204
    preview = api.post(PUSH, vcard=vcard("a", "Ann") + vcard("b", "Bob") + vcard("n", "New"))
    assert preview.get_json()["new"] == [{"uid": "n", "name": "New"}]
    api.post(f"{PUSH}/apply")
    assert book_uids(store) == {"a", "n"}


def test_cancel(api: ApiClient, store: Store) -> None:
    api.post(PUSH, vcard=vcard("a", "Ann"))
    assert api.delete(PUSH).status_code == 204
    assert api.delete(PUSH).status_code == 404
    assert api.post(f"{PUSH}/apply").status_code == 404
    assert book_uids(store) == set()


def test_pushes_are_refused_while_auto_export_is_off(api: ApiClient, store: Store) -> None:
    api.post(PUSH, vcard=vcard("a", "Ann"))
    api.post(f"{PUSH}/apply")
    off = api.put("/api/v1/devices/iPhone", json={"auto_export": False})
    assert off.status_code == 200 and off.get_json()["auto_export"] is False
    refused = api.post(PUSH, vcard=vcard("b", "Bob"))
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "push_refused" and "Automatic export is off" in error["message"]
    assert api.get(PUSH).status_code == 404
    assert book_uids(store) == {"a"}
    api.put("/api/v1/devices/iPhone", json={"auto_export": True})
    assert api.post(PUSH, vcard=vcard("b", "Bob")).status_code == 200


def test_auto_export_can_be_turned_off_before_the_first_push(api: ApiClient) -> None:
    assert api.get("/api/v1/devices").get_json() == {"devices": []}
    assert api.get("/api/v1/devices/iPad").status_code == 404
    created = api.put("/api/v1/devices/iPad", json={"auto_export": False}).get_json()
    assert created == {
        "name": "iPad",
        "book": "from-ios",
        "auto_export": False,
        "pending_push": None,
        "last_run": None,
    }
    assert api.post("/api/v1/devices/iPad/push", vcard=vcard("a", "A")).status_code == 409


def test_bad_pushes_change_nothing(api: ApiClient, store: Store) -> None:
    cases = [
        ({"vcard": vcard("a", "A"), "content_type": "application/json"}, 415),
        ({"vcard": b"BEGIN:VCARD\r\nFN:\xff\r\nEND:VCARD\r\n"}, 400),
        ({"vcard": vcard("a", "A", "NOTE:" + "x" * 200_001)}, 413),
    ]
    for kwargs, status in cases:
        assert api.post(PUSH, bad_request=True, **kwargs).status_code == status
    assert api.post("/api/v1/devices/.hidden/push", vcard=vcard("a", "A")).status_code == 422
    off_spec = api.put("/api/v1/devices/iPhone", json={"auto_export": "no"}, bad_request=True)
    assert off_spec.status_code == 422
    assert api.get("/api/v1/devices").get_json() == {"devices": []}
    assert book_uids(store) == set()


def test_devices_belong_to_their_user(api: ApiClient, store: Store) -> None:
    api.post(PUSH, vcard=vcard("a", "Ann"))
    assert api.get("/api/v1/devices", user="bob").get_json() == {"devices": []}
    for method, path in [
        ("GET", PUSH),
        ("POST", f"{PUSH}/apply"),
        ("DELETE", PUSH),
        ("GET", "/api/v1/devices/iPhone"),
    ]:
        assert api.request(method, path, user="bob").status_code == 404
    assert api.post(f"{PUSH}/apply?user=alice", user="carol").status_code == 200
    assert book_uids(store) == {"a"} and book_uids(store, "bob") == set()


def test_the_preview_counts_every_contact_deleted_here_once_it_stays_deleted(
    api: ApiClient, store: Store
) -> None:
    """A deletion already recorded by an earlier import is counted as one just made."""
    everyone = vcard("a", "Ann") + vcard("b", "Bob") + vcard("c", "Cid")
    api.post(PUSH, vcard=everyone)
    api.post(f"{PUSH}/apply")
    assert api.delete("/api/v1/books/from-ios/contacts/b.vcf").status_code == 204
    api.post(PUSH, vcard=everyone)
    api.post(f"{PUSH}/apply")  # Bob's deletion is recorded: he stays deleted from now on
    assert api.delete("/api/v1/books/from-ios/contacts/c.vcf").status_code == 204
    preview = api.post(PUSH, vcard=everyone + vcard("n", "New")).get_json()
    assert preview["new"] == [{"uid": "n", "name": "New"}]
    assert preview["stays_deleted"] == 2
    assert preview["counts"]["skipped"] == 2
    api.post(f"{PUSH}/apply")
    assert book_uids(store) == {"a", "n"}
