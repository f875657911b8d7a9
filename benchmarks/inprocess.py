"""contacthub's CardDAV app in this process, on a new data directory (SQLite, or the store
at a URL given): what the benchmarks that time requests without a server's sockets start
from.

A benchmark run as `python benchmarks/NAME.py` imports it as `inprocess` (its folder is
first on the path).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from werkzeug.test import Client

from contacthub import config
from contacthub.carddav.app import make_carddav_app
from contacthub.firstrun import ensure_first_admin, prepare_data_dir
from contacthub.store import Store


@dataclass(frozen=True)
class InProcess:
    settings: config.Settings
    store: Store
    client: Client
    root_password: str  # of the first admin, "root"


@contextmanager
def carddav_in_process(store_url: str | None = None) -> Iterator[InProcess]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = config.load(Path(tmp), store_url=store_url)
        prepare_data_dir(settings.data_dir, settings.config_file)
        settings = config.load(Path(tmp), store_url=store_url)  # as the data directory says
        store = Store.open(settings.store_url)
        password = ensure_first_admin(settings, store)
        assert password is not None
        try:
            yield InProcess(settings, store, Client(make_carddav_app(settings, store)), password)
        finally:
            store.close()
