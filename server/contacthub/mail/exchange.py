"""Exchange accounts over EWS (exchangelib): connect, pull the Contacts folder, push changes.

``connect`` finds the server by autodiscover from the email address, or uses the server of the
Advanced settings. ``pull`` reads what changed in the Contacts folder since a stored sync state
(SyncFolderItems for the ids, GetItem for the fields). ``push_create`` and ``push_update`` write
a card (CreateItem; UpdateItem with the change key, never overwriting a newer version).
Deletions are never sent to Exchange. Failures are ``ExchangeError`` with a message saying what
to do.
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import requests
from exchangelib import DELEGATE, Account, Configuration, Credentials, FailFast
from exchangelib import errors as ews
from exchangelib.items import NEVER_OVERWRITE, Contact
from exchangelib.protocol import BaseProtocol, Protocol
from requests.adapters import HTTPAdapter

from .exchange_errors import (
    ChangeKeyConflict,
    ContactGone,
    ContactRefused,
    ExchangeError,
    SyncStateExpired,
    translated,
)
from .exchange_map import card_to_contact, contact_to_card

__all__ = ["ChangeKeyConflict", "ContactGone", "ContactRefused", "ExchangeAccount",
           "ExchangeError", "PulledContact", "SyncStateExpired", "connect", "pull", "push_create",
           "push_update", "service_endpoint", "uid_for"]

EWS_PATH = "/EWS/Exchange.asmx"
_UID_NAMESPACE = uuid.UUID("1b0c3f2e-7d4a-5e8f-9a61-0c2d3e4f5a6b")


@dataclass(frozen=True)
class ExchangeAccount:
    """What the user enters: email and password; username and server under Advanced settings."""

    email: str
    password: str = field(repr=False)
    username: str | None = None  # DOMAIN\\user or user@domain; the email address when None
    server: str | None = None  # host[:port] or an https:// URL; autodiscover when None

    @property
    def login(self) -> str:
        return self.username or self.email


class PulledContact(NamedTuple):
    item_id: str
    changekey: str
    card: str  # vCard 3.0 text, UID from uid_for(item_id)
    last_modified: float | None = None  # Exchange's LastModifiedTime, as a POSIX timestamp


def uid_for(item_id: str) -> str:
    """The UID of the card pulled for an Exchange item: stable for as long as its item id is."""
    return str(uuid.uuid5(_UID_NAMESPACE, item_id))


def connect(account: ExchangeAccount, *, verify: bool | str = True) -> Account:
    """An exchangelib Account whose login and Contacts folder have been checked.

    ``verify``: True for the system's CAs, a path to a PEM bundle of CAs to trust, or False.
    It applies to every Exchange connection of the process, as exchangelib has one HTTP
    adapter class for all (the hub has one CA setting, like [fetch] ca_bundle).
    """
    if "@" not in account.email:
        raise ExchangeError(f"{account.email!r} is not an email address: enter the address of "
                            "the Exchange mailbox")
    _TlsAdapter.verify = verify
    BaseProtocol.HTTP_ADAPTER_CLS = _TlsAdapter
    credentials = Credentials(account.login, account.password)

    def open_account() -> Account:
        if account.server:
            config = Configuration(service_endpoint=service_endpoint(account.server),
                                   credentials=credentials, retry_policy=FailFast())
            mailbox = Account(account.email, config=config, autodiscover=False,
                              access_type=DELEGATE)
        else:
            mailbox = Account(account.email, credentials=credentials, autodiscover=True,
                              access_type=DELEGATE)
        try:
            mailbox.contacts  # noqa: B018 -- the first request: checks login, version and folder
        except Exception:
            # exchangelib caches a protocol per endpoint and password for the process' life.
            with suppress(KeyError):
                del Protocol[mailbox.protocol.config]
            mailbox.protocol.close()
            raise
        return mailbox

    endpoint = service_endpoint(account.server) if account.server else None
    return translated(replace(account, server=endpoint), open_account)


def service_endpoint(server: str) -> str:
    """The EWS URL for what the user typed as server: a host[:port], or a URL."""
    server = server.strip()
    if "://" not in server:
        return f"https://{server.strip('/')}{EWS_PATH}"
    parts = urlsplit(server)
    if parts.path.lower().endswith(".asmx"):
        return server
    return f"{parts.scheme}://{parts.netloc}{EWS_PATH}"


def pull(account: Account, sync_state: str | None) -> tuple[list[PulledContact], str]:
    """Contacts created or updated in Exchange since ``sync_state`` (None: all), and the state
    to store for the next pull. Deletions in Exchange are not reported; distribution lists
    are skipped.
    """

    def run() -> tuple[list[PulledContact], str]:
        folder = account.contacts
        folder.item_sync_state = sync_state  # the folder object keeps the last one otherwise
        changed: dict[str, None] = {}
        # IdOnly here, fields by GetItem: Exchange leaves some properties out of sync results.
        for change, item in folder.sync_items(only_fields=[]):
            if change in ("create", "update") and isinstance(item, Contact):
                changed[item.id] = None
        new_state = folder.item_sync_state
        pulled = []
        if changed:
            for item in account.fetch(ids=[(i, None) for i in changed], folder=folder):
                if isinstance(item, ews.ErrorItemNotFound):
                    continue  # deleted between the sync and the fetch
                if isinstance(item, Exception):
                    raise item
                modified = item.last_modified_time
                pulled.append(PulledContact(item.id, item.changekey,
                                            contact_to_card(item, uid_for(item.id)),
                                            modified.timestamp() if modified else None))
        return pulled, new_state

    return translated(_settings_of(account), run)


def push_create(account: Account, card: str) -> tuple[str, str]:
    """Create the card's contact in the Contacts folder; returns (item id, change key).

    Raises ContactRefused for values Exchange cannot store.
    """

    def run() -> tuple[str, str]:
        values = card_to_contact(card)
        contact = Contact(account=account, folder=account.contacts, **values)
        # Outlook lists and sorts contacts by File As, which Exchange leaves empty over EWS.
        contact.file_as = _file_as(values)
        contact.save()
        return contact.id, contact.changekey

    return translated(_settings_of(account), run)


def push_update(account: Account, item_id: str, changekey: str, card: str) -> str:
    """Write every mapped field of the card to the contact; returns the new change key.

    Raises ChangeKeyConflict when the contact changed in Exchange after ``changekey``,
    ContactGone when it no longer exists, ContactRefused for values Exchange cannot store.
    Fields the card lacks are cleared in Exchange; fields the mapping does not cover are left
    as they are.
    """

    def run() -> str:
        values = card_to_contact(card)
        contact = Contact(account=account, folder=account.contacts, id=item_id,
                          changekey=changekey, **values)
        contact.save(update_fields=list(values), conflict_resolution=NEVER_OVERWRITE)
        return str(contact.changekey)

    return translated(_settings_of(account), run)


def _file_as(values: dict[str, Any]) -> str:
    family, given = values.get("surname"), values.get("given_name")
    if family and given:
        return f"{family}, {given}"
    return str(family or given or values["display_name"])


class _TlsAdapter(HTTPAdapter):
    """exchangelib builds its sessions itself; this adapter puts our CA setting into each."""

    verify: bool | str = True

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        kwargs["verify"] = self.verify
        return super().send(request, *args, **kwargs)


def _settings_of(account: Account) -> ExchangeAccount:
    credentials = account.protocol.credentials
    login = getattr(credentials, "username", None)
    return ExchangeAccount(email=account.primary_smtp_address, password="",
                           username=login if login != account.primary_smtp_address else None,
                           server=account.protocol.service_endpoint)
