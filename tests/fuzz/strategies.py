"""Hypothesis strategies for CardDAV requests: methods, paths, headers and bodies.

Paths come mostly from the books the fuzzing server holds (alice's, whose
requests are signed in, and bob's, whom nothing may reach), bent with dot
segments, encodings, Unicode and lengths. Bodies are XML from a small grammar of
DAV and CardDAV elements (well-formed, then broken in the ways parsers trip on),
vCards valid and broken, and random bytes.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from tests.support.vcards import make_card

DAV = "DAV:"
CARD = "urn:ietf:params:xml:ns:carddav"
CS = "http://calendarserver.org/ns/"
ODD = "urn:x-fuzz:odd"
PREFIXES = {DAV: "D", CARD: "C", CS: "CS", ODD: "X"}

ALICE_PASSWORD = "alice-Fuzz-1"
BOB_PASSWORD = "bob-Fuzz-202"

# The books the server starts with (and is put back to before each example).
BOOKS = {
    "alice/contacts": ["a-1.vcf", "a-2.vcf", "a-3.vcf"],
    "alice/work": ["w-1.vcf"],
    "bob/contacts": ["b-1.vcf", "b-2.vcf"],
    "bob/private": ["p-1.vcf"],
}

METHODS = [
    "PROPFIND", "PROPPATCH", "REPORT", "MKCOL", "MKCALENDAR", "PUT", "DELETE", "MOVE",
    "COPY", "GET", "HEAD", "OPTIONS", "LOCK", "UNLOCK", "POST", "PATCH", "ACL", "SEARCH",
    "BIND", "TRACE", "CONNECT", "get", "Propfind", "X-MS-ENUMATTS", "FOO",
]  # fmt: skip


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunked: bool = False  # send the body with Transfer-Encoding: chunked


# -- paths ---------------------------------------------------------------------------------

_KNOWN = [
    f"/{book}/{card}" for book, cards in BOOKS.items() for card in cards
] + [f"/{book}/" for book in BOOKS] + [
    "/", "/alice/", "/bob/", "/carol/", "/alice/new.vcf", "/alice/contacts/new.vcf",
    "/alice/new-book/", "/bob/contacts/new.vcf", "/bob/new-book/", "/.well-known/carddav",
    "/alice/contacts", "/bob/contacts", "/alice//contacts/", "/.web/",
]  # fmt: skip

_SEGMENTS = [
    "alice", "bob", "contacts", "work", "private", "a-1.vcf", "b-1.vcf", "new.vcf", "..", ".",
    "", "%2e%2e", "%2E", "%2F", "%2f..", "%5C", "%00", "%ff", "%C3%A9", "%", "%zz", "~",
    ";x=1", "a:b", "@", "*", "x" * 300, "é" * 200,
]  # fmt: skip

_segment = st.one_of(
    st.sampled_from(_SEGMENTS),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12).map(
        lambda text: quote(text, safe="")
    ),
)
_built_path = st.builds(
    lambda segments, slash: "/" + "/".join(segments) + ("/" if slash else ""),
    st.lists(_segment, min_size=0, max_size=4),
    st.booleans(),
)
_bent_known = st.builds(
    lambda known, bend: bend(known),
    st.sampled_from(_KNOWN),
    st.sampled_from(
        [
            lambda p: p + "../bob/contacts/",
            lambda p: p.replace("alice", "bob"),
            lambda p: p.replace("/", "%2F", 2),
            lambda p: p.upper(),
            lambda p: p + "x" * 5000,
            lambda p: p.replace("contacts", "%63ontacts"),
            lambda p: p + "?depth=infinity",
            lambda p: "//" + p,
            lambda p: p + "%00",
        ]
    ),
)
paths = st.one_of(st.sampled_from(_KNOWN), st.sampled_from(_KNOWN), _built_path, _bent_known)

# -- headers -------------------------------------------------------------------------------


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# Signed in as alice, mostly; bob never signs in (nothing may change his books).
authorizations = st.one_of(
    *[st.just(_basic("alice", ALICE_PASSWORD))] * 8,
    st.sampled_from(
        [
            "",
            _basic("alice", "wrong"),
            _basic("bob", "wrong"),
            "Basic !!!",
            "Basic " + base64.b64encode(b"no-colon").decode(),
            "Bearer x",
            _basic("alice", ALICE_PASSWORD) + "=",
            _basic("", ""),
            _basic("../bob", "x"),
        ]
    ),
)

_odd_values = st.one_of(
    st.sampled_from(["", " ", "0", "1", "infinity", "-1", "999999999999999999999", "T", "F"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
)
_etags = st.sampled_from(['"x"', "*", 'W/"x"', '"x", "y"', "x", '""'])


def _destination(port_placeholder: str) -> st.SearchStrategy[str]:
    return st.one_of(
        paths.map(lambda p: port_placeholder + p),
        paths,
        st.sampled_from(
            [
                "http://evil.example/alice/contacts/x.vcf",
                "http://127.0.0.1:1/bob/contacts/",
                "mailto:alice@example.org",
                "",
                "%",
            ]
        ),
    )


CONTENT_TYPES = [
    "text/vcard", "text/vcard; charset=utf-8", "text/x-vcard", "text/directory",
    "application/xml; charset=utf-8", "text/xml", "text/plain", "application/octet-stream",
    "multipart/form-data; boundary=x", "text/vcard; charset=latin-1", ";;;", "text/calendar",
    "text/xml; charset=nonsense", "application/xml; charset=", "text/vcard; charset=utf-16",
]  # fmt: skip

SERVER = "{server}"  # replaced by the server's URL when a request is sent


@st.composite
def headers(draw: st.DrawFn) -> dict[str, str]:
    chosen: dict[str, str] = {}
    authorization = draw(authorizations)
    if authorization:
        chosen["Authorization"] = authorization
    optional = {
        "Depth": st.one_of(st.sampled_from(["0", "1", "infinity", "Infinity"]), _odd_values),
        "Destination": _destination(SERVER),
        "If-Match": _etags,
        "If-None-Match": _etags,
        "Overwrite": st.one_of(st.sampled_from(["T", "F"]), _odd_values),
        "Content-Type": st.one_of(st.sampled_from(CONTENT_TYPES), _odd_values),
        "Accept-Encoding": st.sampled_from(["gzip", "identity", "deflate, gzip", "*"]),
        # Never more than is sent: the server would rightly wait for the rest.
        "Content-Length": st.sampled_from(["abc", "-1", "1e3", "", "short", "0x10"]),
    }
    for name, values in optional.items():
        if draw(st.integers(0, 9)) < (1 if name == "Content-Length" else 4):
            chosen[name] = draw(values)
    return chosen


# -- XML bodies ----------------------------------------------------------------------------

_ELEMENTS = [
    (DAV, "propfind"), (DAV, "prop"), (DAV, "allprop"), (DAV, "propname"), (DAV, "include"),
    (DAV, "getetag"), (DAV, "displayname"), (DAV, "resourcetype"), (DAV, "collection"),
    (DAV, "getcontenttype"), (DAV, "sync-token"), (DAV, "sync-level"), (DAV, "limit"),
    (DAV, "nresults"), (DAV, "sync-collection"), (DAV, "href"), (DAV, "propertyupdate"),
    (DAV, "set"), (DAV, "remove"), (DAV, "mkcol"), (DAV, "lockinfo"), (DAV, "lockscope"),
    (DAV, "exclusive"), (DAV, "locktype"), (DAV, "write"), (DAV, "owner"),
    (DAV, "current-user-principal"), (DAV, "principal-URL"), (DAV, "supported-report-set"),
    (DAV, "current-user-privilege-set"), (DAV, "expand-property"), (DAV, "property"),
    (DAV, "principal-property-search"), (DAV, "acl"), (CARD, "addressbook-query"),
    (CARD, "addressbook-multiget"), (CARD, "address-data"), (CARD, "filter"),
    (CARD, "prop-filter"), (CARD, "param-filter"), (CARD, "text-match"),
    (CARD, "is-not-defined"), (CARD, "limit"), (CARD, "nresults"), (CARD, "addressbook"),
    (CARD, "addressbook-description"), (CARD, "addressbook-home-set"),
    (CARD, "supported-address-data"), (CS, "getctag"), (ODD, "thing"), (ODD, "prop"),
]  # fmt: skip
_ATTRIBUTES = [
    "name", "match-type", "test", "collation", "negate-condition", "content-type",
    "version", "start", "end",
]  # fmt: skip
_ATTRIBUTE_VALUES = st.one_of(
    st.sampled_from(
        [
            "FN",
            "EMAIL",
            "TEL",
            "UID",
            "NOTE",
            "PHOTO",
            "X-ODD",
            "anyof",
            "allof",
            "contains",
            "equals",
            "starts-with",
            "ends-with",
            "yes",
            "no",
            "i;unicode-casemap",
            "i;octet",
            "i;ascii-casemap",
            "text/vcard",
            "4.0",
            "3.0",
            "",
        ]
    ),
    st.text(max_size=10),
)
_TEXTS = st.one_of(
    st.sampled_from(
        [
            "",
            "1",
            "0",
            "-5",
            "10000000000",
            "urn:contacthub:sync:x:1",
            "urn:contacthub:sync:",
            "http://example.com/sync/1",
            "/alice/contacts/a-1.vcf",
            "/bob/contacts/b-1.vcf",
            "/alice/contacts/../../bob/contacts/b-1.vcf",
            "http://127.0.0.1/alice/contacts/a-2.vcf",
            "Anna",
            "a",
            "%",
            "x" * 2000,
        ]
    ),
    st.text(max_size=40),
)


@dataclass
class Node:
    namespace: str
    name: str
    attributes: dict[str, str]
    text: str
    children: list[Node]


def _node(children: st.SearchStrategy[list[Node]]) -> st.SearchStrategy[Node]:
    return st.builds(
        lambda element, attributes, text, kids: Node(*element, attributes, text, kids),
        st.sampled_from(_ELEMENTS),
        st.dictionaries(st.sampled_from(_ATTRIBUTES), _ATTRIBUTE_VALUES, max_size=2),
        st.one_of(st.just(""), _TEXTS),
        children,
    )


_trees = st.recursive(
    _node(st.just([])), lambda inner: _node(st.lists(inner, max_size=4)), max_leaves=25
)


def render(node: Node, root: bool = True) -> str:
    tag = f"{PREFIXES[node.namespace]}:{node.name}"
    declarations = (
        "".join(f' xmlns:{prefix}="{uri}"' for uri, prefix in PREFIXES.items()) if root else ""
    )
    attributes = "".join(f" {key}={quoteattr(value)}" for key, value in node.attributes.items())
    inner = escape(node.text) + "".join(render(child, False) for child in node.children)
    return f"<{tag}{declarations}{attributes}>{inner}</{tag}>"


def _template(root: str, inner: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><{root} xmlns:D="DAV:" '
        f'xmlns:C="{CARD}" xmlns:CS="{CS}">{inner}</{root.split()[0]}>'
    )


# Requests shaped like clients' ones, with fuzzed values where clients put values.
_props = st.lists(
    st.sampled_from(
        [
            "<D:getetag/>",
            "<C:address-data/>",
            "<D:displayname/>",
            "<D:resourcetype/>",
            "<CS:getctag/>",
            "<D:sync-token/>",
            "<D:current-user-privilege-set/>",
            "<D:owner/>",
            '<C:address-data content-type="text/vcard" version="4.0"/>',
            '<C:address-data><C:prop name="FN"/></C:address-data>',
        ]
    ),
    max_size=5,
).map("".join)
_templates = st.one_of(
    st.builds(lambda p: _template("D:propfind", f"<D:prop>{p}</D:prop>"), _props),
    st.just(_template("D:propfind", "<D:allprop/>")),
    st.builds(
        lambda token, limit, p: _template(
            "D:sync-collection",
            f"<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>"
            f"{limit}<D:prop>{p}</D:prop>",
        ),
        _TEXTS,
        st.sampled_from(["", "<D:limit><D:nresults>2</D:nresults></D:limit>"]),
        _props,
    ),
    st.builds(
        lambda prop, match, text, limit: _template(
            "C:addressbook-query",
            f"<D:prop><D:getetag/><C:address-data/></D:prop><C:filter>"
            f"<C:prop-filter name={quoteattr(prop)}><C:text-match match-type={quoteattr(match)}>"
            f"{escape(text)}</C:text-match></C:prop-filter></C:filter>{limit}",
        ),
        _ATTRIBUTE_VALUES,
        _ATTRIBUTE_VALUES,
        _TEXTS,
        st.sampled_from(["", "<C:limit><C:nresults>1</C:nresults></C:limit>"]),
    ),
    st.builds(
        lambda hrefs: _template(
            "C:addressbook-multiget",
            "<D:prop><D:getetag/><C:address-data/></D:prop>"
            + "".join(f"<D:href>{escape(h)}</D:href>" for h in hrefs),
        ),
        st.lists(st.one_of(paths, _TEXTS), max_size=6),
    ),
    st.builds(
        lambda name, value: _template(
            "D:propertyupdate",
            f"<D:set><D:prop><{name}>{escape(value)}</{name}></D:prop></D:set>",
        ),
        st.sampled_from(["D:displayname", "C:addressbook-description", "CS:getctag", "D:foo"]),
        _TEXTS,
    ),
    st.builds(
        lambda value: _template(
            "D:propertyupdate", f"<D:remove><D:prop><{value}/></D:prop></D:remove>"
        ),
        st.sampled_from(["D:displayname", "D:resourcetype", "D:getetag", "C:addressbook"]),
    ),
    st.builds(
        lambda name: _template(
            "D:mkcol",
            "<D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>"
            f"<D:displayname>{escape(name)}</D:displayname></D:prop></D:set>",
        ),
        _TEXTS,
    ),
)


def _break(xml: str, how: int, at: int) -> str:
    """Ways an XML body goes wrong: cut, a stray character, a DTD, a wrong encoding."""
    cut = at % (len(xml) + 1)
    return [
        lambda: xml[:cut],
        lambda: xml[:cut] + "<" + xml[cut:],
        lambda: xml[:cut] + "&" + xml[cut:],
        lambda: xml[:cut] + "&lt" + xml[cut:],
        lambda: '<!DOCTYPE x [<!ENTITY e "eeee">]>' + xml.replace("</", "&e;</", 1),
        lambda: xml.replace('encoding="utf-8"', 'encoding="utf-16"'),
        lambda: xml.replace('encoding="utf-8"', 'encoding="nonsense"'),
        lambda: xml.replace('encoding="utf-8"', 'encoding="cp932"'),
        lambda: xml + "<extra/>",
        lambda: xml.replace('xmlns:D="DAV:"', ""),
        lambda: xml.replace("D:", "", 2),
    ][how % 11]()


xml_bodies = st.one_of(
    _trees.map(render),
    _templates,
    st.builds(_break, st.one_of(_templates, _trees.map(render)), st.integers(0, 9), st.integers()),
).map(lambda text: text.encode("utf-8", "surrogatepass"))

# -- vCards --------------------------------------------------------------------------------


def _card(index: int) -> str:
    return make_card(f"fuzz-{index}", f"Fuzz Person {index}", emails=[f"p{index}@example.org"])


_CARD_BREAKS = [
    lambda c: c,
    lambda c: c.replace("END:VCARD\r\n", ""),
    lambda c: c.replace("UID:", "X-UID:"),
    lambda c: c.replace("FN:", "X-FN:"),
    lambda c: c.replace("VERSION:3.0", "VERSION:9.9"),
    lambda c: c.replace("Fuzz", "Fu\x00zz"),
    lambda c: c.replace("Fuzz", "Fu\x1bzz"),
    lambda c: c + c,
    lambda c: "BEGIN:VCARD\r\n" + c,
    lambda c: c.replace("\r\n", "\n"),
    lambda c: c.replace("\r\n", "\r"),
    lambda c: c.replace("BEGIN:VCARD", "BEGIN:VCALENDAR"),
    lambda c: c.replace("EMAIL", 'EMAIL;TYPE="unterminated'),
    lambda c: c.replace("FN:", "FN;ENCODING=b:"),
    lambda c: c.replace("END:VCARD", "NOTE:" + "n" * 70_000 + "\r\nEND:VCARD"),
    lambda c: c.replace("UID:fuzz", "UID:b-1"),
    lambda c: c.replace("UID:fuzz-", "UID:"),
    lambda c: "\ufeff" + c,
    lambda c: c.replace("BEGIN:VCARD", "BEGIN:VCARD\r\nBEGIN:VCARD"),
    lambda c: c.replace("N:", "N:" + ";" * 200),
]
vcard_bodies = st.one_of(
    st.builds(lambda i, b: b(_card(i)), st.integers(0, 5), st.sampled_from(_CARD_BREAKS)).map(
        lambda text: text.encode("utf-8")
    ),
    st.builds(lambda i: _card(i).encode("latin-1", "replace"), st.integers(0, 3)),
    st.builds(lambda i: _card(i).encode("utf-16"), st.integers(0, 3)),
)

# -- any body ------------------------------------------------------------------------------

bodies = st.one_of(
    st.just(b""),
    xml_bodies,
    xml_bodies,
    vcard_bodies,
    vcard_bodies,
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"<" * 200_000, b"x" * 1_100_000, b"\xff\xfe" + b"<\x00" * 1000]),
)


@st.composite
def requests(draw: st.DrawFn) -> Request:
    return Request(
        method=draw(st.sampled_from(METHODS)),
        path=draw(paths),
        headers=draw(headers()),
        body=draw(bodies),
        chunked=draw(st.integers(0, 19)) == 0,
    )
