"""Fixtures for the end-to-end HTTP tests."""

from __future__ import annotations

import uuid

import pytest

from tests.support import dav
from tests.support.servers import DavServer, DavSession


@pytest.fixture
def alice(contacthub_server: DavServer) -> DavSession:
    return contacthub_server.session("alice")


@pytest.fixture
def new_book(alice: DavSession) -> str:
    """Path of a new, empty address book of alice's (``/alice/<random>/``)."""
    path = f"/alice/book-{uuid.uuid4().hex[:12]}/"
    dav.mkcol_addressbook(alice, path, "Test book")
    return path
