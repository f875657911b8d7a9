"""Configuration: one INI file, Radicale's own sections plus contacthub's.

Precedence: command-line options, then the file, then the defaults below.
contacthub's sections are [contacthub], [store], [history], [fetch], [throttle], [smtp]
and [metrics]; every other section is Radicale's and goes to Radicale as it is (see
Radicale's documentation), but for [logging] format, which is ours.
"""

from __future__ import annotations

import configparser
import ipaddress
import math
import os
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from contacthub.errors import UserError
from contacthub.fetch import FetchPolicy
from contacthub.signin_throttle import ThrottlePolicy
from contacthub.store import DEFAULT_BUSY_TIMEOUT, DEFAULT_HISTORY_RETENTION

OUR_SECTIONS = ("contacthub", "store", "history", "fetch", "throttle", "smtp", "metrics")
LOG_FORMATS = ("text", "json")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5232
DEFAULT_MAX_CONTENT_LENGTH = 100_000_000  # a whole-book import
DEFAULT_MAX_RESOURCE_SIZE = 10_000_000  # one card, photo included
DEFAULT_FIGURES_MAX_AGE = 15
DEFAULT_SCHEDULER_INTERVAL = 30  # seconds between the scheduler's looks for due syncs
DEFAULT_RUN_LEASE = 120  # seconds a run's claim on its sync outlives its process
MIN_RUN_LEASE = 8  # renewed every quarter of it: no faster than every 2 s
DEFAULT_BACKGROUND_NICE = 10  # `worker` and `import` yield the CPU to `serve` (nice(2))
MAX_NICE = 19


