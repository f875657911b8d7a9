"""Errors whose text is written for the person who caused them.

Everything that refuses what a person asked for — a form field, a file, a setting,
a name already taken — raises a UserError (or one of its kinds below). Its message
may be shown as it is: in the API's JSON, next to a form's field, in a run's report.
Any other exception is a fault of ours: it is logged, and people see only that an
internal error happened.

`status` and `code` say what kind of refusal it is, in HTTP's terms, so the web
layer can answer without knowing every error: 422 "invalid" unless a kind says
otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


class UserError(Exception):
    """A refusal whose message a person understands and can act on; `field`, `line` and
    `column` say where the problem is when it is in something they sent."""

    status: int = 422
    code: str = "invalid"
    # HTTP headers an answer carries (a 412 sends the current ETag).
    headers: Mapping[str, str] = MappingProxyType({})

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.line = line
        self.column = column

    @property
    def message(self) -> str:
        return str(self)

    @property
    def details(self) -> dict[str, Any]:
        """Where the problem is: "field", "line", "column", those that are known."""
        return {
            key: value
            for key, value in (("field", self.field), ("line", self.line), ("column", self.column))
            if value is not None
        }


class Invalid(UserError):
    """Something sent that cannot be used (a value, a file, a setting)."""


class BadRequest(UserError):
    """A request that cannot be understood (a parameter that is not a number)."""

    status = 400
    code = "bad_request"


class NotFound(UserError):
    """There is no such thing, or it is somebody else's."""

    status = 404
    code = "not_found"


class LoginRefused(UserError):
    """A server refused the login: the password (`field` "password") or, when none was
    given, the username is what to fix. Mail servers and FTP servers raise their own kinds
    of it, so forms put the message at that input."""

    def __init__(self, message: str = "", *, field: str = "password") -> None:
        super().__init__(message, field=field)


class Conflict(UserError):
    """The request clashes with the state of things: `code` names the clash."""

    status = 409

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.code = code


def quoted(name: str, limit: int = 80) -> str:
    """A name for a message: quoted, and cut short if a client sent a very long one."""
    return repr(name if len(name) <= limit else name[:limit] + "…")


def sentence(text: str) -> str:
    """A message from elsewhere (a parser, the reconciler) as a sentence of ours."""
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."
