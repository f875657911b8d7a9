"""Radicale sanitizes paths with contacthub_radicale.paths.sanitize_path: the same
answers as its own, for any path a client may send."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from radicale import pathutils

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
