"""Passwords of remote sources and mail accounts, encrypted at rest with Fernet.

The key is never in the store: it is `[contacthub] secret_key` in the config,
or else the file `secret.key` in the data directory, made on first use and
readable by its owner only. Every server process on one store needs the same
key (copy the file, or set it in the config).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from contacthub.errors import UserError
from contacthub.store import writing

KEY_FILE = "secret.key"
KEY_FILE_PURPOSE = (
    "the key that encrypts stored passwords is made there on first use; make the "
    "directory writable, or set [contacthub] secret_key"
)


class CredentialError(UserError):
    """A stored secret that this server's key cannot open."""


class Vault:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._key = key

    def derive_key(self, purpose: str) -> bytes:
        """A key of its own for `purpose` (signing web sessions), from the same secret:
        every server process on one store shares it, and it never opens passwords."""
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=f"contacthub {purpose}".encode()
        ).derive(self._key)

    @classmethod
    def from_config(cls, configured_key: str | None, data_dir: Path) -> Vault:
        if configured_key:
            try:
                return cls(configured_key.encode())
            except ValueError:
                raise CredentialError(
                    "[contacthub] secret_key is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        path = data_dir / KEY_FILE
        try:
            return cls(_key_file(path))
        except ValueError:
            raise CredentialError(
                f"the key file {KEY_FILE} in the data directory is not a "
                "Fernet key (32 url-safe base64-encoded bytes)"
            ) from None

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except (InvalidToken, ValueError):
            raise CredentialError(
                "a stored password cannot be decrypted with this server's secret key "
                "(was the key changed?); enter the password again"
            ) from None


def _key_file(path: Path) -> bytes:
    if not path.exists():
        with writing(path, KEY_FILE_PURPOSE):
            _make_key_file(path)
    return path.read_bytes().strip()


def _make_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own (mode 0600) for every caller: threads of one process share a pid.
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(Fernet.generate_key() + b"\n")
        # A hard link appears whole or not at all: of two processes starting at once,
        # one key wins and both read it.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
