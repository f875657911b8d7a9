#!/usr/bin/env python3
"""What the answers about a big book cost `contacthub serve`: time, CPU, peak memory, size.

    python benchmarks/big_book_answers.py [--contacts 50000] [--photos 300] [--store URL]
        [--only NAME] [--workdir DIR]

Fills one book with realistic cards, and a second with cards carrying a big photo,
through the store (fast), then sends to a freshly started server, one at a time, the
requests whose answer grows with the book: PROPFIND Depth 1 (allprop; getetag; getetag
with address-data), Depth infinity, an addressbook-query without a filter asking for
address-data, multigets, sync-collection from an empty token (followed through every
continuation the server hands out), GET of the whole book, and an allprop listing whose
client hangs up after 64 KiB (its CPU counted until the server is idle). For each: the
status, the wall time, the server's CPU time, the answer's bytes (as sent, uncompressed)
and the server's resident memory before and at its peak during the request (VmHWM, reset
through /proc/PID/clear_refs; sampled VmRSS where that is not allowed).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import re
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from contacthub.store import Actor, ItemData, Store  # noqa: E402
from contacthub.vcard.parse import item_data  # noqa: E402
from tests.clients.cards import make_card  # noqa: E402
from tests.support.servers import ContacthubServer, DavSession  # noqa: E402
from tests.support.vcards import fold  # noqa: E402

USER = "alice"
FILLER = Actor(USER, "carddav", "big_book_answers.py")  # the cards' versions say who wrote them
PASSWORD = "bench-Secret-1"
BOOK = f"/{USER}/contacts/"
PHOTOS = f"/{USER}/photos/"
DAV = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"'
PROPFIND_ALLPROP = f'<?xml version="1.0"?><D:propfind {DAV}><D:allprop/></D:propfind>'
PROPFIND_ETAG = f'<?xml version="1.0"?><D:propfind {DAV}><D:prop><D:getetag/></D:prop></D:propfind>'
PROPFIND_ETAG_DATA = (
    f'<?xml version="1.0"?><D:propfind {DAV}><D:prop><D:getetag/><C:address-data/>'
    "</D:prop></D:propfind>"
)
QUERY_ALL = (
    f'<?xml version="1.0"?><C:addressbook-query {DAV}><D:prop><D:getetag/><C:address-data/>'
    "</D:prop></C:addressbook-query>"
)
SYNC = (
    f'<?xml version="1.0"?><D:sync-collection {DAV}><D:sync-token>{{}}</D:sync-token>'
    "<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"
)
SYNC_DATA = SYNC.replace("<D:getetag/>", "<D:getetag/><C:address-data/>")
MULTIGET_HREFS = 10_000
PHOTO_MULTIGET = 100  # hrefs of the photo book's multiget (fewer found if --photos is lower)


def href(index: int) -> str:
    return f"card-{index:06d}.vcf"


def fill(store_url: str, count: int, photos: int, photo_bytes: int) -> None:
    """`count` cards in the default book; `photos` cards with a photo of `photo_bytes`
    (base64) in a second book."""
    store = Store.open(store_url)
    try:
        with store.write([USER, BOOK.strip("/"), PHOTOS.strip("/")], actor=FILLER) as tx:
            book = tx.ensure_default_book(USER)
            for start in range(0, count, 5000):
                batch = [
                    (href(i), item_data(make_card(i)))
                    for i in range(start, min(start + 5000, count))
                ]
                tx.add_items(book, batch)
            album = tx.create_collection(
                PHOTOS.strip("/"), {"tag": "VADDRESSBOOK", "D:displayname": "Photos"}
            )
            tx.add_items(album, [(href(i), photo_card(i, photo_bytes)) for i in range(photos)])
        store.refresh_statistics()  # as at the end of a run that wrote as much
    finally:
        store.close()


def photo_card(index: int, size: int) -> ItemData:
    """A card with a photo of `size` base64 characters; indexed as the card without it
    (parsing megabytes of base64 would only slow the fill)."""
    plain = make_card(index, seed=1)
    photo = "".join(fold(line) + "\r\n" for line in [f"PHOTO;ENCODING=b;TYPE=JPEG:{'A' * size}"])
    text = plain.replace("END:VCARD\r\n", photo + "END:VCARD\r\n")
    return replace(item_data(plain), text=text)


def multiget_body(count: int, book: str = BOOK) -> str:
    hrefs = "".join(f"<D:href>{book}{href(i)}</D:href>" for i in range(count))
    return (
        f'<?xml version="1.0"?><C:addressbook-multiget {DAV}><D:prop><D:getetag/>'
        f"<C:address-data/></D:prop>{hrefs}</C:addressbook-multiget>"
    )


class Memory:
    """The server's resident memory: now, and its peak since `reset`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._sampled = 0
        self._sampling = threading.Event()
        self._can_reset = True

    def _status(self, field: str) -> int:
        text = Path(f"/proc/{self.pid}/status").read_text()
        match = re.search(rf"{field}:\s+(\d+) kB", text)
        return int(match.group(1)) * 1024 if match else 0

    def rss(self) -> int:
        return self._status("VmRSS")

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset(self) -> None:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            self._can_reset = False
        self._sampled = self.rss()
        self._sampling.set()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while self._sampling.is_set():
            self._sampled = max(self._sampled, self.rss())
            time.sleep(0.01)

    def wait_idle(self, quiet: float = 1.0) -> None:
        """Wait until the server has spent no CPU for `quiet` seconds."""
        last = self.cpu()
        while True:
            time.sleep(quiet)
            now = self.cpu()
            if now - last < 0.02:
                return
            last = now

    def peak(self) -> int:
        self._sampling.clear()
        return max(self._sampled, self._status("VmHWM") if self._can_reset else 0)


