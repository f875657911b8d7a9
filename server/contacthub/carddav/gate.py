"""Who is asking, and may they write there: Radicale's own login and rights, asked early.

The guard checks a request's body and looks the path up in the store; it does
so only for a caller Radicale would let write at that path, so a stranger
learns nothing from the answer. Anyone else is handed to Radicale untouched,
which answers 401 (with WWW-Authenticate) or 403 before it reads a byte of the
body.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from radicale import httputils, pathutils
from radicale.app.base import Access
from radicale.auth import AuthContext
from radicale.config import Configuration
from radicale.rights import BaseRights

from contacthub_radicale.auth import Auth


class Gate:
    def __init__(self, configuration: Configuration, auth: Auth, rights: BaseRights) -> None:
        self.configuration = configuration
        self.auth = auth
        self.rights = rights

    def may_write(self, environ: dict[str, Any], path: str) -> bool:
        """Whether the request's credentials are good and their user may write at `path`."""
        user, groups = self._user(environ)
        return bool(user) and Access(self.rights, user, groups, "/" + path).check("w")

    def may_read(self, environ: dict[str, Any], path: str) -> bool:
        """Whether the request's credentials are good and their user may read at `path`."""
        user, groups = self._user(environ)
        return bool(user) and Access(self.rights, user, groups, "/" + path).check("r")

    def signed_in(self, environ: dict[str, Any]) -> bool:
        """Whether the request's credentials are good (Radicale will check them again,
        answered from this check within one request)."""
        return bool(self._user(environ)[0])

    def login(self, environ: dict[str, Any]) -> str | None:
        """The user name the request signs in with, if it sends Basic credentials."""
        credentials = self._credentials(environ)
        return None if credentials is None else credentials[0]

    def _credentials(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if not authorization.startswith("Basic"):
            return None
        try:
            decoded = base64.b64decode(authorization[len("Basic") :].strip().encode("ascii"))
            login, password = httputils.decode_request(self.configuration, environ, decoded).split(
                ":", 1
            )
        except (binascii.Error, UnicodeError, ValueError):
            return None
        return login, password

    def _user(self, environ: dict[str, Any]) -> tuple[str, set[str]]:
        credentials = self._credentials(environ)
        if credentials is None:
            return "", set()
        login, password = credentials
        context = AuthContext()
        context.remote_addr = environ.get("REMOTE_ADDR", "")
        user, _info, groups = self.auth.login(login, password, context)
        if not user or not pathutils.is_safe_path_component(user):
            return "", set()
        return user, set(groups)