def default_data_dir() -> Path:
    if "CONTACTHUB_DATA_DIR" in os.environ:
        return Path(os.environ["CONTACTHUB_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "contacthub"


class ConfigError(UserError):
    """A configuration value that cannot be used; says which file, section and option."""


# Who gets a mass deletion's email: the word `owner` stands for the book's owner, when the
# account's name is an email address.
OWNER = "owner"


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class MassDeletePolicy:
    """When a CardDAV client (one account and User-Agent) deletes more than `share` per cent
    of a book of at least `least` contacts within `window` seconds, the book's owner is
    told (`alert_to`): the deletions are made all the same."""

    share: float = 50.0
    least: int = 20
    window: float = 600.0
    alert_to: tuple[str, ...] = (OWNER,)


@dataclass
class Settings:
    data_dir: Path
    config_file: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    store_url: str = ""
    history_retention: float = DEFAULT_HISTORY_RETENTION
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT
    smtp: dict[str, str] = field(default_factory=dict)  # see notify.SmtpSettings.from_config
    secret_key: str | None = None  # else DATA_DIR/secret.key (contacthub.credentials)
    scheduler: bool = True  # run due syncs inside `serve`
    scheduler_interval: int = DEFAULT_SCHEDULER_INTERVAL
    run_lease: int = DEFAULT_RUN_LEASE
    background_nice: int = DEFAULT_BACKGROUND_NICE
    trusted_proxy: str | None = None  # whose X-Forwarded-Proto/-For/-Host `serve` believes
    fetch_policy: FetchPolicy = field(default_factory=FetchPolicy)
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    mass_delete: MassDeletePolicy = field(default_factory=MassDeletePolicy)
    # Where people reach the server, for links in emails ("" for http://host:port).
    public_url: str = ""
    # Who may read /metrics without an admin's password (empty: nobody).
    metrics_networks: tuple[IPNetwork, ...] = ()
    # Seconds /metrics reuses the store's counts (contacts per account, history size).
    metrics_figures_max_age: int = DEFAULT_FIGURES_MAX_AGE
    log_format: str = "text"  # or "json": one JSON object a line
    radicale: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def users_file(self) -> Path:
        return Path(
            self.radicale.get("auth", {}).get("htpasswd_filename") or self.data_dir / "users"
        )

    @property
    def max_content_length(self) -> int:
        return self._radicale_int("server", "max_content_length", DEFAULT_MAX_CONTENT_LENGTH)

    @property
    def max_resource_size(self) -> int:
        return self._radicale_int("server", "max_resource_size", DEFAULT_MAX_RESOURCE_SIZE)

    @property
    def base_url(self) -> str:
        """The address of the server for links in emails: public_url, else http://host:port."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _radicale_int(self, section: str, option: str, default: int) -> int:
        return _int(self.radicale, section, option, default, self.config_file)


_THROTTLE = ThrottlePolicy()
_MASS_DELETE = MassDeletePolicy()


def default_config_text(data_dir: Path) -> str:
    return f"""\
# contacthub configuration, written with its defaults on the first start.
# Radicale's own sections ([auth], [rights], [logging], [server], ...) work
# here too; see Radicale's documentation for their options.

[contacthub]
# Address and port of the server (CardDAV, the API and the admin page /admin/).
host = {DEFAULT_HOST}
port = {DEFAULT_PORT}
# Behind a reverse proxy that terminates TLS: its address (e.g. 127.0.0.1).
# Its X-Forwarded-Proto, -For and -Host headers are then believed, so the admin
# page's session cookie is marked Secure. Empty: no proxy is trusted.
trusted_proxy =

# Run scheduled syncs inside `serve`. Turn it off where `contacthub worker`
# processes run them instead.
scheduler = true
# Seconds between the scheduler's looks for due syncs (and for runs whose
# process died).
scheduler_interval = {DEFAULT_SCHEDULER_INTERVAL}
# Seconds a run's claim on its sync outlives the process running it: a run
# renews it every quarter of that while it works; after a crash the sync shows
# "running" this long, then the next scheduler records the run as interrupted.
run_lease = {DEFAULT_RUN_LEASE}
# How much lower `contacthub worker` and `contacthub import` set their CPU priority
# (nice, 0 to 19): a big import then takes the CPU that phones' requests leave.
# 0: the same priority as `serve`.
background_nice = {DEFAULT_BACKGROUND_NICE}
# The address people reach this server at, for the links in emails (e.g.
# https://contacts.example.org behind a proxy). Empty: http://host:port.
public_url =
# Key that encrypts the stored passwords of remote files and mail accounts.
# Empty: the file secret.key in the data directory (made on first use).
# Every server process on one store needs the same key.
secret_key =

[store]
# sqlite:///PATH (the default, a file in the data directory) or
# postgresql://USER:PASSWORD@HOST/DBNAME (install contacthub[postgresql]).
url = sqlite:///{data_dir / "contacthub.db"}
# Seconds a deleted contact stays in the change log (clients whose sync token
# is older than that do one full sync), and a version of a card in the history
# (the trash, a contact's versions, restoring a book to a time, undoing a run).
history_retention = {int(DEFAULT_HISTORY_RETENTION)}
# SQLite: seconds a write waits for others before the client is asked to try again
# later (503 with Retry-After). Imports write in short steps and never hold it long.
busy_timeout = {int(DEFAULT_BUSY_TIMEOUT)}

[history]
# A CardDAV client (one account and User-Agent) that deletes more than
# mass_delete_share per cent of an address book of at least mass_delete_min
# contacts within mass_delete_window seconds: its deletions are made, and the
# book's owner gets an email ([smtp]) and a banner in the admin page with one
# action, restore them. alert_to: comma-separated addresses; "owner" is the
# account's user name when it is an email address.
mass_delete_share = {_MASS_DELETE.share:g}
mass_delete_min = {_MASS_DELETE.least}
mass_delete_window = {_MASS_DELETE.window:g}
alert_to = {", ".join(_MASS_DELETE.alert_to)}

[fetch]
# Remote CSV files (HTTP, HTTPS, FTP, FTPS). Addresses on loopback, private,
# link-local and cloud-metadata networks are refused unless allowed here:
# allow_private = true opens all but link-local and metadata; allowed_networks
# opens single networks (comma-separated CIDR, e.g. 10.1.2.0/24), those too.
allow_private = false
allowed_networks =
# A PEM file of CAs to trust instead of the system's (an internal CA).
ca_bundle =
# Seconds to connect or wait for data, and for a whole download.
timeout = 30
total_timeout = 600
# Largest file, in bytes, and most redirects followed.
max_size = {50 * 1024 * 1024}
max_redirects = 5

[throttle]
# Wrong passwords (CardDAV, the API, the admin page's sign-in) make further
# attempts wait: after address_failures of them from one address (an IPv6
# address counts by its /64), or account_failures at one account, the next
# attempt waits first_delay seconds, doubled by each further wrong password up
# to the max_delay. Until then attempts are refused with 429 and Retry-After,
# the right password too. An account's delay spares addresses it signed in
# from, and a right password forgives the wrong ones of its own address.
# Failures are forgotten after forget_after seconds without one.
address_failures = {_THROTTLE.address_failures}
address_max_delay = {_THROTTLE.address_max_delay:g}
account_failures = {_THROTTLE.account_failures}
account_max_delay = {_THROTTLE.account_max_delay:g}
first_delay = {_THROTTLE.first_delay:g}
forget_after = {_THROTTLE.forget_after:g}

[smtp]
# The server that sends a report email after each run of a sync that has
# notification addresses. Without a host, no email is sent (runs say so).
# host = mail.example.org
# port = 587
# security = starttls
# user = contacthub
# password = secret
# sender = contacthub@example.org

[server]
# Largest request body (a whole address book PUT as one .vcf), in bytes.
max_content_length = {DEFAULT_MAX_CONTENT_LENGTH}
# Largest single card, photo included, in bytes.
max_resource_size = {DEFAULT_MAX_RESOURCE_SIZE}

[auth]
# Accounts and bcrypt password hashes; manage them with `contacthub user`.
htpasswd_filename = {data_dir / "users"}

[metrics]
# /metrics (Prometheus) answers an admin account's user name and password. Networks
# listed here (comma-separated CIDR, e.g. 10.0.0.0/8, 127.0.0.1/32) are let in
# without them instead; behind trusted_proxy the client's forwarded address counts.
allowed_networks =
# The counts read from the store (contacts per account, the history's size) are
# counted at most once in this many seconds, however many scrapers ask.
figures_max_age = {DEFAULT_FIGURES_MAX_AGE}

[logging]
level = info
# text (one short line a request) or json (one JSON object a line).
format = text
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
    radicale = {name: dict(parser[name]) for name in parser.sections() if name not in OUR_SECTIONS}
    log_format = radicale.get("logging", {}).pop("format", "").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        raise ConfigError(
            f"{config_file}: [logging] format must be text or json, not {log_format!r}"
        )
    settings = Settings(
        data_dir=data_dir, config_file=config_file, radicale=radicale, log_format=log_format
    )
    settings.smtp = ours.get("smtp", {})
    settings.secret_key = ours.get("contacthub", {}).get("secret_key") or None
    settings.scheduler = _bool(ours, "contacthub", "scheduler", True, config_file)
    settings.scheduler_interval = _int(
        ours, "contacthub", "scheduler_interval", DEFAULT_SCHEDULER_INTERVAL, config_file
    )
    if settings.scheduler_interval < 1:
        raise ConfigError(f"{config_file}: [contacthub] scheduler_interval must be 1 or more")
    settings.run_lease = _int(ours, "contacthub", "run_lease", DEFAULT_RUN_LEASE, config_file)
    if settings.run_lease < MIN_RUN_LEASE:
        raise ConfigError(f"{config_file}: [contacthub] run_lease must be {MIN_RUN_LEASE} or more")
    settings.background_nice = _int(
        ours, "contacthub", "background_nice", DEFAULT_BACKGROUND_NICE, config_file
    )
    if not 0 <= settings.background_nice <= MAX_NICE:
        raise ConfigError(
            f"{config_file}: [contacthub] background_nice must be 0 to {MAX_NICE}, "
            f"not {settings.background_nice}"
        )
    settings.trusted_proxy = ours.get("contacthub", {}).get("trusted_proxy", "").strip() or None
    settings.fetch_policy = _fetch_policy(ours, config_file)
    settings.throttle = _throttle_policy(ours, config_file)
    settings.mass_delete = _mass_delete_policy(ours, config_file)
    settings.public_url = _public_url(ours, config_file)
    settings.metrics_networks = _networks(ours, "metrics", config_file)
    settings.metrics_figures_max_age = _int(
        ours, "metrics", "figures_max_age", DEFAULT_FIGURES_MAX_AGE, config_file
    )
    if settings.metrics_figures_max_age < 0:
        raise ConfigError(f"{config_file}: [metrics] figures_max_age must be 0 or more")
    settings.host = host or ours.get("contacthub", {}).get("host", DEFAULT_HOST)
    settings.port = port or _int(ours, "contacthub", "port", DEFAULT_PORT, config_file)
    settings.store_url = (
        store_url or ours.get("store", {}).get("url") or f"sqlite:///{data_dir / 'contacthub.db'}"
    )
    settings.history_retention = _int(
        ours, "store", "history_retention", int(DEFAULT_HISTORY_RETENTION), config_file
    )
    settings.busy_timeout = _int(
        ours, "store", "busy_timeout", int(DEFAULT_BUSY_TIMEOUT), config_file
    )
    return settings


def _int(
    sections: dict[str, dict[str, str]], section: str, option: str, default: int, config_file: Path
) -> int:
    value = sections.get(section, {}).get(option)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(
            f"{config_file}: [{section}] {option} must be a whole number, not {value!r}"
        ) from None


def _bool(
    sections: dict[str, dict[str, str]], section: str, option: str, default: bool, config_file: Path
) -> bool:
    value = sections.get(section, {}).get(option, "").strip().lower()
    if not value:
        return default
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off"):
        return False
    raise ConfigError(f"{config_file}: [{section}] {option} must be true or false, not {value!r}")


def _networks(
    sections: dict[str, dict[str, str]], section: str, config_file: Path
) -> tuple[IPNetwork, ...]:
    text = sections.get(section, {}).get("allowed_networks", "")
    networks = []
    for net in (part.strip() for part in text.split(",")):
        if not net:
            continue
        try:
            networks.append(ipaddress.ip_network(net, strict=False))
        except ValueError:
            raise ConfigError(
                f"{config_file}: [{section}] allowed_networks: {net!r} is not a "
                "network (write it as 10.0.0.0/8 or 127.0.0.1/32)"
            ) from None
    return tuple(networks)


def _fetch_policy(sections: dict[str, dict[str, str]], config_file: Path) -> FetchPolicy:
    default = FetchPolicy()
    values = sections.get("fetch", {})
    networks = tuple(
        net.strip() for net in values.get("allowed_networks", "").split(",") if net.strip()
    )
    for net in networks:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise ConfigError(
                f"{config_file}: [fetch] allowed_networks: {net!r} is not a "
                "network (write it as 10.1.2.0/24)"
            ) from None
    ca_bundle = values.get("ca_bundle", "").strip() or None
    if ca_bundle is not None and not Path(ca_bundle).is_file():
        raise ConfigError(f"{config_file}: [fetch] ca_bundle {ca_bundle!r} is not a file")

    def number(option: str, fallback: float, least: int = 1) -> int:
        value = _int(sections, "fetch", option, int(fallback), config_file)
        if value < least:
            raise ConfigError(
                f"{config_file}: [fetch] {option} must be at least {least}, not {value}"
            )
        return value

    return FetchPolicy(
        timeout=number("timeout", default.timeout),
        total_timeout=number("total_timeout", default.total_timeout),
        max_bytes=number("max_size", default.max_bytes),
        max_redirects=number("max_redirects", default.max_redirects, least=0),
        allow_private=_bool(sections, "fetch", "allow_private", False, config_file),
        allowed_networks=networks,
        ca_bundle=ca_bundle,
        config_file=str(config_file),
    )


def _throttle_policy(sections: dict[str, dict[str, str]], config_file: Path) -> ThrottlePolicy:
    default = ThrottlePolicy()

    def count(option: str, fallback: int) -> int:
        value = _int(sections, "throttle", option, fallback, config_file)
        if value < 1:
            raise ConfigError(f"{config_file}: [throttle] {option} must be at least 1, not {value}")
        return value

    def seconds(option: str, fallback: float) -> float:
        value = sections.get("throttle", {}).get(option, "").strip()
        if not value:
            return fallback
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not number > 0 or math.isinf(number):
            raise ConfigError(
                f"{config_file}: [throttle] {option} must be a number of seconds above 0, "
                f"not {value!r}"
            )
        return number

    return ThrottlePolicy(
        address_failures=count("address_failures", default.address_failures),
        account_failures=count("account_failures", default.account_failures),
        first_delay=seconds("first_delay", default.first_delay),
        address_max_delay=seconds("address_max_delay", default.address_max_delay),
        account_max_delay=seconds("account_max_delay", default.account_max_delay),
        forget_after=seconds("forget_after", default.forget_after),
    )


def _public_url(sections: dict[str, dict[str, str]], config_file: Path) -> str:
    value = sections.get("contacthub", {}).get("public_url", "").strip()
    if value and not value.lower().startswith(("http://", "https://")):
        raise ConfigError(
            f"{config_file}: [contacthub] public_url must start with http:// or https://, "
            f"not {value!r}"
        )
    return value


def _mass_delete_policy(sections: dict[str, dict[str, str]], config_file: Path) -> MassDeletePolicy:
    values = sections.get("history", {})

    def number(option: str, fallback: float, what: str, high: float = math.inf) -> float:
        value = values.get(option, "").strip().removesuffix("%").strip()
        if not value:
            return fallback
        try:
            found = float(value)
        except ValueError:
            found = math.nan
        if not 0 < found < high:
            raise ConfigError(
                f"{config_file}: [history] {option} must be {what}, not {values[option]!r}"
            )
        return found

    least = _int(sections, "history", "mass_delete_min", _MASS_DELETE.least, config_file)
    if least < 1:
        raise ConfigError(
            f"{config_file}: [history] mass_delete_min must be at least 1, not {least}"
        )
    recipients = tuple(
        part.strip() for part in values.get("alert_to", OWNER).split(",") if part.strip()
    )
    for recipient in recipients:
        if recipient != OWNER and "@" not in parseaddr(recipient)[1]:
            raise ConfigError(
                f"{config_file}: [history] alert_to: {recipient!r} is neither an email address "
                f"nor {OWNER!r}"
            )
    return MassDeletePolicy(
        share=number(
            "mass_delete_share", _MASS_DELETE.share, "a per cent above 0 and below 100", 100
        ),
        least=least,
        window=number("mass_delete_window", _MASS_DELETE.window, "a number of seconds above 0"),
        alert_to=recipients,
    )
