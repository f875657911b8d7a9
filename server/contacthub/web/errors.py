"""Errors as JSON: {"error": {"code", "message", and "field"/"line"/"column" where known}}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal with a status, a stable code and a sentence a person understands."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        line: int | None = None,
        column: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = {
            key: value
            for key, value in (("field", field), ("line", line), ("column", column))
            if value is not None
        }
        self.headers = headers or {}


def quoted(name: str, limit: int = 80) -> str:
    """A name for a message: quoted, and cut short if a client sent a very long one."""
    return repr(name if len(name) <= limit else name[:limit] + "…")


def sentence(text: str) -> str:
    """A message from elsewhere (a parser, the reconciler) as a sentence of ours."""
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def bad_request(message: str, field: str | None = None) -> ApiError:
    return ApiError(400, "bad_request", message, field=field)


def invalid(message: str, field: str | None = None, **where: Any) -> ApiError:
    return ApiError(422, "invalid", message, field=field, **where)


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def conflict(code: str, message: str) -> ApiError:
    return ApiError(409, code, message)


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


def error_response(error: ApiError) -> Response:
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
    logger.exception("unexpected error in the API", exc_info=error)
    return error_response(
        ApiError(500, "internal_error", "Something went wrong on the server; the error was logged.")
    )


def register(app: Flask) -> None:
    app.register_error_handler(ApiError, error_response)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(Exception, _unexpected)
