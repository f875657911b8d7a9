"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

Written as data beside the views, except the JSON request bodies: those components are
generated from their models (contacthub.web.bodies), which also check every such body
the API receives; an operation's requestBody says which model checks it. tests/api
checks that every route is in the document (and nothing else), and validates every
request and response the tests send and get against it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from contacthub import __version__
from contacthub.jobs.status import STATUSES
from contacthub.services import exports
from contacthub.sources.csv.origin import FTP, HTTP, UPLOAD
from contacthub.sources.schedule import MAX_INTERVAL, WEEKDAYS, Frequency
from contacthub.web import bodies
from contacthub.web.validation import Body, DocumentSchema

JSON = "application/json"
VCARD = "text/vcard"


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def schema(name: str) -> dict[str, str]:
    return ref("schemas", name)


def obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


def nullable(type_: str, **rest: Any) -> dict[str, Any]:
    return {"type": [type_, "null"], **rest}


def body(name: str, description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": schema(name)}},
    }
    if headers:
        response["headers"] = headers
    return response


STRING = {"type": "string"}
ETAG_HEADER = {"description": "The contact's ETag (quoted, strong).", "schema": STRING}
LOCATION_HEADER = {"description": "The URL of the created object.", "schema": STRING}
NO_CONTENT = {"description": "Done; no body."}

ERROR_RESPONSES = {
    "BadRequest": "A parameter or the body could not be understood.",
    "Unauthorized": "No credentials, or a wrong user name or password.",
    "Forbidden": "Acting for another user (`user`) without being an administrator.",
    "NotFound": "No such object for this user (or no such user, for an administrator).",
    "Conflict": "The request conflicts with the object's state.",
    "PreconditionFailed": "If-Match does not match the current ETag.",
    "TooLarge": "The body is larger than the server's limit.",
    "UnsupportedMediaType": "The body is not of a type this operation takes.",
    "Invalid": "The body was understood but its content is not acceptable.",
    "PreconditionRequired": "An update without If-Match.",
    "InsufficientStorage": "The server's disk is full: nothing was changed; reads go on.",
    "TooManyRequests": "Too many wrong passwords from this address or for this account: "
    "no attempt is checked, the right password included, for the seconds in Retry-After.",
    "Busy": "The store is busy with other writes (SQLite); try again after Retry-After seconds.",
}
STATUS_OF = {
    "BadRequest": "400",
    "Unauthorized": "401",
    "Forbidden": "403",
    "NotFound": "404",
    "Conflict": "409",
    "PreconditionFailed": "412",
    "TooLarge": "413",
    "UnsupportedMediaType": "415",
    "Invalid": "422",
    "PreconditionRequired": "428",
    "InsufficientStorage": "507",
    "TooManyRequests": "429",
    "Busy": "503",
}

HEADERS_OF = {
    "Unauthorized": {"WWW-Authenticate": {"schema": STRING}},
    "TooManyRequests": {
        "Retry-After": {"description": "Seconds until an attempt is checked.", "schema": STRING}
    },
    "Busy": {
        "Retry-After": {"description": "Seconds to wait before trying again.", "schema": STRING}
    },
}


def errors(*names: str) -> dict[str, Any]:
    """The error responses of an operation; every one may answer 400, 401, 403, 404, 429,
    503 (a write waiting for others too long on SQLite) and 507 (a user's first request
    makes their default book, and the disk may be full)."""
    always = (
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "TooManyRequests",
        "Busy",
        "InsufficientStorage",
    )
    wanted = dict.fromkeys((*always, *names))
    return {STATUS_OF[name]: ref("responses", name) for name in wanted}


def operation(
    summary: str,
    responses: dict[str, Any],
    *,
    parameters: list[Any] | None = None,
    request: dict[str, Any] | None = None,
    tag: str,
    description: str = "",
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "tags": [tag],
        "summary": summary,
        "parameters": [ref("parameters", "user"), *(parameters or [])],
        "responses": responses,
    }
    if description:
        op["description"] = description
    if request:
        op["requestBody"] = request
    return op


def json_request(model: type[Body], *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {JSON: {"schema": schema(model.__name__)}}}


def _request_schemas() -> dict[str, Any]:
    """The request bodies' components, the models they nest hoisted beside them."""
    _, generated = models_json_schema(
        [(model, "validation") for model in bodies.MODELS],
        ref_template="#/components/schemas/{model}",
        schema_generator=DocumentSchema,
    )
    found: dict[str, Any] = generated["$defs"]
    return found


REQUEST_SCHEMAS = _request_schemas()


VCARD_REQUEST = {
    "required": True,
    "content": {VCARD: {"schema": STRING}},
    "description": "One vCard (3.0 or 4.0) as UTF-8 text; a missing UID is "
    "added on create, and kept from the stored card on update.",
}
BOOK, CONTACT, DEVICE, IMPORT, RUN, SYNC, ACCOUNT = (
    ref("parameters", name)
    for name in ("book_id", "contact_id", "device", "import_id", "run_id", "sync_id", "account_id")
)
PAGING = [ref("parameters", name) for name in ("q", "limit", "offset")]

CONTACT_FIELDS: dict[str, Any] = {
    "id": {"type": "string", "description": "The card's name in its book (its CardDAV href)."},
    "book": {"type": "string", "description": "The id of the contact's address book."},
    "uid": STRING,
    "etag": STRING,
    "display_name": STRING,
    "emails": {"type": "array", "items": STRING},
    "phones": {"type": "array", "items": STRING},
    "org": nullable("string"),
}
CONTACT_REQUIRED = list(CONTACT_FIELDS)

# What an import shows of its settings is what it takes.
IMPORT_SETTINGS: dict[str, Any] = REQUEST_SCHEMAS["ImportSettings"]["properties"]
IMPORT_SUMMARY: dict[str, Any] = {
    "id": {"type": "integer"},
    "name": STRING,
    "book": {"type": "string", "description": "The id of the address book it fills."},
    "key_column": IMPORT_SETTINGS["key_column"],
    "update_existing": {"type": "boolean"},
    "delete_missing": {"type": "boolean"},
    "uploaded_at": nullable(
        "string", format="date-time", description="When the current file was uploaded."
    ),
    "last_run": {"oneOf": [schema("Run"), {"type": "null"}]},
}
IMPORT_DETAIL: dict[str, Any] = {
    "filename": STRING,
    "encoding": {"type": "string", "description": "As the file is read (detected or set)."},
    "encoding_detected": {"type": "boolean"},
    "delimiter": {
        "type": "string",
        "description": "comma, semicolon, tab, pipe, or the character itself.",
    },
    "delimiter_detected": {"type": "boolean"},
    "header": {
        "type": "array",
        "items": STRING,
        "description": "Column names (unique: an "
        'empty one is "Column N", a repeated one gets " (2)").',
    },
    "preview": {
        "type": "array",
        "items": {"type": "array", "items": STRING},
        "description": "The first 10 rows as parsed, one cell per column.",
    },
    "mapping": schema("Mapping"),
}
CHANGE = obj(
    ["action", "key", "uid", "name"],
    action={"enum": ["add", "update", "delete", "unchanged", "skip"]},
    key={
        "type": "string",
        "description": "The key column's value, or an internal identity when keys are generated.",
    },
    uid=STRING,
    name=STRING,
    reason={"type": "string", "description": "Why a row is skipped."},
    line={"type": "integer", "description": "The row's line in the file."},
)
RUN_FIELDS: dict[str, Any] = {
    "id": {"type": "integer"},
    "status": {"enum": ["ok", "no_changes", "refused", "failed"]},
    "trigger": {"type": "string", "description": "manual, schedule, ..."},
    "started_at": {"type": "string", "format": "date-time"},
    "finished_at": nullable("string", format="date-time"),
    "counts": {
        "allOf": [schema("Counts")],
        "description": "What the run did when applied is true; what it would have done "
        "when applied is false (a refused or failed run changed nothing).",
    },
    "applied": {
        "type": "boolean",
        "description": "Whether the run's changes were written (ok, no_changes); false for "
        "a refused or failed run, whose counts are only what it planned.",
    },
    "effect": {
        "type": "string",
        "description": 'The counts in words that cannot be misread: "Added 3 and deleted '
        '1.", "Would have added 20 and deleted 4; nothing was changed.", "Nothing was '
        'changed."',
    },
    "message": {
        "type": "string",
        "description": "Why, or what else happened, without the status in front: "
        '"HTTP 404 for ...", "this run would delete 4 of ...", "the file is the same as '
        'at the last import".',
    },
    "problems": {"type": "array", "items": schema("Problem")},
}
IMPORT_SCHEMAS: dict[str, Any] = {
    "Field": obj(["id", "label", "group"], id=STRING, label=STRING, group=STRING),
    "FieldCatalogue": obj(
        ["fields", "custom_prefix", "delimiters"],
        fields={"type": "array", "items": schema("Field")},
        custom_prefix={
            "type": "string",
            "description": "A custom field's id is this prefix and the name the admin gives it.",
        },
        delimiters={
            "type": "array",
            "items": obj(["name", "character"], name=STRING, character=STRING),
        },
    ),
    "ImportSummary": obj(list(IMPORT_SUMMARY), **IMPORT_SUMMARY),
    "Import": obj([*IMPORT_SUMMARY, *IMPORT_DETAIL], **IMPORT_SUMMARY, **IMPORT_DETAIL),
    "ImportList": obj(["imports"], imports={"type": "array", "items": schema("ImportSummary")}),
    "ChangePreview": obj(
        ["counts", "changes", "truncated", "problems", "problems_truncated", "refused"],
        counts=schema("Counts"),
        changes={
            "type": "array",
            "items": CHANGE,
            "description": "Adds, updates, deletions, skips, then unchanged rows; at most 1000.",
        },
        truncated={"type": "boolean", "description": "More changes than listed."},
        problems={"type": "array", "items": schema("Problem"), "description": "At most 1000."},
        problems_truncated={"type": "boolean"},
        refused=nullable(
            "string",
            description="Why a run would be refused (the "
            "mass-deletion guard); null if it would not.",
        ),
    ),
}

