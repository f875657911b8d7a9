"""/favicon.ico, which every browser asks for on every admin page: answered at once with
the icon, without credentials, while CardDAV beside it still asks for them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from tests.support.servers import ContacthubServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContacthubServer]:
    # The default configuration: wrong or missing credentials are answered slowly.
    with ContacthubServer(
        tmp_path_factory.mktemp("favicon") / "data", users={"alice": "alice-password"}
    ) as running:
        yield running


def test_the_icon_is_served_at_once_without_credentials(server: ContacthubServer) -> None:
    started = time.monotonic()
    answer = requests.get(server.url + "/favicon.ico", timeout=10)
    took = time.monotonic() - started

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "image/svg+xml"
    assert answer.content.startswith(b"<svg")
    assert took < 0.5, f"/favicon.ico took {took:.2f} s"


def test_the_pages_name_the_icon(server: ContacthubServer) -> None:
    sign_in = requests.get(server.url + "/admin/", timeout=10)
    assert '<link rel="icon" type="image/svg+xml" href="/admin/static/favicon.svg">' in (
        sign_in.text
    )
    icon = requests.get(server.url + "/admin/static/favicon.svg", timeout=10)
    assert icon.status_code == 200
    assert icon.content == requests.get(server.url + "/favicon.ico", timeout=10).content


def test_carddav_beside_it_still_asks_for_credentials(server: ContacthubServer) -> None:
    answer = requests.request("PROPFIND", server.url + "/alice/", timeout=10)
    assert answer.status_code == 401
    assert requests.post(server.url + "/favicon.ico", timeout=10).status_code != 200
