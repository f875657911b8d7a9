"""Bounds on the collection properties a client sets (PROPPATCH, MKCOL, MKCALENDAR).

A book's name and description are shown in lists and sent in headers; a
20 MB displayname is accepted by Radicale and then breaks every client that
reads the book.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

TEXT_LIMIT = 1024  # characters of a name or a description
OTHER_LIMIT = 8192  # characters of any other property (a calendar's VTIMEZONE fits)
_TEXT_PROPERTIES = ("displayname", "addressbook-description", "calendar-description")


class PropertyTooLong(ValueError):
    """A property value over its limit; the message names the property and the limit."""


def check_property_sizes(root: Element) -> None:
    """Refuse a property value over its limit (the body parsed by xml_body.py)."""
    for prop in root.iter("{DAV:}prop"):
        for element in prop:
            name = element.tag.rpartition("}")[2]
            limit = TEXT_LIMIT if name in _TEXT_PROPERTIES else OTHER_LIMIT
            length = len("".join(element.itertext()))
            if length > limit:
                raise PropertyTooLong(
                    f"the property {name} has {length} characters; the limit is {limit}"
                )
