"""The plugin outside `serve`: its settings from Radicale's configuration
(PLUGIN_CONFIG_SCHEMA), the environment variable as a fallback, and a stock
`python -m radicale --config FILE` serving contacthub's store."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from radicale import config as radicale_config

from contacthub.store import Store
from contacthub_radicale import PLUGIN_CONFIG_SCHEMA, Storage
from tests.support import dav
from tests.support.servers import RadicaleServer

USERS = {"alice": "alice-Secret-1"}
BOOK = "/alice/contacts/"


def configuration(storage: dict[str, str]) -> radicale_config.Configuration:
    loaded = radicale_config.load()
    loaded.update({"storage": {"type": "contacthub_radicale", **storage}}, "test")
    return loaded


def test_the_settings_come_from_radicales_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTACTHUB_STORE", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    storage = Storage(configuration({"url": url, "history_retention": "60", "busy_timeout": "2"}))
    try:
        assert str(storage.store.engine.url) == url
        assert storage.store.history_retention == 60
    finally:
        storage.store.close()
    assert set(PLUGIN_CONFIG_SCHEMA["storage"]) == {"url", "history_retention", "busy_timeout"}


def test_the_environment_variable_is_the_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("CONTACTHUB_STORE", url)
    storage = Storage(configuration({}))
    try:
        assert str(storage.store.engine.url) == url
    finally:
        storage.store.close()


def test_without_a_url_it_says_where_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONTACTHUB_STORE", raising=False)
    with pytest.raises(RuntimeError, match=r"\[storage\] url"):
        Storage(configuration({}))


def test_a_stock_radicale_serves_contacthubs_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONTACTHUB_STORE", raising=False)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    server = RadicaleServer(
        tmp_path / "radicale",
        USERS,
        config={"storage": {"type": "contacthub_radicale", "url": url}},
        bcrypt_rounds=4,
    )
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:град\r\nFN:Град\r\nEND:VCARD\r\n"
    href = BOOK + quote("град.vcf")
    with server:
        alice = server.session("alice")
        dav.propfind(alice, BOOK)  # the first request makes the principal and its book
        etag = dav.create_card(alice, href, card)
        got = alice.get(href)
        assert got.status_code == 200 and got.headers["ETag"] == etag
        assert "UID:град" in got.text
    store = Store.open(url)
    try:
        with store.read() as tx:
            book = tx.require_collection("alice/contacts")
            stored = tx.get_item(book.id, "град.vcf")
    finally:
        store.close()
    assert stored is not None and stored.uid == "град" and stored.etag == etag