APP_PASSWORD_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "description": "The device it is for."},
    "created_at": {"type": "string", "format": "date-time"},
    "last_used_at": nullable(
        "string",
        format="date-time",
        description="When it last signed in (recorded at most once a minute); null: never.",
    ),
    "last_user_agent": nullable(
        "string",
        description="The User-Agent it signed in with at that last recorded use (which "
        "tells a Mac from a phone); null: never used, or by a client that sent none.",
    ),
    "books": {
        "type": "string",
        "enum": ["as-recognised", "one-book", "apart"],
        "description": "How CardDAV shows this device the account's address books: "
        '"one-book", all of them as one book; "apart", each as it is; "as-recognised", '
        "one book when its User-Agent is macOS's AddressBookCore, else apart.",
    },
}
APP_PASSWORD_SCHEMAS: dict[str, Any] = {
    "AppPassword": obj(list(APP_PASSWORD_FIELDS), **APP_PASSWORD_FIELDS),
    "NewAppPassword": obj(
        [*APP_PASSWORD_FIELDS, "password"],
        **APP_PASSWORD_FIELDS,
        password={
            "type": "string",
            "description": "The secret, in this answer only (the server keeps its hash): "
            "five groups of four letters and digits, xxxx-xxxx-xxxx-xxxx-xxxx; accepted in "
            "any case, with or without the dashes.",
        },
    ),
    "AppPasswordList": obj(
        ["app_passwords"],
        app_passwords={
            "type": "array",
            "items": schema("AppPassword"),
            "description": "The oldest first.",
        },
    ),
}

DATE_TIME = {"type": "string", "format": "date-time"}
ALERT_FIELDS: dict[str, Any] = {
    "id": {"type": "integer"},
    "kind": {
        "enum": ["cards", "book"],
        "description": "cards: the client deleted contacts of the book; book: it deleted the "
        "book itself (in GET /api/v1/deleted-books until restored), and restore brings "
        "the book back with its contacts.",
    },
    "state": {
        "enum": ["open", "restored", "dismissed"],
        "description": "open until restored or dismissed; the admin page shows a banner "
        "while an alert is open.",
    },
    "book": {"type": "string", "description": "The id of the address book."},
    "book_name": STRING,
    "account": {"type": "string", "description": "The account the client signed in as."},
    "client": {
        "type": "string",
        "description": "The client's User-Agent (empty when it sent none).",
    },
    "deleted": {
        "type": "integer",
        "minimum": 1,
        "description": "The contacts it deleted in the episode (so far, while it goes on).",
    },
    "book_size": {
        "type": "integer",
        "minimum": 1,
        "description": "The contacts the book held before those deletions.",
    },
    "first_deletion_at": DATE_TIME,
    "last_deletion_at": DATE_TIME,
    "raised_at": DATE_TIME,
    "resolved_at": nullable(
        "string", format="date-time", description="When restored or dismissed."
    ),
    "restore_run_id": nullable(
        "integer",
        description="The run that restored them, undoable as any run; null when none was needed.",
    ),
    "restored": nullable("integer", minimum=0, description="How many the restore brought back."),
    "email": {
        "type": "string",
        "description": 'What became of the email to the owner: "sent to ...", "not sent: '
        'why", or empty while it is being sent.',
    },
}
ALERT_SCHEMAS: dict[str, Any] = {
    "Alert": obj(list(ALERT_FIELDS), **ALERT_FIELDS),
    "AlertList": obj(
        ["alerts"],
        alerts={"type": "array", "items": schema("Alert"), "description": "The newest first."},
    ),
}

# A stored schedule shows every field of the form it was made with, defaults filled in.
SCHEDULE_FIELDS: dict[str, Any] = {
    **REQUEST_SCHEMAS["ScheduleInput"]["properties"],
    "frequency": {
        "enum": [frequency.value for frequency in Frequency],
        "description": "once; hourly, daily, weekly or monthly every interval "
        "hours, days, weeks or months.",
    },
    "interval": {"type": "integer", "minimum": 1, "maximum": MAX_INTERVAL},
    "weekdays": {
        "type": "array",
        "items": {"enum": list(WEEKDAYS)},
        "description": "Weekly: the days it runs on (default: the start's day).",
    },
}
SYNC_SUMMARY: dict[str, Any] = {
    "id": {"type": "integer", "description": "The same id as under /api/v1/imports."},
    "name": STRING,
    "book": {"type": "string", "description": "The id of the address book it fills."},
    "source": schema("SyncSource"),
    "schedule": {"oneOf": [schema("Schedule"), {"type": "null"}]},
    "schedule_text": nullable(
        "string",
        description='The schedule in words: "daily at '
        '09:00 (Europe/Tallinn)"; null: not scheduled.',
    ),
    "notify": {"type": "array", "items": STRING},
    "next_run": nullable(
        "string", format="date-time", description="The next scheduled import (UTC); null: none."
    ),
    "status": {
        "enum": list(STATUSES),
        "description": "The latest run's status, running "
        "while a run lasts, never before the first.",
    },
    "status_text": {
        "type": "string",
        "description": 'For people: "ok: 3 added, 1 updated, '
        '0 deleted, 40 unchanged", "no changes", "failed: HTTP 404 for ...", '
        '"refused by the mass-deletion guard: ...", "running".',
    },
    "latest_run": {"oneOf": [schema("SyncRun"), {"type": "null"}]},
    "running_since": nullable("string", format="date-time"),
}
SYNC_FILE: dict[str, Any] = {
    **{
        key: IMPORT_DETAIL[key]
        for key in (
            "filename",
            "encoding",
            "encoding_detected",
            "delimiter",
            "delimiter_detected",
            "header",
            "preview",
            "mapping",
        )
    },
    "uploaded_at": nullable(
        "string", format="date-time", description="When the current file was uploaded or fetched."
    ),
    **{key: IMPORT_SETTINGS[key] for key in ("key_column", "update_existing", "delete_missing")},
}
SYNC_SCHEMAS: dict[str, Any] = {
    "SyncSource": {
        "oneOf": [
            obj(["type"], type={"const": UPLOAD}),
            obj(
                ["type", "url", "username", "has_password", "passive"],
                type={"enum": [HTTP, FTP]},
                url={"type": "string", "description": "Without user and password."},
                username=nullable("string"),
                has_password={
                    "type": "boolean",
                    "description": "Whether a password is stored; it is never shown.",
                },
                passive={"type": "boolean"},
            ),
        ]
    },
    "Schedule": obj(list(SCHEDULE_FIELDS), **SCHEDULE_FIELDS),
    "SyncRun": obj(
        [*RUN_FIELDS, "email"],
        **RUN_FIELDS,
        email={
            "type": "string",
            "description": "The report email: empty when the sync notifies "
            'nobody, "sent to ADDRESSES", or "not sent: WHY" (the run stands).',
        },
    ),
    "SyncRunList": obj(
        ["runs"],
        runs={"type": "array", "items": schema("SyncRun"), "description": "The latest first."},
    ),
    "SyncSummary": obj(list(SYNC_SUMMARY), **SYNC_SUMMARY),
    "Sync": obj([*SYNC_SUMMARY, *SYNC_FILE], **SYNC_SUMMARY, **SYNC_FILE),
    "SyncList": obj(["syncs"], syncs={"type": "array", "items": schema("SyncSummary")}),
}

ACCOUNT_TYPES = ["imap", "exchange"]
# An account shows what a sync shows about its runs, and its connection instead of a file.
ACCOUNT_SUMMARY: dict[str, Any] = {
    "id": {"type": "integer"},
    "type": {"enum": ACCOUNT_TYPES},
    "name": STRING,
    "book": {"type": "string", "description": "The id of its address book."},
    "account": {
        "type": "object",
        "description": "The connection settings (server, port, "
        "user, has_password, auth, client_id, has_client_secret, ...); never the "
        "password or client secret.",
    },
    **{
        key: value
        for key, value in SYNC_SUMMARY.items()
        if key not in ("id", "name", "book", "source")
    },
}
ACCOUNT_SCHEMAS: dict[str, Any] = {
    "Account": obj(list(ACCOUNT_SUMMARY), **ACCOUNT_SUMMARY),
    "AccountList": obj(["accounts"], accounts={"type": "array", "items": schema("Account")}),
    "AccountTest": {
        "type": "object",
        "required": ["ok"],
        "properties": {"ok": {"const": True}},
        "description": "What the server showed: IMAP folders and "
        "the Sent folder, or the number of Exchange contacts.",
    },
    "PresetList": obj(
        ["presets"],
        presets={
            "type": "array",
            "items": obj(
                ["id", "label", "host", "port", "ssl", "note"],
                id=STRING,
                label=STRING,
                host=STRING,
                port={"type": "integer"},
                ssl={"type": "boolean"},
                note=STRING,
            ),
        },
    ),
}

