"""The request-body models: what each refuses, in which words and naming which field, and
that the OpenAPI document (generated from them) refuses and accepts the same bodies."""

from __future__ import annotations

from typing import Any, get_args

import jsonschema
import pytest

from contacthub.errors import UserError
from contacthub.sources.csv.origin import FTP, HTTP, UPLOAD
from contacthub.sources.exchange.source import AUTHS
from contacthub.sources.registry import MAIL_ACCOUNTS
from contacthub.sources.schedule import Frequency
from contacthub.web import bodies
from contacthub.web.openapi import json_body_models
from contacthub.web.validation import Body, check
from tests.api.conftest import ApiClient
from tests.api.spec import spec, validate

SCHEDULE = {"start": "2030-03-01T09:00", "timezone": "Europe/Tallinn", "frequency": "daily"}
SOURCE = {"url": "https://example.org/people.csv"}
ENTRY = {"column": "Name", "field": "full_name"}
IMAP = {"type": "imap", "username": "ann", "password": "pw", "host": "imap.example.org"}

# model, body, the field named, the message
REFUSED: list[tuple[type[Body], dict[str, Any], str, str]] = [
    (bodies.BookInput, {}, "display_name", "Give the address book a name (display_name)."),
    (bodies.BookInput, {"display_name": 7}, "display_name", "Give the address book a name"),
    (bodies.BookInput, {"display_name": "x" * 256}, "display_name", "at most 255 characters"),
    (bodies.DeviceSettings, {}, "auto_export", "Set auto_export to true or false."),
    (bodies.DeviceSettings, {"auto_export": 1}, "auto_export", "Set auto_export to true"),
    (bodies.RunOptions, {"override_mass_deletion": "yes"}, "override_mass_deletion", "true"),
    (
        bodies.RunOptions,
        {"force": True},
        "force",
        "Unknown field 'force'; a run takes override_mass_deletion.",
    ),
    (bodies.ImportSettings, {"colour": "red"}, "colour", "Unknown setting 'colour'; an import"),
    (bodies.ImportSettings, {"key_column": 3}, "key_column", "The key column is the name"),
    (bodies.ImportSettings, {"delete_missing": None}, "delete_missing", "true or false"),
    (bodies.ImportSettings, {"delimiter": 44}, "delimiter", "single character"),
    (bodies.ImportSettings, {"encoding": ["utf-8"]}, "encoding", "name of a character set"),
    (bodies.ImportSettings, {"mapping": []}, "mapping", 'object with a "columns" list'),
    (bodies.ImportSettings, {"mapping": {}}, "mapping", 'object with a "columns" list'),
    (
        bodies.ImportSettings,
        {"mapping": {"version": 2, "columns": []}},
        "mapping",
        "Mapping: unknown mapping version 2.",
    ),
    (
        bodies.ImportSettings,
        {"mapping": {"columns": [ENTRY, "Email"]}},
        "mapping",
        "Mapping: mapping entry 2: expected an object, got 'Email'.",
    ),
    (
        bodies.ImportSettings,
        {"mapping": {"columns": [ENTRY, {"field": "notes"}]}},
        "mapping",
        'Mapping: mapping entry 2: "column" must be a non-empty string.',
    ),
    (
        bodies.ImportSettings,
        {"mapping": {"columns": [{**ENTRY, "type_from": 3}]}},
        "mapping",
        'Mapping: mapping entry 1: "type_from" must be a string.',
    ),
    (
        bodies.ImportSettings,
        {"mapping": {"columns": [{**ENTRY, "colour": "red"}]}},
        "mapping",
        "Mapping: mapping entry 1: unknown keys ['colour'].",
    ),
    (bodies.SyncInput, {}, "source", "Give the sync's source"),
    (bodies.SyncInput, {"source": SOURCE["url"]}, "source", "The source is an object"),
    (bodies.SyncInput, {"source": SOURCE, "name": 3}, "name", "The name is text."),
    (bodies.SyncInput, {"source": SOURCE, "name": "x" * 256}, "name", "at most 255 characters"),
    (bodies.SyncInput, {"source": SOURCE, "book": 3}, "book", "There is no address book 3"),
    (
        bodies.SyncInput,
        {"source": SOURCE, "colour": "red", "name": 3},
        "colour",
        "Unknown field 'colour'; a new sync has name, book, source, delimiter, encoding, "
        "schedule, notify.",
    ),
    (bodies.SyncInput, {"source": {"url": "x" * 2001}}, "source.url", "at most 2000 characters"),
    (bodies.SyncInput, {"source": {"url": 3}}, "source.url", "Enter the file's URL"),
    (bodies.SyncInput, {"source": {**SOURCE, "type": "gopher"}}, "source.type", "upload, http"),
    (bodies.SyncInput, {"source": {**SOURCE, "passive": "no"}}, "source.passive", "true or"),
    (bodies.SyncInput, {"source": {**SOURCE, "password": 7}}, "source.password", "is text"),
    (
        bodies.SyncInput,
        {"source": {**SOURCE, "secret": "x"}},
        "source.secret",
        "A source has no field 'secret'; it has type, url, username, password and passive.",
    ),
    (bodies.SyncSettings, {"name": ""}, "name", "Give the sync a name."),
    (bodies.SyncSettings, {"name": None}, "name", "Give the sync a name."),
    (bodies.SyncSettings, {"schedule": "daily"}, "schedule", "Schedule must be an object."),
    (
        bodies.SyncSettings,
        {"schedule": {"timezone": "UTC"}},
        "schedule.start",
        "Start is required.",
    ),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "timezone": None}},
        "schedule.timezone",
        "Timezone is required.",
    ),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "interval": 0}},
        "schedule.interval",
        "Interval must be at least 1.",
    ),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "interval": 1001}},
        "schedule.interval",
        "Interval must be at most 1000.",
    ),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "interval": True}},
        "schedule.interval",
        "Interval must be a whole number.",
    ),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "month_day": 32}},
        "schedule.month_day",
        "Month_day must be a day from 1 to 31.",
    ),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "count": 0}},
        "schedule.count",
        "Count must be at least 1.",
    ),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "frequency": "yearly"}},
        "schedule.frequency",
        "Frequency must be one of once, hourly, daily, weekly, monthly, not 'yearly'.",
    ),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "weekdays": ["monday", 3]}},
        "schedule.weekdays",
        "Unknown weekday 3.",
    ),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "until": 20301231}},
        "schedule.until",
        "Until must be a string.",
    ),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "colour": "red"}},
        "schedule.colour",
        "Unknown field 'colour'.",
    ),
    (bodies.SyncSettings, {"notify": ["a@example.org", 3]}, "notify", "or a list of them."),
    (bodies.SyncSettings, {"update_existing": "yes"}, "update_existing", "true or false"),
    (bodies.AccountInput, {"username": "ann"}, "type", '"type" is "imap" or "exchange".'),
    (bodies.AccountInput, {"type": "pop3"}, "type", '"type" is "imap" or "exchange".'),
    (bodies.AccountInput, {**IMAP, "port": 70000}, "port", "a number from 1 to 65535"),
    (bodies.AccountInput, {**IMAP, "port": "993"}, "port", "a number from 1 to 65535"),
    (bodies.AccountInput, {**IMAP, "ssl": "yes"}, "ssl", "Set Use SSL to true or false."),
    (bodies.AccountInput, {**IMAP, "preset": 3}, "preset", "Unknown provider 3: choose one of"),
    (bodies.AccountInput, {**IMAP, "name": "x" * 256}, "name", "The name is text on one line."),
    (bodies.AccountInput, {**IMAP, "schedule": {"start": "x"}}, "schedule.timezone", "required"),
    (bodies.AccountInput, {**IMAP, "colour": "red"}, "colour", "Unknown field 'colour'; an acc"),
    (bodies.AccountSettings, {"auth": "basic"}, "auth", 'The auth is "password" or "oauth2"'),
    (bodies.AccountSettings, {"type": "imap"}, "type", "Unknown field 'type'; an account has"),
]
TAKEN: list[tuple[type[Body], dict[str, Any]]] = [
    (bodies.BookInput, {"display_name": "Work", "colour": "red"}),  # the document allows more
    (bodies.DeviceSettings, {"auto_export": False}),
    (bodies.RunOptions, {}),
    (bodies.ImportSettings, {"delimiter": None, "mapping": {"version": 1, "columns": [ENTRY]}}),
    (bodies.SyncInput, {"source": {**SOURCE, "username": None}, "schedule": None, "notify": ""}),
    (
        bodies.SyncSettings,
        {"schedule": {**SCHEDULE, "frequency": None, "weekdays": None}, "notify": ["a@b.org"]},
    ),
    (bodies.AccountInput, {**IMAP, "port": 993, "starttls": None, "schedule": SCHEDULE}),
    (bodies.AccountSettings, {"auth": "oauth2", "server": None}),
]


