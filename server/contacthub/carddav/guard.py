"""The guard in front of Radicale: bad input refused in words before Radicale sees it.

The guard answers what Radicale's storage interface cannot: a card PUT is
checked (media type, size, UTF-8, one vCard with UID and FN) before Radicale
sees it, with a reason a person can act on, and its exact text is handed to
the storage so the client's bytes are what we keep and serve. An XML body
(PROPFIND, REPORT, PROPPATCH, MKCOL, MKCALENDAR) is parsed once within bounds
of size, elements, depth and properties, with DTDs refused (xml_body.py), and
property values a client sets are bounded (properties.py).

A write is checked only for a caller Radicale would let write there (gate.py):
anyone else gets Radicale's own 401 or 403, before the store is asked about the
path or a byte of the body is read, so no answer tells a stranger what exists.

A write that meets a full disk is answered 507 Insufficient Storage with a sentence
(Radicale itself would say 500); nothing of it is kept, and reads go on.

Once a request that deleted cards is answered with success (its transaction committed),
what it deleted goes to the watch on clients that delete too much (mass_delete.py).
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

from radicale import pathutils

from contacthub.carddav.bodies import BodyRefused, check_dav_body
from contacthub.carddav.export import export_body, export_headers
from contacthub.carddav.gate import Gate
from contacthub.carddav.headers import HeaderRefused, check_headers
from contacthub.carddav.limits import LimitRefused, is_infinite_depth, report_budget
from contacthub.carddav.listing import answer_in_windows
from contacthub.carddav.mass_delete import DeletionWatch
from contacthub.carddav.one_book import (
    moves_through_combined_book,
    names_a_source_group,
    sees_one_book,
)
from contacthub.carddav.properties import PropertyTooLong, check_property_sizes
from contacthub.carddav.streams import accepts_gzip
from contacthub.carddav.vcard_version import (
    ENVIRON_KEY,
    ConversionRefused,
    accepted_version,
    report_version,
)
from contacthub.carddav.xml_body import SIZE_LIMIT, XmlBodyRefused, parse_xml_body
from contacthub.config import Settings
from contacthub.signin_throttle import SignInThrottle, Throttled
from contacthub.store import NAME_LIMIT, CollectionRecord, Store, StoreError, parent_of
from contacthub.vcard.parse import InvalidVCard, is_vcard_media_type, parse_one
from contacthub_radicale.budget import AnswerBudget
from contacthub_radicale.context import (
    PutBody,
    StoreFault,
    budgeting,
    client,
    noting_deletions,
    putting,
    sharing_reads,
    watching_store_faults,
)
from contacthub_radicale.one_book import showing_one_book, shows_one_book
from contacthub_radicale.union import combined_books, is_default_book
from contacthub_radicale.union_windows import plan_books

logger = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_SETS_PROPERTIES = ("PROPPATCH", "MKCOL", "MKCALENDAR")
_WRITES = ("PUT", *_SETS_PROPERTIES)
_SENDS_XML = ("PROPFIND", "REPORT", *_SETS_PROPERTIES)
# Methods that only read: their reads share one transaction (context.SharedRead). A write
# of their own (Radicale making a new account's principal) ends it first.
_READS = frozenset({"GET", "HEAD", "OPTIONS", "PROPFIND", "REPORT"})
SOURCE_GROUP_REFUSED = (
    "this group shows the contacts of one of your address books and changes with that "
    "book only: add, remove or edit those contacts, or rename the book, where you see "
    "your books apart (another client, or the admin page)"
)


def _plain(
    start_response: Callable[..., Any],
    status: str,
    message: str,
    headers: Sequence[tuple[str, str]] = (),
) -> list[bytes]:
    body = (message + "\n").encode()
    start_response(
        status,
        [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *headers,
        ],
    )
    return [body]


_FAULT_STATUS = {507: "507 Insufficient Storage", 503: "503 Service Unavailable"}


def _fault_answer(
    environ: dict[str, Any], start_response: Callable[..., Any], error: StoreFault
) -> list[bytes]:
    status = _FAULT_STATUS[error.status]
    logger.error(
        "%s %r: %s (%s)",
        environ.get("REQUEST_METHOD"),
        environ.get("PATH_INFO", ""),
        status,
        "the store's disk is full" if error.status == 507 else "the store was busy",
    )
    return _plain(start_response, status, error.message, list(error.headers.items()))


# The statuses of the store's refusals a client of a write knows; any other is 400.
_REFUSAL_STATUS = {
    404: "404 Not Found",
    409: "409 Conflict",
    412: "412 Precondition Failed",
}


def _refusal_answer(
    environ: dict[str, Any], start_response: Callable[..., Any], error: StoreError
) -> list[bytes]:
    """The store's sentence for a write it refused (a UID taken, an unsafe name), in place
    of the single word Radicale answers a storage error with."""
    status = _REFUSAL_STATUS.get(error.status, "400 Bad Request")
    logger.info(
        "refused %s %r: %s (%s)",
        environ.get("REQUEST_METHOD"),
        environ.get("PATH_INFO", ""),
        status,
        error,
    )
    return _plain(start_response, status, str(error))


class RequestRefused(Exception):
    """A request answered here; `reason` is what the log says, when the message (for the
    client) may quote the card."""

    def __init__(
        self,
        status: str,
        message: str,
        reason: str | None = None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason or message
        self.headers = headers


class CardDavGuard:
    def __init__(
        self,
        app: WSGIApp,
        store: Store,
        settings: Settings,
        gate: Gate,
        throttle: SignInThrottle,
        watch: DeletionWatch | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.gate = gate
        self.throttle = throttle
        self.watch = watch
        self.max_content_length = settings.max_content_length
        self.max_resource_size = settings.max_resource_size

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        with (
            self.gate.auth.one_check_per_request(),
            watching_store_faults() as fault,
            _reads_shared(self.store, environ),
            client(environ.get("HTTP_USER_AGENT", "")),
            noting_deletions() as deleted,
        ):
            try:
                # Headers first: reading the credential needs a charset Python knows.
                self._check_headers(environ)
                self._check_password(environ)
            except RequestRefused as refused:
                return _refused(environ, start_response, refused)
            except Throttled as throttled:
                return _plain(
                    start_response,
                    "429 Too Many Requests",
                    str(throttled),
                    list(throttled.headers.items()),
                )
            replaced: list[bytes] = []
            succeeded: list[bool] = []

            def answering(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
                # Radicale answers a storage error 500; a full disk is 507 (RFC 4918 11.5),
                # a store too busy 503 with Retry-After, which clients retry. A write the
                # store refused is answered with the store's words and status.
                if fault.error is not None:
                    replaced.extend(_fault_answer(environ, start_response, fault.error))
                elif fault.refusal is not None and not status.startswith("2"):
                    replaced.extend(_refusal_answer(environ, start_response, fault.refusal))
                else:
                    succeeded.append(status.startswith("2"))
                    return start_response(status, headers, *args)
                return None

            with showing_one_book(self._sees_one_book(environ)):
                answer = self._answer(environ, answering)
            if deleted and succeeded == [True] and self.watch is not None:
                self.watch.deleted(deleted)
            if not replaced:
                return answer
            getattr(answer, "close", lambda: None)()
            return replaced

    def _check_password(self, environ: dict[str, Any]) -> None:
        """Check the request's password now, counted by the throttle (Throttled while it
        makes this address or account wait); Radicale's own check of it is answered from
        this one."""
        login = self.gate.login(environ)
        if login is not None:
            address = environ.get("REMOTE_ADDR", "")
            self.throttle.check(address, login, lambda: self.gate.signed_in(environ))

    def _sees_one_book(self, environ: dict[str, Any]) -> bool:
        """Whether the client sees the account's books as one: as its app password says,
        if it signed in with one that says, else as its User-Agent is recognised."""
        device = self.gate.auth.request_device()
        setting = device.book_view if device is not None else None
        return sees_one_book(environ.get("HTTP_USER_AGENT", ""), setting)

    def _answer(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        try:
            path = _request_path(environ)
            if method == "MOVE" and self._moves_through_combined_book(environ, path):
                raise RequestRefused(
                    "403 Forbidden",
                    "cards are not moved into or out of the combined book of all your books",
                )
            if method in ("PUT", "DELETE") and self._writes_source_group(environ, path):
                raise RequestRefused("403 Forbidden", SOURCE_GROUP_REFUSED)
            if method in _WRITES and not self.gate.may_write(environ, path):
                return self.app(environ, start_response)
            if method in _SENDS_XML and (method in _WRITES or self.gate.signed_in(environ)):
                root = self._check_xml_body(environ, method)
                if method == "PROPFIND" and is_infinite_depth(environ):
                    return _finite_depth_only(start_response)
                if method == "PROPFIND" and (
                    listing := self._listing(environ, path, start_response)
                ):
                    return listing
                if method == "REPORT":
                    try:
                        environ[ENVIRON_KEY] = report_version(root)
                    except ConversionRefused as refused:
                        return _conversion_refused(start_response, str(refused))
                    with budgeting(self._report_budget(root)):
                        return self.app(environ, start_response)
                return self.app(environ, start_response)
            if method in ("GET", "HEAD") and (books := self._readable_books(environ, path)):
                combined = shows_one_book() and is_default_book(path)
                return _export(
                    self.store, books, combined, environ, start_response, self.max_resource_size
                )
            if method != "PUT":
                self._check_length(environ, self.max_content_length)
                return self.app(environ, start_response)
            body = self._body_of_put(environ, path)
        except RequestRefused as refused:
            return _refused(environ, start_response, refused)
        if body is None:
            return self.app(environ, _without_empty_etag(start_response))
        with putting(body):
            return self.app(environ, _etag_only_if_kept(start_response, body))

    def _check_headers(self, environ: dict[str, Any]) -> None:
        try:
            check_headers(self.gate.configuration, environ)
        except HeaderRefused as refused:
            realm = self.gate.configuration.get("auth", "realm")
            challenge = [("WWW-Authenticate", f'Basic realm="{realm}"')]
            raise RequestRefused(
                refused.status, str(refused), headers=challenge if "401" in refused.status else ()
            ) from None

    def _check_xml_body(self, environ: dict[str, Any], method: str) -> Element | None:
        """The body's root element, after refusing an XML body over a bound or with a DTD,
        and a property value over its limit."""
        try:
            limit = min(SIZE_LIMIT, self.max_content_length)
            root = parse_xml_body(self._read_body(environ, limit, "XML body"))
            check_dav_body(method, root)
            if root is not None and method in _SETS_PROPERTIES:
                check_property_sizes(root)
        except (XmlBodyRefused, BodyRefused, PropertyTooLong) as error:
            raise RequestRefused("400 Bad Request", str(error)) from None
        return root

    def _report_budget(self, root: Element | None) -> AnswerBudget:
        try:
            return report_budget(root, self.max_resource_size)
        except LimitRefused as error:
            raise RequestRefused("400 Bad Request", str(error)) from None

    def _listing(
        self, environ: dict[str, Any], path: str, start_response: Callable[..., Any]
    ) -> Iterable[bytes] | None:
        """A PROPFIND of a big book's members, answered in windows (None: any other)."""
        if environ.get("HTTP_DEPTH", "0") == "0":  # Radicale lists members for any other
            return None
        books = self._readable_books(environ, path)
        if not books:
            return None
        windows_of = partial(plan_books, books=books)  # one book, or those it combines
        return answer_in_windows(self.app, self.store, windows_of, environ, start_response)

    def _writes_source_group(self, environ: dict[str, Any], path: str) -> bool:
        if not shows_one_book() or not self.gate.may_write(environ, path):
            return False  # a stranger is answered by Radicale
        return names_a_source_group(path)

    def _moves_through_combined_book(self, environ: dict[str, Any], path: str) -> bool:
        if not shows_one_book() or not self.gate.may_write(environ, path):
            return False  # a stranger is answered by Radicale
        return moves_through_combined_book(path, environ.get("HTTP_DESTINATION", ""))

    def _readable_books(self, environ: dict[str, Any], path: str) -> list[CollectionRecord]:
        """The address book at `path` ([]: none), if the caller may read it (asked before
        the store); for a one-book client at the default book, the books it combines."""
        if "/" not in path or not self.gate.may_read(environ, path):
            return []
        with self.store.read() as tx:
            if shows_one_book() and is_default_book(path):
                return combined_books(tx, path)
            record = tx.get_collection(path)
        return [record] if record is not None and record.tag == "VADDRESSBOOK" else []

    def _check_length(self, environ: dict[str, Any], limit: int, what: str = "request body") -> int:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise RequestRefused("400 Bad Request", "invalid Content-Length") from None
        if length > limit:
            raise RequestRefused(
                "413 Content Too Large",
                f"the {what} has {length} bytes; the limit is {limit}",
            )
        return length

    def _read_body(self, environ: dict[str, Any], limit: int, what: str = "request body") -> bytes:
        length = self._check_length(environ, limit, what)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    def _body_of_put(self, environ: dict[str, Any], path: str) -> PutBody | None:
        """Read and check the body of a PUT of one item; None for a whole-collection PUT.

        A card for an address book is checked here, with reasons a person can
        act on. A PUT into a book that does not exist yet (the user's very
        first request creates the default book inside Radicale) is kept
        unchecked, and the storage checks it.
        """
        parent, _, href = path.rpartition("/")
        with self.store.read() as tx:
            found = tx.get_collections([path, parent])
        target, container = found.get(path), found.get(parent)
        if target is not None or not href or (container is not None and not container.tag):
            self._check_length(environ, self.max_content_length)
            return None
        body = self._read_body(environ, self.max_resource_size)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RequestRefused(
                "400 Bad Request", f"the body is not UTF-8 (byte {error.start})"
            ) from None
        if container is None or container.tag != "VADDRESSBOOK":
            return PutBody(href=href, text=text, validated=False)
        content_type = environ.get("CONTENT_TYPE", "")
        if not is_vcard_media_type(content_type):
            raise RequestRefused(
                "415 Unsupported Media Type",
                f"a contact must be sent as text/vcard, not {content_type or 'no Content-Type'!r}",
            )
        try:
            card = parse_one(text)
        except InvalidVCard as error:
            # What is wrong comes before a colon; after one, vobject may quote a line.
            reason = str(error).split(":", 1)[0]
            raise RequestRefused("400 Bad Request", str(error), reason) from None
        return PutBody(href=href, text=text, validated=True, card=card)


