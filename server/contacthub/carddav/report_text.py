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

A multiget of more than STREAMED_HREFS cards (vdirsyncer names every card it lacks at
once: 100,000 hrefs, a 63 MB answer) is sent as it is written, never held whole
(`StreamedAnswer`). What decides its status comes first, while Radicale's lock is held:
the hrefs, and the sizes of the cards they name against the answer's budget (a 403 "ask
for fewer at a time" as before). Then its own snapshot of the store is opened, Radicale's
released, and the cards are read from that snapshot as the client takes the answer; the
snapshot is closed with the answer, also when the client leaves midway.
"""

from __future__ import annotations

import contextvars
import io
import logging
import posixpath
import re
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from http import client
from typing import Any
from urllib.parse import quote

from radicale import pathutils, storage, xmlutils
from radicale.app import report as radicale_report

from contacthub.store import Transaction
from contacthub_radicale import Collection, context

logger = logging.getLogger(__name__)

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
STREAMED_HREFS = 1000  # a multiget naming more cards is sent as it is written
CHUNK_BYTES = 256 * 1024  # of a streamed answer, handed on at a time

_radicale_xml_report = radicale_report.xml_report


class RenderedAnswer(ET.Element):
    """A multistatus whose start and responses are written already (`out`, in
    `encoding`); the application adds its own elements and the end
    (ContacthubApplication._xml_response). One buffer: a big answer is held once."""

    out: io.BytesIO
    encoding: str

    def write(self, text: str) -> None:
        self.out.write(text.encode(self.encoding, "xmlcharrefreplace"))

    def taken(self) -> bytes:
        """What is written so far, let go of."""
        written = self.out.getvalue()
        self.out.seek(0)
        self.out.truncate()
        return written


class StreamedAnswer(RenderedAnswer):
    """A multistatus whose responses are written as it is sent (`stream`): its status
    is decided, the elements the application adds are written at its end."""

    stream: Stream


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
        if len(hrefs) > STREAMED_HREFS:
            assert isinstance(collection, Collection)
            streamed = StreamedAnswer(answer.tag)
            streamed.out, streamed.encoding = answer.out, encoding
            streamed.stream = _stream(
                streamed, base_prefix, path, collection, hrefs, props, unlock_storage_fn
            )
            return client.MULTI_STATUS, streamed
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
        names = list(names)
        if props == [GETETAG] and _wrote_etags(answer, base_prefix, collection, names):
            unlock_storage_fn()
            return client.MULTI_STATUS, answer
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


def _stream(
    answer: StreamedAnswer,
    base_prefix: str,
    path: str,
    collection: Collection,
    hrefs: list[str],
    props: list[str],
    unlock_storage_fn: Callable[[], None],
) -> Stream:
    """The answer to a multiget of `hrefs`, to be written as it is sent: refused now
    (AnswerTooLarge) when the cards do not fit the budget together."""
    snapshot = ExitStack()
    try:
        with context.noting_store_faults():
            tx = snapshot.enter_context(collection.store.read())
            _check_sizes(tx, collection, hrefs)
    except BaseException:
        snapshot.close()
        raise
    unlock_storage_fn()  # the answer reads its own snapshot
    writing = _writing(answer, base_prefix, path, collection, hrefs, props, tx)
    # Sent after the guard and Radicale have returned: read in the request's context as
    # they left it (its budget, the vCard version asked for, the store's faults noted).
    return Stream(writing, contextvars.copy_context(), snapshot, path)


def _check_sizes(tx: Transaction, collection: Collection, hrefs: list[str]) -> None:
    """Refuse, as get_multi would while reading, a multiget whose cards do not fit."""
    budget = context.answer_budget()
    if budget is None:
        return
    names = []
    for href in hrefs:
        try:
            name = pathutils.name_from_path(href, collection)
        except ValueError:  # answered 404 as it is written
            continue
        if name:
            names.append(name)
    budget.check_multiget(list(tx.item_sizes(collection.record.id, names).values()))


def _writing(
    answer: StreamedAnswer,
    base_prefix: str,
    path: str,
    collection: Collection,
    hrefs: list[str],
    props: list[str],
    tx: Transaction,
) -> Generator[bytes, None, None]:
    misses = ET.Element(xmlutils.make_clark("D:multistatus"))
    with context.using(tx):
        for item, _ in radicale_report.retrieve_items(
            base_prefix, path, collection, hrefs, [], misses, None
        ):
            answer.write(_response(base_prefix, collection, item, props))
            if answer.out.tell() >= CHUNK_BYTES:
                yield answer.taken()
    for element in [*misses, *answer]:  # then what the application added
        answer.write(ET.tostring(element, encoding="unicode"))
    answer.write(END)
    yield answer.taken()


class Stream:
    """The body of a streamed answer, compressed when `gzip` is set: each chunk made in
    the request's context; closed (its snapshot with it) once sent, or when the client
    left. A store error after the first byte cannot become a status: it is logged and
    raised, and the server ends the connection without ending the answer."""

    def __init__(
        self,
        chunks: Generator[bytes, None, None],
        run_in: contextvars.Context,
        snapshot: ExitStack,
        path: str,
    ) -> None:
        self.chunks = chunks
        self.run_in = run_in
        self.snapshot = snapshot
        self.path = path
        self.gzip: Any = None  # a zlib compressor, when the client takes gzip
        self.done = False

    def compressed(self) -> Stream:
        self.gzip = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
        return self

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self.done:
            raise StopIteration
        try:
            chunk = self.run_in.run(next, self.chunks, None)
        except Exception:
            logger.exception("the answer to a multiget of %r stopped midway", self.path)
            self.close()
            raise
        if chunk is None:
            self.close()
            if self.gzip is None:
                raise StopIteration
            return self.gzip.flush()
        return self.gzip.compress(chunk) if self.gzip is not None else chunk

    def close(self) -> None:
        if self.done:
            return
        self.done = True
        try:
            self.run_in.run(self.chunks.close)
        finally:
            self.snapshot.close()


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


# An href of these characters alone, not starting with "//", is its own path: urlparse
# would find no scheme, host, query or parameters in it, and unquote nothing to decode.
# Parsing each href of a multiget of 100 was a tenth of its CPU.
_PLAIN_HREF = re.compile(r"/(?!/)[A-Za-z0-9/._~@+-]*\Z")


def _request_path(href: str, base_prefix: str, path: str) -> str | None:
    """The path an href names under `base_prefix`, as Radicale's xml_report finds it."""
    if _PLAIN_HREF.match(href):
        href_path = pathutils.sanitize_path(href)
    else:
        href_path = pathutils.sanitize_path(
            radicale_report.unquote(radicale_report.urlparse(href).path)
        )
    if (href_path + "/").startswith(base_prefix + "/"):
        return href_path[len(base_prefix) :]
    radicale_report.logger.warning(
        "Skipping invalid path %r in REPORT request on %r", href_path, path
    )
    return None