@dataclass
class Row:
    name: str
    statuses: list[int]
    seconds: float
    cpu: float
    answer_bytes: int
    rss_before: int
    rss_peak: int
    requests: int = 1


def send(
    session: DavSession, method: str, path: str, depth: str | None, body: str
) -> tuple[int, bytes]:
    """Send one request; its status and answer."""
    headers = {"Accept-Encoding": "identity", "Content-Type": "application/xml; charset=utf-8"}
    if depth is not None:
        headers["Depth"] = depth
    with session.request(
        method, path, headers=headers, data=body.encode(), stream=True, timeout=600
    ) as response:
        return response.status_code, b"".join(response.iter_content(1 << 16))


def send_and_leave(
    session: DavSession, method: str, path: str, depth: str, body: str, after: int
) -> tuple[int, bytes]:
    """Send one request, read the first `after` bytes of its answer, and hang up."""
    server = urlsplit(session.base_url)
    assert isinstance(session.auth, tuple)
    credentials = base64.b64encode(":".join(session.auth).encode()).decode()
    connection = http.client.HTTPConnection(server.hostname or "", server.port, timeout=600)
    connection.request(
        method,
        path,
        body=body.encode(),
        headers={"Authorization": f"Basic {credentials}", "Depth": depth},
    )
    sock = connection.sock
    assert sock is not None
    response = connection.getresponse()
    answer = response.read(after)
    sock.shutdown(socket.SHUT_RDWR)
    response.close()
    connection.close()
    return response.status, answer


def measure(session: DavSession, memory: Memory, request: Request) -> Row:
    before = memory.rss()
    cpu = memory.cpu()
    memory.reset()
    start = time.perf_counter()
    statuses: list[int] = []
    size = 0
    requests = 0
    body = request.body
    while True:
        requests += 1
        if request.leave_after is None:
            status, answer = send(session, request.method, request.path, request.depth, body)
        else:
            status, answer = send_and_leave(
                session, request.method, request.path, "1", body, request.leave_after
            )
        statuses.append(status)
        size += len(answer)
        # RFC 6578 3.6: a 507 on the request-URI means "more to come"; its sync-token
        # continues from where the answer stopped.
        more = re.search(rb"HTTP/1\.[01] 507", answer)
        if not (request.follow_sync and more and requests < 1000):
            break
        token = re.search(rb"<[^>]*sync-token>([^<]+)<", answer)
        assert token, "a truncated sync answer without a sync-token"
        body = re.sub(
            r"<D:sync-token>[^<]*</D:sync-token>",
            f"<D:sync-token>{token.group(1).decode()}</D:sync-token>",
            body,
        )
    if request.leave_after is not None:
        memory.wait_idle()  # the work the server goes on doing for nobody counts
    seconds = time.perf_counter() - start
    return Row(
        request.name, statuses, seconds, memory.cpu() - cpu, size, before, memory.peak(), requests
    )


