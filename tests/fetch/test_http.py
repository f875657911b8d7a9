"""HTTP and HTTPS fetching against a real local server."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace

import pytest

from contacthub.fetch import FetchError, FetchPolicy, RemoteSource, fetch
from tests.fetch.certs import CertificateFiles
from tests.fetch.http_server import LocalHTTPServer, ServedFile, Site, http_date
from tests.support.net import LOOPBACK, free_port

CSV = b"name,email\nAda,ada@example.org\n"
MODIFIED = http_date(1_790_000_000)


def test_first_fetch_returns_bytes_and_state(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy
) -> None:
    site.files["/a.csv"] = ServedFile(CSV, last_modified=MODIFIED)
    result = fetch(RemoteSource(http_server.url("/a.csv")), None, policy)
    assert not result.unchanged
    assert result.content == CSV
    assert result.state.etag == site.files["/a.csv"].etag_value()
    assert result.state.last_modified == MODIFIED
    assert result.state.sha256 == hashlib.sha256(CSV).hexdigest()


def test_a_fetch_is_logged_with_the_host_only(
    http_server: LocalHTTPServer,
    site: Site,
    policy: FetchPolicy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="contacthub")
    site.files["/private/a.csv?key=token"] = ServedFile(CSV)
    source = RemoteSource(
        http_server.url("/private/a.csv?key=token").replace("://", "://user:secret@")
    )
    first = fetch(source, None, policy)
    fetch(source, first.state, policy)
    assert [r.getMessage() for r in caplog.records if r.name == "contacthub.fetch"] == [
        f"fetched from http://127.0.0.1: {len(CSV)} bytes, new",
        "fetched from http://127.0.0.1: unchanged",
    ]
    assert not any(word in caplog.text for word in ("secret", "token", "private"))


def test_unchanged_by_etag(http_server: LocalHTTPServer, site: Site, policy: FetchPolicy) -> None:
    site.files["/a.csv"] = ServedFile(CSV)
    source = RemoteSource(http_server.url("/a.csv"))
    first = fetch(source, None, policy)
    second = fetch(source, first.state, policy)
    assert second.unchanged and second.content is None
    assert second.state == first.state
    assert site.requests[-1]["If-None-Match"] == first.state.etag


def test_unchanged_by_last_modified(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy
) -> None:
    site.files["/a.csv"] = ServedFile(CSV, etag=False, last_modified=MODIFIED)
    source = RemoteSource(http_server.url("/a.csv"))
    first = fetch(source, None, policy)
    assert first.state.etag is None
    second = fetch(source, first.state, policy)
    assert second.unchanged
    assert site.requests[-1]["If-Modified-Since"] == MODIFIED


def test_unchanged_by_content_hash_when_the_server_has_no_validators(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy
) -> None:
    site.files["/a.csv"] = ServedFile(CSV, etag=False)
    source = RemoteSource(http_server.url("/a.csv"))
    first = fetch(source, None, policy)
    second = fetch(source, first.state, policy)
    assert second.unchanged and second.content is None
    assert second.state.sha256 == first.state.sha256


def test_changed_file_is_fetched_again(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy
) -> None:
    site.files["/a.csv"] = ServedFile(CSV, last_modified=MODIFIED)
    source = RemoteSource(http_server.url("/a.csv"))
    first = fetch(source, None, policy)
    site.files["/a.csv"] = ServedFile(CSV + b"Bob,bob@example.org\n", last_modified=MODIFIED)
    second = fetch(source, first.state, policy)
    assert not second.unchanged
    assert second.content == CSV + b"Bob,bob@example.org\n"
    assert second.state.etag != first.state.etag


def test_basic_auth(http_server: LocalHTTPServer, site: Site, policy: FetchPolicy) -> None:
    site.files["/a.csv"] = ServedFile(CSV, credentials=("alice", "pa55-Word"))
    url = http_server.url("/a.csv")
    assert fetch(RemoteSource(url, "alice", "pa55-Word"), None, policy).content == CSV
    with pytest.raises(FetchError) as caught:
        fetch(RemoteSource(url, "alice", "wrong-Secret"), None, policy)
    assert str(caught.value) == (
        f"HTTP 401 for {url}: the server refused the user name or password"
    )
    with pytest.raises(FetchError, match="asks for a user name and password"):
        fetch(RemoteSource(url), None, policy)


def test_credentials_in_the_url_work_and_stay_out_of_messages(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy
) -> None:
    site.files["/a.csv"] = ServedFile(CSV, credentials=("alice", "pa55-Word"))
    url = http_server.url("/a.csv").replace("://", "://alice:pa55-Word@")
    assert fetch(RemoteSource(url), None, policy).content == CSV
    with pytest.raises(FetchError) as caught:
        fetch(RemoteSource(url.replace("a.csv", "gone.csv")), None, policy)
    assert "pa55-Word" not in str(caught.value)
    assert "alice@127.0.0.1" in str(caught.value)


def test_not_found(http_server: LocalHTTPServer, policy: FetchPolicy) -> None:
    url = http_server.url("/missing.csv")
    with pytest.raises(FetchError) as caught:
        fetch(RemoteSource(url), None, policy)
    assert str(caught.value) == f"HTTP 404 for {url}: the file was not found"


def test_redirects_are_followed(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy
) -> None:
    site.files["/a.csv"] = ServedFile(CSV)
    site.redirects["/old.csv"] = "/older.csv"
    site.redirects["/older.csv"] = http_server.url("/a.csv")
    assert fetch(RemoteSource(http_server.url("/old.csv")), None, policy).content == CSV
    with pytest.raises(FetchError, match=r"/old\.csv redirected more than 1 times"):
        fetch(RemoteSource(http_server.url("/old.csv")), None, replace(policy, max_redirects=1))


def test_redirect_loop_is_bounded(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy
) -> None:
    site.redirects["/loop"] = "/loop"
    with pytest.raises(FetchError, match="redirected more than 5 times"):
        fetch(RemoteSource(http_server.url("/loop")), None, policy)
    assert len(site.requests) == 6


def test_credentials_do_not_follow_a_redirect_to_another_host(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy
) -> None:
    site.files["/a.csv"] = ServedFile(CSV)
    site.redirects["/go"] = http_server.url("/a.csv", host="localhost")
    fetch(RemoteSource(http_server.url("/go"), "alice", "pa55-Word"), None, policy)
    assert "Authorization" in site.requests[0]
    assert "Authorization" not in site.requests[1]
    assert site.requests[1]["Host"] == f"localhost:{http_server.port}"


def test_redirect_to_another_scheme_is_refused(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy
) -> None:
    site.redirects["/go"] = "file:///etc/passwd"
    with pytest.raises(FetchError, match="which is not an http or https URL"):
        fetch(RemoteSource(http_server.url("/go")), None, policy)


@pytest.mark.parametrize("content_length", [True, False])
def test_size_cap(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy, content_length: bool
) -> None:
    site.files["/big.csv"] = ServedFile(b"x" * 300_000, content_length=content_length)
    site.files["/fits.csv"] = ServedFile(b"x" * 1000, content_length=content_length)
    small = replace(policy, max_bytes=1000)
    with pytest.raises(FetchError, match=r"^the file is larger than 1000 bytes$"):
        fetch(RemoteSource(http_server.url("/big.csv")), None, small)
    assert fetch(RemoteSource(http_server.url("/fits.csv")), None, small).content == b"x" * 1000


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_https_with_the_trusted_test_ca(
    https_server: LocalHTTPServer, site: Site, tls_policy: FetchPolicy, host: str
) -> None:
    site.files["/a.csv"] = ServedFile(CSV)
    source = RemoteSource(https_server.url("/a.csv", host=host))
    first = fetch(source, None, tls_policy)
    assert first.content == CSV
    assert fetch(source, first.state, tls_policy).unchanged


def test_https_with_an_untrusted_certificate(
    https_server: LocalHTTPServer, site: Site, policy: FetchPolicy
) -> None:
    site.files["/a.csv"] = ServedFile(CSV)
    with pytest.raises(FetchError, match=r"^certificate verify failed for host localhost"):
        fetch(RemoteSource(https_server.url("/a.csv", host="localhost")), None, policy)


def test_certificate_is_checked_for_the_url_host_not_the_connected_address(
    site: Site, certificates: CertificateFiles, tls_policy: FetchPolicy
) -> None:
    site.files["/a.csv"] = ServedFile(CSV)
    cert, key = certificates.name_only_cert_file, certificates.key_file
    with LocalHTTPServer(site, cert, key) as server:
        # Both URLs connect to 127.0.0.1; only the name is on the certificate.
        assert fetch(RemoteSource(server.url("/a.csv", host="localhost")), None, tls_policy)
        with pytest.raises(FetchError, match=r"^certificate verify failed for host 127\.0\.0\.1"):
            fetch(RemoteSource(server.url("/a.csv")), None, tls_policy)


def test_connection_refused(policy: FetchPolicy) -> None:
    port = free_port()
    with pytest.raises(FetchError) as caught:
        fetch(RemoteSource(f"http://{LOOPBACK}:{port}/a.csv"), None, policy)
    assert str(caught.value) == f"could not connect to {LOOPBACK}:{port}: connection refused"


def test_timeout(silent_port: int, policy: FetchPolicy) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(
            RemoteSource(f"http://{LOOPBACK}:{silent_port}/a.csv"),
            None,
            replace(policy, timeout=0.3),
        )
    assert str(caught.value) == f"connection to {LOOPBACK}:{silent_port} timed out after 0.3 s"


@pytest.mark.parametrize(
    ("location", "refusal"),
    [
        (
            "http://[::1]:bad/",
            "to 'http://[::1]:bad/', which is not a valid URL "
            "(Port could not be cast to integer value as 'bad')",
        ),
        (
            "http://127.0.0.1:99999/a.csv",
            "to 'http://127.0.0.1:99999/a.csv', which is not a valid URL "
            "(Port out of range 0-65535)",
        ),
        ("https:///a.csv", "to 'https:///a.csv', which is not a valid URL (it names no host)"),
        # requests reads this one itself, before the Location reaches contacthub
        ("http://[::1/a.csv", "to a Location that is not a valid URL (Invalid IPv6 URL)"),
    ],
)
def test_a_redirect_to_a_malformed_url_fails_with_a_sentence(
    http_server: LocalHTTPServer, site: Site, policy: FetchPolicy, location: str, refusal: str
) -> None:
    site.redirects["/go"] = location
    with pytest.raises(FetchError) as caught:
        fetch(RemoteSource(http_server.url("/go")), None, policy)
    assert str(caught.value) == f"{http_server.url('/go')} redirected {refusal}"


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("http://user:secret@files.example:bad/a.csv", "Port could not be cast"),
        ("ftp://user:secret@[::1/a.csv", "Invalid IPv6 URL"),
    ],
)
def test_a_malformed_url_is_refused_with_a_sentence_without_its_password(
    url: str, detail: str
) -> None:
    with pytest.raises(FetchError, match=rf"^the URL is not valid: {detail}") as caught:
        RemoteSource(url)
    assert "secret" not in str(caught.value)
