"""Sealed passwords: the key in the config or in DATA_DIR/secret.key, and what a sync
does when its password cannot be opened."""

from __future__ import annotations

import stat
import threading
from dataclasses import replace
from pathlib import Path

from cryptography.fernet import Fernet

from contacthub.config import Settings
from contacthub.credentials import KEY_FILE, Vault
from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.csv.remote import update_origin
from contacthub.store import SourceRecord, Store
from tests.fetch.http_server import LocalHTTPServer, Site
from tests.jobs.helpers import ANN, csv_of, http_sync, serve

PASSWORD = "vault-Pass-77"


def private_sync(ctx: RunContext, site: Site, http: LocalHTTPServer) -> SourceRecord:
    serve(site, "/private.csv", csv_of(ANN), credentials=("reader", PASSWORD))
    return http_sync(ctx, site, http, "/private.csv", username="reader", password=PASSWORD)


def test_a_password_sealed_with_another_key_fails_the_run_and_asks_for_it_again(
    store: Store, settings: Settings, site: Site, http: LocalHTTPServer
) -> None:
    before = RunContext(store, replace(settings, secret_key=Fernet.generate_key().decode()))
    source = private_sync(before, site, http)
    after = RunContext(store, replace(settings, secret_key=Fernet.generate_key().decode()))
    asked = len(site.requests)

    run = run_sync(after, source)

    assert run.status == "failed"
    assert run.message.startswith("a stored password cannot be decrypted")
    assert run.message.endswith("enter the password again")
    assert len(site.requests) == asked  # nothing was fetched without the password

    source = update_origin(
        after, source, {"url": http.url("/private.csv"), "username": "reader", "password": PASSWORD}
    )
    assert run_sync(after, source).status == "ok"


def test_the_key_file_is_made_readable_by_its_owner_only_and_reused(
    store: Store, settings: Settings, data_dir: Path, site: Site, http: LocalHTTPServer
) -> None:
    assert settings.secret_key is None
    first = RunContext(store, settings)
    source = private_sync(first, site, http)
    key_file = data_dir / KEY_FILE
    key = key_file.read_bytes()

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [path.name for path in data_dir.iterdir()] == [KEY_FILE]  # no temporary left

    second = RunContext(store, settings)  # another process on the same data directory
    assert run_sync(second, source).status == "ok"
    assert key_file.read_bytes() == key


def test_threads_making_the_key_file_at_once_agree_on_one_key(tmp_path: Path) -> None:
    meet = threading.Barrier(8)
    vaults: list[Vault] = []
    errors: list[BaseException] = []

    def make() -> None:
        meet.wait()
        try:
            vaults.append(Vault.from_config(None, tmp_path))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    sealed = vaults[0].seal("one key for all")
    assert all(vault.open(sealed) == "one key for all" for vault in vaults)
    assert [path.name for path in tmp_path.iterdir()] == [KEY_FILE]


def test_a_damaged_key_file_fails_the_run_with_words_to_act_on(
    store: Store, settings: Settings, data_dir: Path, site: Site, http: LocalHTTPServer
) -> None:
    source = private_sync(RunContext(store, settings), site, http)
    (data_dir / KEY_FILE).write_text("not a key\n")

    run = run_sync(RunContext(store, settings), source)

    assert run.status == "failed"
    assert run.message == (
        "the key file secret.key in the data directory is not a "
        "Fernet key (32 url-safe base64-encoded bytes)"
    )


def test_a_configured_key_that_is_no_fernet_key_fails_the_run_naming_the_option(
    store: Store, settings: Settings, site: Site, http: LocalHTTPServer
) -> None:
    source = private_sync(RunContext(store, settings), site, http)

    run = run_sync(RunContext(store, replace(settings, secret_key="too-short")), source)

    assert run.status == "failed"
    assert run.message.startswith("[contacthub] secret_key is not a Fernet key")
