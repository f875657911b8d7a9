"""App passwords: a password per device, so that losing a phone costs only that password.

A person makes one for each phone or program (named after it), enters it there once, and
revokes it when the device is lost: the account's own password and the other devices
keep working. An app password signs in to CardDAV and the API, never to the admin page,
where app passwords are made and revoked. An account may refuse its own password for
CardDAV, so that every phone must use an app password of its own.

Why SHA-256 and not bcrypt: bcrypt's cost (~0.2 s a check) slows the guessing of a
human-chosen password from a stolen hash. An app password is 100 random bits, which no
guessing finds, fast hash or slow; a fast hash lets every request be checked against the
store, so a revoked password stops working at the next request, and no login cache
outlives it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from contacthub.store import AppPassword, Store, Transaction
from contacthub.users import UsersFile

logger = logging.getLogger(__name__)

# 32 symbols, 5 bits each, with no l, o, 0 or 1 to misread; in groups as Apple's
# app-specific passwords are, easy to type on a phone: xxxx-xxxx-xxxx-xxxx-xxxx.
ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
GROUP_LENGTH = 4
GROUPS = 5
SYMBOLS = GROUP_LENGTH * GROUPS  # 100 bits
# A use is recorded at most this often per password (seconds).
RECORD_USE_EVERY = 60.0
# How long a process trusts what it read of an account's rule (seconds): a change made
# through another process counts within this time (one made through this one, at once).
RULE_FRESH_FOR = 1.0
# The most accounts' rules kept at once: every name tried at sign-in is looked up, and
# names made up by strangers must not fill the memory.
RULES_KEPT = 10_000


def new_secret() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(SYMBOLS))
    return "-".join(symbols[i : i + GROUP_LENGTH] for i in range(0, SYMBOLS, GROUP_LENGTH))


def _symbols(password: str) -> str | None:
    """An app password's symbols as a person may have typed it (a phone capitalises the
    first letter; dashes and spaces left out or added), or None if it cannot be one."""
    symbols = "".join(password.split()).replace("-", "").lower()
    if len(symbols) != SYMBOLS or not set(symbols) <= set(ALPHABET):
        return None
    return symbols


def could_be_app_password(password: str) -> bool:
    """Whether a sign-in with `password` is first looked up as an app password."""
    return _symbols(password) is not None


def secret_hash(secret: str) -> str:
    symbols = _symbols(secret)
    if symbols is None:
        raise ValueError("not an app password")
    return hashlib.sha256(symbols.encode("ascii")).hexdigest()


class AppPasswords:
    """Signing in with an app password, and whether an account refuses its own password
    for CardDAV. An app password is looked up at every request, so a revoked one stops
    working at the next; the rule is read at most once a second per account (RuleCache)."""

    def __init__(
        self,
        store: Store,
        users: UsersFile,
        *,
        clock: Callable[[], float] = time.time,
        reading: Callable[[], AbstractContextManager[Transaction]] | None = None,
    ) -> None:
        self.store = store
        self.users = users
        self.clock = clock
        # How a check reads the store: CardDAV's share the request's read.
        self._reading = reading
        self.uses = LastUses(store)
        self._rules = RuleCache(store)

    def verify(self, login: str, password: str, agent: str = "") -> AppPassword | None:
        """The account's app password that `password` is, if it is one (and the account
        still exists); its use is recorded, with the client's User-Agent `agent`."""
        symbols = _symbols(password)
        if symbols is None:
            return None
        with self._read() as tx:
            found = tx.app_password_with_hash(login, secret_hash(symbols))
        if found is None or not self.users.exists(login):
            return None
        self.uses.note(found, self.clock(), agent)
        return found

    def carddav_refuses_main_password(self, login: str) -> bool:
        return self._rules.get(login, self._read_rule)

    def _read_rule(self, login: str) -> bool:
        with self._read() as tx:
            return tx.carddav_requires_app_password(login)

    def _read(self) -> AbstractContextManager[Transaction]:
        return self._reading() if self._reading is not None else self.store.read()


class RuleCache:
    """What this process last read of each account's rule, kept for RULE_FRESH_FOR.

    Every CardDAV request signed in with an account's own password asks the rule; read
    from the store each time, it was one statement of the three a phone's no-change sync
    sends. A dictionary and a clock do it (no cache library is worth a dependency here).
    A change this process commits makes all it kept stale at once
    (Store.account_rules_version); one made through another process counts when what
    was read before it is a second old.
    """

    def __init__(self, store: Store, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._kept: dict[str, tuple[bool, float, int]] = {}  # login -> rule, read at, version

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, login: str, read: Callable[[str], bool]) -> bool:
        """The account's rule as kept, or as `read` from the store now."""
        # Both taken before the read: a change committed while it reads is not hidden.
        now, version = self._clock(), self._store.account_rules_version
        kept = self._kept.get(login)
        if kept is not None:
            refuses, read_at, read_in = kept
            if read_in == version and now - read_at < RULE_FRESH_FOR:
                return refuses
        refuses = read(login)
        if len(self._kept) >= RULES_KEPT:
            self._kept.clear()
        self._kept[login] = (refuses, now, version)
        return refuses


class LastUses:
    """When each app password was last used, written beside the requests, not in them.

    A write at every request would cost each request a write transaction (on SQLite the
    one writer's lock, which an import may hold for a while). So a use is recorded at most
    once a minute per password, by a thread of its own: a request never waits for the
    write, and a write that fails is logged and made again at a use a minute later. The
    User-Agent of the use recorded goes into the same write (so it is the agent of the
    last recorded use: a device that changed within the minute shows at the next one).
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._due: dict[int, float] = {}  # password id -> when it was used
        self._agents: dict[int, str] = {}  # password id -> the User-Agent of that use
        self._noted: dict[int, float] = {}  # password id -> last use handed to the thread
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def note(self, password: AppPassword, now: float, agent: str = "") -> None:
        with self._lock:
            last = max(password.last_used_at or -math.inf, self._noted.get(password.id, -math.inf))
            if now - last < RECORD_USE_EVERY:
                return
            self._noted[password.id] = now
            self._due[password.id] = now
            self._agents[password.id] = agent
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._record_forever, name="app-password-uses", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def flush(self) -> None:
        """Write the uses noted so far."""
        with self._lock:
            due, self._due = self._due, {}
            agents, self._agents = self._agents, {}
        if not due:
            return
        try:
            with self._store.write() as tx:
                tx.record_app_password_uses(due, every=RECORD_USE_EVERY, agents=agents)
        except Exception:
            logger.warning(
                "could not record the last use of %d app password(s); "
                "it is recorded again at a use a minute later",
                len(due),
                exc_info=True,
            )

    def _record_forever(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self.flush()
