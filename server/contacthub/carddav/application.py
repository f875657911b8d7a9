"""Radicale's application with five hooks: bounded REPORT answers, listings in windows,
books measured by the store, writes kept only when the answer says the request
succeeded, and the root and the accounts' homes kept whole.

Bounded answers: the storage stops reading when a REPORT's budget is spent
(contacthub_radicale/budget.py). Radicale has no way to say an answer is
partial, so it is added where Radicale turns the answer into bytes: a 507
response for the request-URI with DAV:number-of-matches-within-limits (RFC
6352 8.6.2, RFC 6578 3.6). A multiget over the budget, which cannot be
answered in part, is refused with 403 and the same condition, as Apple's
CalendarServer refuses one with too many hrefs.

Windows: a PROPFIND Depth 1 of a big book is answered one window of members at
a time (carddav/listing.py); each window's responses are serialized here
without the multistatus around them.

Measured books: Radicale tells a book's DAV:getcontentlength (asked by every
allprop PROPFIND, one without a body included) by joining all its cards into
one string and encoding it; the storage notes the book instead
(Collection.serialize), and its length is filled in here from the store.

Writes: Radicale commits what it wrote when it releases its lock, which it
also does when it answers an error; the methods that write run in a
Settlement (contacthub_radicale/context.py), committed for a 2xx or 3xx answer
and rolled back otherwise.

Streamed answers: a multiget of many cards is written as it is sent
(report_text.StreamedAnswer); Radicale is handed an empty body for it, and the answer's
stream takes its place here, without a Content-Length (waitress sends it chunked).

Fixed paths: a DELETE of the root or of an account's home, and a PROPPATCH of the root,
are refused with 403 (carddav/fixed_paths.py) where the rights would allow them.

Overriding these methods is the smallest hook Radicale offers: its storage
interface has no say in the multistatus or in the status of an answer.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from http import client
from typing import Any
from urllib.parse import unquote

from radicale import Application, pathutils, types, xmlutils
from radicale.app.base import Access

from contacthub.carddav import fixed_paths, report_text
from contacthub.carddav.streams import accepts_gzip
from contacthub.carddav.vcard_version import (
    ENVIRON_KEY,
    SUPPORTED,
    accepted_version,
    with_stored_etag,
)
from contacthub.vcard.versions import V3, V4
from contacthub_radicale import Storage, context
from contacthub_radicale.budget import AnswerTooLarge
from contacthub_radicale.vcard_version import serving
from contacthub_radicale.window import ListingWindow

logger = logging.getLogger(__name__)
report_text.install()  # a plain book's multiget written as text

MULTISTATUS = xmlutils.make_clark("D:multistatus")
RESPONSE = xmlutils.make_clark("D:response")
HREF = xmlutils.make_clark("D:href")
PROPSTAT = xmlutils.make_clark("D:propstat")
PROP = xmlutils.make_clark("D:prop")
GETCONTENTLENGTH = xmlutils.make_clark("D:getcontentlength")
SUPPORTED_ADDRESS_DATA = xmlutils.make_clark("CR:supported-address-data")
ADDRESS_DATA_TYPE = xmlutils.make_clark("CR:address-data-type")
WITHIN_LIMITS = "D:number-of-matches-within-limits"
MESSAGE = "{urn:contacthub}message"  # a sentence for people beside the condition

Method = Callable[..., types.WSGIResponse]
# The stream of the answer being made, if it is streamed (report_text.Stream).
_streams: ContextVar[list[report_text.Stream] | None] = ContextVar("streams", default=None)
_SENT_WHOLE = ("content-length", "content-encoding")


class ContacthubApplication(Application):
    def __call__(
        self, environ: types.WSGIEnviron, start_response: types.WSGIStartResponse
    ) -> Iterable[bytes]:
        streams: list[report_text.Stream] = []

        def starting(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            if streams:
                headers = [(n, v) for n, v in headers if n.lower() not in _SENT_WHOLE]
                if accepts_gzip(environ):
                    headers.append(("Content-Encoding", "gzip"))
            return start_response(status, headers, *args)

        token = _streams.set(streams)
        try:
            answer = super().__call__(environ, starting)
        except BaseException:
            for stream in streams:
                stream.close()
            raise
        finally:
            _streams.reset(token)
        if not streams:
            return answer
        return streams[0].compressed() if accepts_gzip(environ) else streams[0]

    def do_REPORT(
        self,
        environ: types.WSGIEnviron,
        base_prefix: str,
        path: str,
        user: str,
        user_groups: set[str],
        request_info: dict[str, Any],
    ) -> types.WSGIResponse:
        budget = context.answer_budget()
        if budget is not None:
            budget.request_href = xmlutils.make_href(base_prefix, path)
        try:
            with serving(environ.get(ENVIRON_KEY, V3)):
                return super().do_REPORT(
                    environ, base_prefix, path, user, user_groups, request_info
                )
        except AnswerTooLarge as refused:
            logger.info("refused REPORT %r: 403 (%s)", path, refused)
            error = xmlutils.webdav_error(WITHIN_LIMITS)
            ET.SubElement(error, MESSAGE).text = str(refused)
            headers = {"Content-Type": f"text/xml; charset={self._encoding}"}
            return client.FORBIDDEN, headers, self._xml_response(error, request_info), None

    def do_PROPFIND(
        self,
        environ: types.WSGIEnviron,
        base_prefix: str,
        path: str,
        user: str,
        user_groups: set[str],
        request_info: dict[str, Any],
    ) -> types.WSGIResponse:
        with context.measuring_books(base_prefix), serving(V3):
            return super().do_PROPFIND(environ, base_prefix, path, user, user_groups, request_info)

    def do_GET(
        self,
        environ: types.WSGIEnviron,
        base_prefix: str,
        path: str,
        user: str,
        user_groups: set[str],
        request_info: dict[str, Any],
    ) -> types.WSGIResponse:
        """A card in the version Accept asks for (HEAD is answered by this too)."""
        version = accepted_version(environ.get("HTTP_ACCEPT", ""))
        with serving(version):
            status, headers, *rest = super().do_GET(
                environ, base_prefix, path, user, user_groups, request_info
            )
        if status == client.OK and isinstance(headers, Mapping):
            headers = _negotiated(headers, version)
        return (status, headers, *rest)  # type: ignore[return-value]

    def _xml_response(self, xml_content: ET.Element, request_info: dict[str, Any]) -> bytes:
        if xml_content.tag != MULTISTATUS:
            return super()._xml_response(xml_content, request_info)
        budget = context.answer_budget()
        if budget is not None and budget.truncated:
            xml_content.append(_cut_short(budget.request_href))
        if isinstance(xml_content, report_text.StreamedAnswer):
            return _streamed(xml_content)
        if isinstance(xml_content, report_text.RenderedAnswer):
            return _rendered(xml_content)
        _advertise_versions(xml_content)
        window = context.listing_window()
        lengths = context.books_to_measure()
        if lengths is not None and lengths.books and (window is None or window.first):
            self._fill_in_lengths(xml_content, lengths)
        if window is not None:
            return _responses(xml_content, window).encode(self._encoding)
        return super()._xml_response(xml_content, request_info)

    def _fill_in_lengths(self, multistatus: ET.Element, lengths: context.BookLengths) -> None:
        """A book's DAV:getcontentlength, counted by the store (see Collection.serialize)."""
        assert isinstance(self._storage, Storage)
        for response in multistatus.iter(RESPONSE):
            href = unquote(response.findtext(HREF) or "").removeprefix(lengths.base_prefix)
            path = pathutils.strip_path(href)
            book = lengths.books.get(path)
            length = response.find(f"{PROPSTAT}/{PROP}/{GETCONTENTLENGTH}")
            if book is not None and length is not None:
                with context.reading(self._storage.store) as tx:
                    books = lengths.combined.get(path, [book])
                    extra = lengths.extra.get(path, 0)
                    length.text = str(sum(tx.text_bytes(b) for b in books) + extra)

    def do_PUT(self, *args: Any) -> types.WSGIResponse:
        with_stored_etag(args[0])
        return _settled(super().do_PUT, *args)

    def do_DELETE(self, *args: Any) -> types.WSGIResponse:
        with_stored_etag(args[0])
        return self._fixed("DELETE", *args) or _settled(super().do_DELETE, *args)

    def do_MKCOL(self, *args: Any) -> types.WSGIResponse:
        return _settled(super().do_MKCOL, *args)

    def do_MKCALENDAR(self, *args: Any) -> types.WSGIResponse:
        return _settled(super().do_MKCALENDAR, *args)

    def do_PROPPATCH(self, *args: Any) -> types.WSGIResponse:
        return self._fixed("PROPPATCH", *args) or _settled(super().do_PROPPATCH, *args)

    def _fixed(
        self,
        method: str,
        _environ: Any,
        _base: str,
        path: str,
        user: str,
        groups: set[str],
        *_: Any,
    ) -> types.WSGIResponse | None:
        """A refusal of what no request may change (fixed_paths.py), asked once Radicale's
        rights would let the caller write there."""
        if not user or not Access(self._rights, user, groups, path).check("w"):
            return None
        answer = fixed_paths.refusal(method, path)
        if answer is not None:
            logger.info("refused %s %r: 403 (%s)", method, path, answer[2])
        return answer

    def do_MOVE(self, *args: Any) -> types.WSGIResponse:
        return _settled(super().do_MOVE, *args)


