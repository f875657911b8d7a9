"""A data directory, store or file the server cannot write: `contacthub serve` (and the other
commands) say in one sentence which path and what is wrong, and exit non-zero.

Read-only is made as production makes it, with a read-only mount (a bind mount of the
directory or file over itself): root, who runs these tests, is stopped by it as anyone is.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from contacthub.firstrun import prepare_data_dir
from tests.support.disks import read_only
from tests.support.net import free_port
from tests.support.postgres import PostgresServer
from tests.support.servers import ContacthubServer, contacthub_command, write_ini

pytestmark = pytest.mark.contacthub_only

READ_ONLY = "read-only file system"


def contacthub(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command as a person would; it must end by itself (no server comes up)."""
    return subprocess.run(
        [*contacthub_command(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The one sentence a refused start printed (and it did not start)."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    assert "listening on" not in done.stdout
    lines = [
        line
        for line in done.stderr.splitlines()
        if line.startswith("contacthub: ") and not line.startswith("contacthub: data directory ")
    ]
    assert len(lines) == 1, done.stderr
    return lines[0]


def serve(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return contacthub("serve", "--data-dir", str(data_dir), "--port", str(free_port()), *args)


def server_of(data_dir: Path) -> ContacthubServer:
    """`contacthub serve` on a data directory that has its account (alice) already."""
    server = ContacthubServer(data_dir, {"alice": "pw-Secret-101"})
    server._users_created = True
    return server


def add_user(data_dir: Path, name: str = "alice") -> None:
    """The account, in a data directory made as the first `serve` makes it."""
    prepare_data_dir(data_dir, data_dir / "contacthub.conf")
    done = contacthub("user", "add", name, "--data-dir", str(data_dir), stdin="pw-Secret-101\n")
    assert done.returncode == 0, done.stderr


def test_a_data_directory_that_cannot_be_created(tmp_path: Path) -> None:
    parent = tmp_path / "srv"
    parent.mkdir()
    with read_only(parent):
        said = refusal(serve(parent / "contacthub"))
    assert said.startswith(f"contacthub: cannot write to {parent / 'contacthub'} ({READ_ONLY}): ")
    assert "data directory" in said


def test_a_read_only_empty_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with read_only(data):
        said = refusal(serve(data))
    assert said.startswith(f"contacthub: cannot write to {data / 'contacthub.conf'} ({READ_ONLY})")


def test_a_read_only_data_directory_with_a_sqlite_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(data)
    with read_only(data):
        said = refusal(serve(data))
        assert said.startswith(
            f"contacthub: cannot write to {data} ({READ_ONLY}): the SQLite store"
        )
        # The other commands that open the store say the same.
        people = tmp_path / "people.csv"
        people.write_text("Name,Email\r\nAnn,ann@example.org\r\n")
        imported = contacthub("import", str(people), "--user", "alice", "--data-dir", str(data))
        assert refusal(imported) == said
        added = contacthub("user", "add", "bob", "--data-dir", str(data), stdin="pw-Secret-202\n")
        assert refusal(added) == said
        passwd = contacthub(
            "user", "passwd", "alice", "--data-dir", str(data), stdin="new-Pw-3-longer\n"
        )
        assert refusal(passwd).startswith(
            f"contacthub: cannot write to {data / 'users'} ({READ_ONLY}): the accounts"
        )
    # Nothing was half done: the accounts are as they were, and serve starts once it may write.
    with server_of(data) as server:
        alice = server.session("alice")
        assert alice.request("PROPFIND", "/alice/", headers={"Depth": "0"}).status_code == 207
    assert "bob" not in (data / "users").read_text()


def test_a_store_file_that_cannot_be_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(data)
    store = data / "contacthub.db"
    with read_only(store):
        said = refusal(serve(data))
    assert said.startswith(f"contacthub: cannot write to {store} ({READ_ONLY}): the SQLite store")


def test_a_store_url_into_a_missing_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    add_user(data)
    missing = tmp_path / "no" / "such"
    said = refusal(serve(data, "--store", f"sqlite:///{missing / 'store.db'}"))
    assert said.startswith(f"contacthub: cannot write to {missing} (no such directory): ")


@pytest.fixture
def postgres_data_dir(tmp_path: Path, postgres_server: PostgresServer) -> Path:
    """A data directory whose config keeps the store on PostgreSQL."""
    data = tmp_path / "data"
    data.mkdir()
    write_ini(data / "contacthub.conf", {"store": {"url": postgres_server.create_database()}})
    return data


def test_with_postgresql_a_read_only_data_directory_needs_only_its_files(
    postgres_data_dir: Path,
) -> None:
    data = postgres_data_dir
    # No account yet: the first admin's account cannot be written.
    with read_only(data):
        said = refusal(serve(data))
    assert said.startswith(f"contacthub: cannot write to {data / 'users'} ({READ_ONLY}): ")

    add_user(data)
    # No secret key yet: it cannot be made.
    with read_only(data):
        said = refusal(serve(data))
    assert said.startswith(f"contacthub: cannot write to {data / 'secret.key'} ({READ_ONLY}): ")
    assert "[contacthub] secret_key" in said

    # With its key there, a read-only data directory serves: the store is elsewhere.
    (data / "secret.key").write_bytes(Fernet.generate_key() + b"\n")
    with read_only(data), server_of(data) as server:
        alice = server.session("alice")
        put = alice.put(
            "/alice/contacts/ann.vcf",
            data="BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann\r\nEND:VCARD\r\n",
            headers={"Content-Type": "text/vcard"},
        )
        assert put.status_code == 201, put.text
