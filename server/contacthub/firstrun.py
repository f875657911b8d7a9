"""The first start: a data directory with its config, store and first admin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from contacthub.config import Settings, default_config_text
from contacthub.logins import could_be_app_password
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


def first_admin_password() -> str:
    """A new password that is never also shaped like an app password (about one in 14 of
    them is: 20 characters of its alphabet once lowercased): each CardDAV request signed in
    with one would first look it up as an app password, one more statement each."""
    while could_be_app_password(password := generate_password()):
        pass
    return password


def ensure_first_admin(settings: Settings, store: Store) -> str | None:
    """With no account at all, create the first admin and return its password (shown once)."""
    users = UsersFile(settings.users_file)
    if users.names():
        return None
    password = first_admin_password()
    # The role first: if the users file cannot be written, the next start tries again.
    with store.write() as tx:
        tx.set_admin(FIRST_ADMIN, True)
    users.add(FIRST_ADMIN, password)
    return password


def first_admin_notice(admin_url: str, password: str) -> str:
    """The first admin's password, framed, so that it stands out of the start-up log."""
    lines = [
        "The first admin account is made. Its password is shown this once:",
        "write it down now.",
        "",
        f"  admin page:  {admin_url}",
        f"  user:        {FIRST_ADMIN}",
        f"  password:    {password}",
        "",
        f"Change it with: contacthub user passwd {FIRST_ADMIN}",
    ]
    width = max(len(line) for line in lines)
    rule = "+" + "=" * (width + 2) + "+"
    framed = [f"| {line.ljust(width)} |" for line in lines]
    return "\n".join(["", rule, *framed, rule, ""])


def admin_page_url(settings: Settings, listening_at: str) -> str:
    """Where a person opens the admin page: the public address, else the one the server
    listens at (an address of every interface, as 0.0.0.0, is opened as localhost)."""
    base = settings.public_url.rstrip("/") or listening_at
    for everywhere in ("//0.0.0.0:", "//[::]:"):
        base = base.replace(everywhere, "//localhost:")
    return f"{base}/admin/"
