"""IMAP mailbox names: modified UTF-7 (RFC 3501 section 5.1.3), which imaplib leaves to us.

"Éléments envoyés" travels as "&AMk-l&AOk-ments envoy&AOk-s"; the names in settings, state
and messages are the decoded ones, and only the wire sees the encoded form.
"""

from __future__ import annotations

import base64
import re

_ENCODED_RUN = re.compile(r"&([^-]*)-")


def _is_plain(char: str) -> bool:
    return "\x20" <= char <= "\x7e"


def encode_mailbox(name: str) -> str:
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            run.clear()

    for char in name:
        if _is_plain(char):
            flush()
            out.append("&-" if char == "&" else char)
        else:
            run.append(char)
    flush()
    return "".join(out)


def decode_mailbox(name: str) -> str:
    """The Unicode name; a malformed encoded run is kept as it came (shown, never lost)."""

    def decode(match: re.Match[str]) -> str:
        payload = match.group(1)
        if not payload:
            return "&"
        data = payload.replace(",", "/")
        try:
            return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")
        except ValueError:
            return match.group(0)

    return _ENCODED_RUN.sub(decode, name)
