"""Minimal WebDAV/CardDAV/CalDAV client helpers over ``requests`` and ``xml.etree``.

Property names use Clark notation (``{DAV:}getetag``); the module-level constants
``DAV``, ``CARD``, ``CAL`` and ``CS`` hold the namespaces.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

import requests

DAV = "DAV:"
CARD = "urn:ietf:params:xml:ns:carddav"
CAL = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"

PREFIXES = {DAV: "D", CARD: "CR", CAL: "C", CS: "CS"}
for _uri, _prefix in PREFIXES.items():
    ET.register_namespace(_prefix, _uri)

MatchType = Literal["equals", "contains", "starts-with", "ends-with"]


def q(ns: str, name: str) -> str:
    """Clark name: q(DAV, "getetag") == "{DAV:}getetag"."""
    return f"{{{ns}}}{name}"


GETETAG = q(DAV, "getetag")
DISPLAYNAME = q(DAV, "displayname")
RESOURCETYPE = q(DAV, "resourcetype")
SYNC_TOKEN = q(DAV, "sync-token")
GETCTAG = q(CS, "getctag")
ADDRESS_DATA = q(CARD, "address-data")
CALENDAR_DATA = q(CAL, "calendar-data")


class DavError(AssertionError):
    """A DAV request got an unexpected status."""


def _status_code(status_line: str | None) -> int | None:
    if not status_line:
        return None
    match = re.match(r"\S+\s+(\d{3})", status_line.strip())
    return int(match.group(1)) if match else None


@dataclass
class DavResponse:
    """One ``<response>`` of a multistatus."""

    href: str  # percent-decoded path, as sent by the server
    raw_href: str
    status: int | None  # the response-level status (e.g. 404 in a sync report)
    props: dict[str, ET.Element] = field(default_factory=dict)  # found (2xx) properties
    prop_status: dict[str, int] = field(default_factory=dict)  # every property's status

    def text(self, name: str) -> str | None:
        elem = self.props.get(name)
        return None if elem is None else (elem.text or "")

    @property
    def etag(self) -> str | None:
        return self.text(GETETAG)

    @property
    def address_data(self) -> str | None:
        return self.text(ADDRESS_DATA)

    def hrefs_in(self, name: str) -> list[str]:
        """The ``<href>`` values inside property *name* (e.g. current-user-principal)."""
        elem = self.props.get(name)
        if elem is None:
            return []
        return [unquote(h.text or "") for h in elem.iter(q(DAV, "href"))]

    def resourcetypes(self) -> set[str]:
        elem = self.props.get(RESOURCETYPE)
        return set() if elem is None else {child.tag for child in elem}


@dataclass
class Multistatus:
    responses: list[DavResponse]
    sync_token: str | None = None

    def by_href(self) -> dict[str, DavResponse]:
        return {r.href: r for r in self.responses}

    def hrefs(self) -> list[str]:
        return [r.href for r in self.responses]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.responses)

    def __len__(self) -> int:
        return len(self.responses)


def _href_path(raw: str) -> str:
    """Path part of an href (servers may send absolute URLs), percent-decoded."""
    return unquote(urlsplit(raw).path)


def parse_multistatus(body: bytes | str) -> Multistatus:
    root = ET.fromstring(body)
    if root.tag != q(DAV, "multistatus"):
        raise DavError(f"expected a multistatus, got <{root.tag}>")
    responses = []
    for resp in root.findall(q(DAV, "response")):
        hrefs = resp.findall(q(DAV, "href"))
        raw = (hrefs[0].text or "") if hrefs else ""
        status_elem = resp.find(q(DAV, "status"))
        item = DavResponse(
            href=_href_path(raw),
            raw_href=raw,
            status=_status_code(status_elem.text if status_elem is not None else None),
        )
        for propstat in resp.findall(q(DAV, "propstat")):
            ps_status = propstat.find(q(DAV, "status"))
            code = _status_code(ps_status.text if ps_status is not None else None) or 0
            prop = propstat.find(q(DAV, "prop"))
            if prop is None:
                continue
            for child in prop:
                item.prop_status[child.tag] = code
                if 200 <= code < 300:
                    item.props[child.tag] = child
        responses.append(item)
    token_elem = root.find(q(DAV, "sync-token"))
    token = token_elem.text if token_elem is not None else None
    return Multistatus(responses, token)


# -- request bodies ------------------------------------------------------------------------


def _el(
    parent: ET.Element | None,
    name: str,
    text: str | None = None,
    attrib: dict[str, str] | None = None,
) -> ET.Element:
    elem = (
        ET.Element(name, attrib or {})
        if parent is None
        else ET.SubElement(parent, name, attrib or {})
    )
    if text is not None:
        elem.text = text
    return elem


def _prop(parent: ET.Element, props: Iterable[str]) -> ET.Element:
    prop = _el(parent, q(DAV, "prop"))
    for name in props:
        _el(prop, name)
    return prop


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


XML_HEADERS = {"Content-Type": "application/xml; charset=utf-8"}


def _expect(resp: requests.Response, *codes: int) -> requests.Response:
    if resp.status_code not in codes:
        raise DavError(
            f"{resp.request.method} {resp.request.url} -> {resp.status_code}, "
            f"expected {codes}: {resp.text[:2000]}"
        )
    return resp


# -- requests ----------------------------------------------------------------------------


def propfind_raw(
    session: requests.Session,
    url: str,
    props: Sequence[str] | None = None,
    depth: str = "0",
) -> requests.Response:
    """PROPFIND; *props* None asks for ``<allprop/>``. Returns the raw response."""
    root = _el(None, q(DAV, "propfind"))
    if props is None:
        _el(root, q(DAV, "allprop"))
    else:
        _prop(root, props)
    return session.request(
        "PROPFIND", url, data=_xml(root), headers={**XML_HEADERS, "Depth": depth}
    )


def propfind(
    session: requests.Session,
    url: str,
    props: Sequence[str] | None = None,
    depth: str = "0",
) -> Multistatus:
    """PROPFIND expecting 207; the parsed multistatus."""
    return parse_multistatus(_expect(propfind_raw(session, url, props, depth), 207).content)


def propfind_one(session: requests.Session, url: str, props: Sequence[str]) -> DavResponse:
    """Depth-0 PROPFIND of one resource."""
    ms = propfind(session, url, props, "0")
    assert len(ms) == 1, f"expected one response, got {ms.hrefs()}"
    return ms.responses[0]


def report_raw(
    session: requests.Session, url: str, body: ET.Element, depth: str | None = None
) -> requests.Response:
    headers = dict(XML_HEADERS)
    if depth is not None:
        headers["Depth"] = depth
    return session.request("REPORT", url, data=_xml(body), headers=headers)


def sync_collection_raw(
    session: requests.Session,
    url: str,
    token: str | None,
    props: Sequence[str] = (GETETAG,),
) -> requests.Response:
    """sync-collection REPORT (RFC 6578), sync-level 1; token None: initial sync."""
    root = _el(None, q(DAV, "sync-collection"))
    _el(root, q(DAV, "sync-token"), token or "")
    _el(root, q(DAV, "sync-level"), "1")
    _prop(root, props)
    return report_raw(session, url, root)


def sync_collection(
    session: requests.Session,
    url: str,
    token: str | None,
    props: Sequence[str] = (GETETAG,),
) -> Multistatus:
    ms = parse_multistatus(_expect(sync_collection_raw(session, url, token, props), 207).content)
    assert ms.sync_token, "sync-collection answer without a sync-token"
    return ms


def sync_collection_pages(session: requests.Session, url: str, token: str | None) -> list[str]:
    """The hrefs of every page of a sync-collection from `token` on, as a client that
    follows the 507 for the collection itself (RFC 6578 3.6) collects them."""
    hrefs: list[str] = []
    for _page in range(1000):
        listing = sync_collection(session, url, token)
        cut = [r for r in listing if r.href == url and r.status == 507]
        hrefs += [r.href for r in listing if r.href != url]
        token = listing.sync_token
        if not cut:
            return hrefs
    raise AssertionError(f"a sync of {url} that never ends")


def multiget_raw(
    session: requests.Session,
    url: str,
    hrefs: Iterable[str],
    props: Sequence[str] = (GETETAG, ADDRESS_DATA),
) -> requests.Response:
    root = _el(None, q(CARD, "addressbook-multiget"))
    _prop(root, props)
    for href in hrefs:
        _el(root, q(DAV, "href"), href)
    return report_raw(session, url, root, depth="1")


def multiget(
    session: requests.Session,
    url: str,
    hrefs: Iterable[str],
    props: Sequence[str] = (GETETAG, ADDRESS_DATA),
) -> Multistatus:
    """addressbook-multiget REPORT (RFC 6352 8.7)."""
    return parse_multistatus(_expect(multiget_raw(session, url, hrefs, props), 207).content)


@dataclass
class TextMatch:
    """One prop-filter with a text-match, for addressbook-query."""

    prop: str  # vCard property name, e.g. "EMAIL"
    text: str
    match_type: MatchType = "contains"
    negate: bool = False
    collation: str | None = None


def addressbook_query_raw(
    session: requests.Session,
    url: str,
    filters: Sequence[TextMatch],
    test: Literal["anyof", "allof"] = "anyof",
    props: Sequence[str] = (GETETAG, ADDRESS_DATA),
) -> requests.Response:
    root = _el(None, q(CARD, "addressbook-query"))
    _prop(root, props)
    filter_ = _el(root, q(CARD, "filter"), attrib={"test": test})
    for tm in filters:
        pf = _el(filter_, q(CARD, "prop-filter"), attrib={"name": tm.prop})
        attrib = {"match-type": tm.match_type}
        if tm.negate:
            attrib["negate-condition"] = "yes"
        if tm.collation:
            attrib["collation"] = tm.collation
        _el(pf, q(CARD, "text-match"), tm.text, attrib)
    return report_raw(session, url, root, depth="1")


def addressbook_query(
    session: requests.Session,
    url: str,
    filters: Sequence[TextMatch],
    test: Literal["anyof", "allof"] = "anyof",
    props: Sequence[str] = (GETETAG, ADDRESS_DATA),
) -> Multistatus:
    """addressbook-query REPORT (RFC 6352 8.6) with text-match prop-filters."""
    resp = addressbook_query_raw(session, url, filters, test, props)
    return parse_multistatus(_expect(resp, 207).content)


def calendar_query(
    session: requests.Session,
    url: str,
    start: str,
    end: str,
    component: str = "VEVENT",
) -> Multistatus:
    """calendar-query REPORT for *component*s overlapping [start, end) (UTC, basic format)."""
    root = _el(None, q(CAL, "calendar-query"))
    _prop(root, (GETETAG, CALENDAR_DATA))
    filter_ = _el(root, q(CAL, "filter"))
    vcal = _el(filter_, q(CAL, "comp-filter"), attrib={"name": "VCALENDAR"})
    comp = _el(vcal, q(CAL, "comp-filter"), attrib={"name": component})
    _el(comp, q(CAL, "time-range"), attrib={"start": start, "end": end})
    return parse_multistatus(_expect(report_raw(session, url, root, depth="1"), 207).content)


def mkcol_addressbook_raw(
    session: requests.Session,
    url: str,
    displayname: str,
    description: str | None = None,
) -> requests.Response:
    """Extended MKCOL (RFC 5689) creating an address book."""
    root = _el(None, q(DAV, "mkcol"))
    prop = _el(_el(root, q(DAV, "set")), q(DAV, "prop"))
    rt = _el(prop, RESOURCETYPE)
    _el(rt, q(DAV, "collection"))
    _el(rt, q(CARD, "addressbook"))
    _el(prop, DISPLAYNAME, displayname)
    if description is not None:
        _el(prop, q(CARD, "addressbook-description"), description)
    return session.request("MKCOL", url, data=_xml(root), headers=XML_HEADERS)


def mkcol_addressbook(session: requests.Session, url: str, displayname: str) -> None:
    _expect(mkcol_addressbook_raw(session, url, displayname), 201)


def mkcalendar(session: requests.Session, url: str, displayname: str) -> None:
    root = _el(None, q(CAL, "mkcalendar"))
    prop = _el(_el(root, q(DAV, "set")), q(DAV, "prop"))
    _el(prop, DISPLAYNAME, displayname)
    comps = _el(prop, q(CAL, "supported-calendar-component-set"))
    _el(comps, q(CAL, "comp"), attrib={"name": "VEVENT"})
    _expect(session.request("MKCALENDAR", url, data=_xml(root), headers=XML_HEADERS), 201)


def error_conditions(body: bytes | str) -> set[str]:
    """Clark names of the precondition elements inside a ``<D:error>`` body."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return set()
    if root.tag != q(DAV, "error"):
        return set()
    return {child.tag for child in root}


# -- plain HTTP helpers ---------------------------------------------------------------------

VCARD_TYPE = "text/vcard; charset=utf-8"


def put_vcard(
    session: requests.Session,
    url: str,
    card: str | bytes,
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
    content_type: str = VCARD_TYPE,
) -> requests.Response:
    headers = {"Content-Type": content_type}
    if if_match is not None:
        headers["If-Match"] = if_match
    if if_none_match is not None:
        headers["If-None-Match"] = if_none_match
    data = card.encode("utf-8") if isinstance(card, str) else card
    return session.put(url, data=data, headers=headers)


def create_card(session: requests.Session, url: str, card: str | bytes) -> str:
    """PUT a new card (If-None-Match: *), expect 201; return its ETag."""
    resp = _expect(put_vcard(session, url, card, if_none_match="*"), 201)
    etag = resp.headers.get("ETag")
    assert etag, f"PUT {url} answered without an ETag"
    return etag
