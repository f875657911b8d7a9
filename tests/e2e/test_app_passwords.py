"""App passwords against a real `contacthub serve` (SQLite and PostgreSQL): made and revoked
with the CLI, used by CardDAV clients (plain HTTP and vdirsyncer) and the API, refused by
the admin page's sign-in form; and the account setting that refuses the main password for
CardDAV only."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from contacthub.logins import RULE_FRESH_FOR
from tests.clients.test_vdirsyncer import Vdirsyncer
from tests.conftest import BACKENDS, USERS
from tests.support import dav
from tests.support.commands import vdirsyncer_command
from tests.support.servers import ContacthubServer
from tests.support.vcards import make_card, new_uid

pytestmark = pytest.mark.contacthub_only

SECRET = re.compile(r"^[a-km-np-z2-9]{4}(-[a-km-np-z2-9]{4}){4}$")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContacthubServer]:
    """One server for the module, its store named in its configuration, so that the CLI
    and `serve` share it on PostgreSQL too."""
    config: dict[str, dict[str, str]] = {"auth": {"delay": "0"}}
    if request.param == "postgresql":
        config["store"] = {"url": request.getfixturevalue("postgres_server").create_database()}
    base = tmp_path_factory.mktemp(f"app-passwords-{request.param}")
    with ContacthubServer(base / "data", USERS, config=config) as started:
        yield started


def add(server: ContacthubServer, user: str, name: str) -> str:
    done = server.cli("user", "app-password", "add", user, name)
    secret = done.stdout.strip()
    assert SECRET.match(secret), done.stdout
    return secret


def api_get(server: ContacthubServer, path: str, user: str, password: str) -> requests.Response:
    return requests.get(server.url + path, auth=(user, password), timeout=30)


def propfind_status(server: ContacthubServer, user: str, password: str) -> int:
    session = server.session(user, password)
    try:
        return dav.propfind_raw(session, f"/{user}/", [dav.DISPLAYNAME], depth="1").status_code
    finally:
        session.close()


def test_the_cli_adds_lists_and_revokes(server: ContacthubServer) -> None:
    done = server.cli("user", "app-password", "add", "carol", "Carol's iPhone")
    assert SECRET.match(done.stdout.strip()), done.stdout
    assert "it is not shown again" in done.stderr
    listed = server.cli("user", "app-password", "list", "carol").stdout.splitlines()
    assert len(listed) == 1
    assert re.fullmatch(
        r"Carol's iPhone\tcreated \d{4}-\d\d-\d\d \d\d:\d\d UTC\tlast used never", listed[0]
    )
    again = server.cli("user", "app-password", "add", "carol", "Carol's iPhone", check=False)
    assert again.returncode == 1
    assert 'You already have an app password named "Carol\'s iPhone"' in again.stderr
    nobody = server.cli("user", "app-password", "add", "nobody", "Phone", check=False)
    assert nobody.returncode == 1 and "There is no user 'nobody'." in nobody.stderr

    revoked = server.cli("user", "app-password", "revoke", "carol", "Carol's iPhone")
    assert revoked.stdout == 'revoked the app password "Carol\'s iPhone" of carol\n'
    assert server.cli("user", "app-password", "list", "carol").stdout == ""
    twice = server.cli("user", "app-password", "revoke", "carol", "Carol's iPhone", check=False)
    assert twice.returncode == 1
    assert 'There is no app password named "Carol\'s iPhone".' in twice.stderr


def test_carddav_takes_an_app_password_until_the_next_request_after_its_revocation(
    server: ContacthubServer,
) -> None:
    secret = add(server, "alice", "Work phone")
    phone = server.session("alice", secret)
    book = "/alice/contacts/"
    uid = new_uid()
    card = make_card(uid, "Written By Phone")
    dav.create_card(phone, f"{book}{uid}.vcf", card)
    assert phone.get(f"{book}{uid}.vcf").text == card
    for _ in range(3):  # Radicale's login cache would keep a password it has seen
        assert dav.propfind_raw(phone, book, [dav.GETETAG], depth="1").status_code == 207

    server.cli("user", "app-password", "revoke", "alice", "Work phone")
    assert dav.propfind_raw(phone, book, [dav.GETETAG], depth="1").status_code == 401
    assert dav.put_vcard(phone, f"{book}{new_uid()}.vcf", card).status_code == 401
    assert api_get(server, "/api/v1/books", "alice", secret).status_code == 401
    assert propfind_status(server, "alice", USERS["alice"]) == 207  # her own password


def test_the_admin_sign_in_form_refuses_an_app_password(server: ContacthubServer) -> None:
    secret = add(server, "alice", "Laptop")
    assert api_get(server, "/api/v1/books", "alice", secret).status_code == 200
    browser = requests.Session()

    def sign_in(password: str) -> requests.Response:
        token = TOKEN.search(browser.get(server.url + "/admin/sign-in").text)
        assert token is not None
        return browser.post(
            server.url + "/admin/sign-in",
            data={"username": "alice", "password": password, "csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=30,
        )

    refused = sign_in(secret)
    assert refused.status_code == 422
    assert "The user name or password is wrong." in refused.text
    assert sign_in(USERS["alice"]).status_code == 302


def test_the_setting_refuses_the_main_password_for_carddav_only(
    server: ContacthubServer,
) -> None:
    own = USERS["bob"]
    secret = add(server, "bob", "Bob's phone")
    assert propfind_status(server, "bob", own) == 207  # serve has read the rule
    setting = server.url + "/api/v1/sign-in-settings"
    turned = requests.put(
        setting, auth=("bob", own), json={"carddav_requires_app_password": True}, timeout=30
    )
    assert turned.status_code == 200, turned.text
    try:
        assert propfind_status(server, "bob", own) == 401
        assert propfind_status(server, "bob", secret) == 207
        assert api_get(server, "/api/v1/books", "bob", own).status_code == 200
        assert api_get(server, "/api/v1/books", "bob", secret).status_code == 200
        assert propfind_status(server, "alice", USERS["alice"]) == 207  # bob's choice only
    finally:
        requests.put(
            setting, auth=("bob", own), json={"carddav_requires_app_password": False}, timeout=30
        )
    assert propfind_status(server, "bob", own) == 207  # a change through serve counts at once


def status_within_the_rules_second(
    server: ContacthubServer, user: str, password: str, expected: int
) -> int:
    """`serve` keeps what it read of an account's rule for RULE_FRESH_FOR: a change made by
    another process (the CLI) counts within it. The status once it should count."""
    changed_at = time.monotonic()
    while True:
        status = propfind_status(server, user, password)
        if status == expected or time.monotonic() - changed_at > RULE_FRESH_FOR + 0.5:
            return status
        time.sleep(0.05)


def test_the_cli_turns_the_setting_on_and_off(server: ContacthubServer) -> None:
    own = USERS["carol"]
    secret = add(server, "carol", "Carol's laptop")
    assert propfind_status(server, "carol", own) == 207  # serve has read the rule
    server.cli("user", "app-password", "require", "carol")
    try:
        listed = server.cli("user", "app-password", "list", "carol")
        assert "CardDAV refuses the own password of carol" in listed.stderr
        assert status_within_the_rules_second(server, "carol", own, 401) == 401
        assert propfind_status(server, "carol", secret) == 207
    finally:
        server.cli("user", "app-password", "require", "carol", "--off")
        server.cli("user", "app-password", "revoke", "carol", "Carol's laptop")
    assert status_within_the_rules_second(server, "carol", own, 207) == 207
    nobody = server.cli("user", "app-password", "require", "nobody", check=False)
    assert nobody.returncode != 0
    assert "There is no user" in nobody.stderr


def test_the_last_use_is_shown_after_use(server: ContacthubServer) -> None:
    secret = add(server, "carol", "Tablet")
    assert "\tlast used never" in server.cli("user", "app-password", "list", "carol").stdout
    assert propfind_status(server, "carol", secret) == 207
    deadline = time.monotonic() + 10
    while True:
        shown = api_get(server, "/api/v1/app-passwords/Tablet", "carol", USERS["carol"])
        if shown.json()["last_used_at"] is not None or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert shown.json()["last_used_at"] is not None
    listed = server.cli("user", "app-password", "list", "carol").stdout
    assert re.search(r"Tablet\tcreated .*\tlast used \d{4}-\d\d-\d\d \d\d:\d\d UTC", listed)


def test_vdirsyncer_syncs_with_an_app_password(server: ContacthubServer, tmp_path: Path) -> None:
    secret = add(server, "alice", "vdirsyncer")
    book = f"/alice/vdir-{new_uid()[:8]}/"
    dav.mkcol_addressbook(server.session("alice"), book, "Synced with an app password")
    vd = Vdirsyncer(tmp_path / "vdirsyncer", server.url + book, secret)
    uids = [new_uid() for _ in range(3)]
    for uid in uids:
        vd.write(f"{uid}.vcf", make_card(uid, f"Person {uid[:6]}"))
    vd.run("discover")
    assert vd.sync().count("Copying (uploading)") == 3
    alice = server.session("alice")
    members = dav.propfind(alice, book, [dav.GETETAG], depth="1")
    on_server = {
        line.removeprefix("UID:")
        for member in members
        if member.href.rstrip("/") != book.rstrip("/")
        for line in alice.get(member.raw_href).text.splitlines()
        if line.startswith("UID:")
    }
    assert on_server == set(uids)

    server.cli("user", "app-password", "revoke", "alice", "vdirsyncer")
    refused = subprocess.run(
        [*vdirsyncer_command(), "-c", str(vd.config), "sync"],
        env=vd.env,
        cwd=vd.root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode != 0
    assert "401" in refused.stdout + refused.stderr


def test_removing_an_account_forgets_its_app_passwords(server: ContacthubServer) -> None:
    server.add_user("dora", "dora's own password")
    secret = add(server, "dora", "Phone")
    assert propfind_status(server, "dora", secret) == 207
    server.cli("user", "remove", "dora")
    assert propfind_status(server, "dora", secret) == 401
    server.add_user("dora", "a new dora's password")  # somebody else with the same name
    assert server.cli("user", "app-password", "list", "dora").stdout == ""
    assert propfind_status(server, "dora", secret) == 401
