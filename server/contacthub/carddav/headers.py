"""Request headers Radicale stumbles on, refused before it reads them.

Found by fuzzing (tests/fuzz): Radicale splits a Basic credential without
checking it decodes to "name:password", and decodes it (and a body) in the
charset the Content-Type names without checking that charset exists. Either
raised inside Radicale and was answered 500.
"""

from __future__ import annotations

import base64
import binascii
import codecs

from radicale import httputils
from radicale.config import Configuration


class HeaderRefused(ValueError):
    """A header the request cannot be answered with; `status` and the message say why."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def check_headers(configuration: Configuration, environ: dict[str, object]) -> None:
    charset = _charset(str(environ.get("CONTENT_TYPE") or ""))
    if charset is not None:
        try:
            codecs.lookup(charset)
        except LookupError:
            raise HeaderRefused(
                "415 Unsupported Media Type",
                f"the Content-Type names an unknown charset {charset!r}",
            ) from None
    authorization = str(environ.get("HTTP_AUTHORIZATION") or "")
    # Radicale reads every value that starts with "Basic" as Basic credentials.
    if authorization.startswith("Basic") and not _is_credential(
        configuration, environ, authorization[len("Basic") :].strip()
    ):
        raise HeaderRefused(
            "401 Unauthorized",
            "the Authorization header holds no Basic credentials (base64 of name:password)",
        )


def _charset(content_type: str) -> str | None:
    """The charset Radicale would read from the Content-Type (its own way of finding it)."""
    if "charset=" not in content_type:
        return None
    return content_type.split("charset=")[1].split(";")[0].strip()


def _is_credential(configuration: Configuration, environ: dict[str, object], value: str) -> bool:
    try:
        decoded = base64.b64decode(value.encode("ascii"))
        return ":" in httputils.decode_request(configuration, environ, decoded)
    except (UnicodeError, binascii.Error):
        return False
