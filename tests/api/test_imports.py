"""CSV imports through the API: upload, settings and mapping, dry run, run, run reports.

Realistic files from tests/data/csv; every response is checked against the OpenAPI
document (tests/api/conftest.py), over SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from werkzeug.test import TestResponse

from contacthub.store import Lease, Store
from tests.api.conftest import ApiClient

DATA = Path(__file__).parents[1] / "data" / "csv"
IMPORTS = "/api/v1/imports"

PEOPLE = (
    "Id,Name,Email,Phone,Shoe size\r\n"
    "1,Ann Archer,ann@example.org,+1 555 0101,38\r\n"
    "2,Bob Baker,bob@example.org,+1 555 0102,44\r\n"
    "3,Cid Carter,cid@example.org,+1 555 0103,41\r\n"
)


def upload(
    api: ApiClient, filename: str, content: bytes | None = None, *, user: str = "alice", **form: str
) -> TestResponse:
    content = (DATA / filename).read_bytes() if content is None else content
    return api.post(
        IMPORTS,
        user=user,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(content), filename), **form},
    )


def created(
    api: ApiClient, filename: str, content: bytes | None = None, **form: str
) -> dict[str, Any]:
    response = upload(api, filename, content, **form)
    assert response.status_code == 201, response.get_json()
    shown: dict[str, Any] = response.get_json()
    assert response.headers["Location"].endswith(f"{IMPORTS}/{shown['id']}")
    return shown


def run(api: ApiClient, import_id: int, **body: Any) -> dict[str, Any]:
    response = api.post(f"{IMPORTS}/{import_id}/run", **({"json": body} if body else {}))
    assert response.status_code == 200, response.get_json()
    report: dict[str, Any] = response.get_json()
    return report


def patch(api: ApiClient, import_id: int, **settings: Any) -> TestResponse:
    return api.patch(f"{IMPORTS}/{import_id}", json=settings)


def replace(api: ApiClient, import_id: int, content: str, name: str = "people.csv") -> TestResponse:
    return api.put(
        f"{IMPORTS}/{import_id}/file",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(content.encode()), name)},
    )


def contacts(api: ApiClient, book: str) -> dict[str, dict[str, Any]]:
    """Display name -> the contact with its vCard."""
    page = api.get(f"/api/v1/books/{book}/contacts?limit=200").get_json()
    found = {}
    for summary in page["contacts"]:
        full = api.get(f"/api/v1/books/{book}/contacts/{summary['id']}").get_json()
        found[full["display_name"]] = full
    return found


def field_of(shown: dict[str, Any], column: str) -> str | None:
    for entry in shown["mapping"]["columns"]:
        if entry["column"] == column:
            return str(entry["field"])
    return None


def unmapped(mapping: dict[str, Any], *columns: str) -> dict[str, Any]:
    return {
        **mapping,
        "columns": [entry for entry in mapping["columns"] if entry["column"] not in columns],
    }


def store_state(store: Store, user: str = "alice") -> tuple[list[Any], dict[str, int]]:
    with store.read() as tx:
        sources = [(s.name, s.settings) for s in tx.list_sources(owner=user)]
        books = [book for book in tx.list_children(user)]
        counts = tx.count_items([book.id for book in books])
        return sources, {book.name: counts.get(book.id, 0) for book in books}


# --- the catalogue ----------------------------------------------------------------------


def test_fields_and_delimiters(api: ApiClient) -> None:
    shown = api.get("/api/v1/fields").get_json()
    ids = [field["id"] for field in shown["fields"]]
    for field_id in (
        "full_name",
        "given_name",
        "email.work",
        "phone.mobile",
        "address.home.postal_code",
        "organisation",
        "birthday",
        "categories",
        "none",
    ):
        assert field_id in ids
    assert {"id": "email.home", "label": "Email (home)", "group": "Email"} in shown["fields"]
    assert shown["custom_prefix"] == "custom:"
    assert {d["name"]: d["character"] for d in shown["delimiters"]} == {
        "comma": ",",
        "semicolon": ";",
        "tab": "\t",
        "pipe": "|",
    }


# --- uploads of real exports ------------------------------------------------------------


def test_google_export_is_detected_and_mapped(api: ApiClient) -> None:
    shown = created(api, "google_contacts.csv")
    assert (shown["name"], shown["filename"]) == ("google_contacts", "google_contacts.csv")
    assert (shown["delimiter"], shown["delimiter_detected"]) == ("comma", True)
    assert (shown["encoding"], shown["encoding_detected"]) == ("utf-8", True)
    assert shown["header"][:3] == ["First Name", "Middle Name", "Last Name"]
    assert len(shown["header"]) == 36
    assert all(len(row) == 36 for row in shown["preview"]) and len(shown["preview"]) == 5
    assert shown["preview"][0][0] == "Ada"
    assert shown["preview"][0][14] == 'Met at the Royal Society.\nPrefers "Ada", not Augusta.'
    assert {
        "column": "E-mail 1 - Value",
        "field": "email.other",
        "type_from": "E-mail 1 - Label",
    } in shown["mapping"]["columns"]
    assert field_of(shown, "Labels") == "categories"
    assert field_of(shown, "Organization Name") == "organisation"
    assert field_of(shown, "Phonetic First Name") is None
    assert shown["key_column"] is None
    assert (shown["update_existing"], shown["delete_missing"]) == (False, False)
    assert shown["last_run"] is None and shown["uploaded_at"] is not None
    book = api.get(f"/api/v1/books/{shown['book']}").get_json()
    assert book["display_name"] == "From CSV (google_contacts)"
    assert book["source"] == {
        "kind": "csv",
        "name": "google_contacts",
        "names": ["google_contacts"],
    }
    assert book["contacts"] == 0  # nothing is imported before a run
    assert api.get(f"{IMPORTS}/{shown['id']}").get_json() == shown


def test_european_excel_semicolons_with_a_bom(api: ApiClient) -> None:
    shown = created(api, "excel_semicolon_bom.csv")
    assert (shown["delimiter"], shown["delimiter_detected"]) == ("semicolon", True)
    assert (shown["encoding"], shown["encoding_detected"]) == ("utf-8-sig", True)
    assert shown["header"][0] == "Name"  # the BOM is not part of the first column's name
    assert shown["preview"][0][:2] == ["Élodie Durand", "elodie@durand.example"]
    assert field_of(shown, "E-Mail") == "email.other"
    assert field_of(shown, "PLZ") == "address.other.postal_code"
    assert field_of(shown, "Rabatt") is None


def test_outlook_german_export_in_cp1252(api: ApiClient) -> None:
    shown = created(api, "outlook_de.csv")
    assert (shown["delimiter"], shown["encoding"]) == ("semicolon", "cp1252")
    assert "Straße geschäftlich" in shown["header"]
    assert shown["preview"][0][1:4] == ["Käthe", "", "Müller-Lüdenscheidt"]
    assert field_of(shown, "Vorname") == "given_name"
    assert field_of(shown, "E-Mail-Adresse") == "email.other"
    assert field_of(shown, "Straße geschäftlich") == "address.work.street"
    report = run(api, shown["id"])
    assert report["status"] == "ok" and report["counts"]["added"] == len(shown["preview"])
    assert set(contacts(api, shown["book"])) == {"Käthe Müller-Lüdenscheidt", "Björn Öztürk"}


def test_tab_separated_utf16(api: ApiClient) -> None:
    shown = created(api, "tab_utf16.txt", name="Unicode people")
    assert (shown["delimiter"], shown["encoding"]) == ("tab", "utf-16")
    assert shown["header"] == ["Full Name", "E-mail Address", "Mobile Phone", "Company", "Notes"]
    assert shown["preview"][0][0] == "山田 太郎"
    assert shown["name"] == "Unicode people" and shown["book"] == "from-csv-unicode-people"
    report = run(api, shown["id"])
    assert (report["status"], report["counts"]["added"]) == ("ok", 2)
    people = contacts(api, shown["book"])
    assert people["Ольга Петрова"]["emails"] == ["olga@petrova.example"]
    assert people["山田 太郎"]["org"] == "株式会社山田"


def test_given_delimiter_and_encoding_are_used_not_detected(api: ApiClient) -> None:
    content = "Name|Email\r\nZoë Zander|zoe@example.org\r\n".encode("cp1252")
    shown = created(api, "pipes.csv", content, delimiter="pipe", encoding="cp1252")
    assert (shown["delimiter"], shown["delimiter_detected"]) == ("pipe", False)
    assert (shown["encoding"], shown["encoding_detected"]) == ("cp1252", False)
    assert shown["preview"] == [["Zoë Zander", "zoe@example.org"]]
    other = created(api, "other.csv", b"Name#Email\nAnn#ann@example.org\n", delimiter="#")
    assert other["delimiter"] == "#" and other["header"] == ["Name", "Email"]


def test_into_an_existing_book(api: ApiClient) -> None:
    book = api.post("/api/v1/books", json={"display_name": "Clients"}).get_json()["id"]
    shown = created(api, "people.csv", PEOPLE.encode(), book=book)
    assert shown["book"] == book
    run(api, shown["id"])
    assert api.get(f"/api/v1/books/{book}").get_json()["contacts"] == 3


# --- settings and mapping ---------------------------------------------------------------


def test_a_custom_field_lands_in_the_card_and_a_removed_mapping_does_not(api: ApiClient) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    assert field_of(shown, "Shoe size") is None and field_of(shown, "Phone") == "phone.other"
    mapping = unmapped(shown["mapping"], "Phone")
    mapping["columns"].append({"column": "Shoe size", "field": "custom:Shoe size"})
    changed = patch(api, shown["id"], mapping=mapping)
    assert changed.status_code == 200, changed.get_json()
    shown = changed.get_json()
    assert field_of(shown, "Shoe size") == "custom:Shoe size" and field_of(shown, "Phone") is None
    assert api.get(f"{IMPORTS}/{shown['id']}").get_json()["mapping"] == shown["mapping"]
    assert run(api, shown["id"])["counts"]["added"] == 3
    ann = contacts(api, shown["book"])["Ann Archer"]
    assert "X-SHOE-SIZE:38\r\n" in ann["vcard"]
    assert ann["phones"] == [] and "TEL" not in ann["vcard"]


def test_a_custom_field_is_searchable(api: ApiClient) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    mapping = {
        "columns": [
            {"column": "Name", "field": "full_name"},
            {"column": "Shoe size", "field": "custom:Shoe size"},
        ]
    }
    assert patch(api, shown["id"], mapping=mapping).status_code == 200
    run(api, shown["id"])
    found = api.get("/api/v1/contacts?q=44").get_json()["contacts"]
    assert [c["display_name"] for c in found] == ["Bob Baker"]


def test_key_column_follows_edits_generated_keys_do_not(api: ApiClient) -> None:
    edited = PEOPLE.replace("Ann Archer,ann@example.org", "Ann Archer-Smith,ann@example.org")
    keyed = created(api, "keyed.csv", PEOPLE.encode())
    assert patch(api, keyed["id"], key_column="Id", update_existing=True).status_code == 200
    generated = created(api, "generated.csv", PEOPLE.encode())
    assert patch(api, generated["id"], update_existing=True).get_json()["key_column"] is None
    for shown in (keyed, generated):
        assert run(api, shown["id"])["counts"]["added"] == 3
        assert replace(api, shown["id"], edited).status_code == 200
    keyed_run, generated_run = run(api, keyed["id"]), run(api, generated["id"])
    assert keyed_run["counts"] | {"errors": 0} == {
        "added": 0,
        "updated": 1,
        "deleted": 0,
        "unchanged": 2,
        "skipped": 0,
        "errors": 0,
    }
    # A generated key comes from name, email and phone: a new name is a new contact.
    assert (generated_run["counts"]["added"], generated_run["counts"]["unchanged"]) == (1, 2)
    keyed_people = contacts(api, keyed["book"])
    assert set(keyed_people) == {"Ann Archer-Smith", "Bob Baker", "Cid Carter"}
    assert "X-CONTACTHUB-KEY:1\r\n" in keyed_people["Ann Archer-Smith"]["vcard"]
    generated_people = contacts(api, generated["book"])
    assert len(generated_people) == 4
    code = [
        line
        for line in generated_people["Bob Baker"]["vcard"].split("\r\n")
        if line.startswith("X-CONTACTHUB-KEY:")
    ][0].split(":")[1]
    assert len(code) == 9 and code.isdigit()


def test_dry_run_then_run_then_the_same_file_again(api: ApiClient, store: Store) -> None:
    shown = created(api, "google_contacts.csv")
    before = store_state(store)
    preview = api.post(f"{IMPORTS}/{shown['id']}/dry-run")
    assert preview.status_code == 200
    changes = preview.get_json()
    assert changes["refused"] is None and changes["truncated"] is False
    assert changes["counts"]["added"] == 5
    assert [c["action"] for c in changes["changes"]] == ["add"] * 5
    assert changes["changes"][0]["name"] == "Ada King Lovelace"
    assert changes["changes"][0]["line"] == 2
    assert store_state(store) == before  # a dry run changes nothing
    assert api.get(f"{IMPORTS}/{shown['id']}/runs").get_json() == {"runs": []}

    report = run(api, shown["id"])
    assert report["status"] == "ok" and report["trigger"] == "manual"
    assert report["counts"]["added"] == 5 and report["message"] == "5 added"
    assert [p for p in report["problems"] if "line" not in p] == []
    again = run(api, shown["id"])
    assert (
        again["status"] == "no_changes"
        and again["message"] == "every contact was already up to date"
    )
    assert again["counts"]["unchanged"] == 5
    runs = api.get(f"{IMPORTS}/{shown['id']}/runs").get_json()["runs"]
    assert [r["id"] for r in runs] == [again["id"], report["id"]]
    assert api.get(f"{IMPORTS}/{shown['id']}/runs?limit=1").get_json()["runs"] == [again]
    assert api.get(f"{IMPORTS}/{shown['id']}/runs/{report['id']}").get_json() == report
    assert api.get(IMPORTS).get_json()["imports"][0]["last_run"] == again


def test_update_and_delete_options(api: ApiClient) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    patch(api, shown["id"], key_column="Id")
    run(api, shown["id"])
    fewer = PEOPLE.replace("Bob Baker", "Robert Baker").replace(
        "3,Cid Carter,cid@example.org,+1 555 0103,41\r\n", ""
    )
    replace(api, shown["id"], fewer)
    skipped = api.post(f"{IMPORTS}/{shown['id']}/dry-run").get_json()
    assert (skipped["counts"]["skipped"], skipped["counts"]["deleted"]) == (1, 0)
    assert {
        "action": "skip",
        "key": "2",
        "uid": skipped["changes"][0]["uid"],
        "name": "Robert Baker",
        "line": 3,
        "reason": "changed, but updating existing contacts is off",
    } in skipped["changes"]
    assert patch(api, shown["id"], update_existing=True, delete_missing=True).status_code == 200
    report = run(api, shown["id"])
    assert (report["counts"]["updated"], report["counts"]["deleted"]) == (1, 1)
    assert set(contacts(api, shown["book"])) == {"Ann Archer", "Robert Baker"}


def test_delete_missing_never_touches_other_contacts(api: ApiClient) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    patch(api, shown["id"], key_column="Id", delete_missing=True)
    run(api, shown["id"])
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:mine\r\nFN:Mine Alone\r\nEND:VCARD\r\n"
    api.post(f"/api/v1/books/{shown['book']}/contacts", vcard=card)
    replace(api, shown["id"], PEOPLE.replace("3,Cid Carter,cid@example.org,+1 555 0103,41\r\n", ""))
    assert run(api, shown["id"])["counts"]["deleted"] == 1
    assert set(contacts(api, shown["book"])) == {"Ann Archer", "Bob Baker", "Mine Alone"}


def test_the_mass_deletion_guard_and_its_override(api: ApiClient) -> None:
    rows = "".join(f"{n},Person {n},p{n}@example.org,,\r\n" for n in range(1, 21))
    shown = created(api, "people.csv", ("Id,Name,Email,Phone,Shoe size\r\n" + rows).encode())
    patch(api, shown["id"], key_column="Id", delete_missing=True)
    assert run(api, shown["id"])["counts"]["added"] == 20
    replace(api, shown["id"], "Id,Name,Email,Phone,Shoe size\r\n1,Person 1,p1@example.org,,\r\n")
    preview = api.post(f"{IMPORTS}/{shown['id']}/dry-run").get_json()
    assert preview["refused"] is not None and "delete 19" in preview["refused"]
    refused = run(api, shown["id"])
    assert refused["status"] == "refused" and "delete 19" in refused["message"]
    assert not refused["message"].startswith("refused")  # the status is said once
    assert refused["applied"] is False and refused["counts"]["deleted"] == 19
    assert refused["effect"] == "Would have deleted 19; nothing was changed."
    assert len(contacts(api, shown["book"])) == 20  # nothing changed
    overridden = api.post(
        f"{IMPORTS}/{shown['id']}/dry-run", json={"override_mass_deletion": True}
    ).get_json()
    assert overridden["refused"] is None and overridden["counts"]["deleted"] == 19
    done = run(api, shown["id"], override_mass_deletion=True)
    assert done["status"] == "ok" and done["counts"]["deleted"] == 19
    assert done["applied"] is True and done["effect"] == "Deleted 19."
    assert set(contacts(api, shown["book"])) == {"Person 1"}


def test_a_dry_run_lists_at_most_1000_changes(api: ApiClient) -> None:
    rows = "".join(f"Person {n},p{n}@example.org\r\n" for n in range(1100))
    shown = created(api, "many.csv", ("Name,Email\r\n" + rows).encode())
    preview = api.post(f"{IMPORTS}/{shown['id']}/dry-run").get_json()
    assert preview["counts"]["added"] == 1100
    assert len(preview["changes"]) == 1000 and preview["truncated"] is True


def test_a_new_delimiter_re_reads_the_header_and_suggests_again(api: ApiClient) -> None:
    shown = created(api, "semi.csv", b"Name;Email\r\nAnn;ann@example.org\r\n", delimiter="comma")
    assert shown["header"] == ["Name;Email"] and shown["mapping"]["columns"] == []
    fixed = patch(api, shown["id"], delimiter="semicolon").get_json()
    assert fixed["header"] == ["Name", "Email"] and fixed["preview"] == [["Ann", "ann@example.org"]]
    assert field_of(fixed, "Email") == "email.other"
    assert patch(api, shown["id"], delimiter=None).get_json()["delimiter_detected"] is True


# --- refusals ---------------------------------------------------------------------------


def error_of(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.get_json())
    error: dict[str, Any] = response.get_json()["error"]
    return error


def test_files_that_are_not_csv_are_refused(api: ApiClient, store: Store) -> None:
    assert api.get(IMPORTS).get_json() == {"imports": []}
    before = store_state(store)
    garbage = error_of(upload(api, "garbage.bin"), 422)
    assert garbage["field"] == "file" and "does not look like a CSV file" in garbage["message"]
    png = error_of(upload(api, "pixel.png"), 422)
    assert "binary data" in png["message"]
    assert "empty" in error_of(upload(api, "empty.csv"), 422)["message"]
    missing = api.post(
        IMPORTS, content_type="multipart/form-data", data={"name": "x"}, bad_request=True
    )
    assert error_of(missing, 400)["field"] == "file"
    assert error_of(api.post(IMPORTS, json={"file": "a,b"}, bad_request=True), 415)["code"] == (
        "unsupported_media_type"
    )
    huge = upload(api, "big.csv", b"Name,Email\r\n" + b"Ann,ann@example.org\r\n" * 12_000)
    assert error_of(huge, 413)["code"] == "too_large"
    assert store_state(store) == before


def test_bad_upload_settings_are_refused(api: ApiClient, store: Store) -> None:
    assert api.get(IMPORTS).get_json() == {"imports": []}
    before = store_state(store)
    for form, field in [
        ({"delimiter": "ab"}, "delimiter"),
        ({"delimiter": '"'}, "delimiter"),
        ({"delimiter": "\x01"}, "delimiter"),
        ({"encoding": "no-such-codec"}, "encoding"),
        ({"book": "nonexistent"}, "book"),
        ({"name": "a\x00b"}, "name"),
    ]:
        refused = error_of(upload(api, "people.csv", PEOPLE.encode(), **form), 422)
        assert refused["field"] == field, refused
    assert store_state(store) == before


def test_bad_settings_are_refused_and_change_nothing(api: ApiClient) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    url = f"{IMPORTS}/{shown['id']}"
    bad_field = {
        **shown["mapping"],
        "columns": [*shown["mapping"]["columns"], {"column": "Shoe size", "field": "shoe"}],
    }
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"mapping": bad_field}, "mapping", "unknown field 'shoe'"),
        (
            {"mapping": {"columns": [{"column": "Nope", "field": "full_name"}]}},
            "mapping",
            "'Nope' is not in the file",
        ),
        (
            {"mapping": {"columns": [{"column": "Id", "field": "custom:X-CONTACTHUB-KEY"}]}},
            "mapping",
            "reserved",
        ),
        ({"mapping": "Name=full_name"}, "mapping", '"columns" list'),
        ({"key_column": "Nope"}, "key_column", "'Nope' is not in the file"),
        ({"key_column": 3}, "key_column", "key column"),
        ({"delimiter": "semicolon;"}, "delimiter", "single character"),
        ({"encoding": "klingon"}, "encoding", "'klingon'"),
        ({"update_existing": "yes"}, "update_existing", "true or false"),
        ({"colour": "red"}, "colour", "Unknown setting 'colour'"),
    ]
    for body, field, words in cases:
        error = error_of(api.patch(url, json=body, bad_request=True), 422)
        assert error["field"] == field and words in error["message"], (body, error)
    assert error_of(api.patch(url, data="x", content_type="text/plain", bad_request=True), 415)
    assert error_of(
        api.patch(url, data="{", content_type="application/json", bad_request=True), 400
    )
    bad_file = api.put(
        f"{url}/file",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO((DATA / "garbage.bin").read_bytes()), "x")},
    )
    assert error_of(bad_file, 422)["field"] == "file"
    assert api.get(url).get_json() == shown
    assert (
        error_of(
            api.post(f"{url}/run", json={"override_mass_deletion": "yes"}, bad_request=True), 422
        )["field"]
        == "override_mass_deletion"
    )
    assert api.get(f"{url}/runs").get_json() == {"runs": []}


def test_a_failing_run_is_a_failed_report_and_changes_nothing(api: ApiClient, store: Store) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    with store.write() as tx:  # a file that went bad behind the API's back
        tx.put_upload(shown["id"], "people.csv", (DATA / "garbage.bin").read_bytes())
    report = run(api, shown["id"])
    assert report["status"] == "failed" and "does not look like a CSV file" in report["message"]
    dry = error_of(api.post(f"{IMPORTS}/{shown['id']}/dry-run"), 422)
    assert dry["code"] == "import_failed"
    assert error_of(api.get(f"{IMPORTS}/{shown['id']}"), 409)["code"] == "unreadable_file"
    assert api.get(f"/api/v1/books/{shown['book']}").get_json()["contacts"] == 0


# --- ownership and deletion -------------------------------------------------------------


def test_imports_belong_to_their_user(api: ApiClient) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    first = run(api, shown["id"])
    url = f"{IMPORTS}/{shown['id']}"
    assert api.get(IMPORTS, user="bob").get_json() == {"imports": []}
    for method, path, kwargs in [
        ("GET", url, {}),
        ("PATCH", url, {"json": {"update_existing": True}}),
        ("DELETE", url, {}),
        ("POST", f"{url}/dry-run", {}),
        ("POST", f"{url}/run", {}),
        ("GET", f"{url}/runs", {}),
        ("GET", f"{url}/runs/{first['id']}", {}),
        (
            "PUT",
            f"{url}/file",
            {
                "content_type": "multipart/form-data",
                "data": {"file": (io.BytesIO(PEOPLE.encode()), "p.csv")},
            },
        ),
    ]:
        assert error_of(api.request(method, path, user="bob", **kwargs), 404)["code"] == (
            "not_found"
        )
    other = created(api, "other.csv", PEOPLE.encode())
    assert error_of(api.get(f"{IMPORTS}/{other['id']}/runs/{first['id']}"), 404)
    for missing in ("999999", "99999999999999999999", "x"):
        assert api.get(f"{IMPORTS}/{missing}").status_code == 404
    assert api.get(f"{url}/runs/99999999999999999999").status_code == 404
    assert api.get(f"{url}?user=alice", user="carol").get_json()["id"] == shown["id"]
    assert api.get(f"{url}?user=alice", user="bob").status_code == 403


def test_deleting_an_import_keeps_its_contacts_and_book(api: ApiClient) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    run(api, shown["id"])
    assert api.delete(f"{IMPORTS}/{shown['id']}").status_code == 204
    assert api.get(f"{IMPORTS}/{shown['id']}").status_code == 404
    assert api.delete(f"{IMPORTS}/{shown['id']}").status_code == 404
    assert api.get(IMPORTS).get_json() == {"imports": []}
    book = api.get(f"/api/v1/books/{shown['book']}").get_json()
    assert book["contacts"] == 3 and book["source"]["kind"] == "carddav"


def test_a_running_import_is_not_deleted_as_a_running_sync_is_not(
    api: ApiClient, store: Store
) -> None:
    shown = created(api, "people.csv", PEOPLE.encode())
    first = run(api, shown["id"])
    now = time.time()
    lease = Lease(shown["id"], "elsewhere:1:abc", "schedule", now, now + 120)
    with store.write() as tx:  # another process is running it
        assert tx.take_lease(lease)
    before = store_state(store)
    as_import = api.delete(f"{IMPORTS}/{shown['id']}")
    as_sync = api.delete(f"/api/v1/syncs/{shown['id']}")
    assert as_import.status_code == as_sync.status_code == 409
    assert as_import.get_json() == as_sync.get_json()
    assert error_of(as_import, 409)["code"] == "sync_running"
    assert store_state(store) == before
    assert api.get(f"{IMPORTS}/{shown['id']}/runs").get_json()["runs"] == [first]
    with store.write() as tx:
        tx.end_lease(lease)
    assert api.delete(f"{IMPORTS}/{shown['id']}").status_code == 204


# --- issue 12: bounds and mixed encodings ----------------------------------------------------


def test_a_file_with_too_many_columns_is_refused_and_nothing_is_stored(
    api: ApiClient, store: Store
) -> None:
    assert api.get(IMPORTS).get_json() == {"imports": []}
    before = store_state(store)
    header = ",".join(f"C{n}" for n in range(501))
    wide = error_of(upload(api, "wide.csv", f"{header}\r\n{'x,' * 500}x\r\n".encode()), 422)
    assert wide["field"] == "file"
    assert wide["message"] == (
        "The file cannot be read: line 1, the header, has 501 columns; "
        "a CSV file may have at most 500."
    )
    assert store_state(store) == before
    fits = ",".join(f"C{n}" for n in range(500))
    assert len(created(api, "fits.csv", f"{fits}\r\n".encode())["header"]) == 500


def test_a_long_cell_is_cut_in_the_preview_not_in_the_contact(api: ApiClient) -> None:
    note = "n" * 5000
    shown = created(api, "notes.csv", f"Name,Notes\r\nAnn Archer,{note}\r\n".encode())
    assert shown["preview"] == [["Ann Archer", "n" * 200 + "\u2026"]]
    report = run(api, shown["id"])
    assert report["counts"]["added"] == 1
    card = contacts(api, shown["book"])["Ann Archer"]["vcard"]
    assert note[:70] in card.replace("\r\n ", "")


def test_a_utf8_file_with_one_cp1252_line_is_read_as_utf8_and_the_line_reported(
    api: ApiClient,
) -> None:
    content = (
        "Name,Email\r\nJürgen Groß,juergen@example.org\r\nZoë Ünal,zoe@example.org\r\n".encode()
        + "Hans Müller,hans@example.org\r\n".encode("cp1252")
        + "Ålf Øre,alf@example.org\r\n".encode()
    )
    shown = created(api, "mixed.csv", content)
    assert shown["encoding"] == "utf-8" and shown["encoding_detected"] is True
    report = run(api, shown["id"])
    assert report["status"] == "ok" and report["counts"]["added"] == 4
    assert {"line": 4, "column": "Name", "reason": "not UTF-8; read as cp1252"} in [
        {key: p.get(key) for key in ("line", "column", "reason")} for p in report["problems"]
    ]
    assert len(report["problems"]) == 1
    names = set(contacts(api, shown["book"]))
    assert names == {"Jürgen Groß", "Zoë Ünal", "Hans Müller", "Ålf Øre"}
