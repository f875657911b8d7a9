"""Configuration: one INI file, Radicale's own sections plus contacthub's.

Precedence: command-line options, then the file, then the defaults below.
contacthub's sections are [contacthub], [store] and [smtp]; every other section is
Radicale's and goes to Radicale as it is (see Radicale's documentation).
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path

from .store import DEFAULT_HISTORY_RETENTION

OUR_SECTIONS = ("contacthub", "store", "smtp")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5232
DEFAULT_MAX_CONTENT_LENGTH = 100_000_000  # a whole-book import
DEFAULT_MAX_RESOURCE_SIZE = 10_000_000  # one card, photo included


def default_data_dir() -> Path:
    if "CONTACTHUB_DATA_DIR" in os.environ:
        return Path(os.environ["CONTACTHUB_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "contacthub"


class ConfigError(ValueError):
    """A configuration value that cannot be used; says which file, section and option."""


@dataclass
class Settings:
    data_dir: Path
    config_file: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    store_url: str = ""
    history_retention: float = DEFAULT_HISTORY_RETENTION
    smtp: dict[str, str] = field(default_factory=dict)  # see notify.SmtpSettings.from_config
    radicale: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def users_file(self) -> Path:
        return Path(self.radicale.get("auth", {}).get("htpasswd_filename")
                    or self.data_dir / "users")

    @property
    def max_content_length(self) -> int:
        return self._radicale_int("server", "max_content_length", DEFAULT_MAX_CONTENT_LENGTH)

    @property
    def max_resource_size(self) -> int:
        return self._radicale_int("server", "max_resource_size", DEFAULT_MAX_RESOURCE_SIZE)

    def _radicale_int(self, section: str, option: str, default: int) -> int:
        return _int(self.radicale, section, option, default, self.config_file)


def default_config_text(data_dir: Path) -> str:
    return f"""\
# contacthub configuration, written with its defaults on the first start.
# Radicale's own sections ([auth], [rights], [logging], [server], ...) work
# here too; see Radicale's documentation for their options.

[contacthub]
# Address and port of the server (CardDAV and, later, the admin page).
host = {DEFAULT_HOST}
port = {DEFAULT_PORT}

[store]
# sqlite:///PATH (the default, a file in the data directory) or
# postgresql://USER:PASSWORD@HOST/DBNAME (install contacthub[postgresql]).
url = sqlite:///{data_dir / "contacthub.db"}
# Seconds a deleted contact stays in the change log. Clients whose sync token
# is older than that do one full sync.
history_retention = {int(DEFAULT_HISTORY_RETENTION)}

[server]
# Largest request body (a whole address book PUT as one .vcf), in bytes.
max_content_length = {DEFAULT_MAX_CONTENT_LENGTH}
# Largest single card, photo included, in bytes.
max_resource_size = {DEFAULT_MAX_RESOURCE_SIZE}

[auth]
# Accounts and bcrypt password hashes; manage them with `contacthub user`.
htpasswd_filename = {data_dir / "users"}
# Seconds to wait before answering a wrong password.
delay = 1

[logging]
level = info
"""


def load(
    data_dir: Path | None = None,
    config_file: Path | None = None,
    *,
    host: str | None = None,
    port: int | None = None,
    store_url: str | None = None,
) -> Settings:
    data_dir = (data_dir or default_data_dir()).resolve()
    config_file = (config_file or data_dir / "contacthub.conf").resolve()
    parser = configparser.ConfigParser(interpolation=None)
    if config_file.exists():
        try:
            parser.read(config_file, encoding="utf-8")
        except configparser.Error as error:
            raise ConfigError(f"{config_file}: {error}") from None
    ours = {name: dict(parser[name]) for name in OUR_SECTIONS if parser.has_section(name)}
    settings = Settings(
        data_dir=data_dir,
        config_file=config_file,
        radicale={name: dict(parser[name]) for name in parser.sections()
                  if name not in OUR_SECTIONS},
    )
    settings.smtp = ours.get("smtp", {})
    settings.host = host or ours.get("contacthub", {}).get("host", DEFAULT_HOST)
    settings.port = port or _int(ours, "contacthub", "port", DEFAULT_PORT, config_file)
    settings.store_url = (store_url or ours.get("store", {}).get("url")
                          or f"sqlite:///{data_dir / 'contacthub.db'}")
    settings.history_retention = _int(
        ours, "store", "history_retention", int(DEFAULT_HISTORY_RETENTION), config_file
    )
    return settings


def _int(sections: dict[str, dict[str, str]], section: str, option: str, default: int,
         config_file: Path) -> int:
    value = sections.get(section, {}).get(option)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(
            f"{config_file}: [{section}] {option} must be a whole number, not {value!r}"
        ) from None