def _settled(method: Method, *args: Any) -> types.WSGIResponse:
    with context.settling() as settlement:
        answer = method(*args)
        # The commit may meet a full disk or a busy store: noted for the guard to answer.
        with context.noting_store_faults():
            settlement.settle(commit=answer[0] < 400)
        return answer


def _rendered(answer: report_text.RenderedAnswer) -> bytes:
    """A multistatus written as text (carddav/report_text.py), with the elements added
    to it here, as ElementTree writes one."""
    for element in answer:
        answer.write(ET.tostring(element, encoding="unicode"))
    answer.write(report_text.END)
    return answer.out.getvalue()


def _streamed(answer: report_text.StreamedAnswer) -> bytes:
    """An empty body for Radicale: the answer's stream is sent in its place (__call__)."""
    streams = _streams.get()
    if streams is None:  # not called through __call__: sent whole
        return b"".join(answer.stream)
    streams.append(answer.stream)
    return b""


def _responses(multistatus: ET.Element, window: ListingWindow) -> str:
    """A window's responses without the multistatus around them (carddav/listing.py
    writes it once), each with its own namespace declarations; the collection's own
    response only in the first window."""
    responses = list(multistatus)[0 if window.first else 1 :]
    return "".join(ET.tostring(r, encoding="unicode") for r in responses)


