"""Shared fixtures: a throwaway PostgreSQL server, store URLs, real DAV servers.

- ``postgres_server`` (session): a private PostgreSQL cluster from the machine's
  binaries; ``pg_url``: a fresh empty database on it for one test.
- ``store_url``: parametrized over ``sqlite`` (a temp file) and ``postgresql``, at the
  current schema; ``empty_store_url``: the same before any migration.
- ``contacthub_server`` (module): ``contacthub serve`` with users alice, bob and
  carol, parametrized over the SQLite and the PostgreSQL store.
- ``contacthub_factory``: start servers with their own config for one test.
- ``radicale_server``: plain Radicale 3.9 (multifilesystem) with the same users.

``--e2e-server=radicale`` points the ``contacthub_server`` fixture at plain
Radicale instead (to check the protocol tests themselves); tests marked
``contacthub_only`` are then deselected.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from contacthub.store import Store
from contacthub.users import BCRYPT_ROUNDS_VARIABLE
from tests.fetch.http_server import LocalHTTPServer, Site
from tests.support.browser import browser  # noqa: F401 - one Chromium for the session
from tests.support.mail_fixtures import (  # noqa: F401 - fixtures for tests/imap and tests/api
    account,
    dovecot,
    mail_certificates,
    seeded,
    trusted,
)
from tests.support.postgres import PostgresServer
from tests.support.servers import ConfigSections, ContacthubServer, DavServer, RadicaleServer
from tests.support.stores import new_sqlite_store

BACKENDS = ("sqlite", "postgresql")

# The accounts the tests make are hashed at bcrypt's lowest cost: they test passwords, not
# bcrypt's cost (tests/test_bcrypt_cost.py tests the real one). Set before any fixture
# runs, so every `contacthub` the tests start, in process or not, inherits it.
os.environ[BCRYPT_ROUNDS_VARIABLE] = "4"

USERS: Mapping[str, str] = {
    "alice": "alice-Secret-1",
    "bob": "bob-Secret-2",
    "carol": "carol-Secret-3",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--e2e-server",
        choices=("contacthub", "radicale"),
        default="contacthub",
        help="server behind the contacthub_server fixture (radicale: plain Radicale "
        "with multifilesystem storage, to check the protocol tests themselves)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "contacthub_only: behaviour specific to contacthub (not plain Radicale)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--e2e-server") != "radicale":
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("contacthub_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Attach the output of the servers a failing test used to its report."""
    report = yield
    if report.failed:
        funcargs = getattr(item, "funcargs", {})
        for name, value in funcargs.items():
            servers = value if isinstance(value, list) else [value]
            for server in servers:
                if isinstance(server, DavServer):
                    report.sections.append(
                        (f"{server.name} output ({name}, {server.url})", server.log_tail(150))
                    )
    return report


# -- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """URL of a fresh, empty PostgreSQL database (postgresql+psycopg://...)."""
    return postgres_server.create_database()


@pytest.fixture(scope="session")
def postgres_at_head(postgres_server: PostgresServer) -> str:
    """The name of a database at the current schema, to copy (tests/support/stores.py):
    a template, which no one connects to."""
    name = "contacthub_at_head"
    Store.open(postgres_server.create_database(name)).close()
    return name


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store at the current schema with nothing in it: a SQLite file, or a PostgreSQL
    database (for an empty database, before any migration: ``empty_store_url``)."""
    if request.param == "sqlite":
        return new_sqlite_store(tmp_path / "store.db")
    pg: PostgresServer = request.getfixturevalue("postgres_server")
    return pg.create_database(template=request.getfixturevalue("postgres_at_head"))


@pytest.fixture(params=BACKENDS)
def empty_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store, no table in it yet: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store over ``store_url`` with the principal ``alice``, whose books sources fill.
    Test directories that want an empty store or other users define their own."""
    opened = Store.open(store_url)
    with opened.write() as tx:
        tx.create_collection("alice", {})
    yield opened
    opened.close()


# -- DAV servers -----------------------------------------------------------------------------


def _store_for(backend: str, request: pytest.FixtureRequest) -> str | None:
    """--store argument for *backend*: None (the data dir's SQLite file) or a new PG db."""
    if backend == "sqlite":
        return None
    if backend == "postgresql":
        pg: PostgresServer = request.getfixturevalue("postgres_server")
        return pg.create_database()
    raise ValueError(f"unknown backend {backend!r}")


def _radicale(base: Path, users: Mapping[str, str], config: ConfigSections | None = None):  # type: ignore[no-untyped-def]
    merged: dict[str, dict[str, str]] = {"auth": {"cache_logins": "True"}}
    for section, values in (config or {}).items():
        merged.setdefault(section, {}).update(values)
    return RadicaleServer(base, users, config=merged, bcrypt_rounds=4)


@pytest.fixture(scope="module", params=BACKENDS)
def contacthub_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DavServer]:
    """A running ``contacthub serve`` (users alice, bob, carol) shared by a test module.

    Tests that need a clean slate create their own address book (``new_book``).
    """
    base = tmp_path_factory.mktemp(f"contacthub-{request.param}")
    server: DavServer
    if request.config.getoption("--e2e-server") == "radicale":
        server = _radicale(base, USERS)
    else:
        server = ContacthubServer(
            base / "data", USERS, store_url=_store_for(request.param, request)
        )
    server.start()
    yield server
    server.stop()


StartContacthub = Callable[..., DavServer]


@pytest.fixture
def contacthub_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StartContacthub]:
    """Start servers for one test: ``factory(backend="sqlite", config=None, users=USERS)``.

    All of them are stopped (SIGTERM, exit code 0 checked) when the test ends.
    """
    started: list[DavServer] = []

    def start(
        backend: str = "sqlite",
        config: ConfigSections | None = None,
        users: Mapping[str, str] = USERS,
        store_url: str | None = None,
    ) -> DavServer:
        base = tmp_path / f"server{len(started)}"
        server: DavServer
        if request.config.getoption("--e2e-server") == "radicale":
            server = _radicale(base, users, config)
        else:
            server = ContacthubServer(
                base / "data",
                users,
                config=config,
                store_url=store_url or _store_for(backend, request),
            )
        started.append(server)
        return server.start()

    yield start
    errors = []
    for server in started:
        try:
            server.stop()
        except AssertionError as exc:
            errors.append(str(exc))
    assert not errors, "\n\n".join(errors)


@pytest.fixture
def radicale_server(tmp_path: Path) -> Iterator[RadicaleServer]:
    """Plain Radicale 3.9 with multifilesystem storage and the same users."""
    server = RadicaleServer(tmp_path / "radicale", USERS, bcrypt_rounds=4)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- the tests' own file servers (remote CSV sources) ---------------------------------


@pytest.fixture
def site() -> Site:
    """The files the `http` server serves (tests add them)."""
    return Site()


@pytest.fixture
def http(site: Site) -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer(site) as server:
        yield server


@pytest.fixture
def ftp_root(tmp_path: Path) -> Path:
    root = tmp_path / "ftp"
    root.mkdir()
    return root
