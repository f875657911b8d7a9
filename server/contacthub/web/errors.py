"""Errors as JSON: {"error": {"code", "message", and "field"/"line"/"column" where known}}.

Any UserError is answered with its status, code and message (a full disk, the store's
StorageFull: 507 "insufficient_storage"); werkzeug's own refusals (routing, body size) in
our words; anything else is logged and answered 500 "internal_error", without its text.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from contacthub.errors import UserError
from contacthub.store import StorageFull, is_storage_full

logger = logging.getLogger(__name__)


class ApiError(UserError):
    """A refusal of the HTTP exchange itself (a body of the wrong type or size, a missing
    login), with its status and code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.status = status
        self.code = code
        self.headers = headers or {}


# Statuses werkzeug raises itself (routing, body size), in our words.
_HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood."),
    401: ("unauthorized", "Sign in with your user name and password."),
    403: ("forbidden", "You may not do this."),
    404: ("not_found", "There is nothing at this address."),
    405: ("method_not_allowed", "This address does not accept this method."),
    411: ("length_required", "The request needs a Content-Length."),
    413: ("too_large", "The request body is too large."),
    415: ("unsupported_media_type", "The request body has a type this address does not take."),
}


def error_response(error: UserError) -> Response:
    response = jsonify({"error": {"code": error.code, "message": error.message, **error.details}})
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def _from_http(error: HTTPException) -> Response:
    status = error.code or 500
    code, message = _HTTP_ERRORS.get(status, ("error", error.description or "Request failed."))
    headers = {key: value for key, value in error.get_headers() if key.lower() == "allow"}
    return error_response(ApiError(status, code, message, headers=headers))


def _unexpected(error: Exception) -> Response:
    if is_storage_full(error):  # met outside the store: a body spooled to a full disk
        logger.error("a request met a full disk: %s", error)
        return error_response(StorageFull())
    logger.exception("unexpected error in the API", exc_info=error)
    return error_response(
        ApiError(500, "internal_error", "Something went wrong on the server; the error was logged.")
    )


def register(app: Flask) -> None:
    app.register_error_handler(UserError, error_response)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(Exception, _unexpected)