HISTORY_TIME = {"type": "string", "format": "date-time", "description": "UTC, to the millisecond."}
PLANNED_LISTS = {
    "brought_back": "Deleted contacts that come back (under their UID and href).",
    "reverted": "Contacts put back as they were (shown as they will be).",
    "removed": "Contacts that go (added after the time, or by the run).",
    "skipped": "Contacts left as they are, each with its reason.",
    "changed_later": "An undo: the run's contacts that changed again after it (skipped "
    "unless include_later_changes).",
}
HISTORY_SCHEMAS: dict[str, Any] = {
    "DeletedBook": obj(
        ["id", "display_name", "book", "deleted_at", "deleted_by", "contacts", "purge_at"],
        id={
            "type": "integer",
            "description": "What POST /api/v1/deleted-books/{deleted_book_id}/restore takes.",
        },
        display_name=STRING,
        book={"type": "string", "description": "The id the book had."},
        deleted_at=HISTORY_TIME,
        deleted_by=schema("Who"),
        contacts={"type": "integer", "description": "The contacts it held when deleted."},
        purge_at={**HISTORY_TIME, "description": "When it is purged for good (UTC)."},
    ),
    "DeletedBooks": obj(
        ["deleted_books"],
        deleted_books={
            "type": "array",
            "items": schema("DeletedBook"),
            "description": "Deleted within the history's retention, newest first.",
        },
    ),
    "RestoredBook": obj(
        ["book", "display_name", "moved", "contacts", "message"],
        book={"type": "string", "description": "The book's id now (its path's last part)."},
        display_name=STRING,
        moved={
            "type": "boolean",
            "description": "true: another book took its old id since, so it came back "
            "beside it (its id ends in -restored).",
        },
        contacts={"type": "integer"},
        message=STRING,
    ),
    "Who": obj(
        ["account", "via", "agent", "run_id"],
        account={"type": "string", "description": "The account that wrote."},
        via={
            "type": "string",
            "description": "Through what: carddav, api, admin, cli, run (a source's run), "
            "restore, undo, unknown.",
        },
        agent={"type": "string", "description": "The CardDAV client's User-Agent; else empty."},
        run_id=nullable("integer", description="The run the write belongs to, if any."),
    ),
    "TrashEntry": obj(
        ["book", "id", "uid", "name", "deleted_at", "deleted_by"],
        book={"type": "string", "description": "The id of its address book."},
        id={"type": "string", "description": "The href it had (its id under /contacts)."},
        uid=STRING,
        name=STRING,
        deleted_at=HISTORY_TIME,
        deleted_by=schema("Who"),
    ),
    "Trash": obj(
        ["trash", "total", "limit", "offset"],
        trash={
            "type": "array",
            "items": schema("TrashEntry"),
            "description": "A page of the contacts deleted within the history's retention "
            "and not back, newest deletion first.",
        },
        total={
            "type": "integer",
            "minimum": 0,
            "description": "How many contacts the trash holds.",
        },
        limit={"type": "integer", "minimum": 1},
        offset={"type": "integer", "minimum": 0},
    ),
    "ContactVersion": obj(
        ["version", "exists", "current", "at", "by", "action", "changed"],
        version=nullable(
            "integer",
            description="What POST .../history/{version}/restore takes; null for the current card.",
        ),
        exists={"type": "boolean", "description": "false: the contact was deleted then."},
        current={"type": "boolean"},
        at={
            **nullable("string", format="date-time"),
            "description": "When the write that "
            "made this state happened; null for the oldest card kept.",
        },
        by={"oneOf": [schema("Who"), {"type": "null"}]},
        action={"type": "string", "description": "add, update, delete; empty for the oldest."},
        changed={
            "type": "array",
            "items": STRING,
            "description": "The vCard properties the write changed (FN, EMAIL, ...).",
        },
    ),
    "ContactHistory": obj(
        ["book", "uid", "name", "versions"],
        book=STRING,
        uid=STRING,
        name=STRING,
        versions={
            "type": "array",
            "items": schema("ContactVersion"),
            "description": "Newest first: the current card (if the contact exists) first.",
        },
    ),
    "PlannedContact": obj(
        ["book", "id", "uid", "name", "reason"],
        book={"type": "string", "description": "The id of its address book."},
        id={"type": "string", "description": "Its href (its id under /contacts)."},
        uid=STRING,
        name=STRING,
        reason={"type": "string", "description": "Why it is left as it is; else empty."},
    ),
    "RestorePreview": obj(
        [*PLANNED_LISTS, "counts", "basis"],
        **{
            name: {"type": "array", "items": schema("PlannedContact"), "description": text}
            for name, text in PLANNED_LISTS.items()
        },
        counts=obj(
            ["added", "updated", "deleted", "skipped"],
            **{
                name: {"type": "integer", "minimum": 0}
                for name in ("added", "updated", "deleted", "skipped")
            },
        ),
        basis={
            "type": "string",
            "description": "Send it with the apply: it is refused (409) if a contact it "
            "would touch changed since this preview.",
        },
    ),
    "RestoreResult": obj(
        ["run_id", "kind", "status", "message", "done"],
        run_id={
            "type": "integer",
            "description": "The run it was recorded as: undo it with POST "
            "/api/v1/runs/{run_id}/undo.",
        },
        kind={"enum": ["restore", "undo"]},
        status={"enum": ["ok", "no_changes"]},
        message=STRING,
        done=schema("RestorePreview"),
    ),
}

MERGE_REF = obj(["book", "href"], book=STRING, href=STRING)
MERGE_MEMBER = obj(["book", "href", "uid", "fn"], book=STRING, href=STRING, uid=STRING, fn=STRING)
MERGE_FIELDS: dict[str, Any] = {
    "id": {"type": "integer"},
    "run_id": {"type": "integer", "description": "The merge's run (kind merge)."},
    "automatic": {"type": "boolean", "description": "Made by automatic merging."},
    "state": {"enum": ["merged", "undone"]},
    "created_at": {"type": "string", "format": "date-time"},
    "undone_at": nullable("string", format="date-time"),
    "merged": obj(
        ["book", "href", "uid", "fn"],
        book=nullable("string", description="The merged contact's book (null: deleted)."),
        href=STRING,
        uid=STRING,
        fn=STRING,
    ),
    "members": {
        "type": "array",
        "items": MERGE_MEMBER,
        "description": "The contacts merged, as they were.",
    },
}
MERGE_SCHEMAS: dict[str, Any] = {
    "Merge": obj(list(MERGE_FIELDS), **MERGE_FIELDS),
    "MergeList": obj(["merges"], merges={"type": "array", "items": schema("Merge")}),
    "MergeUndone": obj(
        [*MERGE_FIELDS, "changed_later"],
        **MERGE_FIELDS,
        changed_later={
            "type": "array",
            "items": obj(["book", "href", "fn"], book=STRING, href=STRING, fn=STRING),
            "description": "Contacts written again after the merge: left as they are.",
        },
    ),
    "MergePreview": obj(
        ["contacts", "fields", "into", "keeps"],
        contacts={
            "type": "array",
            "description": "The contacts, most recently edited first (a person's edit "
            "before a run's); a value's contacts are positions in this list.",
            "items": obj(
                ["book", "book_name", "href", "uid", "fn", "edited_at", "edited_by_person"],
                book=STRING,
                book_name=STRING,
                href=STRING,
                uid=STRING,
                fn=STRING,
                edited_at={"type": "string", "format": "date-time"},
                edited_by_person={"type": "boolean"},
            ),
        },
        fields={
            "type": "array",
            "items": obj(
                ["key", "label", "kind", "values", "chosen"],
                key=STRING,
                label=STRING,
                kind={"enum": ["union", "single"]},
                values={
                    "type": "array",
                    "items": obj(
                        ["id", "text", "contacts"],
                        id=STRING,
                        text=STRING,
                        contacts={"type": "array", "items": {"type": "integer"}},
                    ),
                },
                chosen={"type": "array", "items": STRING, "description": "The default."},
            ),
        },
        into={"type": "string", "description": "The book the merged contact lives in by default."},
        keeps=MERGE_REF | {"type": ["object", "null"]},
    ),
}


