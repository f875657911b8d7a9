"""``[fetch]`` in the configuration file: what remote syncs may reach, and their limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from contacthub import config
from contacthub.config import ConfigError
from contacthub.fetch import FetchPolicy


def load_with(tmp_path: Path, text: str) -> config.Settings:
    (tmp_path / "contacthub.conf").write_text(text, encoding="utf-8")
    return config.load(tmp_path)


def conf_of(tmp_path: Path) -> str:
    """The file a refusal names (fetch/guard.py): the one the settings came from."""
    return str((tmp_path / "contacthub.conf").resolve())


def test_without_a_fetch_section_the_defaults_hold(tmp_path: Path) -> None:
    policy = load_with(tmp_path, "[contacthub]\n").fetch_policy
    assert policy == FetchPolicy(config_file=conf_of(tmp_path))


def test_every_fetch_option_is_read(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")

    policy = load_with(
        tmp_path,
        f"""\
[fetch]
allow_private = yes
allowed_networks = 10.1.2.0/24, 192.168.7.3 ,fd00::/8
ca_bundle = {bundle}
timeout = 7
total_timeout = 90
max_size = 1048576
max_redirects = 2
""",
    ).fetch_policy

    assert policy == FetchPolicy(
        timeout=7,
        total_timeout=90,
        max_bytes=1048576,
        max_redirects=2,
        allow_private=True,
        allowed_networks=("10.1.2.0/24", "192.168.7.3", "fd00::/8"),
        ca_bundle=str(bundle),
        config_file=conf_of(tmp_path),
    )


def test_empty_fetch_options_keep_their_defaults(tmp_path: Path) -> None:
    policy = load_with(
        tmp_path, "[fetch]\nallow_private =\nallowed_networks =\nca_bundle =\n"
    ).fetch_policy

    assert (policy.allow_private, policy.allowed_networks, policy.ca_bundle) == (False, (), None)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("allowed_networks = 10.1.2.0/24, intranet", "[fetch] allowed_networks: 'intranet'"),
        ("allowed_networks = 10.0.0.0/33", "[fetch] allowed_networks: '10.0.0.0/33'"),
        ("allow_private = perhaps", "[fetch] allow_private must be true or false, not 'perhaps'"),
        ("ca_bundle = /nowhere/ca.pem", "[fetch] ca_bundle '/nowhere/ca.pem' is not a file"),
        ("timeout = soon", "[fetch] timeout must be a whole number, not 'soon'"),
        ("total_timeout = 1.5", "[fetch] total_timeout must be a whole number, not '1.5'"),
        ("max_size = 50MB", "[fetch] max_size must be a whole number, not '50MB'"),
        ("max_redirects = many", "[fetch] max_redirects must be a whole number, not 'many'"),
        ("timeout = 0", "[fetch] timeout must be at least 1, not 0"),
        ("max_size = -5", "[fetch] max_size must be at least 1, not -5"),
        ("max_redirects = -1", "[fetch] max_redirects must be at least 0, not -1"),
    ],
)
def test_a_bad_fetch_option_names_the_file_section_and_option(
    tmp_path: Path, line: str, named: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_with(tmp_path, f"[fetch]\n{line}\n")

    assert str(raised.value).startswith(f"{tmp_path / 'contacthub.conf'}: {named}")


def test_a_bad_scheduler_switch_names_its_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[contacthub\] scheduler must be true or false"):
        load_with(tmp_path, "[contacthub]\nscheduler = sometimes\n")


def test_the_scheduler_interval_and_run_lease_are_read_with_their_defaults(
    tmp_path: Path,
) -> None:
    defaults = load_with(tmp_path, "[contacthub]\n")
    assert (defaults.scheduler_interval, defaults.run_lease, defaults.background_nice) == (
        30,
        120,
        10,
    )
    chosen = load_with(
        tmp_path, "[contacthub]\nscheduler_interval = 5\nrun_lease = 60\nbackground_nice = 0\n"
    )
    assert (chosen.scheduler_interval, chosen.run_lease, chosen.background_nice) == (5, 60, 0)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("scheduler_interval = 0", "[contacthub] scheduler_interval must be 1 or more"),
        ("scheduler_interval = soon", "[contacthub] scheduler_interval must be a whole number"),
        ("run_lease = 7", "[contacthub] run_lease must be 8 or more"),
        ("run_lease = 1.5", "[contacthub] run_lease must be a whole number"),
        ("background_nice = 20", "[contacthub] background_nice must be 0 to 19, not 20"),
        ("background_nice = -1", "[contacthub] background_nice must be 0 to 19, not -1"),
    ],
)
def test_a_bad_scheduler_interval_or_run_lease_names_the_option(
    tmp_path: Path, line: str, words: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_with(tmp_path, f"[contacthub]\n{line}\n")

    assert str(raised.value).startswith(f"{tmp_path / 'contacthub.conf'}: {words}")
