"""A store holding the issue's people (tests/duplicates/people.py), SQLite and PostgreSQL,
with the account's phone region set to Estonia."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contacthub.store import DuplicateSettings, Store
from tests.duplicates.people import OWNER, REGION, write_people


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def people(store: Store) -> Store:
    """The store with the people written and the region EE."""
    write_people(store)
    with store.write() as tx:
        tx.set_duplicate_settings(OWNER, DuplicateSettings(phone_region=REGION))
    return store
