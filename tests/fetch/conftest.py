"""Fixtures: test certificates, and HTTP, HTTPS, FTP and FTPS servers on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from contacthub.fetch import FetchPolicy
from tests.fetch.certs import CertificateFiles, make_certificates
from tests.fetch.ftp_server import LocalFTPServer
from tests.fetch.http_server import LocalHTTPServer, Site
from tests.support.net import LOOPBACK

# The tests' servers are on loopback: open exactly that, nothing else private.
LOOPBACK_ONLY = FetchPolicy(timeout=5, allowed_networks=("127.0.0.0/8",))


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def policy() -> FetchPolicy:
    return LOOPBACK_ONLY


@pytest.fixture
def tls_policy(certificates: CertificateFiles) -> FetchPolicy:
    return FetchPolicy(
        timeout=5, allowed_networks=("127.0.0.0/8",), ca_bundle=str(certificates.ca_file)
    )


@pytest.fixture
def http_server(site: Site) -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer(site) as server:
        yield server


@pytest.fixture
def https_server(site: Site, certificates: CertificateFiles) -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer(site, certificates.cert_file, certificates.key_file) as server:
        yield server


@pytest.fixture(params=["ftp", "ftps"])
def ftp_server(
    request: pytest.FixtureRequest, ftp_root: Path, certificates: CertificateFiles
) -> Iterator[LocalFTPServer]:
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    certfile = certificates.combined_file if request.param == "ftps" else None
    with LocalFTPServer(ftp_root, certfile) as server:
        yield server


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose listener accepts connections (in the kernel) and never answers."""
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(4)
        yield int(listener.getsockname()[1])
