"""The `contacthub` command as a user runs it: first start, accounts, restart, stop."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, USERS
from tests.support import dav
from tests.support.servers import ContacthubServer
from tests.support.vcards import apple_person_card, make_card, new_uid

pytestmark = pytest.mark.contacthub_only


@pytest.mark.parametrize("backend", BACKENDS)
def test_first_start_restart_and_accounts(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    # PostgreSQL through the config file here (the other tests use --store), so
    # that `contacthub user ...` works on the same store as `serve`.
    config = None
    if backend == "postgresql":
        pg_url = request.getfixturevalue("postgres_server").create_database()
        config = {"store": {"url": pg_url}}
    data_dir = tmp_path / "data"
    server = ContacthubServer(data_dir, {}, config=config)
    with server:
        # The first start made the data directory and an admin, and said its password.
        assert (data_dir / "users").is_file()
        if config is None:
            assert (data_dir / "contacthub.conf").is_file()
        if backend == "sqlite":
            assert (data_dir / "contacthub.db").is_file()
        assert server.admin_password and server.admin_user, server.log_tail()
        root = server.admin_user
        admin = server.session(root, server.admin_password)
        assert admin.request("PROPFIND", f"/{root}/", headers={"Depth": "0"}).status_code == 207
        # Accounts added while the server runs can log in at once.
        server.add_user("alice", USERS["alice"])
        server.add_user("bob", USERS["bob"])

        alice = server.session("alice")
        card = apple_person_card().encode()
        etag = dav.create_card(alice, "/alice/contacts/zoe.vcf", card)
        token = dav.sync_collection(alice, "/alice/contacts/", None).sync_token

        listed = server.cli("user", "list").stdout.split("\n")
        names = {line.split("\t")[0] for line in listed if line}
        assert names == {root, "alice", "bob"}
        assert any(re.match(rf"^{root}\s+admin$", line) for line in listed), listed
        assert not any(re.match(r"^(alice|bob)\s+admin$", line) for line in listed)

        # A removed account can no longer log in.
        bob = server.session("bob")
        assert bob.request("PROPFIND", "/bob/", headers={"Depth": "0"}).status_code == 207
        server.cli("user", "remove", "bob")
        assert bob.request("PROPFIND", "/bob/", headers={"Depth": "0"}).status_code == 401
        # A second add of an existing name fails.
        again = server.cli("user", "add", "alice", input="another-Secret-9\n", check=False)
        assert again.returncode != 0
        assert "already exists" in again.stderr

    # Stopped cleanly (the context manager checked exit code 0); start again.
    server.admin_password = server.admin_user = None
    with server:
        assert server.admin_password is None, "the admin password is printed only once"
        alice = server.session("alice")
        got = alice.get("/alice/contacts/zoe.vcf")
        assert got.status_code == 200
        assert got.headers["ETag"] == etag
        assert got.content == card
        # A client's token from before the restart still works.
        assert dav.sync_collection(alice, "/alice/contacts/", token).hrefs() == []
        dav.create_card(alice, "/alice/contacts/new.vcf", make_card(new_uid(), "After Restart"))
        assert dav.sync_collection(alice, "/alice/contacts/", token).hrefs() == [
            "/alice/contacts/new.vcf"
        ]
