"""Radicale's htpasswd authentication, with a login cache that forgets on change.

Checking a bcrypt hash costs ~0.2 s by design, so successful logins are
cached (Radicale's `cache_logins`). Radicale keeps a cached login for its
expiry time even after the users file changed; here any change of the file
(`contacthub user remove` or `passwd`) empties the cache at once, so a
removed account or an old password stops working with the next request.

An app password (contacthub.logins) is checked against the store before Radicale's
cache is asked, at every request: a revoked one stops working with the next request.
An account that refuses its own password for CardDAV is refused it before the cache too.

The CardDAV guard authenticates a request before Radicale does (so that nothing
about a path is told to a stranger); inside `one_check_per_request` the second
login of the same request is answered from the first, so a password is checked
once per request; the app password it signed in with (`request_device`), read by that
one check, tells the guard how the device sees the account's books.

Requests that arrive together with the same uncached login (a phone's first sync, or every
device after a restart) wait for one bcrypt check and then find it cached: Radicale's cache
lets each of them pay its own (measured: half a loaded process's samples after a restart).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radicale.auth import htpasswd

from contacthub.logins import AppPasswords
from contacthub.store import AppPassword
from contacthub.users import UsersFile, check_unknown_name
from contacthub_radicale.context import client_agent


@dataclass
class _RequestLogins:
    """The logins checked in one request, and the app password one of them was."""

    answers: dict[tuple[str, str], Any] = field(default_factory=dict)
    device: AppPassword | None = None


_logins_of_request: ContextVar[_RequestLogins | None] = ContextVar(
    "logins_of_request", default=None
)


class _OneCheckAtATime:
    """A lock per login and password being checked, kept while anyone waits on it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[bytes, tuple[threading.Lock, int]] = {}

    @contextmanager
    def of(self, login: str, password: str) -> Iterator[None]:
        # The key is a digest so that no password is kept as a dictionary key.
        key = hashlib.sha256(f"{login}\0{password}".encode()).digest()
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


class Auth(htpasswd.Auth):
    def __init__(self, configuration: Any, app_passwords: AppPasswords | None = None) -> None:
        # Radicale enables its login cache only for the auth types it knows by
        # name; to it, this is the htpasswd type.
        as_htpasswd = configuration.copy()
        as_htpasswd.update({"auth": {"type": "htpasswd"}}, "contacthub", privileged=True)
        super().__init__(as_htpasswd)
        self._users_file = UsersFile(Path(self._filename))
        self._users_file_version = self._users_file.version()
        self._app_passwords = app_passwords
        self._checking = _OneCheckAtATime()

    # Radicale marks login final; this override only empties the cache before calling it
    # unchanged (or repeats the request's first answer), and Radicale offers no hook that
    # runs before its cache is read.
    def login(self, login: str, password: str, context: Any) -> Any:  # type: ignore[misc]
        checked = _logins_of_request.get()
        if checked is None:
            return self._login_now(login, password, context)
        if (login, password) not in checked.answers:
            checked.answers[login, password] = self._login_now(login, password, context, checked)
        return checked.answers[login, password]

    @contextmanager
    def one_check_per_request(self) -> Iterator[None]:
        token = _logins_of_request.set(_RequestLogins())
        try:
            yield
        finally:
            _logins_of_request.reset(token)

    def request_device(self) -> AppPassword | None:
        """The app password the request being handled signed in with, as its check read
        it (None: it signed in otherwise, or not yet, or outside one_check_per_request)."""
        checked = _logins_of_request.get()
        return checked.device if checked is not None else None

    def _login_now(
        self, login: str, password: str, context: Any, checked: _RequestLogins | None = None
    ) -> Any:
        if self._app_passwords is not None:
            device = self._app_passwords.verify(login, password, client_agent())
            if device is not None:
                if checked is not None:
                    checked.device = device
                return login, f"app password {device.name!r}", set()
            if self._app_passwords.carddav_refuses_main_password(login):
                return "", "not an app password, and the account takes only those", set()
        version = self._users_file.version()
        if version != self._users_file_version and self._cache_logins:
            with self._lock:
                self._cache_successful.clear()
                self._users_file_version = version
        with self._checking.of(login, password):
            return super().login(login, password, context)

    # Radicale sleeps after a wrong password until it took as long as the slowest wrong
    # password so far, in the worker thread: a high-water mark that one loaded moment
    # raises for good (measured: 32 guessing connections held threads 5-11 s each). Here
    # a wrong password costs one bcrypt check whoever it names (below), which hides the
    # same thing without sleeping, and contacthub.signin_throttle limits the checks.
    def _sleep_for_constant_exec_time(self, time_ns_begin: int) -> None:
        pass

    def _login(self, login: str, password: str) -> str:
        user: str = super()._login(login, password)
        if not user and not self._users_file.exists(login):
            check_unknown_name(password)
        return user
