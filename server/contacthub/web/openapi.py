"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

Written as data beside the views; tests/api checks that every route is in it
(and nothing else), and validates every response the tests get against it.
"""

from __future__ import annotations

from typing import Any

from .. import __version__

JSON = "application/json"
VCARD = "text/vcard"


def ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def schema(name: str) -> dict[str, str]:
    return ref("schemas", name)


def obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties,
            "additionalProperties": False}


def nullable(type_: str, **rest: Any) -> dict[str, Any]:
    return {"type": [type_, "null"], **rest}


def body(name: str, description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description,
                                "content": {JSON: {"schema": schema(name)}}}
    if headers:
        response["headers"] = headers
    return response


STRING = {"type": "string"}
ETAG_HEADER = {"description": "The contact's ETag (quoted, strong).", "schema": STRING}
LOCATION_HEADER = {"description": "The URL of the created object.", "schema": STRING}
NO_CONTENT = {"description": "Done; no body."}

ERROR_RESPONSES = {
    "BadRequest": "A parameter or the body could not be understood.",
    "Unauthorized": "No credentials, or a wrong user name or password (after a delay).",
    "Forbidden": "Acting for another user (`user`) without being an administrator.",
    "NotFound": "No such object for this user (or no such user, for an administrator).",
    "Conflict": "The request conflicts with the object's state.",
    "PreconditionFailed": "If-Match does not match the current ETag.",
    "TooLarge": "The body is larger than the server's limit.",
    "UnsupportedMediaType": "The body is not of a type this operation takes.",
    "Invalid": "The body was understood but its content is not acceptable.",
    "PreconditionRequired": "An update without If-Match.",
}
STATUS_OF = {"BadRequest": "400", "Unauthorized": "401", "Forbidden": "403", "NotFound": "404",
             "Conflict": "409", "PreconditionFailed": "412", "TooLarge": "413",
             "UnsupportedMediaType": "415", "Invalid": "422", "PreconditionRequired": "428"}


def errors(*names: str) -> dict[str, Any]:
    """The error responses of an operation; every one may answer 400, 401, 403 and 404."""
    wanted = dict.fromkeys(("BadRequest", "Unauthorized", "Forbidden", "NotFound", *names))
    return {STATUS_OF[name]: ref("responses", name) for name in wanted}


def operation(summary: str, responses: dict[str, Any], *, parameters: list[Any] | None = None,
              request: dict[str, Any] | None = None, tag: str, description: str = ""
              ) -> dict[str, Any]:
    op: dict[str, Any] = {"tags": [tag], "summary": summary,
                          "parameters": [ref("parameters", "user"), *(parameters or [])],
                          "responses": responses}
    if description:
        op["description"] = description
    if request:
        op["requestBody"] = request
    return op


def json_request(name: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema(name)}}}


VCARD_REQUEST = {"required": True, "content": {VCARD: {"schema": STRING}},
                 "description": "One vCard (3.0 or 4.0) as UTF-8 text; a missing UID is "
                                "added on create, and kept from the stored card on update."}
BOOK, CONTACT, DEVICE = (ref("parameters", name) for name in ("book_id", "contact_id", "device"))
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

SCHEMAS: dict[str, Any] = {
    "Error": obj(["error"], error=obj(
        ["code", "message"],
        code={"type": "string", "description": "Stable, for programs: not_found, "
              "uid_conflict, precondition_failed, push_refused, ..."},
        message={"type": "string", "description": "A sentence a person understands."},
        field={"type": "string", "description": "The parameter or body field at fault."},
        line={"type": "integer", "description": "Line of the body at fault."},
        column={"type": "integer", "description": "Column of the body at fault."},
    )),
    "Source": obj(["kind", "name"],
                  kind={"type": "string", "description": '"carddav" for a book that CardDAV '
                        'clients and the API fill; else the kind of its source ("device", '
                        '"csv", ...)'},
                  name=nullable("string", description="The source's name (null for carddav).")),
    "Book": obj(["id", "display_name", "contacts", "default", "source"],
                id={"type": "string", "description": "The book's name in its CardDAV path "
                    "(/USER/ID/) and in this API."},
                display_name=STRING,
                contacts={"type": "integer", "minimum": 0},
                default={"type": "boolean", "description": "The book every user has "
                         "(\"Contacts\"); it cannot be deleted."},
                source=schema("Source")),
    "BookList": obj(["books"], books={"type": "array", "items": schema("Book")}),
    "BookInput": {"type": "object", "required": ["display_name"],
                  "properties": {"display_name": {"type": "string", "minLength": 1,
                                                  "maxLength": 255}}},
    "ContactSummary": obj(CONTACT_REQUIRED, **CONTACT_FIELDS),
    "Contact": obj([*CONTACT_REQUIRED, "vcard"], **CONTACT_FIELDS,
                   vcard={"type": "string", "description": "The card exactly as stored."}),
    "ContactPage": obj(["contacts", "total", "limit", "offset"],
                       contacts={"type": "array", "items": schema("ContactSummary")},
                       total={"type": "integer", "minimum": 0},
                       limit={"type": "integer", "minimum": 1},
                       offset={"type": "integer", "minimum": 0}),
    "Suggestion": obj(["name", "email", "uid", "book"], name=STRING, email=STRING, uid=STRING,
                      book=STRING),
    "Suggestions": obj(["suggestions"], suggestions={"type": "array",
                                                     "items": schema("Suggestion")}),
    "Counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
               "description": "added, updated, deleted, unchanged, skipped, errors"},
    "Problem": {"type": "object", "required": ["reason"], "properties": {
        "reason": STRING, "line": {"type": "integer"}, "column": STRING, "key": STRING}},
    "Run": obj(["id", "status", "trigger", "started_at", "finished_at", "counts", "message",
                "problems"],
               id={"type": "integer"},
               status={"enum": ["ok", "no_changes", "refused", "failed"]},
               trigger=STRING,
               started_at={"type": "string", "format": "date-time"},
               finished_at=nullable("string", format="date-time"),
               counts=schema("Counts"), message=STRING,
               problems={"type": "array", "items": schema("Problem")}),
    "Device": obj(["name", "book", "auto_export", "pending_push", "last_run"],
                  name=STRING, book=STRING, auto_export={"type": "boolean"},
                  pending_push=nullable("string", format="date-time",
                                        description="When the push waiting for a decision "
                                        "arrived; null if none."),
                  last_run={"oneOf": [schema("Run"), {"type": "null"}]}),
    "DeviceList": obj(["devices"], devices={"type": "array", "items": schema("Device")}),
    "DeviceSettings": {"type": "object", "required": ["auto_export"],
                       "properties": {"auto_export": {"type": "boolean"}}},
    "PushPreview": obj(["device", "new", "counts", "problems"],
                       device=STRING,
                       new={"type": "array", "description": "Only the contacts that would "
                            "be added.", "items": obj(["uid", "name"], uid=STRING, name=STRING)},
                       counts=schema("Counts"),
                       problems={"type": "array", "items": schema("Problem")}),
    "PushResult": obj(["device", "run"], device=STRING, run=schema("Run")),
    "OpenAPI": {"type": "object", "required": ["openapi", "info", "paths"]},
}

PARAMETERS: dict[str, Any] = {
    "user": {"name": "user", "in": "query", "required": False, "schema": STRING,
             "description": "Administrators: act for this user. Others may give only "
                            "their own name."},
    "book_id": {"name": "book_id", "in": "path", "required": True, "schema": STRING},
    "contact_id": {"name": "contact_id", "in": "path", "required": True, "schema": STRING},
    "device": {"name": "device", "in": "path", "required": True,
               "schema": {"type": "string", "maxLength": 255}},
    "q": {"name": "q", "in": "query", "required": False,
          "schema": {"type": "string", "maxLength": 200},
          "description": "Words that must each appear in the name, an email address, a "
                         "phone number or the organisation (case-insensitive)."},
    "limit": {"name": "limit", "in": "query", "required": False,
              "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
    "offset": {"name": "offset", "in": "query", "required": False,
               "schema": {"type": "integer", "minimum": 0, "default": 0}},
    "if_match_required": {"name": "If-Match", "in": "header", "required": True,
                          "schema": STRING, "description": "The ETag read, or * to "
                          "overwrite; without it the update is refused with 428."},
    "if_match": {"name": "If-Match", "in": "header", "required": False, "schema": STRING},
}

CONTACT_HEADERS = {"ETag": ETAG_HEADER}

PATHS: dict[str, Any] = {
    "/api/v1/books": {
        "get": operation("List the address books", {"200": body("BookList", "The books, the "
                         "default book first.")} | errors(), tag="books"),
        "post": operation("Create an address book", {
            "201": body("Book", "Created.", {"Location": LOCATION_HEADER})}
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid"),
            request=json_request("BookInput"), tag="books",
            description="The id is derived from the display name (lower case ASCII letters, "
                        "digits and dashes), made unique among the user's books."),
    },
    "/api/v1/books/{book_id}": {
        "get": operation("Get an address book", {"200": body("Book", "The book.")} | errors(),
                         parameters=[BOOK], tag="books"),
        "patch": operation("Rename an address book", {"200": body("Book", "Renamed.")}
                           | errors("BadRequest", "TooLarge", "UnsupportedMediaType",
                                    "Invalid"),
                           parameters=[BOOK], request=json_request("BookInput"), tag="books"),
        "delete": operation("Delete an address book and its contacts",
                            {"204": NO_CONTENT} | errors("Conflict"), parameters=[BOOK],
                            tag="books", description="The default book cannot be deleted "
                            "(409)."),
    },
    "/api/v1/contacts": {
        "get": operation("Search all the user's address books",
                         {"200": body("ContactPage", "A page of contacts, by name.")}
                         | errors("BadRequest"), parameters=PAGING, tag="contacts"),
    },
    "/api/v1/books/{book_id}/contacts": {
        "get": operation("List or search an address book's contacts",
                         {"200": body("ContactPage", "A page of contacts, by name.")}
                         | errors("BadRequest"), parameters=[BOOK, *PAGING], tag="contacts"),
        "post": operation("Create a contact", {
            "201": body("Contact", "Created.", {"ETag": ETAG_HEADER,
                                                "Location": LOCATION_HEADER})}
            | errors("BadRequest", "Conflict", "TooLarge", "UnsupportedMediaType", "Invalid"),
            parameters=[BOOK], request=VCARD_REQUEST, tag="contacts",
            description="409 uid_conflict when the book already has a contact with the "
                        "card's UID."),
    },
    "/api/v1/books/{book_id}/contacts/{contact_id}": {
        "get": operation("Get a contact", {"200": body("Contact", "The contact.",
                                                       CONTACT_HEADERS)} | errors(),
                         parameters=[BOOK, CONTACT], tag="contacts"),
        "put": operation("Replace a contact's card", {
            "200": body("Contact", "Replaced.", CONTACT_HEADERS)}
            | errors("BadRequest", "Conflict", "PreconditionFailed", "TooLarge",
                     "UnsupportedMediaType", "Invalid", "PreconditionRequired"),
            parameters=[BOOK, CONTACT, ref("parameters", "if_match_required")],
            request=VCARD_REQUEST, tag="contacts",
            description="If-Match is required (428 without it). The UID cannot change "
                        "(409 uid_changed)."),
        "delete": operation("Delete a contact", {"204": NO_CONTENT}
                            | errors("PreconditionFailed"),
                            parameters=[BOOK, CONTACT, ref("parameters", "if_match")],
                            tag="contacts"),
    },
    "/api/v1/autocomplete": {
        "get": operation("Suggest addresses for composing mail", {
            "200": body("Suggestions", "Contacts with an email address whose name, a word of "
                        "the name, or an address starts with q: in that order, then by name; "
                        "one suggestion per matching address.")} | errors("BadRequest"),
            parameters=[{"name": "q", "in": "query", "required": True,
                         "schema": {"type": "string", "minLength": 1, "maxLength": 100}},
                        {"name": "limit", "in": "query", "required": False,
                         "schema": {"type": "integer", "minimum": 1, "maximum": 50,
                                    "default": 10}}],
            tag="autocomplete"),
    },
    "/api/v1/devices": {
        "get": operation("List the devices that push their address book",
                         {"200": body("DeviceList", "The devices.")} | errors(),
                         tag="devices"),
    },
    "/api/v1/devices/{device}": {
        "get": operation("Get a device", {"200": body("Device", "The device.")} | errors(
            "Invalid"), parameters=[DEVICE], tag="devices"),
        "put": operation("Turn a device's automatic export on or off", {
            "200": body("Device", "The device (created if new).")}
            | errors("BadRequest", "TooLarge", "UnsupportedMediaType", "Invalid"),
            parameters=[DEVICE], request=json_request("DeviceSettings"), tag="devices"),
    },
    "/api/v1/devices/{device}/push": {
        "post": operation("Push the phone's whole address book", {
            "200": body("PushPreview", "Kept until applied or cancelled; a later push "
                        "replaces it.")}
            | errors("BadRequest", "Conflict", "TooLarge", "UnsupportedMediaType", "Invalid"),
            parameters=[DEVICE], tag="devices",
            request={"required": True, "content": {VCARD: {"schema": STRING}},
                     "description": "The vCards of the phone's book, one after another."},
            description="409 push_refused while the device's automatic export is off."),
        "get": operation("Preview the pending push", {"200": body("PushPreview", "What "
                         "applying it would do.")} | errors("Invalid"),
                         parameters=[DEVICE], tag="devices"),
        "delete": operation("Cancel the pending push", {"204": NO_CONTENT} | errors("Invalid"),
                            parameters=[DEVICE], tag="devices"),
    },
    "/api/v1/devices/{device}/push/apply": {
        "post": operation("Apply the pending push", {
            "200": body("PushResult", "The run: what was added and updated.")}
            | errors("Invalid"), parameters=[DEVICE], tag="devices"),
    },
    "/api/v1/openapi.json": {
        "get": operation("This document", {"200": body("OpenAPI", "OpenAPI 3.1.")} | errors(),
                         tag="meta"),
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "contacthub API",
            "version": __version__,
            "description": "Address books, contacts, autocomplete and phone pushes of "
                           "contacthub. Sign in with HTTP Basic and a CardDAV account. "
                           "Errors are JSON: {\"error\": {\"code\", \"message\"}}.",
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
                    **({"headers": {"WWW-Authenticate": {"schema": STRING}}}
                       if name == "Unauthorized" else {}),
                }
                for name, description in ERROR_RESPONSES.items()
            },
        },
    }
