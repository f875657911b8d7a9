"""The test infrastructure itself: throwaway PostgreSQL, store URLs, plain Radicale, and
the programs the tests run (this Python's own, not PATH's first)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support import dav
from tests.support.commands import contacthub_command, own_script, vdirsyncer_command
from tests.support.postgres import PostgresServer
from tests.support.servers import RadicaleServer
from tests.support.vcards import make_card, new_uid


def test_pg_url_is_a_fresh_empty_database(pg_url: str, postgres_server: PostgresServer) -> None:
    assert pg_url.startswith("postgresql+psycopg://")
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            assert sa.inspect(conn).get_table_names() == []
            conn.execute(sa.text("CREATE TABLE t (x int)"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW fsync")).scalar() == "off"
            assert conn.execute(sa.text("SHOW listen_addresses")).scalar() == ""
    finally:
        engine.dispose()
    # Another database is independent.
    other = sa.create_engine(postgres_server.create_database())
    try:
        with other.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
    finally:
        other.dispose()


def test_store_url_is_usable(store_url: str) -> None:
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x int)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 1
    finally:
        engine.dispose()


def test_plain_radicale_serves_a_default_book(radicale_server: RadicaleServer) -> None:
    alice = radicale_server.session("alice")
    books = dav.propfind(alice, "/alice/", [dav.DISPLAYNAME], depth="1")
    assert books.by_href()["/alice/contacts/"].text(dav.DISPLAYNAME) == "Contacts"
    etag = dav.create_card(alice, "/alice/contacts/a.vcf", make_card(new_uid(), "A"))
    assert alice.get("/alice/contacts/a.vcf").headers["ETag"] == etag
    assert radicale_server.session("alice", "wrong").get("/alice/").status_code == 401


def test_the_programs_run_are_this_pythons_own_whatever_path_says_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_install = tmp_path / "other" / "bin"
    other_install.mkdir(parents=True)
    for name in ("contacthub", "vdirsyncer"):
        (other_install / name).write_text("#!/bin/sh\nexit 3\n")
        (other_install / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{other_install}:{os.environ['PATH']}")
    for command in (contacthub_command(), vdirsyncer_command()):
        assert Path(command[0]).parent == Path(sys.executable).parent, command
        assert subprocess.run([*command, "--version"], capture_output=True).returncode == 0


def test_a_program_missing_from_this_python_is_named_with_how_to_install_it() -> None:
    with pytest.raises(RuntimeError) as missing:
        own_script("no-such-program")
    assert f"'no-such-program' is not installed for this Python ({sys.executable}" in str(
        missing.value
    )
    assert "pip install -e '.[test]'" in str(missing.value)
