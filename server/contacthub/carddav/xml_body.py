"""The XML body of a WebDAV request, parsed once within bounds before Radicale parses it.

A 50 MB PROPFIND of repeated properties took minutes of CPU and gigabytes of
memory, a 100,000-deep one ended in a RecursionError, and a DTD (entities,
external references) reached Radicale's parser. Here the body is parsed by a
parser that counts elements and depth as they arrive, so a body over a bound
is refused at the element that crosses it, and one with a DTD at its start.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

SIZE_LIMIT = 16 * 1024 * 1024  # bytes of an XML body (a multiget of 100,000 hrefs fits)
ELEMENT_LIMIT = 10_000  # elements of one body, not counting hrefs
# vdirsyncer asks for every card it lacks in one addressbook-multiget: a first sync of a
# book of 50,000 cards names 50,000 hrefs. Each costs the server one lookup, unlike a
# repeated property, so hrefs have a bound of their own.
HREF_LIMIT = 100_000
_HREF = "{DAV:}href"
DEPTH_LIMIT = 64  # nesting of elements; WebDAV bodies need fewer than ten
PROPERTY_LIMIT = 200  # properties in one <D:prop>; clients ask for a few dozen at most


class XmlBodyRefused(ValueError):
    """An XML body over a bound or with a DTD; the message says which."""


class _Stop(Exception):
    """Raised inside the parser's callbacks to stop it at the element that crosses a bound."""


class _CountingBuilder(TreeBuilder):
    def __init__(self) -> None:
        super().__init__()
        self.elements = 0
        self.hrefs = 0
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        self.depth += 1
        if tag == _HREF:
            self.hrefs += 1
            if self.hrefs > HREF_LIMIT:
                raise _Stop(f"the XML body names more than {HREF_LIMIT} hrefs (the limit)")
        else:
            self.elements += 1
            if self.elements > ELEMENT_LIMIT:
                raise _Stop(f"the XML body has more than {ELEMENT_LIMIT} elements (the limit)")
        if self.depth > DEPTH_LIMIT:
            raise _Stop(f"the XML body nests deeper than {DEPTH_LIMIT} elements (the limit)")
        return super().start(tag, attrs)

    def end(self, tag: str) -> Element:
        self.depth -= 1
        return super().end(tag)


def parse_xml_body(body: bytes) -> Element | None:
    """The body's root element; None for an empty body or one that is not well-formed XML
    (that is Radicale's to refuse, as it always has).

    Raises XmlBodyRefused for a body over a bound or with a DTD.
    """
    if not body:
        return None
    if len(body) > SIZE_LIMIT:
        raise XmlBodyRefused(f"the XML body has {len(body)} bytes; the limit is {SIZE_LIMIT}")
    parser = DefusedXMLParser(
        target=_CountingBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(body)
        root: Element = parser.close()
    except _Stop as stop:
        raise XmlBodyRefused(str(stop)) from None
    except DefusedXmlException:
        raise XmlBodyRefused("the XML body has a DTD; DTDs and entities are not accepted") from None
    except ParseError:
        return None
    except (LookupError, ValueError) as error:
        # expat raises these for an encoding it cannot read (found by fuzzing: a 500).
        raise XmlBodyRefused(f"the XML body's encoding cannot be read: {error}") from None
    _check_property_count(root)
    return root


def _check_property_count(root: Element) -> None:
    for prop in root.iter("{DAV:}prop"):
        if len(prop) > PROPERTY_LIMIT:
            raise XmlBodyRefused(
                f"the request names {len(prop)} properties; the limit is {PROPERTY_LIMIT}"
            )
