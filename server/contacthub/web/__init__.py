"""The web sidecar: a Flask app answering under /api/ (and later /admin/)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request

from ..config import Settings
from ..store import Store
from ..syncs import SyncContext
from . import errors
from .auth import Authenticator, auth_delay


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    authenticator: Authenticator
    syncs: SyncContext


def refuse_nul() -> None:
    """PostgreSQL cannot hold NUL in text, and no name or search has one: refuse it early."""
    if "\x00" in request.path or any("\x00" in key + value
                                      for key, value in request.args.items(multi=True)):
        raise errors.bad_request("The address contains a NUL character.")


def create_app(settings: Settings, store: Store) -> Flask:
    app = Flask(__name__)
    # Werkzeug refuses larger bodies with 413 before a view reads them.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["contacthub"] = Services(
        settings, store, Authenticator(settings.users_file, auth_delay(settings)),
        SyncContext(store, settings),
    )
    errors.register(app)
    app.before_request(refuse_nul)
    from .api import api

    app.register_blueprint(api)
    return app
