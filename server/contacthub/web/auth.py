"""HTTP Basic against the users file (the CardDAV accounts); roles from the store.

A bcrypt check costs ~0.2 s by design, so a successful login is remembered
for CACHE_SECONDS, keyed by the user name and a keyed hash of the password
(never the password itself), and forgotten as soon as the users file changes
(a removed account or a new password stops working with the next request),
as the CardDAV side does (contacthub_radicale.auth).

The API also takes an app password (contacthub.logins), checked against the store at
every request; the admin page's sign-in form takes only the account's own password.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, g, request

from contacthub.errors import NotFound, quoted
from contacthub.logins import AppPasswords
from contacthub.signin_throttle import SignInThrottle
from contacthub.store import DEFAULT_BOOK, Store
from contacthub.users import UsersFile
from contacthub.web.errors import ApiError

CACHE_SECONDS = 15.0
REALM = "contacthub"
CHALLENGE = {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'}

FileVersion = tuple[int, int, int] | None


class Authenticator:
    def __init__(self, users_file: Path, app_passwords: AppPasswords | None = None) -> None:
        self.users = UsersFile(users_file)
        self.app_passwords = app_passwords
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._cached: dict[tuple[str, bytes], float] = {}
        self._version: FileVersion = None

    def check(self, name: str, password: str) -> bool:
        key = (name, hmac.digest(self._secret, password.encode(), "sha256"))
        version = self.users.version()
        now = time.monotonic()
        with self._lock:
            if version != self._version:
                self._cached.clear()
                self._version = version
            if now - self._cached.get(key, -CACHE_SECONDS) < CACHE_SECONDS:
                return True
        if not self.users.verify(name, password):
            return False
        with self._lock:
            if self._version == version:
                self._cached[key] = now
        return True

    def app_password(self, name: str, password: str, agent: str = "") -> str | None:
        """The name of the account's app password that `password` is, if it is one (its
        use is recorded with the client's User-Agent `agent`)."""
        found = self.app_passwords.verify(name, password, agent) if self.app_passwords else None
        return found.name if found else None


@dataclass(frozen=True)
class Caller:
    login: str  # who signed in
    user: str  # whose address books the request is about
    is_admin: bool
    app_password: str | None = None  # the device's, when it signed in with one


def current_user() -> str:
    """The user whose objects this request reads or writes."""
    caller: Caller = g.caller
    return caller.user


def authenticate() -> None:
    """Before every API request: who is asking, and for whom (`?user=NAME`, admins only)."""
    services = current_app.extensions["contacthub"]
    authenticator: Authenticator = services.authenticator
    store: Store = services.store
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        raise ApiError(
            401, "unauthorized", "Sign in with your user name and password.", headers=CHALLENGE
        )
    login, password = credentials.username, credentials.password or ""
    throttle: SignInThrottle = services.throttle  # a 429 (Throttled) while it makes one wait
    app_password: str | None = None

    def verify() -> bool:
        nonlocal app_password
        app_password = authenticator.app_password(login, password, request.user_agent.string)
        return app_password is not None or authenticator.check(login, password)

    if not throttle.check(request.remote_addr or "", login, verify):
        raise ApiError(
            401, "unauthorized", "The user name or password is wrong.", headers=CHALLENGE
        )
    target = request.args.get("user", login)
    with store.read() as tx:
        is_admin = tx.is_admin(login)
    if target != login:
        if not is_admin:
            raise ApiError(
                403, "forbidden", "Only an administrator may act for another user.", field="user"
            )
        if not authenticator.users.exists(target):
            raise NotFound(f"There is no user {quoted(target)}.", field="user")
    ensure_default_book(store, target)
    g.caller = Caller(login=login, user=target, is_admin=is_admin, app_password=app_password)


def ensure_default_book(store: Store, user: str) -> None:
    """A user's first request finds the default book, as a CardDAV client's would."""
    with store.read() as tx:
        has_default_book = tx.get_collection(f"{user}/{DEFAULT_BOOK}") is not None
    if not has_default_book:
        with store.write() as tx:  # a concurrent first request may make it too: both hold
            tx.ensure_default_book(user)
