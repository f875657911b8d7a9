"""Radicale storage plugin over the contacthub store.

Radicale speaks CardDAV and CalDAV; this plugin only maps its storage
interface (`BaseStorage`, `BaseCollection`) onto the store's API, so
discovery, PROPFIND, REPORTs, ACLs and client quirks stay Radicale's.

Load it from code with `functools.partial(Storage, store=store)` as
`[storage] type`, or by name (`type = contacthub_radicale`) with the store's
URL in `[storage] url` (or the CONTACTHUB_STORE environment variable): see
settings.py for its options (PLUGIN_CONFIG_SCHEMA).
"""

from contacthub_radicale import paths, reading
from contacthub_radicale.collection import Collection
from contacthub_radicale.settings import PLUGIN_CONFIG_SCHEMA
from contacthub_radicale.storage import Storage

reading.install()  # Radicale reads a card the guard parsed from that parse
paths.install()  # Radicale sanitizes paths in one join, its answers kept

__all__ = ["PLUGIN_CONFIG_SCHEMA", "Collection", "Storage"]