def _wrote_etags(
    answer: RenderedAnswer, base_prefix: str, collection: storage.BaseCollection, names: list[str]
) -> bool:
    """A sync page of ETags alone, written from the store's ETags without reading a card
    (a new phone's first sync lists every card); False, having written nothing, where
    only the cards can tell (Collection.etags)."""
    assert isinstance(collection, Collection)
    etags = collection.etags(names)
    if etags is None:
        return False
    missing = []
    for name in names:
        if name in etags:
            answer.write(
                _found(base_prefix, collection, name, f"<getetag>{_escape(etags[name])}</getetag>")
            )
        else:
            missing.append(name)
    for name in missing:  # after the others, as Radicale's answer has them
        uri = pathutils.unstrip_path(posixpath.join(collection.path, name))
        miss = radicale_report.xml_item_response(base_prefix, uri, found_item=False)
        answer.write(ET.tostring(miss, encoding="unicode"))
    return True


def _response(
    base_prefix: str, collection: storage.BaseCollection, item: Any, props: list[str]
) -> str:
    """One card's response, as Radicale's xml_item_response writes it."""
    text = item.serialize()  # before the ETag: a converted card's is its version's
    values = []
    for tag in props:
        if tag == GETETAG:
            values.append(f"<getetag>{_escape(item.etag)}</getetag>")
        else:
            values.append(f"<CR:address-data>{_escape(text)}</CR:address-data>")
    return _found(base_prefix, collection, item.href, "".join(values))


def _found(base_prefix: str, collection: storage.BaseCollection, name: str, values: str) -> str:
    """The response of a card found, with the properties' elements `values`."""
    # The href as xmlutils.make_href writes it, joined directly: the store's paths are
    # sane and its names single components (store/paths.py), which Radicale's
    # unstrip_path and make_href would check again, several times per card.
    href = quote(f"{base_prefix}/{collection.path}/{name}")
    return (
        "<response><href>"
        f"{_escape(href)}</href><propstat><prop>"
        f"{values}</prop><status>{OK}</status></propstat></response>"
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