DUPLICATE_REF = obj(
    ["book", "href"],
    book={"type": "string", "description": "The book's id."},
    href={"type": "string", "description": "The contact's id in the book (its href)."},
)
DUPLICATE_SCHEMAS: dict[str, Any] = {
    "DuplicateContact": obj(
        ["book", "href", "uid", "fn", "book_name"],
        book={"type": "string", "description": "The book's id."},
        href={"type": "string", "description": "The contact's id in the book (its href)."},
        uid={"type": "string"},
        fn={"type": "string", "description": "The contact's name as its card gives it."},
        book_name={"type": "string", "description": "The book's display name."},
    ),
    "DuplicateReason": obj(
        ["kind", "value", "contacts"],
        kind={
            "enum": ["email", "phone", "name", "similar_name"],
            "description": "What matched: an email (case-folded, the domain in its ASCII "
            "form), a phone (E.164), a normalised name, or two similar names.",
        },
        value={"type": "string", "description": 'The value: "+37255551234", "a ~ b".'},
        contacts={"type": "array", "items": DUPLICATE_REF, "description": "Who holds it."},
    ),
    "DuplicateGroup": obj(
        ["id", "lane", "reasons", "contacts"],
        id={
            "type": "string",
            "description": "Stable while the group's contacts are the same; a group "
            "whose contacts changed has a new id.",
        },
        lane={
            "enum": ["safe", "contact", "name"],
            "description": "safe: a shared email or phone and names that agree; contact: a "
            "shared email or phone, different names (or a value several people share); "
            "name: the same or a similar name only (when match_similar_names is on).",
        },
        reasons={"type": "array", "items": schema("DuplicateReason")},
        contacts={"type": "array", "items": schema("DuplicateContact")},
    ),
    "DuplicateGroupList": obj(
        ["groups"],
        groups={
            "type": "array",
            "items": schema("DuplicateGroup"),
            "description": "Safest lane first, then by the first contact's name: all the "
            "groups, or the page `limit` and `offset` ask for.",
        },
        total={
            "type": "integer",
            "minimum": 0,
            "description": "How many groups there are (of the lane asked for); with "
            "`total`, `limit` and `offset` only when the request gave `limit` or `offset`.",
        },
        limit=nullable("integer", minimum=1, description="null: all the groups."),
        offset={"type": "integer", "minimum": 0},
    ),
    "DuplicateSettingsShown": obj(
        ["phone_region", "match_similar_names", "auto_merge"],
        phone_region=nullable(
            "string",
            description="ISO 3166 code of the region of numbers written without a country "
            "code; null: such numbers match nothing.",
        ),
        match_similar_names={"type": "boolean"},
        auto_merge={"type": "boolean"},
    ),
}

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        ["error"],
        error=obj(
            ["code", "message"],
            code={
                "type": "string",
                "description": "Stable, for programs: not_found, "
                "uid_conflict, precondition_failed, push_refused, ...",
            },
            message={"type": "string", "description": "A sentence a person understands."},
            field={"type": "string", "description": "The parameter or body field at fault."},
            line={"type": "integer", "description": "Line of the body at fault."},
            column={"type": "integer", "description": "Column of the body at fault."},
        ),
    ),
    "Source": obj(
        ["kind", "name", "names"],
        kind={
            "type": "string",
            "description": '"carddav" for a book that CardDAV '
            'clients and the API fill; else the kind of its source ("device", '
            '"csv", ...)',
        },
        name=nullable(
            "string",
            description="The name of the source that made the book (null for carddav).",
        ),
        names={
            "type": "array",
            "items": STRING,
            "description": "Every source of this kind that fills the book, the first one "
            'first: the phones that push into "From iOS" (empty for carddav).',
        },
    ),
    "Book": obj(
        ["id", "display_name", "contacts", "default", "source"],
        id={
            "type": "string",
            "description": "The book's name in its CardDAV path (/USER/ID/) and in this API.",
        },
        display_name=STRING,
        contacts={"type": "integer", "minimum": 0},
        default={
            "type": "boolean",
            "description": 'The book every user has ("Contacts"); it cannot be deleted.',
        },
        source=schema("Source"),
    ),
    "BookList": obj(["books"], books={"type": "array", "items": schema("Book")}),
    "Group": obj(
        ["name", "members", "href"],
        name={"type": "string", "description": "The group's name (its group card's FN)."},
        members={
            "type": "integer",
            "minimum": 0,
            "description": "How many contacts its group card lists.",
        },
        href={"type": "string", "description": "The group card's name in the book (CardDAV)."},
    ),
    "GroupList": obj(["groups"], groups={"type": "array", "items": schema("Group")}),
    "BookSettingsShown": obj(
        ["group_form"],
        group_form={
            "type": "string",
            "enum": ["both", "categories"],
            "description": "The form a new group takes when a client writes neither form.",
        },
    ),
    "ContactSummary": obj(CONTACT_REQUIRED, **CONTACT_FIELDS),
    "Contact": obj(
        [*CONTACT_REQUIRED, "vcard"],
        **CONTACT_FIELDS,
        vcard={"type": "string", "description": "The card exactly as stored."},
    ),
    "ContactPage": obj(
        ["contacts", "total", "limit", "offset"],
        contacts={"type": "array", "items": schema("ContactSummary")},
        total={"type": "integer", "minimum": 0},
        limit={"type": "integer", "minimum": 1},
        offset={"type": "integer", "minimum": 0},
    ),
    "Suggestion": obj(
        ["name", "email", "uid", "book"], name=STRING, email=STRING, uid=STRING, book=STRING
    ),
    "Suggestions": obj(
        ["suggestions"], suggestions={"type": "array", "items": schema("Suggestion")}
    ),
    "Counts": {
        "type": "object",
        "additionalProperties": {"type": "integer", "minimum": 0},
        "description": "added, updated, deleted, unchanged, skipped, errors",
    },
    "Problem": {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": STRING,
            "line": {"type": "integer"},
            "column": STRING,
            "key": STRING,
        },
    },
    "Run": obj(list(RUN_FIELDS), **RUN_FIELDS),
    "Device": obj(
        ["name", "book", "auto_export", "pending_push", "last_run"],
        name=STRING,
        book=STRING,
        auto_export={"type": "boolean"},
        pending_push=nullable(
            "string",
            format="date-time",
            description="When the push waiting for a decision arrived; null if none.",
        ),
        last_run={"oneOf": [schema("Run"), {"type": "null"}]},
    ),
    "DeviceList": obj(["devices"], devices={"type": "array", "items": schema("Device")}),
    "PushPreview": obj(
        ["device", "new", "counts", "stays_deleted", "problems"],
        device=STRING,
        new={
            "type": "array",
            "description": "Only the contacts that would be added.",
            "items": obj(["uid", "name"], uid=STRING, name=STRING),
        },
        counts=schema("Counts"),
        stays_deleted={
            "type": "integer",
            "minimum": 0,
            "description": "Contacts of the push that were deleted here: never added again "
            "(counted among the skipped).",
        },
        problems={"type": "array", "items": schema("Problem")},
    ),
    "PushResult": obj(["device", "run"], device=STRING, run=schema("Run")),
    "VcfImport": obj(
        ["book", "book_created", "run"],
        book=schema("Book"),
        book_created={"type": "boolean", "description": "The import made the book."},
        run=schema("Run"),
    ),
    **APP_PASSWORD_SCHEMAS,
    **ALERT_SCHEMAS,
    **DUPLICATE_SCHEMAS,
    "RunList": obj(
        ["runs"], runs={"type": "array", "items": schema("Run"), "description": "The latest first."}
    ),
    **IMPORT_SCHEMAS,
    **SYNC_SCHEMAS,
    **ACCOUNT_SCHEMAS,
    **HISTORY_SCHEMAS,
    **MERGE_SCHEMAS,
    **REQUEST_SCHEMAS,
    "OpenAPI": {"type": "object", "required": ["openapi", "info", "paths"]},
}

PARAMETERS: dict[str, Any] = {
    "user": {
        "name": "user",
        "in": "query",
        "required": False,
        "schema": STRING,
        "description": "Administrators: act for this user. Others may give only their own name.",
    },
    "book_id": {"name": "book_id", "in": "path", "required": True, "schema": STRING},
    "contact_id": {"name": "contact_id", "in": "path", "required": True, "schema": STRING},
    "device": {
        "name": "device",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "maxLength": 255},
    },
    "app_password": {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "maxLength": 100},
        "description": "The app password's name (its device).",
    },
    "q": {
        "name": "q",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "maxLength": 200},
        "description": "Words that must each appear in the name, an email address, a "
        "phone number or the organisation (case-insensitive).",
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
    "offset": {
        "name": "offset",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "default": 0},
    },
    "if_match_required": {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "schema": STRING,
        "description": "The ETag read, or * to "
        "overwrite; without it the update is refused with 428.",
    },
    "if_match": {"name": "If-Match", "in": "header", "required": False, "schema": STRING},
    "import_id": {
        "name": "import_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "merge_id": {
        "name": "merge_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "run_id": {
        "name": "run_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "deleted_book_id": {
        "name": "deleted_book_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "alert_id": {
        "name": "alert_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "sync_id": {
        "name": "sync_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
        "description": "The same id as the import's.",
    },
    "account_id": {
        "name": "account_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "version": {
        "name": "version",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
        "description": "A version of the contact's history (its version).",
    },
    "include_later_changes": {
        "name": "include_later_changes",
        "in": "query",
        "required": False,
        "schema": {"type": "boolean", "default": False},
        "description": "true: also undo the run's changes to contacts that changed again "
        "after it (1 and 0 are taken too).",
    },
    "runs_limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
}

CONTACT_HEADERS = {"ETag": ETAG_HEADER}

MULTIPART = "multipart/form-data"
CSV_PART = {
    "type": "string",
    "contentMediaType": "text/csv",
    "description": "The CSV file (UTF-8 with or without BOM, UTF-16 with BOM, cp1252, "
    "...; comma, semicolon, tab, pipe or another delimiter).",
}
UPLOAD_REQUEST: dict[str, Any] = {
    "required": True,
    "content": {
        MULTIPART: {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": CSV_PART,
                    "delimiter": {
                        "type": "string",
                        "description": "comma, semicolon, tab, pipe or any "
                        "single character; detected if left out.",
                    },
                    "encoding": {"type": "string", "description": "Detected if left out."},
                    "name": {
                        "type": "string",
                        "maxLength": 255,
                        "description": "The import's name "
                        "(made unique); the file's name without extension if left out.",
                    },
                    "book": {
                        "type": "string",
                        "description": "The id of an address book of the user; "
                        'if left out, a new book "From CSV (name)".',
                    },
                },
            }
        }
    },
}
FILE_REQUEST = {
    "required": True,
    "content": {
        MULTIPART: {
            "schema": {"type": "object", "required": ["file"], "properties": {"file": CSV_PART}}
        }
    },
}
VCF_REQUEST: dict[str, Any] = {
    "required": True,
    "content": {
        MULTIPART: {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "contentMediaType": "text/vcard",
                        "description": "The .vcf file: one card or many, vCard 2.1, 3.0 or "
                        "4.0 (UTF-8, UTF-16 with BOM or cp1252).",
                    },
                    "book": {
                        "type": "string",
                        "description": "The id of an address book of the user to import into.",
                    },
                    "new_book": {
                        "type": "string",
                        "maxLength": 255,
                        "description": "The name of a new address book to import into; "
                        'without book or new_book, a new book "FILE (vCard)".',
                    },
                },
            }
        }
    },
}
RUN_REQUEST = json_request(bodies.RunOptions, required=False)
RUN_OUTCOMES = (
    "ok: changes applied; no_changes: nothing to do; refused: the mass-deletion "
    "guard refused it and nothing changed (run it again with "
    "override_mass_deletion); failed: nothing changed, the message says why. "
    "Every outcome is recorded and answered with 200: check status."
)
WITH_FILE = ("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid")

