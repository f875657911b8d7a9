"""Radicale's htpasswd authentication, with a login cache that forgets on change.

Checking a bcrypt hash costs ~0.2 s by design, so successful logins are
cached (Radicale's `cache_logins`). Radicale keeps a cached login for its
expiry time even after the users file changed; here any change of the file
(`contacthub user remove` or `passwd`) empties the cache at once, so a
removed account or an old password stops working with the next request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from radicale.auth import htpasswd

from contacthub.users import UsersFile


class Auth(htpasswd.Auth):
    def __init__(self, configuration: Any) -> None:
        # Radicale enables its login cache only for the auth types it knows by
        # name; to it, this is the htpasswd type.
        as_htpasswd = configuration.copy()
        as_htpasswd.update({"auth": {"type": "htpasswd"}}, "contacthub", privileged=True)
        super().__init__(as_htpasswd)
        self._users_file = UsersFile(Path(self._filename))
        self._users_file_version = self._users_file.version()

    # Radicale marks login final; this override only empties the cache before calling it
    # unchanged, and Radicale offers no hook that runs before its cache is read.
    def login(self, login: str, password: str, context: Any) -> Any:  # type: ignore[misc]
        version = self._users_file.version()
        if version != self._users_file_version and self._cache_logins:
            with self._lock:
                self._cache_successful.clear()
                self._users_file_version = version
        return super().login(login, password, context)
