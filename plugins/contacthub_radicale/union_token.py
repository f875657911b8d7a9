"""The sync token of the combined book: each book's own token, by the book's uuid.

`urn:contacthub:onebook:<default book uuid>:<base64url of JSON {book uuid: token}>`; a
book with no token ("") is listed whole at the next sync.
"""

from __future__ import annotations

import base64
import binascii
import json

from contacthub.store.errors import InvalidSyncToken

UNION_PREFIX = "urn:contacthub:onebook:"


def format_union_token(default_uuid: str, tokens: dict[str, str]) -> str:
    coded = base64.urlsafe_b64encode(json.dumps(tokens, separators=(",", ":")).encode())
    return f"{UNION_PREFIX}{default_uuid}:{coded.decode().rstrip('=')}"


def parse_union_token(token: str, default_uuid: str) -> dict[str, str]:
    """Each book's token; InvalidSyncToken for a token not of this combined book."""
    if not token.startswith(UNION_PREFIX):
        raise InvalidSyncToken("the sync token is not of the combined book")
    owner, _, coded = token[len(UNION_PREFIX) :].partition(":")
    if owner != default_uuid:
        raise InvalidSyncToken("the sync token belongs to another collection")
    try:
        tokens = json.loads(base64.urlsafe_b64decode(coded + "=" * (-len(coded) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidSyncToken(f"malformed sync token: {token!r}") from None
    if not isinstance(tokens, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tokens.items()
    ):
        raise InvalidSyncToken(f"malformed sync token: {token!r}")
    return tokens