ALERT = ref("parameters", "alert_id")
MASS_DELETION = (
    "An alert is raised when one CardDAV client (an account with one User-Agent) deletes "
    "more than a share of an address book within a short window ([history] "
    "mass_delete_share, mass_delete_min, mass_delete_window): once per episode. The "
    "deletions were made as the client asked."
)
ALERT_PATHS: dict[str, Any] = {
    "/api/v1/alerts": {
        "get": operation(
            "List the alerts about clients that deleted much of a book",
            {"200": body("AlertList", "The alerts.")} | errors("BadRequest"),
            parameters=[
                {
                    "name": "state",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["open", "restored", "dismissed"]},
                    "description": "Only the alerts in this state.",
                }
            ],
            tag="alerts",
            description=MASS_DELETION,
        ),
    },
    "/api/v1/alerts/{alert_id}": {
        "get": operation(
            "Get an alert",
            {"200": body("Alert", "The alert.")} | errors(),
            parameters=[ALERT],
            tag="alerts",
        ),
    },
    "/api/v1/alerts/{alert_id}/restore": {
        "post": operation(
            "Restore the contacts the client deleted",
            {"200": body("Alert", "Restored: the alert, with the run that did it.")}
            | errors("Conflict"),
            parameters=[ALERT],
            tag="alerts",
            description="Brings back exactly the contacts the client deleted in the episode "
            "that are still in the book's trash, each under its UID and href, as a restore "
            "run (undoable); a contact made again since stays as it is. Every client sees them "
            "as new at its next sync. 409 when the alert was restored already.",
        ),
    },
    "/api/v1/alerts/{alert_id}/dismiss": {
        "post": operation(
            "Dismiss an alert (the deletions were meant)",
            {"200": body("Alert", "Dismissed.")} | errors("Conflict"),
            parameters=[ALERT],
            tag="alerts",
            description="The contacts stay in the trash until the history's retention ends; "
            "a dismissed alert can still be restored. 409 when it was restored already.",
        ),
    },
}

IMPORT_PATHS: dict[str, Any] = {
    "/api/v1/fields": {
        "get": operation(
            "The contact fields a CSV column can be mapped to",
            {
                "200": body(
                    "FieldCatalogue",
                    "The fields, the custom-field prefix and the named delimiters.",
                )
            }
            | errors(),
            tag="imports",
        ),
    },
    "/api/v1/imports": {
        "get": operation(
            "List the CSV imports",
            {"200": body("ImportList", "The imports.")} | errors(),
            tag="imports",
        ),
        "post": operation(
            "Upload a CSV file as a new import",
            {
                "201": body(
                    "Import",
                    "The import: detected delimiter and encoding, the header, "
                    "the first rows and the suggested mapping. Nothing is imported "
                    "until it runs.",
                    {"Location": LOCATION_HEADER},
                )
            }
            | errors(*WITH_FILE),
            request=UPLOAD_REQUEST,
            tag="imports",
            description="422 when the file is not a CSV file (binary data, empty) or a "
            "setting is wrong; 413 above the server's max_content_length.",
        ),
    },
    "/api/v1/imports/vcf": {
        "post": operation(
            "Import a .vcf file into a book",
            {"200": body("VcfImport", "The book and the run's report.")} | errors(*WITH_FILE),
            request=VCF_REQUEST,
            tag="imports",
            description="The cards go through the reconciler as a run of the book's .vcf "
            "source: a card with a UID is matched by it, one without by its name, first "
            "email and first phone, so importing the same file again updates the contacts "
            "it brought instead of adding them twice. Existing contacts are updated; "
            "contacts missing from the file are never deleted. A card without FN gets one "
            "from N, ORG, email or phone. A card that cannot be read is one of the run's "
            "problems (its number and the line it starts on) and the others come in. 422 "
            "when the file holds no vCard at all (nothing is made), or the book does not "
            "exist. " + RUN_OUTCOMES,
        ),
    },
    "/api/v1/imports/{import_id}": {
        "get": operation(
            "Get an import with its preview",
            {"200": body("Import", "The import.")} | errors("Conflict"),
            parameters=[IMPORT],
            tag="imports",
        ),
        "patch": operation(
            "Change an import's settings and mapping",
            {"200": body("Import", "The import as the new settings read the file.")}
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid", "Conflict"),
            parameters=[IMPORT],
            request=json_request(bodies.ImportSettings),
            tag="imports",
            description="Only the settings given change. 422 names the setting at fault "
            "(field) and the mapping entry. When a new delimiter or encoding "
            "changes the header and no mapping is given, the mapping becomes the "
            "suggestion for the new header, and a key column that is gone "
            "becomes generated keys.",
        ),
        "delete": operation(
            "Delete an import",
            {"204": NO_CONTENT} | errors("Conflict"),
            parameters=[IMPORT],
            tag="imports",
            description="The import and its runs go; its contacts and address book stay. "
            "409 while it runs, as for DELETE /api/v1/syncs/{sync_id}.",
        ),
    },
    "/api/v1/imports/{import_id}/file": {
        "put": operation(
            "Upload a new version of the import's file",
            {"200": body("Import", "The import with the new file (the next run imports it).")}
            | errors(*WITH_FILE, "Conflict"),
            parameters=[IMPORT],
            request=FILE_REQUEST,
            tag="imports",
            description="The mapping and key column stay if the new file has their "
            "columns; if not, the mapping becomes the suggestion for the new "
            "header and the key column generated keys.",
        ),
    },
    "/api/v1/imports/{import_id}/dry-run": {
        "post": operation(
            "Preview what a run would change",
            {"200": body("ChangePreview", "The change set; nothing is changed.")}
            | errors("BadRequest", "UnsupportedMediaType", "Invalid"),
            parameters=[IMPORT],
            request=RUN_REQUEST,
            tag="imports",
        ),
    },
    "/api/v1/imports/{import_id}/run": {
        "post": operation(
            "Run the import",
            {"200": body("Run", "The run report. " + RUN_OUTCOMES)}
            | errors("BadRequest", "UnsupportedMediaType", "Invalid", "Conflict"),
            parameters=[IMPORT],
            request=RUN_REQUEST,
            tag="imports",
            description="All the changes are applied in one transaction, or none. A sync of "
            "a remote file fetches it first. The sync's notification addresses "
            "get the report email. 409 sync_running while it runs.",
        ),
    },
    "/api/v1/imports/{import_id}/runs": {
        "get": operation(
            "List an import's runs",
            {"200": body("RunList", "The latest first.")} | errors("BadRequest"),
            parameters=[IMPORT, ref("parameters", "runs_limit")],
            tag="imports",
        ),
    },
    "/api/v1/imports/{import_id}/runs/{run_id}": {
        "get": operation(
            "Get a run report",
            {"200": body("Run", "The run.")} | errors(),
            parameters=[IMPORT, RUN],
            tag="imports",
        ),
    },
}

