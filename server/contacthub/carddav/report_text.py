"""A plain book's addressbook-multiget and sync-collection answered as text, not as an
element tree.

A phone's first sync of a big book is a sync-collection (pages of 10,000 hrefs with
their ETags), then multigets of a hundred cards each (DAVx5 ten, iOS and Evolution a
hundred): a thousand multigets for 100,000 contacts. Radicale answers each by building
an element per card, per property and per status, then serializing the tree: most of
the CPU of these REPORTs. `install()` puts `xml_report` in Radicale's place: when one
of them, on a plain book, asks for getetag and address-data only (what clients ask),
the cards are read as Radicale reads them (`retrieve_items`: the same hrefs, the same
404s, the same budget) and written out as the text Radicale would write; anything
else is Radicale's own. tests/carddav/test_report_text.py compares the two answers.
"""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Callable
from http import client
from typing import Any

from radicale import pathutils, storage, xmlutils
from radicale.app import report as radicale_report

from contacthub_radicale import Collection

MULTIGET = xmlutils.make_clark("CR:addressbook-multiget")
SYNC = xmlutils.make_clark("D:sync-collection")
SYNC_TOKEN = xmlutils.make_clark("D:sync-token")
SYNC_LEVEL = xmlutils.make_clark("D:sync-level")
LIMIT = xmlutils.make_clark("D:limit")
PROP = xmlutils.make_clark("D:prop")
GETETAG = xmlutils.make_clark("D:getetag")
ADDRESS_DATA = xmlutils.make_clark("CR:address-data")
HREF = xmlutils.make_clark("D:href")
CARDDAV = xmlutils.NAMESPACES["CR"]
OK = xmlutils.make_response(client.OK)

_radicale_xml_report = radicale_report.xml_report


class RenderedAnswer(ET.Element):
    """A multistatus whose start and responses are written already (`out`, in
    `encoding`); the application adds its own elements and the end
    (ContacthubApplication._xml_response). One buffer: a big answer is held once."""

    out: io.BytesIO
    encoding: str

    def write(self, text: str) -> None:
        self.out.write(text.encode(self.encoding, "xmlcharrefreplace"))


START = f'<multistatus xmlns="DAV:" xmlns:CR="{CARDDAV}">'
END = "</multistatus>"


def xml_report(
    base_prefix: str,
    path: str,
    xml_request: ET.Element | None,
    collection: storage.BaseCollection,
    encoding: str,
    unlock_storage_fn: Callable[[], None],
    *args: Any,
    **kwargs: Any,
) -> tuple[int, ET.Element]:
    """Radicale's `xml_report`, a plain book's multiget or sync-collection of getetag
    and address-data written as text."""
    props = _wanted(xml_request, collection, kwargs.get("share"))
    if xml_request is None or props is None:
        return _radicale_xml_report(
            base_prefix, path, xml_request, collection, encoding, unlock_storage_fn, *args, **kwargs
        )
    answer = RenderedAnswer(xmlutils.make_clark("D:multistatus"))
    answer.out, answer.encoding = io.BytesIO(), encoding
    answer.write(f"<?xml version='1.0' encoding='{encoding}'?>\n{START}")
    if xml_request.tag == MULTIGET:
        # A set in Radicale: each path once.
        wanted = dict.fromkeys(
            _request_path(element.text or "", base_prefix, path)
            for element in xml_request.findall(HREF)
        )
        hrefs = [p for p in wanted if p is not None]
        # Radicale copies the request to log it at debug level once answered: without
        # the hrefs read here (100,000 from vdirsyncer) the copy is small.
        del xml_request[:]
    else:
        token = (xml_request.findtext(SYNC_TOKEN) or "").strip()
        try:
            new_token, names = collection.sync(token)
        except ValueError:  # an invalid token: Radicale logs it and answers 403
            return _radicale_xml_report(
                base_prefix, path, xml_request, collection, encoding, unlock_storage_fn,
                *args, **kwargs,
            )  # fmt: skip
        answer.write(f"<sync-token>{_escape(new_token)}</sync-token>")
        hrefs = [pathutils.unstrip_path(posixpath.join(collection.path, n)) for n in names]
    misses = ET.Element(xmlutils.make_clark("D:multistatus"))
    # Each card written out as it is read, and let go.
    for item, _ in radicale_report.retrieve_items(
        base_prefix, path, collection, hrefs, [], misses, None
    ):
        answer.write(_response(base_prefix, collection, item, props))
    unlock_storage_fn()
    for miss in misses:
        answer.write(ET.tostring(miss, encoding="unicode"))
    return client.MULTI_STATUS, answer


def _wanted(
    xml_request: ET.Element | None, collection: storage.BaseCollection, share: Any
) -> list[str] | None:
    """The properties a multiget or sync-collection asks for, when this module answers it."""
    if xml_request is None or xml_request.tag not in (MULTIGET, SYNC) or share:
        return None
    if type(collection) is not Collection or collection.tag != "VADDRESSBOOK":
        return None  # the combined book and calendars: Radicale's own
    prop = xml_request.find(PROP)
    if prop is None or len(prop) == 0 or any(p.tag not in (GETETAG, ADDRESS_DATA) for p in prop):
        return None
    known = (PROP, HREF) if xml_request.tag == MULTIGET else (PROP, SYNC_TOKEN, SYNC_LEVEL, LIMIT)
    if any(child.tag not in known for child in xml_request):
        return None
    return [p.tag for p in prop]


def _request_path(href: str, base_prefix: str, path: str) -> str | None:
    """The path an href names under `base_prefix`, as Radicale's xml_report finds it."""
    href_path = pathutils.sanitize_path(
        radicale_report.unquote(radicale_report.urlparse(href).path)
    )
    if (href_path + "/").startswith(base_prefix + "/"):
        return href_path[len(base_prefix) :]
    radicale_report.logger.warning(
        "Skipping invalid path %r in REPORT request on %r", href_path, path
    )
    return None


def _response(
    base_prefix: str, collection: storage.BaseCollection, item: Any, props: list[str]
) -> str:
    """One card's response, as Radicale's xml_item_response writes it."""
    uri = pathutils.unstrip_path(posixpath.join(collection.path, item.href))
    text = item.serialize()  # before the ETag: a converted card's is its version's
    values = []
    for tag in props:
        if tag == GETETAG:
            values.append(f"<getetag>{_escape(item.etag)}</getetag>")
        else:
            values.append(f"<CR:address-data>{_escape(text)}</CR:address-data>")
    return (
        "<response><href>"
        f"{_escape(xmlutils.make_href(base_prefix, uri))}</href><propstat><prop>"
        f"{''.join(values)}</prop><status>{OK}</status></propstat></response>"
    )


def _escape(text: str) -> str:
    """Character data as ElementTree escapes it."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def install() -> None:
    """Make Radicale answer multigets with `xml_report` (once per process)."""
    radicale_report.xml_report = xml_report
