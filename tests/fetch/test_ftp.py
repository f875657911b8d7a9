"""FTP and explicit FTPS fetching against a real pyftpdlib server."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import replace
from pathlib import Path

import pytest

from contacthub.errors import LoginRefused
from contacthub.fetch import FetchError, FetchPolicy, RemoteSource, fetch
from tests.fetch.certs import CertificateFiles
from tests.fetch.ftp_server import PASSWORD, USER, LocalFTPServer
from tests.support.net import LOOPBACK, free_port

CSV = b"name,email\nAda,ada@example.org\n"
T0 = 1_790_000_000


def _mdtm(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y%m%d%H%M%S")


def _write(path: Path, content: bytes, mtime: int) -> None:
    path.write_bytes(content)
    os.utime(path, (mtime, mtime))


@pytest.fixture
def ftp_policy(
    ftp_server: LocalFTPServer, policy: FetchPolicy, tls_policy: FetchPolicy
) -> FetchPolicy:
    return tls_policy if ftp_server.scheme == "ftps" else policy


def _source(server: LocalFTPServer, path: str = "/a.csv", passive: bool = True) -> RemoteSource:
    return RemoteSource(server.url(path), USER, PASSWORD, passive=passive)


def test_first_fetch_then_unchanged_by_mdtm_and_size(
    ftp_server: LocalFTPServer, ftp_root: Path, ftp_policy: FetchPolicy
) -> None:
    _write(ftp_root / "a.csv", CSV, T0)
    first = fetch(_source(ftp_server), None, ftp_policy)
    assert first.content == CSV
    assert first.state.mdtm == _mdtm(T0)
    assert first.state.size == len(CSV)
    # Same size and time though the bytes differ: MDTM+SIZE decide without a download.
    _write(ftp_root / "a.csv", CSV.upper(), T0)
    second = fetch(_source(ftp_server), first.state, ftp_policy)
    assert second.unchanged and second.content is None
    assert second.state == first.state


def test_changed_file_is_fetched(
    ftp_server: LocalFTPServer, ftp_root: Path, ftp_policy: FetchPolicy
) -> None:
    _write(ftp_root / "a.csv", CSV, T0)
    first = fetch(_source(ftp_server), None, ftp_policy)
    _write(ftp_root / "a.csv", CSV + b"Bob,bob@example.org\n", T0 + 60)
    second = fetch(_source(ftp_server), first.state, ftp_policy)
    assert second.content == CSV + b"Bob,bob@example.org\n"
    assert second.state.mdtm == _mdtm(T0 + 60)


def test_touched_file_is_unchanged_by_content_hash(
    ftp_server: LocalFTPServer, ftp_root: Path, ftp_policy: FetchPolicy
) -> None:
    _write(ftp_root / "a.csv", CSV, T0)
    first = fetch(_source(ftp_server), None, ftp_policy)
    _write(ftp_root / "a.csv", CSV, T0 + 60)
    second = fetch(_source(ftp_server), first.state, ftp_policy)
    assert second.unchanged and second.content is None
    assert second.state.mdtm == _mdtm(T0 + 60)  # stored, so the next run skips RETR


def test_active_mode(ftp_server: LocalFTPServer, ftp_root: Path, ftp_policy: FetchPolicy) -> None:
    _write(ftp_root / "a.csv", CSV, T0)
    assert fetch(_source(ftp_server, passive=False), None, ftp_policy).content == CSV


def test_wrong_password(
    ftp_server: LocalFTPServer, ftp_root: Path, ftp_policy: FetchPolicy
) -> None:
    _write(ftp_root / "a.csv", CSV, T0)
    with pytest.raises(FetchError) as caught:
        fetch(RemoteSource(ftp_server.url("/a.csv"), USER, "not-the-Secret"), None, ftp_policy)
    assert str(caught.value) == f"FTP login failed for user {USER}"
    # The server's 530: the login kind of error, at the password.
    assert isinstance(caught.value, LoginRefused) and caught.value.field == "password"


def test_anonymous_login_refused_names_the_user_name(
    ftp_server: LocalFTPServer, ftp_root: Path, ftp_policy: FetchPolicy
) -> None:
    _write(ftp_root / "a.csv", CSV, T0)
    with pytest.raises(LoginRefused) as caught:
        fetch(RemoteSource(ftp_server.url("/a.csv")), None, ftp_policy)
    assert str(caught.value) == "FTP login failed for user anonymous"
    assert caught.value.field == "username"


def test_missing_file(ftp_server: LocalFTPServer, ftp_policy: FetchPolicy) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(_source(ftp_server, "/exports/missing.csv"), None, ftp_policy)
    assert str(caught.value) == "FTP file exports/missing.csv not found on host 127.0.0.1"


def test_size_cap_from_size_reply(
    ftp_server: LocalFTPServer, ftp_root: Path, ftp_policy: FetchPolicy
) -> None:
    _write(ftp_root / "a.csv", b"x" * 5000, T0)
    with pytest.raises(FetchError, match=r"^the file is larger than 1000 bytes$"):
        fetch(_source(ftp_server), None, replace(ftp_policy, max_bytes=1000))


def test_credentials_in_the_url(
    ftp_server: LocalFTPServer, ftp_root: Path, ftp_policy: FetchPolicy
) -> None:
    _write(ftp_root / "a.csv", CSV, T0)
    url = ftp_server.url("/a.csv", user=f"{USER}:{PASSWORD}")
    assert fetch(RemoteSource(url), None, ftp_policy).content == CSV


@pytest.fixture
def plain_ftp_without_mdtm_and_size(ftp_root: Path) -> LocalFTPServer:
    return LocalFTPServer(ftp_root, without=("MDTM", "SIZE"))


def test_server_without_mdtm_and_size(
    plain_ftp_without_mdtm_and_size: LocalFTPServer, ftp_root: Path, policy: FetchPolicy
) -> None:
    """Older servers: the stream is capped as it comes and the hash tells unchanged files."""
    _write(ftp_root / "a.csv", CSV, T0)
    _write(ftp_root / "big.csv", b"x" * 300_000, T0)
    with plain_ftp_without_mdtm_and_size as server:
        first = fetch(_source(server), None, policy)
        assert (first.content, first.state.mdtm, first.state.size) == (CSV, None, None)
        assert fetch(_source(server), first.state, policy).unchanged
        with pytest.raises(FetchError, match=r"^the file is larger than 1000 bytes$"):
            fetch(_source(server, "/big.csv"), None, replace(policy, max_bytes=1000))


def test_ftps_with_the_host_name_in_the_certificate(
    ftp_root: Path, certificates: CertificateFiles, tls_policy: FetchPolicy
) -> None:
    _write(ftp_root / "a.csv", CSV, T0)
    with LocalFTPServer(ftp_root, certificates.combined_file) as server:
        url = server.url("/a.csv", host="localhost")
        assert fetch(RemoteSource(url, USER, PASSWORD), None, tls_policy).content == CSV


def test_ftps_with_an_untrusted_certificate(
    ftp_root: Path, certificates: CertificateFiles, policy: FetchPolicy
) -> None:
    _write(ftp_root / "a.csv", CSV, T0)
    with LocalFTPServer(ftp_root, certificates.combined_file) as server:
        with pytest.raises(FetchError, match=r"^certificate verify failed for host localhost"):
            fetch(
                RemoteSource(server.url("/a.csv", host="localhost"), USER, PASSWORD), None, policy
            )


def test_ftps_against_a_plain_ftp_server(ftp_root: Path, tls_policy: FetchPolicy) -> None:
    with LocalFTPServer(ftp_root) as server:
        url = server.url("/a.csv").replace("ftp://", "ftps://")
        with pytest.raises(FetchError, match="FTP server 127.0.0.1 does not offer FTPS"):
            fetch(RemoteSource(url, USER, PASSWORD), None, tls_policy)


def test_ftp_connection_refused(policy: FetchPolicy) -> None:
    port = free_port()
    with pytest.raises(FetchError) as caught:
        fetch(RemoteSource(f"ftp://{LOOPBACK}:{port}/a.csv", USER, PASSWORD), None, policy)
    assert str(caught.value) == f"could not connect to {LOOPBACK}:{port}: connection refused"


def test_ftp_timeout(silent_port: int, policy: FetchPolicy) -> None:
    url = f"ftp://{LOOPBACK}:{silent_port}/a.csv"
    with pytest.raises(FetchError) as caught:
        fetch(RemoteSource(url, USER, PASSWORD), None, replace(policy, timeout=0.3))
    assert str(caught.value) == f"connection to {LOOPBACK}:{silent_port} timed out after 0.3 s"
