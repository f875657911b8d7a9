"""What no CardDAV request may delete or change, whatever the rights allow.

The root `/` is no row of the store: it only lists the accounts, so it has no properties
to set, and deleting it would delete every account's books (Radicale's own
multifilesystem storage does just that under `[rights] type = authenticated`). An
account's home (`/alice/`) holds its books, the books its sources fill and their history;
it goes with the account (`contacthub user remove`), never by one DELETE, and Radicale
would make it again, empty, at the account's next request. Such a request is answered
403 with a sentence, before the storage is asked, once Radicale's own rights would allow
it (anyone else gets Radicale's own 401 or 403).
"""

from __future__ import annotations

from http import client

from radicale import pathutils, types

ROOT_FIXED = "the root lists the accounts: it cannot be deleted and has no properties to set"
HOME_FIXED = (
    "an account's home holds all its address books and goes with the account: "
    "delete the books one by one instead"
)


def refusal(method: str, path: str) -> types.WSGIResponse | None:
    """The answer to `method` at `path` if it may not change what is there, else None."""
    sane = pathutils.strip_path(path)
    if not sane and method in ("DELETE", "PROPPATCH"):
        reason = ROOT_FIXED
    elif sane and "/" not in sane and method == "DELETE":
        reason = HOME_FIXED
    else:
        return None
    return client.FORBIDDEN, {"Content-Type": "text/plain"}, reason + "\n", None
