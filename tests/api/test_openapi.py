"""The OpenAPI document: valid OpenAPI 3.1, served, the same set of routes as the app, and
the requests the tests send checked against it."""

from __future__ import annotations

import re

import jsonschema
import pytest
from flask import Flask
from openapi_spec_validator import validate

from contacthub.web.openapi import document
from tests.api.conftest import ApiClient
from tests.api.spec import check_request, spec

IMPLICIT = {"HEAD", "OPTIONS"}
MULTIPART = "multipart/form-data; boundary=x"
FORM_WITHOUT_FILE = b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nPeople\r\n--x--\r\n'


def test_the_document_is_valid_openapi_3_1() -> None:
    validate(document())  # raises on any error


def test_the_document_is_served_to_signed_in_users(api: ApiClient) -> None:
    response = api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json() == document()
    assert api.get("/api/v1/openapi.json", user=None).status_code == 401


def test_every_route_is_documented_and_every_documented_operation_exists(app: Flask) -> None:
    routes = {
        (re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in IMPLICIT
    }
    documented = {
        (path, method) for path, operations in spec()["paths"].items() for method in operations
    }
    assert routes == documented
    assert all(path.startswith("/api/v1/") for path, _ in documented)


def test_every_operation_documents_authentication_errors_and_the_user_parameter() -> None:
    for path, operations in spec()["paths"].items():
        for method, operation in operations.items():
            assert {"400", "401", "403", "404"} <= set(operation["responses"]), (method, path)
            names = [p["$ref"].rsplit("/", 1)[-1] for p in operation["parameters"] if "$ref" in p]
            assert "user" in names, (method, path)


def test_a_request_off_the_document_fails_the_request_check() -> None:
    with pytest.raises(jsonschema.ValidationError):
        check_request("PATCH", "/api/v1/imports/1", "application/json", b'{"colour": "red"}')
    with pytest.raises(AssertionError, match="lists"):
        check_request("POST", "/api/v1/books", "text/plain", b"Work")
    with pytest.raises(AssertionError, match="requires"):
        check_request("POST", "/api/v1/books", "", b"")
    with pytest.raises(AssertionError, match="takes none"):
        check_request("POST", "/api/v1/devices/x/push/apply", "application/json", b"{}")
    with pytest.raises(jsonschema.ValidationError):
        check_request("POST", "/api/v1/imports", MULTIPART, FORM_WITHOUT_FILE)
    check_request("POST", "/api/v1/imports/1/run", "", b"")  # the options are optional
    check_request("PATCH", "/api/v1/books/work", "application/json", b'{"display_name": "W"}')
