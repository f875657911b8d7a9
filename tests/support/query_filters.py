"""Hypothesis strategies for addressbook-query filters (RFC 6352 10.5).

A filter of prop-filters, each a presence test, an is-not-defined, or text-matches
and param-filters, with every attribute (test, collation, match-type,
negate-condition) left out or given. Texts are drawn mostly from the values of
`query_cards.VALUES` (whole, or a part, in another case) so that filters match.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from hypothesis import strategies as st

from tests.support.dav import CARD, DAV, q
from tests.support.query_cards import VALUES

INDEXED = ("FN", "EMAIL", "TEL", "ORG")
OTHERS = ("NICKNAME", "NOTE", "ADR", "N", "TITLE", "CATEGORIES", "UID", "X-CUSTOM-FIELD")
MISSING = ("X-NOWHERE", "PHOTO")
PARAMS = ("TYPE", "type", "PREF", "VALUE")
COLLATIONS = (None, None, "i;unicode-casemap", "i;ascii-casemap", "i;octet")
# A few values RFC 6352 does not define, which both servers must refuse alike.
MATCH_TYPES = (None, "equals", "contains", "starts-with", "ends-with") * 4 + ("sounds-like",)
TESTS = (None, "anyof", "allof") * 4 + ("oneof",)

_ALL_VALUES = sorted({value for values in VALUES.values() for value in values})
# Printable text and the characters SQL LIKE and the index frame treat specially.
_TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), include_characters="%_\\\n"),
    max_size=8,
)
_CASES = (str, str.lower, str.upper, str.swapcase)
_SEPARATOR = re.compile(r"[\s@.,;-]")
_PLAIN = re.compile(r"[A-Za-z0-9 @.,;+()-]*")


def _bounds(value: str) -> list[int]:
    """Where a word or a line of `value` starts or ends."""
    inner = (m.start() for m in _SEPARATOR.finditer(value))
    return sorted({0, len(value), *(i for start in inner for i in (start, start + 1))})


@st.composite
def _part(draw: st.DrawFn, values: Sequence[str]) -> str:
    """A value, or a part of it from the start, from the end or from within, cut
    anywhere or (as often) between words or lines."""
    value = draw(st.sampled_from(values))
    cuts = st.sampled_from(_bounds(value)) | st.integers(0, len(value))
    start, end = sorted((draw(cuts), draw(cuts)))
    cut = draw(st.sampled_from((value, value[:end], value[start:], value[start:end])))
    return draw(st.sampled_from(_CASES))(cut)


def _tricky(values: Sequence[str]) -> list[str]:
    """The values with a line break, a wildcard of LIKE or a letter beyond ASCII."""
    return [value for value in values if _PLAIN.fullmatch(value) is None]


def texts(key: str) -> st.SearchStrategy[str]:
    """Texts for a text-match on `key` (a property name, or ";PARAM" for a parameter)."""
    own = VALUES.get(key.upper(), [])
    choices = [_part(_ALL_VALUES), _TEXT, st.just("")]
    choices += [_part(values) for values in (own, own, _tricky(own), _tricky(own)) if values]
    return st.one_of(*choices)


def _attrs(draw: st.DrawFn, **choices: Sequence[str | None]) -> dict[str, str]:
    attrs = {name: draw(st.sampled_from(options)) for name, options in choices.items()}
    return {name.replace("_", "-"): value for name, value in attrs.items() if value is not None}


@st.composite
def text_matches(draw: st.DrawFn, key: str) -> ET.Element:
    element = ET.Element(
        q(CARD, "text-match"),
        _attrs(
            draw,
            collation=COLLATIONS,
            match_type=MATCH_TYPES,
            negate_condition=(None, "yes", "no"),
        ),
    )
    element.text = draw(texts(key))
    return element


@st.composite
def param_filters(draw: st.DrawFn) -> ET.Element:
    name = draw(st.sampled_from(PARAMS))
    element = ET.Element(q(CARD, "param-filter"), {"name": name})
    child = draw(st.sampled_from(("presence", "is-not-defined", "text-match")))
    if child == "is-not-defined":
        ET.SubElement(element, q(CARD, "is-not-defined"))
    elif child == "text-match":
        element.append(draw(text_matches(f";{name}")))
    return element


@st.composite
def prop_filters(draw: st.DrawFn) -> ET.Element:
    # Mostly the properties the index answers, so that whole filters often are.
    name = draw(st.sampled_from(INDEXED * 6 + OTHERS + MISSING))
    name = draw(st.sampled_from((str, str.lower)))(name)
    element = ET.Element(q(CARD, "prop-filter"), {"name": name, **_test(draw)})
    kind = draw(st.sampled_from(("presence", "is-not-defined", "tests", "tests", "tests")))
    if kind == "is-not-defined":
        ET.SubElement(element, q(CARD, "is-not-defined"))
    elif kind == "tests":
        children = st.sampled_from((text_matches(name),) * 5 + (param_filters(),))
        element.extend(draw(st.lists(children.flatmap(lambda c: c), min_size=1, max_size=2)))
    return element


def _test(draw: st.DrawFn) -> dict[str, str]:
    return _attrs(draw, test=TESTS)


@st.composite
def queries(draw: st.DrawFn) -> ET.Element:
    """An addressbook-query REPORT body asking for the ETags of the matching cards."""
    root = ET.Element(q(CARD, "addressbook-query"))
    ET.SubElement(ET.SubElement(root, q(DAV, "prop")), q(DAV, "getetag"))
    filter_ = ET.SubElement(root, q(CARD, "filter"), _test(draw))
    filter_.extend(draw(st.lists(prop_filters(), max_size=3)))
    return root
