"""``[history]`` mass_delete_* and alert_to, and ``[contacthub] public_url``: read from the
configuration file, written with their defaults on the first start, refused in a sentence
that names the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from contacthub import config
from contacthub.config import ConfigError, MassDeletePolicy


def load_with(tmp_path: Path, text: str) -> config.Settings:
    (tmp_path / "contacthub.conf").write_text(text, encoding="utf-8")
    return config.load(tmp_path)


def test_the_defaults_and_the_first_start_file_agree(tmp_path: Path) -> None:
    assert load_with(tmp_path, "[contacthub]\n").mass_delete == MassDeletePolicy()
    written = load_with(tmp_path, config.default_config_text(tmp_path))
    assert written.mass_delete == MassDeletePolicy(50.0, 20, 600.0, ("owner",))
    assert written.base_url == "http://127.0.0.1:5232"


def test_every_option_is_read(tmp_path: Path) -> None:
    settings = load_with(
        tmp_path,
        "[contacthub]\npublic_url = https://contacts.example.org/\n"
        "[history]\nmass_delete_share = 30%\nmass_delete_min = 5\n"
        "mass_delete_window = 120\nalert_to = owner, it@example.org\n",
    )
    assert settings.mass_delete == MassDeletePolicy(30.0, 5, 120.0, ("owner", "it@example.org"))
    assert settings.base_url == "https://contacts.example.org"


@pytest.mark.parametrize(
    ("lines", "named"),
    [
        ("[history]\nmass_delete_share = 100\n", "[history] mass_delete_share must be a per cent"),
        ("[history]\nmass_delete_share = half\n", "[history] mass_delete_share must be a per cent"),
        ("[history]\nmass_delete_min = 0\n", "[history] mass_delete_min must be at least 1"),
        ("[history]\nmass_delete_window = -5\n", "[history] mass_delete_window must be"),
        ("[history]\nalert_to = the boss\n", "[history] alert_to: 'the boss' is neither"),
        ("[contacthub]\npublic_url = contacts.example.org\n", "[contacthub] public_url must"),
    ],
)
def test_a_value_that_cannot_be_used_is_named(tmp_path: Path, lines: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_with(tmp_path, lines)
