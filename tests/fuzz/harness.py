"""The fuzzing server's side: its books put back, a snapshot of them, a request sent raw.

Requests go through http.client, not requests, so that a header, a method or a
Content-Length can be anything a client could send.
"""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from urllib.parse import quote

from contacthub.store import Store
from contacthub.vcard.parse import item_data
from tests.fuzz.strategies import BOOKS, SERVER, Request
from tests.support.vcards import make_card

# Every printable ASCII character but space stays as it is; the rest is percent-encoded.
_KEEP = "".join(chr(c) for c in range(0x21, 0x7F))

Snapshot = dict[str, tuple[object, ...]]


def card_for(book: str, href: str) -> str:
    owner = book.split("/")[0]
    return make_card(f"{owner}-{href}", f"{owner.title()} {href}", emails=[f"{href}@example.org"])


def put_back(store: Store) -> None:
    """Make sure every book of BOOKS exists with its cards (a request may have removed,
    moved or changed them), so that every example finds the same paths to work on."""
    missing: dict[str, list[str]] = {}
    with store.read() as tx:
        found = tx.get_collections(list(BOOKS))
        for book, hrefs in BOOKS.items():
            record = found.get(book)
            if record is None or record.tag != "VADDRESSBOOK":
                missing[book] = hrefs
            elif lacking := [h for h in hrefs if h not in tx.get_items(record.id, hrefs)]:
                missing[book] = lacking
    if not missing:
        return
    # Every collection it may make, named up front: a book's home comes back with it
    # when a request removed the home (collections are locked in path order).
    homes = {book.split("/", 1)[0] for book in missing}
    with store.write(sorted(homes | set(missing))) as tx:
        for book, hrefs in missing.items():
            record = tx.get_collection(book)
            if record is None or record.tag != "VADDRESSBOOK":
                if record is not None:
                    tx.delete_collection(book)
                record = tx.create_collection(book, {"tag": "VADDRESSBOOK"})
            for href in hrefs:
                data = item_data(card_for(book, href))
                if (holder := tx.href_of_uid(record.id, data.uid)) is not None:
                    tx.delete_item(record, holder)  # the card was moved within its book
                tx.put_item(record, href, data)


def snapshot(store: Store) -> Snapshot:
    """Every collection with its uuid, tag, sync position and properties, and every item's
    ETag: what a client could see change."""
    seen: Snapshot = {}
    with store.read() as tx:
        pending = [c.path for c in tx.list_children("")]
        while pending:
            record = tx.require_collection(pending.pop())
            pending.extend(c.path for c in tx.list_children(record.path))
            etags = tuple(sorted((item.href, item.etag) for item in tx.iter_items(record.id)))
            props = tuple(sorted(record.props.items()))
            seen[record.path] = (record.uuid, record.tag, record.sync_seq, props, etags)
    return seen


def owned_by(state: Snapshot, user: str) -> Snapshot:
    return {path: value for path, value in state.items() if path.split("/")[0] == user}


@dataclass
class Answer:
    status: int
    seconds: float
    body: bytes


def send(host: str, port: int, request: Request, timeout: float) -> Answer:
    """Send `request` on a connection of its own; its status, time and body."""
    url = quote(request.path, safe=_KEEP)
    headers = {"Connection": "close"}
    for name, value in request.headers.items():
        value = value.replace(SERVER, f"http://{host}:{port}")
        headers[name] = quote(value, safe=_KEEP + " ") if name == "Destination" else value
    if request.chunked:
        headers.pop("Content-Length", None)
        headers["Transfer-Encoding"] = "chunked"
    elif headers.get("Content-Length") == "short":
        headers["Content-Length"] = str(max(0, len(request.body) - 1))
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.putrequest(request.method, url, skip_host=False, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value.encode("latin-1", "replace"))
        if "Content-Length" not in headers and not request.chunked:
            connection.putheader("Content-Length", str(len(request.body)))
        try:
            connection.endheaders(request.body, encode_chunked=request.chunked)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before it read the whole body: read the answer
        response = connection.getresponse()
        body = response.read()
        return Answer(response.status, time.monotonic() - started, body)
    finally:
        connection.close()
