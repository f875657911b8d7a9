"""The users file: htpasswd lines `name:bcrypt-hash`, read by Radicale's own htpasswd auth."""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path

import bcrypt

from contacthub.errors import UserError
from contacthub.store import check_name, write_whole


class UsersFileError(UserError):
    """A user name, password or users-file change that cannot be made."""


USERS_FILE_PURPOSE = "the accounts are kept there ([auth] htpasswd_filename)"

# The web sidecar answers under these paths, where a user's principal would be, and
# /metrics, /healthz and /readyz are the server's own (app.py).
RESERVED_NAMES = frozenset({"api", "admin", "metrics", "healthz", "readyz"})


def check_username(name: str) -> str:
    try:
        check_name(name)
    except ValueError:
        raise UsersFileError(
            f"invalid user name {name!r}: no slashes, leading dots or control characters"
        ) from None
    if ":" in name or " " in name or len(name) > 64:
        raise UsersFileError(
            f"invalid user name {name!r}: no colons or spaces, at most 64 characters"
        )
    if name.lower() in RESERVED_NAMES:
        raise UsersFileError(
            f"the user name {name!r} is reserved: /{name.lower()}/ is the server's own path"
        )
    return name


# A password a person chooses for an account (`contacthub user add` and `passwd`): it is
# the only factor of CardDAV's Basic sign-in and of the admin page's. 12 characters is
# OWASP ASVS 4.0's requirement 2.1.1, above NIST SP 800-63B's bare 8; a phrase of three
# words meets it. Only the people-facing doors check it: UsersFile itself takes any
# password, as the generated first admin's (20 characters) and tests' fixtures do.
MIN_PASSWORD_LENGTH = 12


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsersFileError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters long "
            f"(this one has {len(password)}); a phrase of three words will do"
        )
    return password


# bcrypt's cost, the log2 of its rounds, for the hashes of new passwords: 12 (a few
# tenths of a second a check) unless this variable says otherwise. A slow machine or a
# test suite may lower it, at the price of cheaper guessing; hashes already written keep
# the cost they were made with (it is written in each).
BCRYPT_ROUNDS_VARIABLE = "CONTACTHUB_BCRYPT_ROUNDS"
DEFAULT_BCRYPT_ROUNDS = 12
BCRYPT_ROUNDS_RANGE = range(4, 32)  # what bcrypt accepts


def bcrypt_rounds() -> int:
    """The cost of new password hashes; UsersFileError for a value bcrypt cannot use."""
    text = os.environ.get(BCRYPT_ROUNDS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_BCRYPT_ROUNDS
    if not text.isdigit() or int(text) not in BCRYPT_ROUNDS_RANGE:
        raise UsersFileError(
            f"the environment variable {BCRYPT_ROUNDS_VARIABLE}={text!r} is not a bcrypt "
            f"cost: a whole number from {BCRYPT_ROUNDS_RANGE.start} to "
            f"{BCRYPT_ROUNDS_RANGE.stop - 1} ({DEFAULT_BCRYPT_ROUNDS} when it is not set)"
        )
    return int(text)


def generate_password() -> str:
    return secrets.token_urlsafe(15)


class UsersFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        entries: dict[str, str] = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, hashed = line.partition(":")
                entries[name] = hashed
        return entries

    def _write(self, entries: dict[str, str]) -> None:
        text = "".join(f"{name}:{hashed}\n" for name, hashed in sorted(entries.items()))
        # Whole or never: Radicale may read the file at any moment.
        write_whole(self.path, text, USERS_FILE_PURPOSE)

    def version(self) -> tuple[int, int, int] | None:
        """Changes whenever the file is rewritten (it is replaced, never edited in place);
        login caches compare it to forget logins of changed accounts."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def names(self) -> list[str]:
        return sorted(self._read())

    def exists(self, name: str) -> bool:
        return name in self._read()

    def add(self, name: str, password: str) -> None:
        entries = self._read()
        if check_username(name) in entries:
            raise UsersFileError(f"user {name!r} already exists")
        entries[name] = _hash(password)
        self._write(entries)

    def set_password(self, name: str, password: str) -> None:
        entries = self._read()
        if name not in entries:
            raise UsersFileError(f"no user {name!r}")
        entries[name] = _hash(password)
        self._write(entries)

    def remove(self, name: str) -> None:
        entries = self._read()
        if entries.pop(name, None) is None:
            raise UsersFileError(f"no user {name!r}")
        self._write(entries)

    def password_hash(self, name: str) -> str | None:
        """The stored hash (it changes with every new password), or None for no user."""
        return self._read().get(name)

    def verify(self, name: str, password: str) -> bool:
        hashed = self._read().get(name)
        if hashed is None:
            check_unknown_name(password)
            return False
        return bcrypt.checkpw(password.encode(), hashed.encode())


def check_unknown_name(password: str) -> None:
    """Spend on a name without an account the bcrypt check a wrong password of an account
    costs, so that how long a refusal takes does not say which names exist (in CPU time:
    nothing sleeps in a worker thread; contacthub.signin_throttle limits the checks)."""
    bcrypt.checkpw(password.encode(), _stand_in_hash())


@functools.cache
def _stand_in_hash() -> bytes:
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(bcrypt_rounds()))


def _hash(password: str) -> str:
    if not password:
        raise UsersFileError("the password may not be empty")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(bcrypt_rounds())).decode()
