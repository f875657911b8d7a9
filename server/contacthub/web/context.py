"""The server's parts for the request being answered: what both the API and the admin
page hand to the services."""

from __future__ import annotations

from flask import current_app

from contacthub.config import Settings
from contacthub.sources.context import RunContext
from contacthub.store import Store


def run_context() -> RunContext:
    found: RunContext = current_app.extensions["contacthub"].syncs
    return found


def store() -> Store:
    found: Store = current_app.extensions["contacthub"].store
    return found


def settings() -> Settings:
    found: Settings = current_app.extensions["contacthub"].settings
    return found
