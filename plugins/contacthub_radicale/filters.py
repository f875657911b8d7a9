"""addressbook-query filters (RFC 6352 10.5) answered from the store's index.

`plan` turns the filters into the store's search filter when it can express them
exactly as Radicale's own filtering would judge them; otherwise it returns None
and the collection falls back to Radicale's filtering.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from radicale import xmlutils

from contacthub.store import (
    INDEXED_PROPERTIES,
    MATCH_TYPES,
    CardFilter,
    FilterGroup,
    PropertyPresence,
    TextMatch,
)

_FILTER = xmlutils.make_clark("CR:filter")
_PROP_FILTER = xmlutils.make_clark("CR:prop-filter")
_TEXT_MATCH = xmlutils.make_clark("CR:text-match")
_IS_NOT_DEFINED = xmlutils.make_clark("CR:is-not-defined")
# Radicale lower-cases both sides for every collation but i;octet; we index lower-cased.
_CASELESS_COLLATIONS = ("i;unicode-casemap", "i;ascii-casemap")


class Unsupported(Exception):
    """A filter the index cannot answer exactly."""


def plan(filters: Iterable[ET.Element]) -> CardFilter | None:
    try:
        return FilterGroup(tuple(_filter(element) for element in filters), all_of=True)
    except Unsupported:
        return None


def _all_of(element: ET.Element) -> bool:
    test = element.get("test", "anyof")
    if test not in ("anyof", "allof"):
        raise Unsupported(test)
    return test == "allof"


def _filter(element: ET.Element) -> CardFilter:
    if element.tag != _FILTER:
        raise Unsupported(element.tag)
    if len(element) == 0:
        # A filter without prop-filters asks for every card, whatever its test: so
        # Radicale answers (and SabreDAV); RFC 6352 10.5 does not say.
        return FilterGroup((), all_of=True)
    return FilterGroup(tuple(_prop_filter(child) for child in element), all_of=_all_of(element))


def _prop_filter(element: ET.Element) -> CardFilter:
    prop = element.get("name", "").upper()
    if element.tag != _PROP_FILTER or prop not in INDEXED_PROPERTIES:
        raise Unsupported(prop)
    if len(element) == 0:
        return PropertyPresence(prop)
    if len(element) == 1 and element[0].tag == _IS_NOT_DEFINED:
        return PropertyPresence(prop, defined=False)
    matches = tuple(_text_match(prop, child) for child in element)
    return FilterGroup(matches, all_of=_all_of(element))


def _text_match(prop: str, element: ET.Element) -> TextMatch:
    if element.tag != _TEXT_MATCH:
        raise Unsupported(element.tag)  # param-filter: the index has no parameters
    if element.get("collation", "i;unicode-casemap") not in _CASELESS_COLLATIONS:
        raise Unsupported("collation")
    match_type = element.get("match-type", "contains")
    text = next(element.itertext(), "")
    if match_type not in MATCH_TYPES or "\n" in text or "\r" in text:
        raise Unsupported(match_type)
    return TextMatch(prop, text, match_type, negate=element.get("negate-condition") == "yes")
