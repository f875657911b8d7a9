"""Cards converted to the other vCard version, kept for the next request that asks.

Each client of a book reads the same cards (every Mac of an account, each sync after a
change), and a conversion costs a millisecond or two per card, several times what
Radicale spends serving it; a conversion is a function of the stored bytes, so it is
kept by the stored card's ETag (a content hash) and version, up to MAX_CHARS of text in
all, the least recently used dropped first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from contacthub.vcard.versions import converted

MAX_CHARS = 32 * 1024 * 1024


class ConversionCache:
    def __init__(self, max_chars: int = MAX_CHARS) -> None:
        self.max_chars = max_chars
        self._texts: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._texts.clear()
            self._chars = 0

    def converted(self, etag: str, text: str, version: str) -> str:
        """`text` (whose ETag is `etag`) in `version`."""
        key = (etag, version)
        with self._lock:
            found = self._texts.get(key)
            if found is not None:
                self._texts.move_to_end(key)
                return found
        result = converted(text, version)
        if result is text:  # already in that version: nothing to keep beyond the request
            return result
        if len(result) <= self.max_chars // 8:  # a huge card is not worth the room
            with self._lock:
                if key not in self._texts:
                    self._texts[key] = result
                    self._chars += len(result)
                while self._chars > self.max_chars:
                    _, dropped = self._texts.popitem(last=False)
                    self._chars -= len(dropped)
        return result


CONVERSIONS = ConversionCache()
