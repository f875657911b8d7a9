"""Checking a request body against its model (contacthub.web.bodies), in our words.

A model says the shape of a body once: its JSON types, enums, bounds and which fields
it takes; the OpenAPI document is generated from it and requests are checked with it.
pydantic's own messages are for programmers, so each field carries `Says`: the sentence
a person reads when that field is wrong (or one per kind of mistake), and each model the
sentence for a field it does not have. A refusal is a 422 naming the field at fault by
its path ("schedule.interval", "source.url"), as the rest of the API names fields.
"""

from __future__ import annotations

from types import UnionType
from typing import Any, ClassVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import ErrorDetails, core_schema

from contacthub.errors import Invalid, quoted

# A field a body may leave out. Its model value is then None, but the field is unset,
# not null: whether null is allowed is the field's type.
LEFT_OUT: Any = None


class Says:
    """What a person reads when a field is wrong: one sentence, or one per kind of mistake
    (a pydantic error type such as "missing" or "string_too_long", or "null" for a null
    where the field takes none). ``{input}`` is the value sent, ``{number}`` the position
    (from 1) in the list the error is in."""

    def __init__(self, message: str, **by_kind: str) -> None:
        self.message = message
        self.by_kind = by_kind

    def __repr__(self) -> str:
        return f"Says({self.message!r})"

    def of(self, error: ErrorDetails) -> str:
        kind = "null" if error["input"] is None and "null" in self.by_kind else error["type"]
        return self.by_kind.get(kind, self.message)


class Body(BaseModel):
    """A JSON request body. Strict: true is not 1 and "1" is not a number, as in JSON Schema."""

    model_config = ConfigDict(strict=True, extra="forbid")

    # The sentence for a field the model does not have: {name} is the field, {fields} the
    # model's fields in order.
    unknown: ClassVar[str] = "Unknown field {name}; this body has {fields}."
    # The field every refusal inside this model names, when it is reported as one field
    # (a mapping is refused as "mapping", with the entry in the message).
    reported_as: ClassVar[str | None] = None


def check(model: type[Body], body: dict[str, Any]) -> dict[str, Any]:
    """`body` as it came, once `model` takes it; else the first mistake, refused (422)."""
    try:
        model.model_validate(body)
    except ValidationError as error:
        raise refusal(model, error) from None
    return body


def refusal(model: type[Body], error: ValidationError) -> Invalid:
    """The first mistake: a field the body should not have, else the first field in order."""
    errors = error.errors()
    extra = sorted(
        (found for found in errors if found["type"] == "extra_forbidden"), key=_location_text
    )
    first = (extra or errors)[0]
    path, message = _words(model, first)
    return Invalid(message, field=".".join(path) if path else None)


def _location_text(error: ErrorDetails) -> str:
    return ".".join(str(part) for part in error["loc"])


def _words(model: type[Body], error: ErrorDetails) -> tuple[list[str], str]:
    """The field path of an error and its sentence: the innermost field's words."""
    path: list[str] = []
    says: Says | None = None
    number: int | None = None
    current: type[Body] | None = model
    for position, part in enumerate(error["loc"]):
        if isinstance(part, int):
            number = part + 1
            continue
        info = current.model_fields.get(part) if current is not None else None
        if info is None:
            if error["type"] == "extra_forbidden" and position == len(error["loc"]) - 1:
                assert current is not None
                fields = ", ".join(current.model_fields)
                message = _filled(current.unknown, number, name=quoted(part), fields=fields)
                return _named(path, current, part), message
            continue  # a member of a union ("str", "list[str]"): not a field
        path = _named(path, current, part)
        says = next((item for item in info.metadata if isinstance(item, Says)), says)
        current = _model_in(info.annotation)
    message = says.of(error) if says is not None else f"{error['msg']}."
    return path, _filled(message, number, input=_shown(error["input"]))


def _named(path: list[str], model: type[Body] | None, name: str) -> list[str]:
    if model is not None and model.reported_as is not None:
        return [model.reported_as]
    return [*path, name]


def _model_in(annotation: Any) -> type[Body] | None:
    """The body model a field holds: itself, in a list, or beside null."""
    if isinstance(annotation, type) and issubclass(annotation, Body):
        return annotation
    if get_origin(annotation) in (list, Union, UnionType):
        return next(filter(None, (_model_in(arg) for arg in get_args(annotation))), None)
    return None


def _shown(value: Any) -> str:
    return quoted(value) if isinstance(value, str) else repr(value)[:80]


def _filled(message: str, number: int | None, **values: str) -> str:
    # Not str.format: some sentences show JSON, braces and all.
    for name, value in {**values, "number": str(number)}.items():
        message = message.replace(f"{{{name}}}", value)
    return message


class DocumentSchema(GenerateJsonSchema):
    """JSON Schema as the OpenAPI document writes it: no titles or defaults (a field left
    out is not given a value), and a nullable type as ["string", "null"]."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        generated = super().model_schema(schema)
        generated.pop("title", None)
        return generated

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        inner = self.generate_inner(schema["schema"])
        if isinstance(inner.get("type"), str):
            return {**inner, "type": [inner["type"], "null"]}
        return super().nullable_schema(schema)
