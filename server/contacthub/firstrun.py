"""The first start: a data directory with its config, store and first admin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contacthub.config import Settings, default_config_text
from contacthub.store import Store, write_whole, writing
from contacthub.users import UsersFile, generate_password

# Not "admin": /admin/ is the admin page, so no principal may live there.
FIRST_ADMIN = "root"
DATA_DIR_PURPOSE = (
    "the data directory holds the store, the accounts and the secret key; choose one "
    "contacthub may write to (--data-dir or CONTACTHUB_DATA_DIR)"
)
CONFIG_PURPOSE = "the first start writes the configuration there (choose another with --config)"


@dataclass
class FirstStart:
    created_data_dir: bool = False
    created_config: bool = False
    admin_password: str | None = None


def prepare_data_dir(data_dir: Path, config_file: Path) -> FirstStart:
    """Create what is missing; never touch what exists."""
    done = FirstStart()
    if not data_dir.exists():
        with writing(data_dir, DATA_DIR_PURPOSE):
            data_dir.mkdir(parents=True, mode=0o700)
        done.created_data_dir = True
    if not config_file.exists():
        write_whole(config_file, default_config_text(data_dir), CONFIG_PURPOSE)
        done.created_config = True
    return done


def ensure_first_admin(settings: Settings, store: Store) -> str | None:
    """With no account at all, create the first admin and return its password (shown once)."""
    users = UsersFile(settings.users_file)
    if users.names():
        return None
    password = generate_password()
    # The role first: if the users file cannot be written, the next start tries again.
    with store.write() as tx:
        tx.set_admin(FIRST_ADMIN, True)
    users.add(FIRST_ADMIN, password)
    return password