SYNC_CREATE_REQUEST = {
    "required": True,
    "content": {
        **json_request(bodies.SyncInput)["content"],
        MULTIPART: UPLOAD_REQUEST["content"][MULTIPART],
    },
    "description": "JSON for a remote file (HTTP, HTTPS, FTP, FTPS); the file itself, as "
    "for POST /api/v1/imports, for an uploaded one.",
}
SYNC_PATHS: dict[str, Any] = {
    "/api/v1/syncs": {
        "get": operation(
            "List the syncs",
            {"200": body("SyncList", "Each sync with its latest import, next import and status.")}
            | errors(),
            tag="syncs",
            description="Every CSV import is a sync: uploads made with POST "
            "/api/v1/imports are listed too.",
        ),
        "post": operation(
            "Make a sync",
            {
                "201": body(
                    "Sync",
                    "The sync with the file's preview and suggested mapping. "
                    "Nothing is imported until it runs.",
                    {"Location": LOCATION_HEADER},
                )
            }
            | errors(*WITH_FILE),
            request=SYNC_CREATE_REQUEST,
            tag="syncs",
            description="A remote file is fetched once now, for its preview: 422 on the "
            'field source when it cannot be ("HTTP 404 for ...", an address '
            "the server may not fetch from, a file that is not CSV). Every "
            "other setting is checked before: 422 names the field "
            "(schedule.start, notify, ...). A schedule is for remote files "
            "only, and must have a run after now.",
        ),
    },
    "/api/v1/syncs/{sync_id}": {
        "get": operation(
            "Get a sync with its file's preview",
            {"200": body("Sync", "The sync.")} | errors("Conflict"),
            parameters=[SYNC],
            tag="syncs",
            description="409 when the stored file cannot be read with the settings.",
        ),
        "patch": operation(
            "Change a sync",
            {"200": body("Sync", "The sync as changed.")} | errors(*WITH_FILE, "Conflict"),
            parameters=[SYNC],
            request=json_request(bodies.SyncSettings),
            tag="syncs",
            description="Only what is given changes; the file's settings as in PATCH "
            "/api/v1/imports/{import_id}. A new source URL is fetched at once "
            "(422 on source when it cannot be), and the file's settings are "
            "then checked against the new file: a mapping or key column it "
            "cannot use becomes the suggestion and generated keys. The kind of "
            "source (upload or remote) cannot change. A new schedule sets the "
            "next import.",
        ),
        "delete": operation(
            "Delete a sync",
            {"204": NO_CONTENT} | errors("Conflict"),
            parameters=[SYNC],
            tag="syncs",
            description="The sync stops and goes with its runs; its "
            "contacts and address book stay. 409 while it "
            "runs.",
        ),
    },
    "/api/v1/syncs/{sync_id}/run": {
        "post": operation(
            "Import now",
            {
                "200": body(
                    "SyncRun", "The run report, with what became of its email. " + RUN_OUTCOMES
                )
            }
            | errors("BadRequest", "Conflict", "UnsupportedMediaType", "Invalid"),
            parameters=[SYNC],
            request=RUN_REQUEST,
            tag="syncs",
            description="Fetches the remote file and imports it, unless it is the same as "
            "at the last import (no_changes). 409 for an uploaded file (run it "
            "with POST /api/v1/imports/{import_id}/run) and while the sync is "
            "running.",
        ),
    },
    "/api/v1/syncs/{sync_id}/runs": {
        "get": operation(
            "List a sync's runs",
            {"200": body("SyncRunList", "The latest first.")} | errors("BadRequest"),
            parameters=[SYNC, ref("parameters", "runs_limit")],
            tag="syncs",
        ),
    },
}

ACCOUNT_PATHS: dict[str, Any] = {
    "/api/v1/accounts/presets": {
        "get": operation(
            "IMAP presets of common providers",
            {"200": body("PresetList", "Server, port and TLS of each, and what to know.")}
            | errors(),
            tag="accounts",
        ),
    },
    "/api/v1/accounts/test": {
        "post": operation(
            "Test a connection",
            {"200": body("AccountTest", "It works.")}
            | errors("BadRequest", "UnsupportedMediaType", "Invalid"),
            request=json_request(bodies.AccountInput),
            tag="accounts",
            description="Nothing is saved. 422 says what to do: a wrong "
            "password, a host not found, a closed port, TLS, a "
            "POP3 server, autodiscover (try the advanced "
            "settings).",
        ),
    },
    "/api/v1/accounts": {
        "get": operation(
            "List the mail accounts",
            {"200": body("AccountList", "Each with its status and last run.")} | errors(),
            tag="accounts",
        ),
        "post": operation(
            "Connect a mail account",
            {
                "201": body(
                    "Account",
                    "The account; its contacts come with the first run.",
                    {"Location": LOCATION_HEADER},
                )
            }
            | errors("BadRequest", "UnsupportedMediaType", "Invalid"),
            request=json_request(bodies.AccountInput),
            tag="accounts",
            description="The connection is tested first; nothing is saved when it fails "
            "(422 on account, with what to do).",
        ),
    },
    "/api/v1/accounts/{account_id}": {
        "get": operation(
            "Get a mail account",
            {"200": body("Account", "The account.")} | errors(),
            parameters=[ACCOUNT],
            tag="accounts",
        ),
        "patch": operation(
            "Change a mail account",
            {"200": body("Account", "The account as changed.")}
            | errors("BadRequest", "UnsupportedMediaType", "Invalid"),
            parameters=[ACCOUNT],
            request=json_request(bodies.AccountSettings),
            tag="accounts",
            description="A new server or login is tested before it is saved.",
        ),
        "delete": operation(
            "Disconnect a mail account",
            {"204": NO_CONTENT} | errors("Conflict"),
            parameters=[ACCOUNT],
            tag="accounts",
            description="Syncing stops and the account goes; its contacts "
            "and address book stay. 409 while it runs.",
        ),
    },
    "/api/v1/accounts/{account_id}/run": {
        "post": operation(
            "Sync now",
            {
                "200": body(
                    "SyncRun",
                    "The run report: contacts added and updated, and for IMAP messages_scanned.",
                )
            }
            | errors("BadRequest", "Conflict", "UnsupportedMediaType", "Invalid"),
            parameters=[ACCOUNT],
            request=RUN_REQUEST,
            tag="accounts",
            description="409 while the account is syncing.",
        ),
    },
    "/api/v1/accounts/{account_id}/runs": {
        "get": operation(
            "List an account's runs",
            {"200": body("SyncRunList", "The latest first.")} | errors("BadRequest"),
            parameters=[ACCOUNT, ref("parameters", "runs_limit")],
            tag="accounts",
        ),
    },
}

OWN_PASSWORD = (
    "403 also when the request signed in with an app password: app passwords and the "
    "sign-in settings are managed with the account's own password."
)
APP_PASSWORD_NAME = ref("parameters", "app_password")
APP_PASSWORD_PATHS: dict[str, Any] = {
    "/api/v1/app-passwords": {
        "get": operation(
            "List the app passwords (a password per device)",
            {"200": body("AppPasswordList", "Their names and uses; never their secrets.")}
            | errors(),
            tag="app passwords",
            description=OWN_PASSWORD,
        ),
        "post": operation(
            "Create an app password for a device",
            {
                "201": body(
                    "NewAppPassword",
                    "Created; its secret is in this answer and never shown again.",
                    {"Location": LOCATION_HEADER},
                )
            }
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid"),
            request=json_request(bodies.AppPasswordInput),
            tag="app passwords",
            description="An app password signs in to CardDAV and to this API (with the "
            "account's user name), not to the admin page. 422 when the name is taken, "
            "or names the field at fault. " + OWN_PASSWORD,
        ),
    },
    "/api/v1/app-passwords/{name}": {
        "get": operation(
            "Get an app password",
            {"200": body("AppPassword", "Its name and uses; never its secret.")} | errors(),
            parameters=[APP_PASSWORD_NAME],
            tag="app passwords",
            description=OWN_PASSWORD,
        ),
        "patch": operation(
            "Change how CardDAV shows the device the books",
            {"200": body("AppPassword", "The app password as changed.")}
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid"),
            parameters=[APP_PASSWORD_NAME],
            request=json_request(bodies.AppPasswordSettings),
            tag="app passwords",
            description="From the device's next request on; only what is given changes. "
            "422 names the field at fault. " + OWN_PASSWORD,
        ),
        "delete": operation(
            "Revoke an app password",
            {"204": NO_CONTENT} | errors(),
            parameters=[APP_PASSWORD_NAME],
            tag="app passwords",
            description="A device signing in with it is refused from its next request on. "
            + OWN_PASSWORD,
        ),
    },
    "/api/v1/sign-in-settings": {
        "get": operation(
            "Get the sign-in settings",
            {"200": body("SignInSettings", "The settings.")} | errors(),
            tag="app passwords",
            description=OWN_PASSWORD,
        ),
        "put": operation(
            "Refuse (or accept) the account's own password for CardDAV",
            {"200": body("SignInSettings", "The settings, as they now are.")}
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid"),
            request=json_request(bodies.SignInSettings),
            tag="app passwords",
            description="From the next request on. " + OWN_PASSWORD,
        ),
    },
}

