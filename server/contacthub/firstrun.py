"""The first start: a data directory with its config, store and first admin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contacthub.config import Settings, default_config_text
from contacthub.store import Store
from contacthub.users import UsersFile, generate_password

# Not "admin": /admin/ is the admin page, so no principal may live there.
FIRST_ADMIN = "root"


@dataclass
class FirstStart:
    created_data_dir: bool = False
    created_config: bool = False
    admin_password: str | None = None


def prepare_data_dir(data_dir: Path, config_file: Path) -> FirstStart:
    """Create what is missing; never touch what exists."""
    done = FirstStart()
    if not data_dir.exists():
        data_dir.mkdir(parents=True, mode=0o700)
        done.created_data_dir = True
    if not config_file.exists():
        config_file.parent.mkdir(parents=True, exist_ok=True)
        config_file.write_text(default_config_text(data_dir), encoding="utf-8")
        done.created_config = True
    return done


def ensure_first_admin(settings: Settings, store: Store) -> str | None:
    """With no account at all, create the first admin and return its password (shown once)."""
    users = UsersFile(settings.users_file)
    if users.names():
        return None
    password = generate_password()
    users.add(FIRST_ADMIN, password)
    with store.write() as tx:
        tx.set_admin(FIRST_ADMIN, True)
    return password