def _negotiated(headers: Mapping[str, str], version: str) -> dict[str, str]:
    """A card's GET headers: its version in the Content-Type, and Vary: Accept."""
    if not headers.get("Content-Type", "").startswith("text/vcard"):
        return dict(headers)
    negotiated = {**headers, "Vary": "Accept"}
    if version == V4:
        negotiated["Content-Type"] = "text/vcard; version=4.0"  # Radicale adds the charset
    return negotiated


def _advertise_versions(multistatus: ET.Element) -> None:
    """Both vCard versions in CARDDAV:supported-address-data: cards are converted per
    request, whatever vobject Radicale sees (it lists 4.0 only with vobject 1.x)."""
    for supported in multistatus.iter(SUPPORTED_ADDRESS_DATA):
        supported.clear()
        for version in SUPPORTED:
            ET.SubElement(
                supported,
                ADDRESS_DATA_TYPE,
                {"content-type": "text/vcard", "version": version},
            )


def _cut_short(href: str) -> ET.Element:
    response = ET.Element(xmlutils.make_clark("D:response"))
    ET.SubElement(response, xmlutils.make_clark("D:href")).text = href
    status = ET.SubElement(response, xmlutils.make_clark("D:status"))
    status.text = xmlutils.make_response(client.INSUFFICIENT_STORAGE)
    response.append(xmlutils.webdav_error(WITHIN_LIMITS))
    return response
