"""The settings of /metrics and the log, and the store's figures /metrics reads (on
SQLite and PostgreSQL). tests/e2e/test_metrics_health.py scrapes a real `serve`."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from contacthub import config
from contacthub.config import ConfigError
from contacthub.metrics import StoreFigures, allowed
from contacthub.store import Store
from contacthub.vcard.parse import item_data
from tests.support.vcards import make_card


def load_with(tmp_path: Path, text: str) -> config.Settings:
    (tmp_path / "contacthub.conf").write_text(text, encoding="utf-8")
    return config.load(tmp_path)


def test_metrics_networks_and_json_logs_are_read(tmp_path: Path) -> None:
    settings = load_with(
        tmp_path,
        "[metrics]\nallowed_networks = 10.0.0.0/8, 127.0.0.1/32 ,fd00::/8\nfigures_max_age = 60\n"
        "[logging]\nlevel = warning\nformat = JSON\n",
    )
    assert settings.metrics_networks == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("fd00::/8"),
    )
    assert settings.metrics_figures_max_age == 60
    assert settings.log_format == "json"
    # Radicale refuses options it does not know: `format` is ours and not handed on.
    assert settings.radicale["logging"] == {"level": "warning"}


def test_the_defaults_keep_metrics_closed_and_logs_short(tmp_path: Path) -> None:
    settings = load_with(tmp_path, config.default_config_text(tmp_path))
    assert (settings.metrics_networks, settings.log_format) == ((), "text")
    assert settings.metrics_figures_max_age == 15


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "[metrics]\nallowed_networks = 10.0.0.0/8, office\n",
            "[metrics] allowed_networks: 'office'",
        ),
        ("[metrics]\nfigures_max_age = -1\n", "[metrics] figures_max_age must be 0 or more"),
        ("[logging]\nformat = yaml\n", "[logging] format must be text or json, not 'yaml'"),
    ],
)
def test_bad_values_are_refused_in_words(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_with(tmp_path, text)


def test_allowed_networks_match_the_client_address() -> None:
    networks = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))
    assert allowed("10.200.1.1", networks)
    assert allowed("::ffff:10.0.0.1", networks)  # an IPv4 client on a dual-stack socket
    assert allowed("::1", networks)
    assert not allowed("11.0.0.1", networks)
    assert not allowed("", networks)
    assert not allowed("not an address", networks)
    assert not allowed("10.0.0.1", ())


def figures(collector: StoreFigures) -> dict[str, float]:
    return {
        f"{sample.name}{sorted(sample.labels.items())}": sample.value
        for family in collector.collect()
        for sample in family.samples
        if sample.name != "contacthub_store_figures_duration_seconds"
    }


def test_contacts_per_account_and_the_history_in_one_count_each(store: Store) -> None:
    with store.write() as tx:  # one account a transaction: collections lock in path order
        alice_book = tx.ensure_default_book("alice")
        other = tx.create_collection("alice/work", {"tag": "VADDRESSBOOK"})
        for n in range(3):
            tx.put_item(alice_book, f"a{n}.vcf", item_data(make_card(f"a{n}", f"A {n}")))
        tx.put_item(other, "w.vcf", item_data(make_card("w", "Work Person")))
    with store.write() as tx:
        tx.create_collection("bob", {})
        bob_book = tx.ensure_default_book("bob")
        tx.put_item(bob_book, "b.vcf", item_data(make_card("b", "Bob")))
    assert figures(StoreFigures(store, max_age=0)) == {
        "contacthub_contacts[('account', 'alice')]": 4,
        "contacthub_contacts[('account', 'bob')]": 1,
        "contacthub_history_versions[]": 5,
    }


def test_the_figures_are_counted_at_most_once_in_max_age(store: Store) -> None:
    with store.write() as tx:
        book = tx.ensure_default_book("alice")
        tx.put_item(book, "one.vcf", item_data(make_card("one", "One")))
    cached = StoreFigures(store, max_age=3600)
    fresh = StoreFigures(store, max_age=0)
    assert figures(cached)["contacthub_contacts[('account', 'alice')]"] == 1
    with store.write() as tx:
        tx.put_item(book, "two.vcf", item_data(make_card("two", "Two")))
    assert figures(cached)["contacthub_contacts[('account', 'alice')]"] == 1
    assert figures(fresh)["contacthub_contacts[('account', 'alice')]"] == 2
