"""Backup and restore of the whole server: one zip file.

It holds manifest.json (what it is, the store's revision, a fingerprint of the secret
key), the store as JSON lines per table (store/dump.py says why that format), the users
file, and the configuration without its secret_key. Never the secret key itself: the
sealed passwords in the store are useless without it, so the person keeps the key apart,
and a stolen backup opens no mail account.

A restore goes only into an empty store and a data directory without users; it checks
both, and the file, before it writes anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic.util import CommandError

from contacthub.config import Settings
from contacthub.credentials import KEY_FILE, CredentialError, Vault
from contacthub.errors import UserError
from contacthub.store import Store
from contacthub.store.dump import Dump, DumpError, check_empty, load, read_tables, revision_of
from contacthub.store.engine import make_engine, refresh_statistics
from contacthub.store.faults import writing
from contacthub.users import UsersFile

FORMAT = "contacthub-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
USERS = "users"
CONFIG = "contacthub.conf"
TABLES = "tables/"
SEALED_PREFIX = "sealed_"
KEEP_KEY_APART = (
    "The backup holds no secret key. Keep {key} apart from it, somewhere safe: a restore "
    "without that key cannot open the stored passwords of mail accounts and remote files, "
    "and they must be typed again."
)


class BackupError(UserError):
    """A backup that cannot be made or restored, said in one sentence."""

    code = "backup"


@dataclass(frozen=True)
class Made:
    path: Path
    size: int
    rows: dict[str, int]
    seconds: float


@dataclass
class Restored:
    rows: dict[str, int]
    config_written: Path | None
    # Sources whose sealed passwords this server's key cannot open: "owner: kind name".
    locked_sources: list[str] = field(default_factory=list)
    key_found: bool = True
    key_matches: bool | None = None  # None: the backup had no fingerprint to compare


def key_location(settings: Settings) -> str:
    if settings.secret_key:
        return f"the secret_key of [contacthub] in {settings.config_file}"
    return f"the key file {settings.data_dir / KEY_FILE}"


def create(settings: Settings, store: Store, path: Path) -> Made:
    """Write the backup to `path` (through `path`.part, mode 0600): the store in one
    snapshot while `serve` goes on writing."""
    started = time.monotonic()
    partial = path.with_name(path.name + ".part")
    rows: dict[str, int] = {}
    with writing(partial, "the backup file"):
        fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with (
            os.fdopen(fd, "wb") as raw,
            zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive,
        ):
            with store.read() as tx:
                tables = []
                for dumped, lines in read_tables(tx.conn):
                    member = _member(f"{TABLES}{dumped.name}.jsonl")
                    with archive.open(member, "w", force_zip64=True) as out:
                        for line in lines:
                            out.write(line.encode())
                    tables.append(dumped)
                    rows[dumped.name] = dumped.rows
                names = [t.name for t in tables]
                dump = Dump(revision_of(tx.conn, [*names, "alembic_version"]), "", tables)
            dump.dialect = store.engine.dialect.name
            users = settings.users_file
            if users.exists():
                archive.writestr(USERS, users.read_bytes())
            if settings.config_file.exists():
                archive.writestr(CONFIG, without_secret_key(settings.config_file.read_text()))
            archive.writestr(MANIFEST, json.dumps(_manifest(settings, dump), indent=1))
        partial.replace(path)
    return Made(path, path.stat().st_size, rows, time.monotonic() - started)


def _member(name: str) -> zipfile.ZipInfo:
    """A file of the archive, dated now (written as a stream, it would say 1980)."""
    member = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    member.compress_type = zipfile.ZIP_DEFLATED
    return member


def _manifest(settings: Settings, dump: Dump) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": time.time(),
        "data_dir": str(settings.data_dir),
        "key_fingerprint": _fingerprint(_existing_vault(settings)),
        "store": dump.to_json(),
    }


def _existing_vault(settings: Settings) -> Vault | None:
    """The server's key, if it has one (a backup never makes one)."""
    if not settings.secret_key and not (settings.data_dir / KEY_FILE).exists():
        return None
    try:
        return Vault.from_config(settings.secret_key, settings.data_dir)
    except CredentialError:
        return None


def _fingerprint(vault: Vault | None) -> str | None:
    """A digest derived from the key, never the key: restore tells a different key by it."""
    if vault is None:
        return None
    return hashlib.sha256(vault.derive_key("backup fingerprint")).hexdigest()[:16]


