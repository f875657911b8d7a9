"""Answers sent as they are made: compressed the way Radicale compresses whole ones."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any


def accepts_gzip(environ: Mapping[str, Any]) -> bool:
    """Radicale's reading of Accept-Encoding: gzip when it is named."""
    offered = str(environ.get("HTTP_ACCEPT_ENCODING", "")).split(",")
    return "gzip" in (encoding.strip() for encoding in offered)


def gzipped(chunks: Iterable[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    for chunk in chunks:
        if compressed := compressor.compress(chunk):
            yield compressed
    yield compressor.flush()
