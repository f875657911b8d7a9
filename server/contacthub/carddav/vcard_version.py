"""Which vCard version a request asks for (RFC 6352 5.1.1, 8.6, 10.4), and the ETags of the
versions a card is served in.

A GET names it in Accept (`text/vcard; version=4.0`), a REPORT in the content-type and
version attributes of its address-data; a request that names none is answered in 3.0,
what macOS and older clients read. The stored card is converted when it is in the other
version (vcard/versions.py), and its ETag then names the version ("abc" -> "abc-3.0"),
so each representation has an ETag of its own, strong and stable. A client that writes
with the ETag of a representation it read (If-Match) is compared with the stored card
behind it (`with_stored_etag`).
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

from contacthub.vcard.parse import is_vcard_media_type
from contacthub.vcard.versions import V3, V4, VERSIONS, stored_etag

ENVIRON_KEY = "contacthub.vcard_version"  # a REPORT's version, named by the guard
ADDRESS_DATA = "{urn:ietf:params:xml:ns:carddav}address-data"
SUPPORTED = (V3, V4)  # as CARDDAV:supported-address-data lists them


class ConversionRefused(ValueError):
    """A REPORT asks for address data in a type or version the server cannot make."""


def accepted_version(accept: str) -> str:
    """The version a GET's Accept header asks for: the vCard media range with the highest
    quality (the first of equals); 3.0 when it names no version."""
    best_quality, best = 0.0, V3
    for media_range in accept.split(","):
        media_type, *parameters = (part.strip() for part in media_range.split(";"))
        if not is_vcard_media_type(media_type):
            continue
        values = dict(_parameter(p) for p in parameters)
        version = values.get("version", V3) if media_type.lower() == "text/vcard" else V3
        quality = _quality(values.get("q", "1"))
        if version in VERSIONS and quality > best_quality:
            best_quality, best = quality, version
    return best


def _parameter(text: str) -> tuple[str, str]:
    name, _, value = text.partition("=")
    return name.strip().lower(), value.strip().strip('"')


def _quality(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def report_version(root: Element | None) -> str:
    """The version a REPORT's address-data asks for (3.0 when it names none); raises
    ConversionRefused for a type or version other than text/vcard 3.0 and 4.0."""
    element = None if root is None else next(root.iter(ADDRESS_DATA), None)
    if element is None:
        return V3
    content_type = element.get("content-type", "text/vcard")
    version = element.get("version", V3)
    if not is_vcard_media_type(content_type) or version not in VERSIONS:
        raise ConversionRefused(
            f"address data of type {content_type!r} version {version!r} cannot be made; "
            f"this server makes text/vcard {' and '.join(SUPPORTED)}"
        )
    return version


def with_stored_etag(environ: dict[str, Any]) -> None:
    """If-Match with the ETag of a converted representation, as the stored card's ETag
    (Radicale compares If-Match with the stored card's)."""
    if_match = environ.get("HTTP_IF_MATCH")
    if if_match:
        environ["HTTP_IF_MATCH"] = stored_etag(if_match.strip())