@dataclass
class Request:
    name: str
    method: str
    depth: str | None
    body: str = ""
    follow_sync: bool = False
    path: str = BOOK
    leave_after: int | None = None  # bytes read before the client leaves


REQUESTS = [
    Request("PROPFIND Depth 1, allprop", "PROPFIND", "1", PROPFIND_ALLPROP),
    Request("PROPFIND Depth 1, getetag", "PROPFIND", "1", PROPFIND_ETAG),
    Request("PROPFIND Depth 1, getetag + address-data", "PROPFIND", "1", PROPFIND_ETAG_DATA),
    Request("PROPFIND Depth infinity, getetag", "PROPFIND", "infinity", PROPFIND_ETAG),
    Request("addressbook-query, no filter, address-data", "REPORT", "1", QUERY_ALL),
    Request(f"addressbook-multiget, {MULTIGET_HREFS:,} hrefs", "REPORT", "1",
            multiget_body(MULTIGET_HREFS)),
    Request(f"addressbook-multiget, {MULTIGET_HREFS // 10:,} hrefs", "REPORT", "1",
            multiget_body(MULTIGET_HREFS // 10)),
    Request("sync-collection from no token, every page", "REPORT", "1", SYNC.format(""),
            follow_sync=True),
    Request("GET of the whole book", "GET", None),
    Request("PROPFIND Depth 1, allprop; the client leaves after 64 KiB", "PROPFIND", "1",
            PROPFIND_ALLPROP, leave_after=65536),
    Request("photo book: PROPFIND Depth 1, getetag", "PROPFIND", "1", PROPFIND_ETAG,
            path=PHOTOS),
    Request("photo book: addressbook-multiget of 100 cards", "REPORT", "1",
            multiget_body(PHOTO_MULTIGET, PHOTOS), path=PHOTOS),
    Request("photo book: addressbook-query, address-data", "REPORT", "1", QUERY_ALL,
            path=PHOTOS),
    Request("photo book: sync-collection with address-data, every page", "REPORT", "1",
            SYNC_DATA.format(""), follow_sync=True, path=PHOTOS),
    Request("photo book: GET", "GET", None, path=PHOTOS),
]  # fmt: skip


def run(server: ContacthubServer, only: str) -> Iterator[Row]:
    """Each request on a freshly started server, so its peak is its own."""
    for request in (r for r in REQUESTS if only in r.name):
        server.start()
        try:
            assert server._proc is not None
            memory = Memory(server._proc.popen.pid)
            session = server.session(USER)
            session.request("PROPFIND", BOOK, headers={"Depth": "0"})  # sign in, warm up
            yield measure(session, memory, request)
        finally:
            server.stop()


def report(rows: list[Row], count: int) -> str:
    mib = 1024 * 1024
    lines = [
        f"{count:,} cards | status | requests | wall s | server CPU s | answer MiB "
        "| RSS before MiB | RSS peak MiB",
        "--- | --- | --- | --- | --- | --- | --- | ---",
    ]
    for row in rows:
        statuses = ",".join(sorted({str(s) for s in row.statuses}))
        lines.append(
            f"{row.name} | {statuses} | {row.requests} | {row.seconds:.2f} | {row.cpu:.2f} "
            f"| {row.answer_bytes / mib:.1f} | {row.rss_before / mib:.0f} "
            f"| {row.rss_peak / mib:.0f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--photos", type=int, default=100, help="cards in the photo book")
    parser.add_argument("--photo-bytes", type=int, default=1_000_000, help="base64 per photo")
    parser.add_argument("--only", default="", help="the requests whose name contains this")
    parser.add_argument("--store", help="store URL (default: SQLite in the data directory)")
    parser.add_argument("--workdir", type=Path, help="keep the data here (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.workdir or Path(tmp)
        data_dir = work / "data"
        server = ContacthubServer(data_dir, users={USER: PASSWORD}, store_url=args.store)
        server.start()
        try:
            started = time.perf_counter()
            fill(
                args.store or f"sqlite:///{data_dir / 'contacthub.db'}",
                args.contacts,
                args.photos,
                args.photo_bytes,
            )
            print(f"filled {args.contacts:,} cards in {time.perf_counter() - started:.0f} s")
        finally:
            server.stop()
        print(report(list(run(server, args.only)), args.contacts))


if __name__ == "__main__":
    main()
