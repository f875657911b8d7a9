"""deploy/nginx/contacthub.conf and deploy/caddy/Caddyfile for real: Debian's nginx and
Caddy with TLS, each in front of two `contacthub serve` processes on one PostgreSQL, as
the README tells a person to run them.

Every request carries its own X-Request-ID; each `serve` ends its log line of a request
with that id, so the tests see which process answered what.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import time
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest
import requests

from contacthub.config import DEFAULT_MAX_CONTENT_LENGTH, DEFAULT_MAX_RESOURCE_SIZE
from tests.deploy.site import (
    PASSWORD,
    SYNC_COLLECTION,
    TOKEN,
    Backends,
    Site,
    request_id,
)
from tests.support.caddy import render_caddyfile, start_caddy
from tests.support.net import LOOPBACK, free_port
from tests.support.nginx import render_config, start_nginx
from tests.support.vcards import big_photo_card, make_card, new_uid


@pytest.fixture(scope="module", params=("nginx", "caddy"))
def site(request: pytest.FixtureRequest, backends: Backends) -> Iterator[Site]:
    port = free_port()
    work = backends.base / request.param
    if request.param == "nginx":
        config = render_config(backends.addresses, port, backends.cert, backends.key, work)
        with start_nginx(config, work, port) as nginx:
            yield Site(nginx.url, backends, "nginx")
    else:
        caddyfile = render_caddyfile(backends.addresses, port, backends.cert, backends.key, work)
        with start_caddy(caddyfile, work, port) as caddy:
            yield Site(caddy.url, backends, "caddy")


def test_well_known_carddav_redirects_to_the_https_root(site: Site) -> None:
    session = site.session(auth=None)
    moved = session.request("PROPFIND", site.url + "/.well-known/carddav", allow_redirects=False)
    assert moved.status_code == 301
    root = urljoin(site.url + "/.well-known/carddav", moved.headers["Location"])
    assert root == site.url + "/"
    found = site.session().request(
        "PROPFIND",
        root,
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
    for _ in range(4):  # the proxy takes turns between the two
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
    session = site.session()
    href = f"{site.url}/alice/contacts/{uid}.vcf"
    put = session.put(href, data=card.encode(), headers={"Content-Type": "text/vcard"})
    assert put.status_code == 201, put.text
    assert session.get(href).content == card.encode()
    # Out of the way of the next proxy's syncs (an answer's size is bounded).
    assert session.delete(href).status_code == 200


def test_a_body_of_the_servers_limit_reaches_the_server(site: Site) -> None:
    at_limit = request_id()
    answer = site.session().put(
        f"{site.url}/alice/contacts/{new_uid()}.vcf",
        data=b"x" * DEFAULT_MAX_CONTENT_LENGTH,
        headers={"Content-Type": "text/vcard", "X-Request-ID": at_limit},
    )
    # contacthub's own answer (one card is bounded by max_resource_size), not the proxy's.
    assert answer.status_code == 413
    assert f"the limit is {DEFAULT_MAX_RESOURCE_SIZE}" in answer.text
    assert len(site.answered_by(at_limit)) == 1


def test_a_larger_body_never_reaches_the_server(site: Site) -> None:
    over = request_id()
    answer = site.session().put(
        f"{site.url}/alice/contacts/{new_uid()}.vcf",
        data=b"x" * (DEFAULT_MAX_CONTENT_LENGTH + 1),
        headers={"Content-Type": "text/vcard", "X-Request-ID": over},
    )
    # nginx: 413. Caddy 2.6 (Debian 12) stops forwarding at the limit and answers 502.
    assert answer.status_code == (413 if site.proxy == "nginx" else 502)
    assert site.answered_by(over, wait=1.0) == []
    if site.proxy == "nginx":  # which refuses it from its Content-Length, before reading
        announced = request_id()
        status, body = _headers_only_put(site, DEFAULT_MAX_CONTENT_LENGTH + 1, announced)
        assert (status, "nginx" in body) == (413, True)
        assert site.answered_by(announced, wait=1.0) == []


def _headers_only_put(site: Site, length: int, rid: str) -> tuple[int, str]:
    """A PUT that announces `length` bytes and sends none: (status, whole answer)."""
    context = ssl.create_default_context(cafile=str(site.cert))
    with socket.create_connection((LOOPBACK, site.port), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname=LOOPBACK) as tls:
            tls.sendall(
                (
                    f"PUT /alice/contacts/{new_uid()}.vcf HTTP/1.1\r\n"
                    f"Host: {LOOPBACK}:{site.port}\r\n"
                    f"Content-Length: {length}\r\nX-Request-ID: {rid}\r\n\r\n"
                ).encode()
            )
            answer = b""
            while b"</html>" not in answer and (chunk := tls.recv(65536)):
                answer += chunk
    text = answer.decode("latin-1")
    return int(text.split(" ", 2)[1]), text


def test_a_killed_process_is_passed_over_until_it_is_back(site: Site) -> None:
    """kill -9 of one `serve`: requests still get their answers from the other."""
    session = site.session()
    book = site.url + "/alice/contacts/"
    uid = new_uid()
    card = make_card(uid, "While One Is Down")
    put = session.put(f"{book}{uid}.vcf", data=card, headers={"Content-Type": "text/vcard"})
    assert put.status_code == 201
    killed = site.backends.servers[1]
    os.kill(killed.pid, signal.SIGKILL)
    killed.stop(check=False)
    try:
        for _ in range(4):
            assert session.get(f"{book}{uid}.vcf").text == card
        # Caddy 2.6 cannot send a body again to the next process (the README says so).
        for _ in range(4 if site.proxy == "nginx" else 0):
            uid = new_uid()
            put = session.put(
                f"{book}{uid}.vcf",
                data=make_card(uid, "While One Is Down"),
                headers={"Content-Type": "text/vcard", "If-None-Match": "*"},
            )
            assert put.status_code == 201
            assert f"{uid}.vcf" in _sync(session, book, "").text
    finally:
        killed.start()
    # And once it is back, it answers again: at the latest when the proxy tries it again
    # (nginx leaves a failed process alone for fail_timeout, 10 s; Caddy for its own).
    answered: set[int] = set()
    deadline = time.monotonic() + 30
    while answered != {0, 1} and time.monotonic() < deadline:
        rid = request_id()
        _sync(session, book, "", rid)
        answered.update(site.answered_by(rid))
        time.sleep(0.25)
    assert answered == {0, 1}