RESTORE_PREVIEWS = ("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid")
RESTORE_WRITES = (*RESTORE_PREVIEWS, "Conflict")
AS_A_RUN = (
    "Applied as new changes (every CardDAV client sees them at its next sync), recorded "
    "as a run that can be undone in turn (POST /api/v1/runs/{run_id}/undo)."
)
WITH_BASIS = (
    " With the preview's basis, refused with 409 changed_since_preview (nothing changed) "
    "if a contact it would touch changed since the preview."
)
RESTORE_TIME = (
    "400 (field to) when the time is not ISO 8601; 422 (field to) when it is in the "
    "future or older than the history's retention."
)
HISTORY_CONTACT = (
    "contact_id is the contact's id (its href); for a deleted contact, the href it had or its UID."
)
HISTORY_PATHS: dict[str, Any] = {
    "/api/v1/deleted-books": {
        "get": operation(
            "List the deleted address books",
            {"200": body("DeletedBooks", "The deleted books, newest first.")} | errors(),
            tag="history",
            description="An address book deleted by a CardDAV client, the API or the admin "
            "page is kept with its contacts and history until the history's retention "
            "ends (30 days by default), then purged.",
        ),
    },
    "/api/v1/deleted-books/{deleted_book_id}/restore": {
        "post": operation(
            "Restore a deleted address book",
            {"200": body("RestoredBook", "The book is back.")} | errors(),
            parameters=[ref("parameters", "deleted_book_id")],
            tag="history",
            description="The book comes back with its properties, contacts and history at "
            "the id it had (beside it, when another book took that id since), with the "
            "sources that fed it. CardDAV clients see a new collection: their old sync "
            "tokens are refused and they sync it afresh.",
        ),
    },
    "/api/v1/books/{book_id}/trash": {
        "get": operation(
            "List a book's trash",
            {"200": body("Trash", "A page of the deleted contacts, newest first.")}
            | errors("BadRequest"),
            parameters=[BOOK, ref("parameters", "limit"), ref("parameters", "offset")],
            tag="history",
            description="Contacts deleted within the history's retention (30 days by "
            "default) and not back, with who deleted them, when and through what; paged "
            "like a book's contacts (limit, offset; total says how many there are).",
        ),
    },
    "/api/v1/books/{book_id}/trash/restore": {
        "post": operation(
            "Bring contacts back from the trash",
            {"200": body("RestoreResult", "The run; what came back.")} | errors(*RESTORE_WRITES),
            parameters=[BOOK],
            request=json_request(bodies.TrashRestoreInput),
            tag="history",
            description="Each comes back under its UID and href (a free href if another "
            "contact took it since). 404 (field uids) when a UID is not in the trash. " + AS_A_RUN,
        ),
    },
    "/api/v1/books/{book_id}/contacts/{contact_id}/history": {
        "get": operation(
            "List a contact's versions",
            {"200": body("ContactHistory", "Its versions, newest first.")} | errors(),
            parameters=[BOOK, CONTACT],
            tag="history",
            description="Each state of the contact within the history's retention: when, "
            "who and through what made it, and which properties changed. " + HISTORY_CONTACT,
        ),
    },
    "/api/v1/books/{book_id}/contacts/{contact_id}/history/{version}/restore": {
        "post": operation(
            "Restore a version of a contact",
            {"200": body("RestoreResult", "The run; the contact is that version again.")}
            | errors("Conflict", "Invalid"),
            parameters=[BOOK, CONTACT, ref("parameters", "version")],
            tag="history",
            description="The version's card becomes the contact's current card, as a new "
            "version. 422 (field version) for a version where the contact was deleted. "
            + HISTORY_CONTACT
            + " "
            + AS_A_RUN,
        ),
    },
    "/api/v1/books/{book_id}/restore/preview": {
        "post": operation(
            "Preview restoring a book to a time",
            {"200": body("RestorePreview", "What the restore would do; nothing changes.")}
            | errors(*RESTORE_PREVIEWS),
            parameters=[BOOK],
            request=json_request(bodies.RestorePreviewInput),
            tag="history",
            description="The contacts brought back, reverted and removed, named. " + RESTORE_TIME,
        ),
    },
    "/api/v1/books/{book_id}/restore": {
        "post": operation(
            "Restore a book to a time",
            {"200": body("RestoreResult", "The run; the book is as it was at the time.")}
            | errors(*RESTORE_WRITES),
            parameters=[BOOK],
            request=json_request(bodies.RestoreInput),
            tag="history",
            description=AS_A_RUN + WITH_BASIS + " " + RESTORE_TIME,
        ),
    },
    "/api/v1/restore/preview": {
        "post": operation(
            "Preview restoring all (or some) of the user's books to a time",
            {"200": body("RestorePreview", "What the restore would do; nothing changes.")}
            | errors(*RESTORE_PREVIEWS),
            request=json_request(bodies.AccountRestorePreviewInput),
            tag="history",
            description="books: the ids of the books; left out, all of them. 404 (not "
            "found) when a book is not the user's. " + RESTORE_TIME,
        ),
    },
    "/api/v1/restore": {
        "post": operation(
            "Restore all (or some) of the user's books to a time",
            {"200": body("RestoreResult", "The run; the books are as they were at the time.")}
            | errors(*RESTORE_WRITES),
            request=json_request(bodies.AccountRestoreInput),
            tag="history",
            description="One run for all the books. " + AS_A_RUN + WITH_BASIS + " " + RESTORE_TIME,
        ),
    },
    "/api/v1/runs/{run_id}/undo/preview": {
        "get": operation(
            "Preview the undo of a run",
            {"200": body("RestorePreview", "What the undo would do; nothing changes.")}
            | errors("BadRequest"),
            parameters=[RUN, ref("parameters", "include_later_changes")],
            tag="history",
            description="Any run of the user's: a CSV import or sync, a mail account's, a "
            "phone push, a restore, an undo. Its adds are removed, its updates and "
            "deletions reverted; changed_later names the contacts changed again after it.",
        ),
    },
    "/api/v1/runs/{run_id}/undo": {
        "post": operation(
            "Undo a run",
            {"200": body("RestoreResult", "The undo's run.")} | errors(*RESTORE_WRITES),
            parameters=[RUN],
            request=json_request(bodies.UndoInput, required=False),
            tag="history",
            description="Contacts changed again after the run are left as they are "
            "unless include_later_changes. A merge's run is 409: undo it as a merge "
            "(POST /api/v1/merges/{merge_id}/undo). " + AS_A_RUN + WITH_BASIS,
        ),
    },
}

MERGE_PATHS: dict[str, Any] = {
    "/api/v1/merges": {
        "get": operation(
            "List the merges",
            {"200": body("MergeList", "The user's merges, newest first.")} | errors(),
            tag="merges",
        ),
        "post": operation(
            "Merge contacts",
            {"201": body("Merge", "Merged.")}
            | errors("BadRequest", "Conflict", "Invalid", "UnsupportedMediaType"),
            request=json_request(bodies.MergeInput),
            tag="merges",
            description="The contacts (of any of the user's books) become one, in one step "
            "that phones see at their next sync: the merged contact is written, the others "
            "deleted, and the sources that fed them re-linked to it, so their next runs "
            "update it (only their own fields) instead of adding a copy. 404 for a contact "
            "or book that is not the user's; 422 (field choices.KEY) for a choice the "
            "contacts do not offer.",
        ),
    },
    "/api/v1/merges/preview": {
        "post": operation(
            "Preview a merge",
            {"200": body("MergePreview", "Every field of every contact, and the defaults.")}
            | errors("BadRequest", "Invalid", "UnsupportedMediaType"),
            request=json_request(bodies.MergePreviewInput),
            tag="merges",
            description="Nothing changes. The defaults: the union of the values of fields "
            "a person has several of; one value of the others, from the contact edited most "
            "recently (a person's edit before a run's).",
        ),
    },
    "/api/v1/merges/{merge_id}/undo": {
        "post": operation(
            "Undo a merge",
            {"200": body("MergeUndone", "The contacts and the sources' links are back.")}
            | errors("Conflict"),
            parameters=[ref("parameters", "merge_id")],
            tag="merges",
            description="409 when it was undone already. Contacts changed again after the "
            "merge are left as they are (changed_later names them).",
        ),
    },
}

GROUP_ID = {
    "name": "group_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 64},
    "description": "The group's id, as listed.",
}
DUPLICATE_PATHS: dict[str, Any] = {
    "/api/v1/duplicates": {
        "get": operation(
            "List the groups of possible duplicates across the user's books",
            {"200": body("DuplicateGroupList", "The groups, lane by lane.")} | errors("Invalid"),
            parameters=[
                {
                    "name": "lane",
                    "in": "query",
                    "required": False,
                    "schema": {"enum": ["safe", "contact", "name"]},
                    "description": "Only the groups of this lane.",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "description": "At most this many groups (none given: all of them).",
                },
                ref("parameters", "offset"),
            ],
            tag="duplicates",
            description="Found from the contacts' emails, phones (in the account's "
            "phone_region) and, when the account opts in, names; each group says why its "
            "contacts matched. Group cards and books in the trash are never candidates; "
            "a dismissed group is not offered again.",
        ),
    },
    "/api/v1/duplicates/{group_id}": {
        "get": operation(
            "Get a group of possible duplicates",
            {"200": body("DuplicateGroup", "The group.")} | errors(),
            parameters=[GROUP_ID],
            tag="duplicates",
            description="404 when no such group is offered now (merged, dismissed, or its "
            "contacts changed: list the groups again).",
        ),
    },
    "/api/v1/duplicates/{group_id}/merge": {
        "post": operation(
            "Merge a group of possible duplicates",
            {"201": body("Merge", "Merged.")}
            | errors("BadRequest", "Conflict", "Invalid", "UnsupportedMediaType"),
            parameters=[GROUP_ID],
            request=json_request(bodies.GroupMergeInput),
            tag="duplicates",
            description="The group's contacts merged as POST /api/v1/merges merges them "
            "(an empty object: the default choices). 404 when no such group is offered now.",
        ),
    },
    "/api/v1/duplicates/{group_id}/dismiss": {
        "post": operation(
            "Dismiss a group: these contacts are not one person",
            {"200": body("DuplicateGroup", "Dismissed: the group as it was.")} | errors(),
            parameters=[GROUP_ID],
            tag="duplicates",
            description="Every pair of its contacts is remembered (by book and UID) and "
            "never offered again, in any lane.",
        ),
    },
    "/api/v1/account/settings": {
        "get": operation(
            "Get the account's settings for finding duplicates",
            {"200": body("DuplicateSettingsShown", "The settings.")} | errors(),
            tag="duplicates",
        ),
        "patch": operation(
            "Change the account's settings for finding duplicates",
            {"200": body("DuplicateSettingsShown", "The settings, changed.")}
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid"),
            request=json_request(bodies.DuplicateSettingsInput),
            tag="duplicates",
            description="Fields left out keep their value.",
        ),
    },
}