def _refused(
    environ: dict[str, Any], start_response: Callable[..., Any], refused: RequestRefused
) -> list[bytes]:
    logger.info(
        "refused %s %r: %s (%s)",
        environ.get("REQUEST_METHOD"),
        environ.get("PATH_INFO", ""),
        refused.status,
        refused.reason,
    )
    return _plain(start_response, refused.status, str(refused), refused.headers)


def _export(
    store: Store,
    books: list[CollectionRecord],
    combined: bool,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
    max_resource_size: int,
) -> Iterable[bytes]:
    gzip = accepts_gzip(environ)
    version = accepted_version(environ.get("HTTP_ACCEPT", ""))
    start_response("200 OK", export_headers(books, gzip, version, combined=combined))
    if environ.get("REQUEST_METHOD") == "HEAD":
        return []
    return export_body(store, books, gzip, max_resource_size, version)


def _conversion_refused(start_response: Callable[..., Any], message: str) -> list[bytes]:
    """RFC 6352 8.6/8.7: the CARDDAV:supported-address-data-conversion precondition."""
    logger.info("refused REPORT: 403 (%s)", message)
    body = (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<D:error xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">'
        b"<CR:supported-address-data-conversion/></D:error>\n"
    )
    start_response(
        "403 Forbidden",
        [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _finite_depth_only(start_response: Callable[..., Any]) -> list[bytes]:
    """RFC 4918 9.1: a server may refuse Depth infinity with this condition."""
    logger.info("refused PROPFIND of Depth infinity: 403")
    body = (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>\n'
    )
    start_response(
        "403 Forbidden",
        [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _request_path(environ: dict[str, Any]) -> str:
    """The sanitized path, after refusing any path that tries to leave its collection.

    Radicale would resolve "a/../b" to "b" and serve another collection; a
    client that sends such a name has a bug or an intent, so it gets a 400.
    """
    path = environ.get("PATH_INFO", "")  # UTF-8 text already (carddav/paths.py)
    raw_uri = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw_uri:
        encoded = urlsplit(raw_uri).path
        if re.search(r"%(2f|5c)", encoded, re.IGNORECASE):
            raise RequestRefused("400 Bad Request", "names may not contain encoded slashes")
    if any(segment in (".", "..") for segment in path.split("/")):
        raise RequestRefused("400 Bad Request", "paths may not contain '.' or '..' segments")
    if any(unicodedata.category(ch) == "Cc" for ch in path):
        raise RequestRefused("400 Bad Request", "the path contains control characters")
    longest = max(path.split("/"), key=len)
    if len(longest) > NAME_LIMIT:
        raise RequestRefused(
            "400 Bad Request",
            f"a name in the path has {len(longest)} characters; the limit is {NAME_LIMIT}",
        )
    return pathutils.strip_path(pathutils.sanitize_path(path))


def _without_empty_etag(start_response: Callable[..., Any]) -> Callable[..., Any]:
    """Radicale answers a whole-collection PUT with an empty ETag header; drop it."""

    def patched(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        kept = [(k, v) for k, v in headers if not (k.lower() == "etag" and not v)]
        return start_response(status, kept, *args)

    return patched


def _etag_only_if_kept(start_response: Callable[..., Any], body: PutBody) -> Callable[..., Any]:
    """An ETag in the PUT response promises the stored bytes equal the bytes sent.

    Cards are kept as sent; a calendar object is kept as Radicale serializes it,
    which may differ, and then the client must GET it to learn the ETag.
    """

    def patched(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
        if body.stored != body.text:
            headers = [(k, v) for k, v in headers if k.lower() != "etag"]
        return start_response(status, headers, *args)

    return patched


def _reads_shared(store: Store, environ: dict[str, Any]) -> AbstractContextManager[None]:
    if environ.get("REQUEST_METHOD") in _READS:
        target = pathutils.strip_path(pathutils.sanitize_path(environ.get("PATH_INFO", "")))
        return sharing_reads(store, about=[target, parent_of(target)])
    return nullcontext()