def without_secret_key(config: str) -> str:
    """The configuration with [contacthub] secret_key emptied."""
    return _set_option(config, "contacthub", "secret_key", "")


def _set_option(config: str, section: str, option: str, value: str) -> str:
    out: list[str] = []
    current = ""
    pattern = re.compile(rf"^\s*{re.escape(option)}\s*[=:]")
    for line in config.splitlines(keepends=True):
        header = re.match(r"^\s*\[([^\]]+)\]", line)
        if header:
            current = header.group(1).strip()
        elif current == section and pattern.match(line):
            line = f"{option} = {value}\n"
        out.append(line)
    return "".join(out)


def restore(settings: Settings, path: Path) -> Restored:
    """Bring the backup at `path` into the empty store and data directory of `settings`."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise BackupError(f"cannot read the backup {path}: {error}") from None
    with archive:
        manifest = _read_manifest(archive, path)
        dump = Dump.from_json(manifest["store"])
        _check_users_file_empty(settings)
        engine = make_engine(settings.store_url, busy_timeout=settings.busy_timeout)
        try:
            check_empty(engine, _store_name(settings.store_url))
            try:
                load(engine, dump, dict(_table_files(archive, dump)))
                refresh_statistics(engine)
            except CommandError:
                raise BackupError(
                    f"the backup's store is at revision {dump.revision}, which this version "
                    "of contacthub does not know: restore it with the version that made it "
                    "or a newer one"
                ) from None
        finally:
            engine.dispose()
        rows = {t.name: t.rows for t in dump.tables}
        if USERS in archive.namelist():
            with writing(settings.users_file, "the users file"):
                settings.users_file.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(settings.users_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(archive.read(USERS))
        written = _restore_config(settings, archive)
    restored = Restored(rows, written)
    _check_key(settings, manifest, restored)
    return restored


def _read_manifest(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError):
        raise BackupError(f"{path} is not a contacthub backup (no manifest)") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"{path} is not a contacthub backup of a format this version reads")
    return dict(manifest)


def _table_files(archive: zipfile.ZipFile, dump: Dump) -> Iterator[tuple[str, Any]]:
    for table in dump.tables:
        yield table.name, archive.open(f"{TABLES}{table.name}.jsonl")


def _check_users_file_empty(settings: Settings) -> None:
    if UsersFile(settings.users_file).names():
        raise BackupError(
            f"the users file {settings.users_file} already has accounts: restore only into a "
            "new, empty data directory; nothing was changed"
        )


def _store_name(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _restore_config(settings: Settings, archive: zipfile.ZipFile) -> Path | None:
    """The backup's configuration where none is; beside the one there, to compare, else.
    Its store and users file are this server's."""
    if CONFIG not in archive.namelist():
        return None
    config = archive.read(CONFIG).decode()
    config = _set_option(config, "store", "url", settings.store_url)
    config = _set_option(config, "auth", "htpasswd_filename", str(settings.users_file))
    target = settings.config_file
    if target.exists():
        target = target.with_name(target.name + ".from-backup")
    with writing(target, "the configuration"):
        fd = os.open(target, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(config)
    return target


def _check_key(settings: Settings, manifest: dict[str, Any], restored: Restored) -> None:
    """Which sources' sealed passwords this server's key cannot open (all of them when it
    has no key yet)."""
    vault = _existing_vault(settings)
    restored.key_found = vault is not None
    expected = manifest.get("key_fingerprint")
    if vault is not None and expected:
        restored.key_matches = _fingerprint(vault) == expected
    store = Store.open(settings.store_url, busy_timeout=settings.busy_timeout, upgrade=False)
    try:
        with store.read() as tx:
            for source in tx.list_sources():
                if any(
                    vault is None or not _opens(vault, sealed)
                    for sealed in _sealed_values(source.settings)
                ):
                    restored.locked_sources.append(f"{source.owner}: {source.kind} {source.name}")
    finally:
        store.close()


def _sealed_values(settings: Any) -> Iterator[str]:
    if isinstance(settings, dict):
        for key, value in settings.items():
            if key.startswith(SEALED_PREFIX) and isinstance(value, str) and value:
                yield value
            else:
                yield from _sealed_values(value)
    elif isinstance(settings, list):
        for value in settings:
            yield from _sealed_values(value)


def _opens(vault: Vault, sealed: str) -> bool:
    try:
        vault.open(sealed)
    except CredentialError:
        return False
    return True


__all__ = [
    "BackupError",
    "DumpError",
    "KEEP_KEY_APART",
    "create",
    "key_location",
    "restore",
]
