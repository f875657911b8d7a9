"""Exchange accounts over EWS (exchangelib): connect, pull the Contacts folder, push changes.

``connect`` finds the server by autodiscover from the email address, or uses the server of the
Advanced settings. Instead of a password, an account may log in as an app registered in Azure AD
(OAuth2 client credentials: client id, tenant id, client secret), impersonating the mailbox;
that needs the server (autodiscover does not take app-only tokens). ``pull`` reads what changed
in the Contacts folder since a stored sync state (SyncFolderItems for the ids, GetItem for the
fields). ``push_create`` and ``push_update`` write a card (CreateItem; UpdateItem with the
change key, never overwriting a newer version). Deletions are never sent to Exchange. Failures
are ``ExchangeError`` with a message saying what to do.

Every connection exchangelib opens, autodiscover's included, goes to an address of its host
that the address guard checked as it connected (fetch/pinned.py): a name that resolves
elsewhere a moment later (DNS rebinding) changes nothing. TLS is verified for the name.
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from dataclasses import replace
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import requests
from exchangelib import (
    DELEGATE,
    IMPERSONATION,
    OAUTH2,
    Account,
    Configuration,
    Credentials,
    FailFast,
    FaultTolerance,
    Identity,
    OAuth2Credentials,
)
from exchangelib import errors as ews
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.items import NEVER_OVERWRITE, Contact
from exchangelib.protocol import BaseProtocol, Protocol
from oauthlib.oauth2 import TokenExpiredError

from contacthub.fetch import FetchError, FetchPolicy
from contacthub.fetch.model import HostNotFound
from contacthub.fetch.pinned import PinnedAdapter
from contacthub.sources.exchange.account import ExchangeAccount, service_endpoint
from contacthub.sources.exchange.errors import (
    ChangeKeyConflict,
    ContactGone,
    ContactRefused,
    ExchangeError,
    ServerNotFound,
    ServerRefused,
    SyncStateExpired,
)
from contacthub.sources.exchange.mapping import card_to_contact, contact_to_card
from contacthub.sources.exchange.translate import translated
from contacthub.sources.mail_account import guard_sentence
from contacthub.vcard.parse import parse_one

__all__ = [
    "ChangeKeyConflict",
    "ContactGone",
    "ContactRefused",
    "ExchangeAccount",
    "ExchangeError",
    "PulledContact",
    "ServerNotFound",
    "ServerRefused",
    "SyncStateExpired",
    "connect",
    "find_created",
    "pull",
    "push_create",
    "push_update",
    "service_endpoint",
    "uid_for",
]

_UID_NAMESPACE = uuid.UUID("1b0c3f2e-7d4a-5e8f-9a61-0c2d3e4f5a6b")
# The longest a run waits when Exchange says it is busy (throttling), in seconds.
MAX_BACK_OFF = 300
_FIND_CHUNK = 100  # UIDs asked for in one FindItem


class HubUid(ExtendedProperty):
    """The UID of the card a contact was created from (a named property of our own), so that a
    create whose answer never came back is found in Exchange rather than made twice."""

    property_set_id = "6f1d2c3b-8a4e-4b7f-9c0d-2e5a1b3c4d5e"
    property_name = "contacthub-uid"
    property_type = "String"


if "contacthub_uid" not in {field.name for field in Contact.FIELDS}:
    Contact.register("contacthub_uid", HubUid)


class PulledContact(NamedTuple):
    item_id: str
    changekey: str
    card: str  # vCard 3.0 text, UID from uid_for(item_id)
    last_modified: float | None = None  # Exchange's LastModifiedTime, as a POSIX timestamp


def uid_for(item_id: str) -> str:
    """The UID of the card pulled for an Exchange item: stable for as long as its item id is."""
    return str(uuid.uuid5(_UID_NAMESPACE, item_id))


def connect(
    account: ExchangeAccount, *, verify: bool | str = True, policy: FetchPolicy | None = None
) -> Account:
    """An exchangelib Account whose login and Contacts folder have been checked.

    ``verify``: True for the system's CAs, a path to a PEM bundle of CAs to trust, or False.
    ``policy``: the address guard's ([fetch]; the default: public addresses only), which every
    connection to a server is checked by as it connects, autodiscover's included.
    Both apply to every Exchange connection of the process, as exchangelib has one HTTP
    adapter class for all (the hub has one setting of each, [fetch] ca_bundle and the guard's).
    """
    if "@" not in account.email:
        raise ExchangeError(
            f"{account.email!r} is not an email address: enter the address of the Exchange mailbox"
        )
    if account.oauth2:
        _check_oauth2_server(account.server)
    _TlsAdapter.verify = verify
    _TlsAdapter.policy = policy or FetchPolicy()
    BaseProtocol.HTTP_ADAPTER_CLS = _TlsAdapter

    def open_account() -> Account:
        mailbox = _mailbox(account)
        # The checks fail fast (a person waits for them); then a busy Exchange is waited for.
        mailbox.protocol.config.retry_policy = FailFast()
        try:
            mailbox.contacts  # noqa: B018 -- the first request: checks login, version and folder
        except Exception:
            # exchangelib caches a protocol per endpoint and password for the process' life.
            with suppress(KeyError):
                del Protocol[mailbox.protocol.config]
            mailbox.protocol.close()
            raise
        credentials = mailbox.protocol.credentials
        app = credentials if isinstance(credentials, OAuth2Credentials) else None
        mailbox.protocol.config.retry_policy = _WaitWhenBusy(app)
        return mailbox

    endpoint = service_endpoint(account.server) if account.server else None
    return translated(replace(account, server=endpoint), open_account)


def _check_oauth2_server(server: str | None) -> None:
    if not server:
        raise ExchangeError(
            "autodiscover does not work with an app's OAuth2 token: with OAuth2, "
            "enter the server in Advanced settings (outlook.office365.com for "
            "Exchange Online)"
        )
    if not service_endpoint(server).lower().startswith("https://"):
        raise ExchangeError(
            "with OAuth2, the server must be an https:// URL: the app's token is sent to it"
        )


def _mailbox(account: ExchangeAccount) -> Account:
    """The exchangelib Account, not yet asked anything (autodiscover asks already)."""
    if not account.server:  # a password's: connect() wants the server for OAuth2
        return Account(
            account.email,
            credentials=_credentials(account),
            autodiscover=True,
            access_type=DELEGATE,
        )
    config = Configuration(
        service_endpoint=service_endpoint(account.server),
        credentials=_credentials(account),
        auth_type=OAUTH2 if account.oauth2 else None,
        retry_policy=FailFast(),
    )
    # An app acts for the mailbox by impersonation; a user's login by delegation.
    return Account(
        account.email,
        config=config,
        autodiscover=False,
        access_type=IMPERSONATION if account.oauth2 else DELEGATE,
    )


def _credentials(account: ExchangeAccount) -> Credentials | OAuth2Credentials:
    if account.oauth2:
        return _AppCredentials.of(account)
    return Credentials(account.login, account.password)


class _WaitWhenBusy(FaultTolerance):
    """The retry policy of a connected account: waits as Exchange asks when it is busy
    (ErrorServerBusy with its BackOffMilliseconds: throttling, as Exchange Online does) or
    briefly unavailable (HTTP 503), up to MAX_BACK_OFF at a time, then sends the request
    again: Exchange did not carry it out. A lost connection fails at once: exchangelib does
    not send that request again (its session pool has one connection), as Exchange may have
    carried it out (push_local finds such a contact instead: find_created).

    A 401 fails at once too (FaultTolerance takes it for throttling and would wait), except
    that an app's token Exchange ended before its time is fetched anew once, and the request
    sent again with it: a second 401 before any answer is a refusal.
    """

    def __init__(self, app: OAuth2Credentials | None = None) -> None:
        super().__init__(max_wait=MAX_BACK_OFF)
        self._app = app
        self._renewed = False  # a token was fetched anew since the last answer

    def raise_response_errors(self, response: requests.Response) -> None:
        if response.status_code != 401:
            super().raise_response_errors(response)
            self._renewed = False
            return
        bearer = str(response.request.headers.get("Authorization", "")).startswith("Bearer ")
        if self._app is None or not bearer or self._renewed:
            raise ews.UnauthorizedError(f"Invalid credentials for {response.url}")
        self._renewed = True
        with self._app.lock:
            self._app.access_token = None  # the next session fetches a new one
        raise TokenExpiredError("Exchange no longer accepts the token")


class _AppCredentials(OAuth2Credentials):
    """OAuth2 client credentials, whose expired token is fetched anew.

    exchangelib hands requests-oauthlib a refresh URL, which answers an expired token with a
    refresh_token grant; an app token has no refresh token, so Azure AD refuses that
    (AADSTS900144) and the request fails (exchangelib issue #1345). Without the refresh URL,
    the expiry reaches exchangelib as TokenExpiredError: it renews the session, which fetches
    a new token with the client credentials, and sends the request again.
    """

    @classmethod
    def of(cls, account: ExchangeAccount) -> _AppCredentials:
        return cls(
            client_id=account.client_id,
            client_secret=account.client_secret,
            tenant_id=account.tenant_id,
            identity=Identity(primary_smtp_address=account.email),
        )

    def session_params(self) -> dict[str, Any]:
        return {"token": self.access_token}


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
                pulled.append(
                    PulledContact(
                        item.id,
                        item.changekey,
                        contact_to_card(item, uid_for(item.id)),
                        modified.timestamp() if modified else None,
                    )
                )
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
        contact.contacthub_uid = parse_one(card).uid.value
        contact.save()
        return contact.id, contact.changekey

    return translated(_settings_of(account), run)


def find_created(account: Account, uids: list[str]) -> dict[str, tuple[str, str]]:
    """UID → (item id, change key) of the contacts push_create made for these card UIDs and
    Exchange holds: a create whose answer was lost (a dropped connection, a crash) still
    made its contact."""

    def run() -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(uids), _FIND_CHUNK):
            chunk = uids[start : start + _FIND_CHUNK]
            query = account.contacts.filter(contacthub_uid__in=chunk)
            for item in query.only("contacthub_uid"):
                if isinstance(item, Contact) and item.contacthub_uid in chunk:
                    found[item.contacthub_uid] = (item.id, item.changekey)
        return found

    return translated(_settings_of(account), run) if uids else {}


def push_update(account: Account, item_id: str, changekey: str, card: str) -> str:
    """Write every mapped field of the card to the contact; returns the new change key.

    Raises ChangeKeyConflict when the contact changed in Exchange after ``changekey``,
    ContactGone when it no longer exists, ContactRefused for values Exchange cannot store.
    Fields the card lacks are cleared in Exchange; fields the mapping does not cover are left
    as they are.
    """

    def run() -> str:
        values = card_to_contact(card)
        contact = Contact(
            account=account, folder=account.contacts, id=item_id, changekey=changekey, **values
        )
        contact.save(update_fields=list(values), conflict_resolution=NEVER_OVERWRITE)
        return str(contact.changekey)

    return translated(_settings_of(account), run)


def _file_as(values: dict[str, Any]) -> str:
    family, given = values.get("surname"), values.get("given_name")
    if family and given:
        return f"{family}, {given}"
    return str(family or given or values["display_name"])


class _TlsAdapter(PinnedAdapter):
    """exchangelib builds its sessions and their adapters itself, from this class: it puts our
    CA setting into each request, and connects only to addresses the guard (``policy``)
    checked as it connects. Autodiscover tries several servers, follows redirects and hands
    over the one it finds: each connection to any of them is checked."""

    verify: bool | str = True

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        try:
            return super().send(request, stream, timeout, self.verify, cert, proxies)
        except HostNotFound:
            # As requests says it, so exchangelib moves on to its next server and the words
            # for a mistyped server stay; nothing was sent (the name may resolve then).
            host = urlsplit(request.url or "").hostname
            raise requests.exceptions.ConnectionError(f"Failed to resolve {host!r}") from None
        except FetchError as error:
            # Not a requests error: exchangelib would take it for a server that is down, try the
            # next one and end with "autodiscover failed", losing the reason.
            raise ServerRefused(guard_sentence(error)) from None


def _settings_of(account: Account) -> ExchangeAccount:
    credentials = account.protocol.credentials
    if isinstance(credentials, OAuth2Credentials):
        return ExchangeAccount(
            email=account.primary_smtp_address,
            server=account.protocol.service_endpoint,
            client_id=credentials.client_id,
            tenant_id=credentials.tenant_id,
        )
    login = getattr(credentials, "username", None)
    return ExchangeAccount(
        email=account.primary_smtp_address,
        password="",
        username=login if login != account.primary_smtp_address else None,
        server=account.protocol.service_endpoint,
    )