def refused(model: type[Body], body: dict[str, Any]) -> UserError:
    with pytest.raises(UserError) as caught:
        check(model, body)
    return caught.value


@pytest.mark.parametrize(("model", "body", "field", "words"), REFUSED)
def test_a_body_off_its_model_is_refused_in_words_naming_the_field(
    model: type[Body], body: dict[str, Any], field: str, words: str
) -> None:
    error = refused(model, body)
    assert (error.status, error.code, error.details["field"]) == (422, "invalid", field)
    assert words in error.message, error.message
    assert error.message[0].isupper() and error.message.endswith(".")


@pytest.mark.parametrize(("model", "body", "field", "words"), REFUSED)
def test_the_document_refuses_what_the_model_refuses(
    model: type[Body], body: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(body, spec()["components"]["schemas"][model.__name__])


def test_a_whole_number_is_an_integer_not_a_float() -> None:
    # JSON Schema takes 2.0 for an integer; the API never did, and the model keeps that.
    error = refused(bodies.SyncSettings, {"schedule": {**SCHEDULE, "interval": 2.0}})
    assert (error.details["field"], error.message) == (
        "schedule.interval",
        "Interval must be a whole number.",
    )


@pytest.mark.parametrize(("model", "body"), TAKEN)
def test_the_model_and_the_document_take_the_same_bodies(
    model: type[Body], body: dict[str, Any]
) -> None:
    assert check(model, body) is body  # the view reads the body as it came
    validate(body, spec()["components"]["schemas"][model.__name__])


def test_every_model_checks_some_operation_and_every_json_body_has_one() -> None:
    assert set(json_body_models().values()) == set(bodies.MODELS)
    for path, operations in spec()["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            assert ("application/json" in content) == (
                (path, method.upper()) in json_body_models()
            ), (method, path)


def test_the_models_choices_are_the_codes() -> None:
    def choices(model: type[Body], name: str) -> set[Any]:
        return set(get_args(model.model_fields[name].annotation))

    assert choices(bodies.ScheduleInput, "frequency") == {*Frequency, None}
    assert choices(bodies.SyncSourceInput, "type") == {UPLOAD, HTTP, FTP}
    assert choices(bodies.AccountInput, "type") == set(MAIL_ACCOUNTS)
    assert choices(bodies.AccountSettings, "auth") == set(AUTHS)


def test_the_api_checks_a_body_before_its_view(api: ApiClient) -> None:
    run = "/api/v1/imports/999999/run"
    assert api.post(run, json={"override_mass_deletion": True}).status_code == 404
    refused = api.post(run, json={"override": True}, bad_request=True)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "override"
