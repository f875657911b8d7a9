"""PROPFIND and REPORT bodies Radicale trips on, refused before it reads them.

Found by fuzzing (tests/fuzz), each a 500: a PROPFIND whose root element is
empty (Radicale takes its first child), and a multiget with an empty href
(Radicale asserts each has text).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

MULTIGETS = (
    "{urn:ietf:params:xml:ns:carddav}addressbook-multiget",
    "{urn:ietf:params:xml:ns:caldav}calendar-multiget",
)


class BodyRefused(ValueError):
    """A body Radicale cannot answer; the message says what is wrong."""


def check_dav_body(method: str, root: Element | None) -> None:
    if root is None:
        return
    if method == "PROPFIND" and len(root) == 0:
        raise BodyRefused(
            "the PROPFIND body asks for nothing: send prop, allprop or propname, or no body"
        )
    if method == "REPORT" and root.tag in MULTIGETS:
        if any(not (href.text or "").strip() for href in root.findall("{DAV:}href")):
            raise BodyRefused("an href of the multiget is empty")
