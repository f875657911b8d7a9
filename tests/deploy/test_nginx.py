"""deploy/nginx/contacthub.conf for real: Debian's nginx with TLS in front of two
`contacthub serve` processes on one PostgreSQL, as the README tells a person to run it.

Every request carries its own X-Request-ID; each `serve` ends its log line of a request
with that id, so the tests see which process answered what.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from cryptography.fernet import Fernet

from contacthub.config import DEFAULT_MAX_CONTENT_LENGTH, DEFAULT_MAX_RESOURCE_SIZE
from tests.support.net import LOOPBACK, free_port, wait_until
from tests.support.nginx import Nginx, make_certificate, render_config, start_nginx
from tests.support.postgres import PostgresServer
from tests.support.servers import ContacthubServer
from tests.support.vcards import big_photo_card, make_card, new_uid

PASSWORD = "alice-Secret-1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SYNC_COLLECTION = """<?xml version="1.0" encoding="utf-8"?>
<d:sync-collection xmlns:d="DAV:">
  <d:sync-token>{token}</d:sync-token>
  <d:sync-level>1</d:sync-level>
  <d:prop><d:getetag/></d:prop>
</d:sync-collection>"""


@dataclass
class Site:
    nginx: Nginx
    backends: list[ContacthubServer]
    cert: Path

    @property
    def url(self) -> str:
        return self.nginx.url

    def session(self, auth: tuple[str, str] | None = ("alice", PASSWORD)) -> requests.Session:
        session = requests.Session()
        # Not REQUESTS_CA_BUNDLE or a proxy from the environment: this site's own cert.
        session.trust_env = False
        session.verify = str(self.cert)
        session.auth = auth
        return session

    def answered_by(self, request_id: str, wait: float = 5.0) -> list[int]:
        """The indexes of the backends whose log has the request's line (written when
        the answer's last byte is handed on: waited for up to `wait` seconds)."""

        def logged() -> list[int]:
            return [i for i, backend in enumerate(self.backends) if _logged(backend, request_id)]

        try:
            wait_until(lambda: bool(logged()), wait, f"a log line with id={request_id}")
        except TimeoutError:
            return []
        return logged()


def _logged(backend: ContacthubServer, request_id: str) -> bool:
    return backend.log_path.exists() and f"id={request_id}" in backend.log_path.read_text()


def request_id() -> str:
    return uuid.uuid4().hex


