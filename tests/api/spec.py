"""Checking responses against the API's OpenAPI document.

Every response a test gets (in-process or from a real server) goes through
`check`: its path and method must be in the document, its status documented
there, and its body valid against the documented schema (JSON Schema 2020-12,
as OpenAPI 3.1 uses). Paths that match no route answer with the error schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

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
    validate(json.loads(body), content[content_type]["schema"])
