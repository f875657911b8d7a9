"""The first start as a newcomer meets it: a real `contacthub serve` on a fresh data
directory says the admin password where nobody can miss it, keeps its log short, writes
its secrets for its owner only, and sends a browser at its root to the admin page."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.servers import ContacthubServer

pytestmark = pytest.mark.contacthub_only

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def first_start(tmp_path: Path) -> Iterator[ContacthubServer]:
    with ContacthubServer(tmp_path / "data", {}) as server:
        yield server


def start_up_log(server: ContacthubServer) -> list[str]:
    """What the start printed, up to the line that says it listens."""
    lines = server.log_path.read_text(encoding="utf-8").splitlines()
    ready = next(i for i, line in enumerate(lines) if "listening on" in line)
    return lines[: ready + 1]


def test_the_admin_password_stands_framed_with_the_admin_page(
    first_start: ContacthubServer,
) -> None:
    log = start_up_log(first_start)
    text = "\n".join(log)
    frame = [i for i, line in enumerate(log) if re.fullmatch(r"\+=+\+", line)]
    assert len(frame) == 2, text
    inside = log[frame[0] + 1 : frame[1]]
    assert all(line.startswith("| ") and line.endswith(" |") for line in inside), text
    assert len({len(line) for line in log[frame[0] : frame[1] + 1]}) == 1, "a closed frame"
    assert f"|   admin page:  {first_start.url}/admin/" in text
    assert "|   user:        root" in text
    assert first_start.admin_user == "root" and first_start.admin_password
    assert f"|   password:    {first_start.admin_password}" in text
    # The password signs in, on CardDAV and on the admin page's API.
    root = first_start.session("root", first_start.admin_password)
    assert root.request("PROPFIND", "/root/", headers={"Depth": "0"}).status_code == 207
    assert root.get("/api/v1/books").status_code == 200


def test_the_start_up_log_is_short_and_warns_of_nothing(first_start: ContacthubServer) -> None:
    log = start_up_log(first_start)
    outside_frame = [line for line in log if not line.startswith(("|", "+")) and line.strip()]
    # created data directory, wrote configuration, the scheduler, listening on
    assert len(outside_frame) <= 6, "\n".join(log)
    assert not [line for line in log if "WARNING" in line or "argon2" in line], "\n".join(log)


def test_the_files_holding_secrets_are_the_owners_alone(first_start: ContacthubServer) -> None:
    data = first_start.data_dir
    for name in ("contacthub.conf", "users", "secret.key", "contacthub.db", "contacthub.db-wal"):
        mode = stat.S_IMODE((data / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_a_browser_at_the_root_reaches_the_admin_page(first_start: ContacthubServer) -> None:
    root = requests.get(
        first_start.url + "/", headers={"Accept": BROWSER_ACCEPT}, allow_redirects=False
    )
    assert root.status_code == 302 and root.headers["Location"] == "/admin/"
    followed = requests.get(first_start.url + "/", headers={"Accept": BROWSER_ACCEPT})
    assert followed.url.startswith(first_start.url + "/admin/")
    assert followed.status_code == 200 and "<form" in followed.text


def test_carddav_clients_at_the_root_are_answered_as_before(
    first_start: ContacthubServer,
) -> None:
    url = first_start.url
    assert first_start.admin_password
    auth = ("root", first_start.admin_password)
    found = requests.request("PROPFIND", url + "/", auth=auth, headers={"Depth": "0"})
    assert found.status_code == 207 and "current-user-principal" in found.text
    options = requests.options(url + "/", auth=auth)
    assert options.status_code == 200 and "addressbook" in options.headers["DAV"]
    well_known = requests.get(url + "/.well-known/carddav", auth=auth, allow_redirects=False)
    assert well_known.status_code in (301, 302, 307, 308), well_known.status_code
    assert well_known.headers["Location"] == "/"
    # A GET of / that does not ask for a page is Radicale's, as it always was.
    plain = requests.get(url + "/", headers={"Accept": "*/*"}, allow_redirects=False)
    assert plain.status_code == 302 and plain.headers["Location"] == "/.web"