@pytest.fixture(scope="module")
def site(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("nginx")
    # What every process shares: the store, the secret key and the users file.
    shared = {
        "contacthub": {"trusted_proxy": LOOPBACK, "secret_key": Fernet.generate_key().decode()},
        "store": {"url": postgres_server.create_database()},
        "auth": {"htpasswd_filename": str(base / "users"), "delay": "0"},
    }
    first = ContacthubServer(base / "a", {"alice": PASSWORD}, config=shared, admins=("alice",))
    second = ContacthubServer(base / "b", {}, config=shared)
    cert, key = make_certificate(base / "tls")
    port = free_port()
    backends = [first, second]
    with first, second:
        config = render_config([(s.host, s.port) for s in backends], port, cert, key, base / "ngx")
        with start_nginx(config, base / "ngx", port) as nginx:
            yield Site(nginx, backends, cert)


def test_well_known_carddav_redirects_to_the_https_root(site: Site) -> None:
    session = site.session(auth=None)
    moved = session.request("PROPFIND", site.url + "/.well-known/carddav", allow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["Location"] == site.url + "/"
    found = site.session().request(
        "PROPFIND",
        moved.headers["Location"],
        headers={"Depth": "0"},
        data='<propfind xmlns="DAV:"><prop><current-user-principal/></prop></propfind>',
    )
    assert found.status_code == 207
    assert "/alice/" in found.text


def test_a_put_through_one_process_is_synced_from_both(site: Site) -> None:
    session = site.session()
    book = site.url + "/alice/contacts/"
    first = _sync(session, book, "")
    token = re.search(r"<[^>]*sync-token>([^<]+)<", first.text)
    assert token is not None
    uid = new_uid()
    put_id = request_id()
    put = session.put(
        f"{book}{uid}.vcf",
        data=make_card(uid, "Nginx Person"),
        headers={"Content-Type": "text/vcard", "X-Request-ID": put_id, "If-None-Match": "*"},
    )
    assert put.status_code == 201
    assert len(site.answered_by(put_id)) == 1
    answered: set[int] = set()
    for _ in range(4):  # nginx takes turns between the two
        sync_id = request_id()
        changes = _sync(session, book, token.group(1), sync_id)
        assert f"{uid}.vcf" in changes.text
        answered.update(site.answered_by(sync_id))
    assert answered == {0, 1}


def _sync(
    session: requests.Session, book: str, token: str, rid: str | None = None
) -> requests.Response:
    """A sync-collection REPORT (an empty token: the initial one); rid: its X-Request-ID."""
    answer = session.request(
        "REPORT",
        book,
        data=SYNC_COLLECTION.format(token=token),
        headers={"Depth": "1", "Content-Type": "application/xml", "X-Request-ID": rid},
    )
    assert answer.status_code == 207, answer.text
    return answer


def test_the_admin_page_signs_in_through_the_proxy(site: Site) -> None:
    browser = site.session(auth=None)
    asked = browser.get(site.url + "/admin/", allow_redirects=False)
    assert asked.status_code == 302
    sign_in = urljoin(site.url + "/admin/", asked.headers["Location"])
    assert sign_in.startswith(site.url + "/admin/sign-in")
    form = browser.get(sign_in)
    token = TOKEN.search(form.text)
    assert token is not None
    signed = browser.post(
        sign_in,
        data={"username": "alice", "password": PASSWORD, "csrf_token": token.group(1)},
        # A browser sends it (Referrer-Policy: same-origin); over https the CSRF check
        # wants it to name the host the proxy forwarded, not the backend's address.
        headers={"Referer": sign_in},
        allow_redirects=False,
    )
    assert signed.status_code == 302, signed.text
    assert urljoin(sign_in, signed.headers["Location"]).startswith(site.url + "/admin/")
    cookie = signed.headers["Set-Cookie"]
    assert "contacthub_session=" in cookie
    assert "secure" in cookie.lower()  # X-Forwarded-Proto: https was believed
    answered: set[int] = set()
    for _ in range(4):  # the session signed by one process is good at the other
        page_id = request_id()
        books = browser.get(
            site.url + "/admin/books/", headers={"X-Request-ID": page_id}, allow_redirects=False
        )
        assert books.status_code == 200
        assert "Sign out" in books.text
        answered.update(site.answered_by(page_id))
    assert answered == {0, 1}


def test_a_browser_at_the_root_is_sent_to_the_admin_page_on_the_https_host(site: Site) -> None:
    root = site.session(auth=None).get(
        site.url + "/", headers={"Accept": "text/html"}, allow_redirects=False
    )
    assert root.status_code == 302
    assert urljoin(site.url + "/", root.headers["Location"]) == site.url + "/admin/"


def test_a_card_with_a_photo_up_to_the_servers_limit_passes(site: Site) -> None:
    uid = new_uid()
    card = big_photo_card(uid, os.urandom(7_000_000))
    assert 0.9 * DEFAULT_MAX_RESOURCE_SIZE < len(card.encode()) < DEFAULT_MAX_RESOURCE_SIZE
    put = site.session().put(
        f"{site.url}/alice/contacts/{uid}.vcf",
        data=card.encode(),
        headers={"Content-Type": "text/vcard"},
    )
    assert put.status_code == 201, put.text


def test_a_body_of_the_servers_limit_reaches_the_server_and_a_larger_one_does_not(
    site: Site,
) -> None:
    at_limit = request_id()
    answer = site.session().put(
        f"{site.url}/alice/contacts/{new_uid()}.vcf",
        data=b"x" * DEFAULT_MAX_CONTENT_LENGTH,
        headers={"Content-Type": "text/vcard", "X-Request-ID": at_limit},
    )
    # contacthub's own answer (one card is bounded by max_resource_size), not nginx's.
    assert answer.status_code == 413
    assert f"the limit is {DEFAULT_MAX_RESOURCE_SIZE}" in answer.text
    assert len(site.answered_by(at_limit)) == 1
    over = request_id()
    status, body = _headers_only_put(site, DEFAULT_MAX_CONTENT_LENGTH + 1, over)
    assert status == 413
    assert "nginx" in body
    assert site.answered_by(over, wait=1.0) == []


def _headers_only_put(site: Site, length: int, rid: str) -> tuple[int, str]:
    """nginx refuses a too-long body from its Content-Length, before reading it."""
    context = ssl.create_default_context(cafile=str(site.cert))
    with socket.create_connection((LOOPBACK, site.nginx.port), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname=LOOPBACK) as tls:
            tls.sendall(
                (
                    f"PUT /alice/contacts/{new_uid()}.vcf HTTP/1.1\r\n"
                    f"Host: {LOOPBACK}:{site.nginx.port}\r\n"
                    f"Content-Length: {length}\r\nX-Request-ID: {rid}\r\n\r\n"
                ).encode()
            )
            answer = b""
            while b"</html>" not in answer and (chunk := tls.recv(65536)):
                answer += chunk
    text = answer.decode("latin-1")
    return int(text.split(" ", 2)[1]), text
