"""Radicale sanitizes paths with contacthub_radicale.paths.sanitize_path: the same
answers as its own, for any path a client may send."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from radicale import pathutils
from radicale.app import report as radicale_report

from contacthub.carddav import report_text
from contacthub_radicale import paths

PARTS = st.sampled_from(["", ".", "..", "...", "a", "b.vcf", "ä ö", "%2F", "\\", "~", " "])


def test_radicale_sanitizes_with_it() -> None:
    assert pathutils.sanitize_path is paths.sanitize_path


@pytest.mark.parametrize(
    "path",
    ["", "/", "//", "a", "/a/", "a//b", "/a/./b/../c/", "..", "/../..", "/a/b/../", "a/../"],
)
def test_the_same_as_radicales(path: str) -> None:
    assert paths.sanitize_path(path) == paths._radicale_sanitize_path(path)


@given(st.lists(PARTS, max_size=8), st.booleans(), st.booleans())
@example(["alice", "contacts", "card.vcf"], True, False)
def test_any_path_the_same_as_radicales(parts: list[str], leading: bool, trailing: bool) -> None:
    path = ("/" if leading else "") + "/".join(parts) + ("/" if trailing else "")
    assert paths.sanitize_path(path) == paths._radicale_sanitize_path(path)


HREF_PARTS = st.sampled_from(
    ["", ".", "..", "a", "b.vcf", "ä", "%2F", "%41", "?x=1", "#f", ";p", ":", "@", "+", "~", " "]
)


@given(
    st.lists(HREF_PARTS, max_size=6),
    st.sampled_from(["", "/", "//", "http://h/"]),
    st.sampled_from(["", "/base"]),
)
@example(["alice", "contacts", "c1.vcf"], "/", "")
@example(["h", "alice", "c.vcf"], "//", "")
@example(["base", "alice", "c.vcf"], "/", "/base")
def test_a_reports_hrefs_name_the_paths_radicale_finds(
    parts: list[str], start: str, base_prefix: str
) -> None:
    """report_text takes a plain href as its own path without parsing it as a URL: the
    same path as Radicale's xml_report finds by parsing it."""
    href = start + "/".join(parts)
    radicales = pathutils.sanitize_path(
        radicale_report.unquote(radicale_report.urlparse(href).path)
    )
    under = (radicales + "/").startswith(base_prefix + "/")
    expected = radicales[len(base_prefix) :] if under else None
    assert report_text._request_path(href, base_prefix, "/alice/contacts/") == expected
