"""Checking requests and responses against the API's OpenAPI document.

Every request a test sends goes through `check_request` unless the test marks it as
sent off the document on purpose (a malformed body, a wrong media type): a body only
where the operation takes one, of a media type the document lists, valid against its
schema. Every response a test gets (in-process or from a real server) goes through
`check`: its path and method must be in the document, its status documented there,
and its body valid against the documented schema (JSON Schema 2020-12, as OpenAPI 3.1
uses). Paths that match no route answer with the error schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from requests import PreparedRequest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contacthub.web.openapi import document


@cache
def spec() -> dict[str, Any]:
    return document()


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    return [
        (re.compile("^" + re.sub(r"\{[^}/]+\}", "[^/]+", path) + "$"), path)
        for path in spec()["paths"]
    ]


def template_of(path: str) -> str | None:
    for pattern, template in _templates():
        if pattern.match(path):
            return template
    return None


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        found: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


def validate(instance: Any, schema: Mapping[str, Any]) -> None:
    # The document's components sit beside the schema, so "#/components/..." refs resolve.
    root = {"allOf": [dict(schema)], "components": spec()["components"]}
    Draft202012Validator(root, format_checker=FormatChecker()).validate(instance)


def check(method: str, path: str, status: int, headers: Mapping[str, str], body: bytes) -> None:
    content_type = headers.get("Content-Type", "").split(";")[0].strip()
    template = template_of(path.split("?")[0])
    operation = spec()["paths"].get(template, {}).get(method.lower()) if template else None
    if operation is None:
        # No such route (404) or method (405): still our JSON error.
        assert status in (404, 405), f"{method} {path}: {status} for an undocumented route"
        assert content_type == "application/json"
        validate(json.loads(body), spec()["components"]["schemas"]["Error"])
        return
    documented = operation["responses"]
    assert str(status) in documented, (
        f"{method} {template} answered {status}, which the document does not list: {body[:300]!r}"
    )
    response = _resolve(documented[str(status)])
    for header in response.get("headers", {}):
        assert header in headers, f"{method} {template} {status}: no {header} header"
    content = response.get("content")
    if content is None:
        assert body == b"", f"{method} {template} {status} should have no body"
        return
    assert content_type in content, f"{method} {template} {status}: {content_type!r}"
    instance = json.loads(body) if content_type == "application/json" else body.decode()
    validate(instance, content[content_type]["schema"])


def check_request(method: str, path: str, content_type: str, body: bytes) -> None:
    template = template_of(path.split("?")[0])
    operation = spec()["paths"].get(template, {}).get(method.lower()) if template else None
    if operation is None:
        return  # no such route: `check` holds the answer to the same
    documented = operation.get("requestBody")
    if not body:
        assert not (documented or {}).get("required"), (
            f"{method} {template} sent without the body the document requires"
        )
        return
    assert documented is not None, f"{method} {template} sent a body; the operation takes none"
    media = content_type.split(";")[0].strip()
    content = _resolve(documented)["content"]
    assert media in content, f"{method} {template} sent {media!r}; the document lists {[*content]}"
    validate(_instance(media, content_type, body), content[media]["schema"])


def _instance(media: str, content_type: str, body: bytes) -> Any:
    """The body as its schema sees it: JSON, text, or a form's fields (a file as text)."""
    if media == "application/json":
        return json.loads(body)
    if media == "multipart/form-data":
        environ = EnvironBuilder(method="POST", data=body, content_type=content_type)
        form = Request(environ.get_environ())
        files = {name: part.read().decode("utf-8", "replace") for name, part in form.files.items()}
        return {**form.form.to_dict(), **files}
    return body.decode("utf-8")


def check_sent(method: str, path: str, sent: PreparedRequest) -> None:
    """`check_request` for a request made with requests (a real server's tests)."""
    body = sent.body or b""
    content_type = sent.headers.get("Content-Type", "")
    check_request(method, path, content_type, body.encode() if isinstance(body, str) else body)
