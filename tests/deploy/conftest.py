"""Two `contacthub serve` processes on one PostgreSQL, as the README's "Several `serve`
processes" runs them, for the proxies in front of them (test_nginx.py, test_caddy.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from tests.deploy.site import PASSWORD, Backends
from tests.support.net import LOOPBACK
from tests.support.nginx import make_certificate
from tests.support.postgres import PostgresServer
from tests.support.servers import ContacthubServer


@pytest.fixture(scope="package")
def backends(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backends]:
    base = tmp_path_factory.mktemp("deploy")
    # What every process shares: the store, the secret key and the users file.
    shared = {
        "contacthub": {"trusted_proxy": LOOPBACK, "secret_key": Fernet.generate_key().decode()},
        "store": {"url": postgres_server.create_database()},
        "auth": {"htpasswd_filename": str(base / "users"), "delay": "0"},
    }
    first = ContacthubServer(base / "a", {"alice": PASSWORD}, config=shared, admins=("alice",))
    second = ContacthubServer(base / "b", {}, config=shared)
    cert, key = make_certificate(base / "tls")
    with first, second:
        yield Backends([first, second], base, cert, key)
