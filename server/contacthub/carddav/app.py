"""CardDAV: Radicale's application on our storage plugin, behind the guard."""

from __future__ import annotations

import functools
import json
from typing import Any

from radicale import config as radicale_config
from radicale import rights

from contacthub.carddav.application import ContacthubApplication
from contacthub.carddav.gate import Gate
from contacthub.carddav.guard import CardDavGuard, WSGIApp
from contacthub.carddav.mass_delete import DeletionWatch
from contacthub.carddav.paths import Utf8Paths
from contacthub.config import Settings
from contacthub.logins import AppPasswords
from contacthub.signin_throttle import SignInThrottle
from contacthub.store import DEFAULT_BOOK, DEFAULT_BOOK_PROPS, Store
from contacthub.users import UsersFile
from contacthub_radicale import Storage, context
from contacthub_radicale.auth import Auth


def radicale_configuration(settings: Settings, store: Store) -> radicale_config.Configuration:
    configuration = radicale_config.load()
    defaults: dict[str, dict[str, Any]] = {
        "auth": {
            "type": Auth,
            "htpasswd_filename": str(settings.users_file),
            "htpasswd_encryption": "autodetect",
            # bcrypt costs ~0.2 s a check by design (0.4 s here, over 1 s on a busy
            # machine); remember a good login for an hour, or until the users file
            # changes (contacthub_radicale.auth), instead of Radicale's 15 seconds: a
            # phone syncing then pays it once, not at every request after a pause.
            "cache_logins": "True",
            "cache_successful_logins_expiry": "3600",
        },
        "rights": {"type": "owner_only"},
        "web": {"type": "none"},
    }
    configuration.update(defaults, "contacthub defaults", privileged=True)
    configuration.update(settings.radicale, str(settings.config_file))
    fixed: dict[str, dict[str, Any]] = {
        # Radicale sleeps in the worker thread after a wrong password; the throttle
        # (signin_throttle, asked by the guard) refuses at once instead.
        "auth": {"delay": "0"},
        "storage": {
            "type": functools.partial(Storage, store=store),
            "predefined_collections": json.dumps({DEFAULT_BOOK: DEFAULT_BOOK_PROPS}),
        },
    }
    configuration.update(fixed, "contacthub", privileged=True)
    return configuration


def make_carddav_app(
    settings: Settings, store: Store, throttle: SignInThrottle | None = None
) -> WSGIApp:
    configuration = radicale_configuration(settings, store)
    # One Auth for Radicale and the guard: one login cache, one check per request.
    app_passwords = AppPasswords(
        store, UsersFile(settings.users_file), reading=functools.partial(context.reading, store)
    )
    auth = Auth(configuration, app_passwords)
    configuration.update(
        {"auth": {"type": functools.partial(_given, auth)}}, "contacthub", privileged=True
    )
    gate = Gate(configuration, auth, rights.load(configuration))
    return Utf8Paths(
        CardDavGuard(
            ContacthubApplication(configuration),
            store,
            settings,
            gate,
            throttle or SignInThrottle(settings.throttle),
            DeletionWatch(store, settings),
        )
    )


def _given(auth: Auth, _configuration: radicale_config.Configuration) -> Auth:
    return auth
