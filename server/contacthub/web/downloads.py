"""A file sent for download: streamed as it is made, with its name in Content-Disposition."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response

from contacthub.services.exports import Export


def download(made: Export) -> Response:
    """`made` as an attachment, sent chunk by chunk (never held whole in memory)."""
    response = Response(made.chunks, mimetype=None, content_type=made.media_type)
    response.headers["Content-Disposition"] = attachment(made.filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def attachment(filename: str) -> str:
    """An attachment header every browser reads: an ASCII name, and the name itself
    (RFC 6266, RFC 5987) when it is not ASCII."""
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    plain = "".join(c if c.isprintable() and c not in '"\\/' else "_" for c in plain)
    header = f'attachment; filename="{plain or "contacts"}"'
    if plain != filename:
        header += f"; filename*=utf-8''{quote(filename, safe='')}"
    return header
