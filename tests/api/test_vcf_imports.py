"""POST /api/v1/imports/vcf: a .vcf file into a book by id or a new book by name; every
response checked against the OpenAPI document (tests/api/conftest.py), over SQLite and
PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from werkzeug.test import TestResponse

from tests.api.conftest import ApiClient

FIXTURES = Path(__file__).parents[1] / "vcf_import" / "fixtures"
PATH = "/api/v1/imports/vcf"


def upload(api: ApiClient, content: bytes, filename: str = "team.vcf", **form: str) -> TestResponse:
    return api.post(
        PATH,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(content), filename), **form},
    )


def imported(api: ApiClient, content: bytes, **form: str) -> dict[str, Any]:
    response = upload(api, content, **form)
    assert response.status_code == 200, response.get_json()
    answer: dict[str, Any] = response.get_json()
    return answer


def test_into_a_new_book_by_name_with_the_bad_card_in_the_report(api: ApiClient) -> None:
    answer = imported(api, (FIXTURES / "one_bad_card.vcf").read_bytes(), new_book="Team")
    assert answer["book_created"] and answer["book"]["display_name"] == "Team"
    assert answer["book"]["contacts"] == 4
    assert answer["book"]["source"]["kind"] == "vcf"
    run = answer["run"]
    assert run["status"] == "ok" and run["counts"]["added"] == 4
    assert run["problems"] == [
        {"reason": "card 2 (from line 7): line 5 of the card cannot be read: N;BROKEN", "line": 11}
    ]


def test_into_a_book_by_id_and_again_updates_rather_than_duplicates(api: ApiClient) -> None:
    made = api.post("/api/v1/books", json={"display_name": "Google"})
    assert made.status_code == 201, made.get_json()
    book_id = made.get_json()["id"]
    content = (FIXTURES / "google_export.vcf").read_bytes()
    first = imported(api, content, book=book_id)
    assert not first["book_created"] and first["run"]["counts"]["added"] == 3
    again = imported(api, content.replace(b"Likes tea.", b"Likes coffee."), book=book_id)
    assert again["run"]["counts"]["updated"] == 1 and again["run"]["counts"]["added"] == 0
    assert again["book"]["contacts"] == 3


def test_a_file_that_is_not_vcard_is_refused_and_makes_nothing(api: ApiClient) -> None:
    response = upload(api, b"\x89PNG\r\n\x1a\n\x00\x00binary", new_book="Nothing")
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "file"
    listed = api.get("/api/v1/books").get_json()["books"]
    assert "Nothing" not in [book["display_name"] for book in listed]


def test_an_unknown_book_and_both_book_fields_are_refused(api: ApiClient) -> None:
    content = (FIXTURES / "v40.vcf").read_bytes()
    unknown = upload(api, content, book="no-such-book")
    assert unknown.status_code == 422 and unknown.get_json()["error"]["field"] == "book"
    both = upload(api, content, book="contacts", new_book="Also")
    assert both.status_code == 422 and both.get_json()["error"]["field"] == "book"
