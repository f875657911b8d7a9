"""The API's reference as a page: the OpenAPI document (web/openapi.py, also served as
/api/v1/openapi.json) read for a person, resource by resource, with the shapes of the
bodies. Rendered here rather than by Swagger UI or Redoc: those are scripts from
elsewhere, which the admin page's CSP refuses, and a reference needs no script."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, jsonify
from werkzeug.wrappers import Response

from contacthub.web.admin.pages import page
from contacthub.web.openapi import document

bp = Blueprint("api_docs", __name__, url_prefix="/api")

_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str  # path, query, header
    required: bool
    type: str
    description: str


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Parameter]
    body: str | None  # the name of its schema (or its media type)
    responses: list[tuple[str, str, str | None]]  # status, description, schema name


@dataclass
class Resource:
    name: str
    operations: list[Operation] = field(default_factory=list)


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class Shape:
    name: str
    description: str
    properties: list[Property]


class _Document:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.components: dict[str, Any] = spec.get("components", {})

    def resolved(self, item: dict[str, Any]) -> dict[str, Any]:
        ref = item.get("$ref")
        if not isinstance(ref, str):
            return item
        _, _, kind, name = ref.split("/", 3)
        found: dict[str, Any] = self.components[kind][name]
        return found

    def resources(self) -> list[Resource]:
        by_tag: dict[str, Resource] = {}
        for path, methods in self.spec["paths"].items():
            for method in _METHODS:
                if method in methods:
                    operation = methods[method]
                    tag = (operation.get("tags") or ["other"])[0]
                    resource = by_tag.setdefault(tag, Resource(tag))
                    resource.operations.append(self._operation(method, path, operation))
        return list(by_tag.values())

    def _operation(self, method: str, path: str, operation: dict[str, Any]) -> Operation:
        parameters = [self._parameter(self.resolved(p)) for p in operation.get("parameters", [])]
        body = operation.get("requestBody")
        responses = [
            (
                status,
                self.resolved(answer).get("description", ""),
                _schema_of(self.resolved(answer)),
            )
            for status, answer in operation.get("responses", {}).items()
        ]
        return Operation(
            method.upper(),
            path,
            operation.get("summary", ""),
            operation.get("description", ""),
            parameters,
            _schema_of(self.resolved(body)) if body else None,
            responses,
        )

    def _parameter(self, parameter: dict[str, Any]) -> Parameter:
        return Parameter(
            parameter["name"],
            parameter.get("in", ""),
            bool(parameter.get("required")),
            type_words(parameter.get("schema", {})),
            parameter.get("description", ""),
        )

    def shapes(self) -> list[Shape]:
        found = []
        for name, schema in self.components.get("schemas", {}).items():
            required = set(schema.get("required", []))
            properties = [
                Property(key, type_words(value), key in required, value.get("description", ""))
                for key, value in schema.get("properties", {}).items()
            ]
            found.append(Shape(name, schema.get("description", ""), properties))
        return found


def _schema_of(item: dict[str, Any]) -> str | None:
    """The name of the schema of a body or an answer (its media type when it has none)."""
    for media, content in item.get("content", {}).items():
        schema = content.get("schema", {})
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return ref.rsplit("/", 1)[-1]
        if schema.get("type") == "array" and isinstance(schema.get("items", {}).get("$ref"), str):
            return schema["items"]["$ref"].rsplit("/", 1)[-1] + "[]"
        return str(media)
    return None


def type_words(schema: dict[str, Any]) -> str:
    """A schema's type as a reader wants it: "string", "integer or null", "Book[]"."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    for combined in ("anyOf", "oneOf"):
        if combined in schema:
            return " or ".join(type_words(option) for option in schema[combined])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array":
        return type_words(schema.get("items", {})) + "[]"
    if "enum" in schema:
        return " | ".join(
            f'"{value}"' if isinstance(value, str) else str(value) for value in schema["enum"]
        )
    return str(kind)


@bp.get("/")
def reference() -> Response:
    spec = document()
    read = _Document(spec)
    shapes = read.shapes()
    return page(
        "api_docs.html",
        title="API reference",
        info=spec.get("info", {}),
        resources=read.resources(),
        shapes=shapes,
        shape_names={shape.name for shape in shapes},
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    """The document itself for a signed-in browser (/api/v1/openapi.json asks for HTTP
    Basic, which a browser signed in here would be asked for again)."""
    return jsonify(document())