EXPORT_PARAMETERS = [
    {
        "name": "format",
        "in": "query",
        "required": False,
        "description": "vcf: the vCards one after another; google-csv, outlook-csv: CSV as "
        "Google's and Outlook's exports write it, which an import reads back.",
        "schema": {"type": "string", "enum": list(exports.FORMATS), "default": exports.VCF},
    },
    {
        "name": "vcard_version",
        "in": "query",
        "required": False,
        "description": "For vcf: each card as stored, or all in vCard 3.0 or 4.0.",
        "schema": {
            "type": "string",
            "enum": list(exports.VCARD_VERSIONS),
            "default": exports.AS_STORED,
        },
    },
]
EXPORTED = {
    "description": "The file, streamed as it is read (group cards left out).",
    "headers": {
        "Content-Disposition": {
            "description": "attachment, with the file's name.",
            "schema": STRING,
        }
    },
    "content": {VCARD: {"schema": STRING}, "text/csv": {"schema": STRING}},
}
EXPORT_PATHS: dict[str, Any] = {
    "/api/v1/books/{book_id}/export": {
        "get": operation(
            "Export an address book as one file",
            {"200": EXPORTED} | errors(),
            parameters=[BOOK, *EXPORT_PARAMETERS],
            tag="books",
        ),
    },
    "/api/v1/export": {
        "get": operation(
            "Export all the user's address books as one file",
            {"200": EXPORTED} | errors(),
            parameters=EXPORT_PARAMETERS,
            tag="books",
            description="The books one after another, the default book first.",
        ),
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/books": {
        "get": operation(
            "List the address books",
            {"200": body("BookList", "The books, the default book first.")} | errors(),
            tag="books",
        ),
        "post": operation(
            "Create an address book",
            {"201": body("Book", "Created.", {"Location": LOCATION_HEADER})}
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid"),
            request=json_request(bodies.BookInput),
            tag="books",
            description="The id is derived from the display name (lower case ASCII letters, "
            "digits and dashes), made unique among the user's books.",
        ),
    },
    "/api/v1/books/{book_id}": {
        "get": operation(
            "Get an address book",
            {"200": body("Book", "The book.")} | errors(),
            parameters=[BOOK],
            tag="books",
        ),
        "patch": operation(
            "Rename an address book",
            {"200": body("Book", "Renamed.")}
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid"),
            parameters=[BOOK],
            request=json_request(bodies.BookInput),
            tag="books",
        ),
        "delete": operation(
            "Delete an address book and its contacts",
            {"204": NO_CONTENT} | errors("Conflict"),
            parameters=[BOOK],
            tag="books",
            description="The default book cannot be deleted (409).",
        ),
    },
    "/api/v1/books/{book_id}/groups": {
        "get": operation(
            "List an address book's groups",
            {"200": body("GroupList", "The groups (group cards), by name.")} | errors(),
            parameters=[BOOK],
            tag="books",
            description="A group is a group card (iPhones, Macs) and a category on each "
            "member (other clients); the two are kept in step. Group cards are not listed "
            "among the book's contacts nor counted in its contacts.",
        ),
    },
    "/api/v1/books/{book_id}/settings": {
        "get": operation(
            "Get an address book's settings",
            {"200": body("BookSettingsShown", "The settings.")} | errors(),
            parameters=[BOOK],
            tag="books",
        ),
        "patch": operation(
            "Change an address book's settings",
            {"200": body("BookSettingsShown", "The settings, changed.")}
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid"),
            parameters=[BOOK],
            request=json_request(bodies.BookSettings),
            tag="books",
            description="Fields left out keep their value.",
        ),
    },
    "/api/v1/contacts": {
        "get": operation(
            "Search all the user's address books",
            {"200": body("ContactPage", "A page of contacts, by name.")} | errors("BadRequest"),
            parameters=PAGING,
            tag="contacts",
        ),
    },
    "/api/v1/books/{book_id}/contacts": {
        "get": operation(
            "List or search an address book's contacts",
            {"200": body("ContactPage", "A page of contacts, by name.")} | errors("BadRequest"),
            parameters=[BOOK, *PAGING],
            tag="contacts",
        ),
        "post": operation(
            "Create a contact",
            {"201": body("Contact", "Created.", {"ETag": ETAG_HEADER, "Location": LOCATION_HEADER})}
            | errors("BadRequest", "Conflict", "TooLarge", "UnsupportedMediaType", "Invalid"),
            parameters=[BOOK],
            request=VCARD_REQUEST,
            tag="contacts",
            description="409 uid_conflict when the book already has a contact with the card's UID.",
        ),
    },
    "/api/v1/books/{book_id}/contacts/{contact_id}": {
        "get": operation(
            "Get a contact",
            {"200": body("Contact", "The contact.", CONTACT_HEADERS)} | errors(),
            parameters=[BOOK, CONTACT],
            tag="contacts",
        ),
        "put": operation(
            "Replace a contact's card",
            {"200": body("Contact", "Replaced.", CONTACT_HEADERS)}
            | errors(
                "BadRequest",
                "Conflict",
                "PreconditionFailed",
                "TooLarge",
                "UnsupportedMediaType",
                "Invalid",
                "PreconditionRequired",
            ),
            parameters=[BOOK, CONTACT, ref("parameters", "if_match_required")],
            request=VCARD_REQUEST,
            tag="contacts",
            description="If-Match is required (428 without it). The UID cannot change "
            "(409 uid_changed).",
        ),
        "delete": operation(
            "Delete a contact",
            {"204": NO_CONTENT} | errors("PreconditionFailed"),
            parameters=[BOOK, CONTACT, ref("parameters", "if_match")],
            tag="contacts",
        ),
    },
    "/api/v1/autocomplete": {
        "get": operation(
            "Suggest addresses for composing mail",
            {
                "200": body(
                    "Suggestions",
                    "Contacts with an email address whose name, a word of "
                    "the name, or an address starts with q: in that order, then by name; "
                    "one suggestion per matching address.",
                )
            }
            | errors("BadRequest"),
            parameters=[
                {
                    "name": "q",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
                },
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
                },
            ],
            tag="autocomplete",
        ),
    },
    "/api/v1/devices": {
        "get": operation(
            "List the devices that push their address book",
            {"200": body("DeviceList", "The devices.")} | errors(),
            tag="devices",
        ),
    },
    "/api/v1/devices/{device}": {
        "get": operation(
            "Get a device",
            {"200": body("Device", "The device.")} | errors("Invalid"),
            parameters=[DEVICE],
            tag="devices",
        ),
        "put": operation(
            "Turn a device's automatic export on or off",
            {"200": body("Device", "The device (created if new).")}
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid"),
            parameters=[DEVICE],
            request=json_request(bodies.DeviceSettings),
            tag="devices",
        ),
    },
    "/api/v1/devices/{device}/push": {
        "post": operation(
            "Push the phone's whole address book",
            {
                "200": body(
                    "PushPreview", "Kept until applied or cancelled; a later push replaces it."
                )
            }
            | errors("BadRequest", "Conflict", "TooLarge", "UnsupportedMediaType", "Invalid"),
            parameters=[DEVICE],
            tag="devices",
            request={
                "required": True,
                "content": {VCARD: {"schema": STRING}},
                "description": "The vCards of the phone's book, one after another.",
            },
            description="409 push_refused while the device's automatic export is off.",
        ),
        "get": operation(
            "Preview the pending push",
            {"200": body("PushPreview", "What applying it would do.")} | errors("Invalid"),
            parameters=[DEVICE],
            tag="devices",
        ),
        "delete": operation(
            "Cancel the pending push",
            {"204": NO_CONTENT} | errors("Invalid"),
            parameters=[DEVICE],
            tag="devices",
        ),
    },
    "/api/v1/devices/{device}/push/apply": {
        "post": operation(
            "Apply the pending push",
            {"200": body("PushResult", "The run: what was added and updated.")} | errors("Invalid"),
            parameters=[DEVICE],
            tag="devices",
        ),
    },
    **EXPORT_PATHS,
    **HISTORY_PATHS,
    **MERGE_PATHS,
    **APP_PASSWORD_PATHS,
    **ALERT_PATHS,
    **DUPLICATE_PATHS,
    **IMPORT_PATHS,
    **SYNC_PATHS,
    **ACCOUNT_PATHS,
    "/api/v1/openapi.json": {
        "get": operation(
            "This document", {"200": body("OpenAPI", "OpenAPI 3.1.")} | errors(), tag="meta"
        ),
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "contacthub API",
            "version": __version__,
            "description": "Address books, contacts, autocomplete, CSV imports, saved "
            "syncs, phone pushes and history (trash, versions, restores, undo) of "
            "contacthub. Sign in with HTTP Basic and a CardDAV account. Errors are JSON: "
            '{"error": {"code", "message"}}.',
        },
        "security": [{"basic": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
            "schemas": SCHEMAS,
            "parameters": PARAMETERS,
            "responses": {
                name: {
                    "description": description,
                    "content": {JSON: {"schema": schema("Error")}},
                    **({"headers": HEADERS_OF[name]} if name in HEADERS_OF else {}),
                }
                for name, description in ERROR_RESPONSES.items()
            },
        },
    }


def path_of(rule: str) -> str:
    """The document's path of a Flask rule: /api/v1/imports/<int:import_id> is
    /api/v1/imports/{import_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


@cache
def json_body_models() -> dict[tuple[str, str], type[Body]]:
    """The model of each operation that takes a JSON body, by path and method ("PATCH")."""
    by_name = {model.__name__: model for model in bodies.MODELS}
    return {
        (path, method.upper()): by_name[content[JSON]["schema"]["$ref"].rsplit("/", 1)[-1]]
        for path, operations in PATHS.items()
        for method, op in operations.items()
        if JSON in (content := op.get("requestBody", {}).get("content", {}))
    }
