"""The plugin's settings from Radicale's configuration, for a stock `radicale` command.

    [storage]
    type = contacthub_radicale
    url = sqlite:////var/lib/contacthub/contacthub.db
    history_retention = 2592000
    busy_timeout = 30

`url` may instead come from the CONTACTHUB_STORE environment variable (the file wins).
`contacthub serve` hands the plugin its open store and needs none of these.
"""

from __future__ import annotations

import os

from radicale import config

from contacthub.store import DEFAULT_BUSY_TIMEOUT, DEFAULT_HISTORY_RETENTION, Store

URL_VARIABLE = "CONTACTHUB_STORE"

PLUGIN_CONFIG_SCHEMA: dict[str, dict[str, dict[str, object]]] = {
    "storage": {
        "url": {
            "value": "",
            "help": f"the store's URL (sqlite:///PATH or postgresql+psycopg://...); "
            f"else ${URL_VARIABLE}",
            "type": str,
        },
        "history_retention": {
            "value": str(int(DEFAULT_HISTORY_RETENTION)),
            "help": "seconds the versions of deleted and changed cards are kept",
            "type": config.positive_int,
        },
        "busy_timeout": {
            "value": str(DEFAULT_BUSY_TIMEOUT),
            "help": "seconds a write waits for another writer (SQLite)",
            "type": config.positive_float,
        },
    }
}


def open_store(configuration: config.Configuration) -> Store:
    """The store `[storage] url` names, else the one in $CONTACTHUB_STORE."""
    configuration = configuration.copy(PLUGIN_CONFIG_SCHEMA)  # typed, with the defaults
    url = configuration.get("storage", "url") or os.environ.get(URL_VARIABLE, "")
    if not url:
        raise RuntimeError(
            f"contacthub_radicale needs the store's URL: set [storage] url in Radicale's "
            f"configuration (or the {URL_VARIABLE} environment variable)"
        )
    return Store.open(
        url,
        history_retention=float(configuration.get("storage", "history_retention")),
        busy_timeout=float(configuration.get("storage", "busy_timeout")),
    )
