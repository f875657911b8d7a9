"""The fetcher's data types: state round-trips through JSON, passwords stay out of text."""

from __future__ import annotations

import json

import pytest

from contacthub.fetch import FetchError, FetchPolicy, FetchState, RemoteSource, display_url
from contacthub.fetch.model import too_large


def test_state_round_trips_through_json() -> None:
    state = FetchState(
        etag='"abc"',
        last_modified="Mon, 23 Nov 2026 10:00:00 GMT",
        mdtm="20261123100000",
        size=42,
        sha256="0" * 64,
    )
    assert FetchState.from_json(json.loads(json.dumps(state.to_json()))) == state


def test_state_ignores_unknown_keys_from_newer_versions() -> None:
    assert FetchState.from_json({"etag": "x", "future": 1}) == FetchState(etag="x")


def test_password_is_neither_in_repr_nor_in_displayed_url() -> None:
    source = RemoteSource("ftp://bob:hunter2@example.org:2121/a.csv", password="s3cret")
    assert "s3cret" not in repr(source)
    assert display_url(source.url) == "ftp://bob@example.org:2121/a.csv"
    assert source.credentials() == ("bob", "s3cret")


def test_unsupported_scheme_is_refused() -> None:
    with pytest.raises(FetchError, match="is not an http, https, ftp or ftps URL"):
        RemoteSource("file:///etc/passwd")


def test_default_size_cap_is_stated_in_megabytes() -> None:
    assert str(too_large(FetchPolicy())) == "the file is larger than 50 MB"
