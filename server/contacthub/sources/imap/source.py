"""An IMAP mailbox as a source of contacts: the people in INBOX and the Sent folder.

A source of kind ``imap`` keeps in its settings:

    account          username, host, port, ssl, starttls, sent_folder (no password)
    sealed_password  the password, sealed by the vault
    state            per folder: UIDVALIDITY and the last UID scanned (mail.scan.State)
    people           per address: the best name seen, the messages per folder, the last date
    own              the account's own addresses (learned from the Sent folder's From)

A run scans only the messages it has not seen, adds them to the tallies of `people` and
hands the people it saw to the reconciler (key: the address). The tallies are kept per
folder: when a folder's UIDVALIDITY changes it is scanned again from the start and its
counts are replaced, not added, so the totals stay exact. DESIGN.md's policy for IMAP:
new people are added; an update only replaces the X-CONTACTHUB-* counts and fills FN/N
when the card had only the address ("display name fills gaps"), keeping what the user
edited; nothing is ever deleted, and a contact the user deleted is not added again.
"""

from __future__ import annotations

import hashlib
import imaplib
import logging
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contacthub.credentials import CredentialError
from contacthub.reconcile import (
    Incoming,
    Policy,
    Problem,
    RunFailed,
    SourceReport,
    describe_changes,
    run_source,
)
from contacthub.sources.base import record_outcome
from contacthub.sources.context import RunContext
from contacthub.sources.imap.card import (
    LAST_CONTACT_PROPERTY,
    MESSAGES_PROPERTY,
    correspondent_vcard,
)
from contacthub.sources.imap.connection import (
    PRESETS,
    STARTTLS_PORT,
    FolderMissing,
    ImapAccount,
    ImapError,
    ImapLoginRefused,
    Preset,
    ServerNotFound,
    ServerRefused,
    connect,
    list_folders,
    logout,
    resolve_sent_folder,
)
from contacthub.sources.imap.connection import test_connection as check_connection
from contacthub.sources.imap.harvest import Correspondent
from contacthub.sources.imap.scan import ScanResult, State, scan
from contacthub.sources.mail_account import AccountError, account_book
from contacthub.store import AlreadyExists, ItemData, RunRecord, SourceRecord, Store, Transaction
from contacthub.vcard.lines import ContentLine, content_lines
from contacthub.vcard.parse import item_data

logger = logging.getLogger(__name__)

KIND = "imap"
INBOX = "INBOX"
SCANNED = "messages_scanned"  # the run's count of messages read (notify.SCANNED)
MAX_TEXT = 255
MAX_NAME = 100
_ACCOUNT_FIELDS = ("username", "host", "port", "ssl", "starttls", "sent_folder")
_OUR_PROPERTIES = frozenset({MESSAGES_PROPERTY, LAST_CONTACT_PROPERTY})
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

People = dict[str, dict[str, Any]]  # address -> {"name", "per_folder": {folder: n}, "last"}


# -- the form ----------------------------------------------------------------------------


def parse_form(
    ctx: RunContext, form: Mapping[str, Any], previous: SourceRecord | None = None
) -> ImapAccount:
    """The account a person entered. On an update (`previous`), a field left out keeps
    its value, and so does the password while the server and username stay the same."""
    if not isinstance(form, Mapping):
        raise AccountError(
            "account", "The account is an object with username, password, host, port and ssl."
        )
    values: dict[str, Any] = dict(stored_account(previous)) if previous is not None else {}
    values.update((key, form[key]) for key in _ACCOUNT_FIELDS if key in form)
    preset = _preset(form.get("preset"))
    if preset is not None and _blank(form.get("host")):
        values.update(host=preset.host, ssl=preset.ssl)
        if _blank(form.get("port")):
            values["port"] = preset.port
    username = _text(
        values.get("username"), "username", "Enter the username: usually the whole email address."
    )
    host = _host(values.get("host"))
    use_ssl = _flag(values.get("ssl", True), "ssl", "Use SSL")
    starttls = _starttls(values.get("starttls"), use_ssl)
    return ImapAccount(
        username=username,
        password=_password(ctx, form.get("password"), previous, username, host),
        host=host,
        port=_port(values.get("port"), use_ssl),
        ssl=use_ssl,
        sent_folder=_sent_folder(values.get("sent_folder")),
        starttls=starttls,
    )


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _preset(value: Any) -> Preset | None:
    if _blank(value):
        return None
    if not isinstance(value, str) or value.lower() not in PRESETS:
        known = ", ".join(sorted(PRESETS))
        raise AccountError(
            "preset",
            f"Unknown provider {value!r}: choose one of {known}, or enter the server and port.",
        )
    return PRESETS[value.lower()]


def _text(value: Any, field: str, missing: str) -> str:
    if isinstance(value, str):
        value = value.strip()
    if _blank(value):
        raise AccountError(field, missing)
    if not isinstance(value, str) or len(value) > MAX_TEXT or _CONTROL.search(value):
        raise AccountError(
            field,
            f"The {field.replace('_', ' ')} is text of at most {MAX_TEXT} characters, on one line.",
        )
    return value


def _host(value: Any) -> str:
    host = _text(value, "host", "Enter the IMAP server, e.g. imap.example.org, or pick a provider.")
    if "://" in host or "/" in host or " " in host:
        raise AccountError(
            "host",
            "Enter only the server name, e.g. imap.example.org (no imap://, https:// or path).",
        )
    if host.count(":") == 1:
        raise AccountError(
            "host",
            "Enter the server name without the port, e.g. "
            "imap.example.org: the port has a field of its own.",
        )
    return host


def _flag(value: Any, field: str, label: str) -> bool:
    if not isinstance(value, bool):
        raise AccountError(field, f"Set {label} to true or false.")
    return value


def _starttls(value: Any, use_ssl: bool) -> bool | None:
    if value is None:
        return None
    starttls = _flag(value, "starttls", "STARTTLS")
    if starttls and not use_ssl:
        raise AccountError("ssl", "STARTTLS encrypts the connection: turn on Use SSL to use it.")
    return starttls


def _port(value: Any, use_ssl: bool) -> int:
    if _blank(value):
        return 993 if use_ssl else STARTTLS_PORT
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise AccountError(
            "port", "The port is a number from 1 to 65535: usually 993 with SSL, or 143."
        )
    return value


def _sent_folder(value: Any) -> str | None:
    if _blank(value.strip() if isinstance(value, str) else value):
        return None
    folder = _text(value, "sent_folder", "Enter the Sent folder, or leave it empty.")
    if folder.upper() == INBOX:
        raise AccountError(
            "sent_folder",
            "The Sent folder cannot be INBOX: choose the folder "
            "your mail program puts sent messages in, or leave it empty.",
        )
    return folder


def _password(
    ctx: RunContext, value: Any, previous: SourceRecord | None, username: str, host: str
) -> str:
    if not _blank(value):
        if (
            not isinstance(value, str)
            or len(value) > 1024
            or "\0" in value
            or ("\r" in value or "\n" in value)
        ):
            raise AccountError("password", "The password is text on one line.")
        return value
    sealed = previous.settings.get("sealed_password") if previous is not None else None
    if previous is None or not sealed:
        raise AccountError(
            "password", "Enter the password (Gmail, Yahoo, AOL and iCloud want an app password)."
        )
    before = stored_account(previous)
    if (before.get("host"), before.get("username")) != (host, username):
        raise AccountError(
            "password", "Enter the password again: the server or the username changed."
        )
    try:
        return ctx.vault.open(sealed)
    except CredentialError as error:
        raise AccountError("password", str(error)) from None


# -- testing, connecting, changing -------------------------------------------------------


def test_connection(ctx: RunContext, account: ImapAccount) -> dict[str, Any]:
    """Log in, list the folders and open INBOX: {"folders": [...], "sent_folder": ...}."""
    try:
        check = check_connection(
            account, ctx.fetch_policy.timeout, _ssl_context(ctx), ctx.fetch_policy
        )
    except FolderMissing as error:
        raise AccountError("sent_folder", _sentence(error, account.host)) from None
    except (ServerNotFound, ServerRefused) as error:
        raise AccountError("host", _sentence(error, account.host)) from None
    except ImapLoginRefused as error:
        raise AccountError(error.field or "password", _sentence(error, account.host)) from None
    except ImapError as error:
        raise AccountError("account", _sentence(error, account.host)) from None
    return {"folders": list(check.folders), "sent_folder": check.sent_folder}


# An API name, not a pytest test.
test_connection.__test__ = False  # type: ignore[attr-defined]


def connect_account(
    ctx: RunContext, owner: str, form: Mapping[str, Any], *, name: str | None = None
) -> SourceRecord:
    """Check the account, then save it with a new book "From IMAP (name)" (the name is
    `name`, else the form's "name", else the username). Nothing is saved when the
    connection fails."""
    account = parse_form(ctx, form)
    title = _account_name(name if name is not None else form.get("name"), account.username)
    with ctx.store.read() as tx:
        _check_unique(tx, owner, title)
    test_connection(ctx, account)
    settings = {
        "account": _account_settings(account),
        "sealed_password": ctx.vault.seal(account.password),
        "state": {},
        "people": {},
        "own": [],
    }
    with ctx.store.write([owner]) as tx:  # one new account at a time: names stay unique
        _check_unique(tx, owner, title)
        book = account_book(tx, owner, f"from-imap-{title}", f"From IMAP ({title})")
        try:
            return tx.create_source(owner, KIND, title, book, settings)
        except AlreadyExists:
            raise _name_taken(title) from None


def update_account(ctx: RunContext, source: SourceRecord, form: Mapping[str, Any]) -> SourceRecord:
    """New account settings, tested first when the server, login or Sent folder changed.
    Another server or username is another mailbox: its scan starts again."""
    account = parse_form(ctx, form, source)
    if _needs_test(ctx, source, account):
        test_connection(ctx, account)
    with ctx.store.write() as tx:
        current = tx.require_source(source.id)
        settings = {
            **current.settings,
            "account": _account_settings(account),
            "sealed_password": ctx.vault.seal(account.password),
        }
        if _login_of(current.settings.get("account")) != (account.host, account.username):
            settings.update(state={}, people={}, own=[])
        return tx.update_source(current, settings=settings)


def account_json(source: SourceRecord) -> dict[str, Any]:
    """What a client sees of the account: never the password."""
    stored = stored_account(source)
    return {
        **{key: stored.get(key) for key in _ACCOUNT_FIELDS},
        "has_password": bool(source.settings.get("sealed_password")),
    }


def stored_account(source: SourceRecord) -> Mapping[str, Any]:
    stored = source.settings.get("account")
    return stored if isinstance(stored, Mapping) else {}


def account_of(ctx: RunContext, source: SourceRecord) -> ImapAccount:
    """The saved account with its password (CredentialError when it cannot be opened)."""
    stored = stored_account(source)
    return ImapAccount(
        username=stored.get("username", ""),
        password=ctx.vault.open(source.settings.get("sealed_password") or ""),
        host=stored.get("host", ""),
        port=stored.get("port", 993),
        ssl=stored.get("ssl", True),
        sent_folder=stored.get("sent_folder"),
        starttls=stored.get("starttls"),
    )


def _account_settings(account: ImapAccount) -> dict[str, Any]:
    return {
        "username": account.username,
        "host": account.host,
        "port": account.port,
        "ssl": account.ssl,
        "starttls": account.starttls,
        "sent_folder": account.sent_folder,
    }


def _login_of(stored: Any) -> tuple[Any, Any]:
    return (
        (stored.get("host"), stored.get("username"))
        if isinstance(stored, Mapping)
        else (None, None)
    )


def _needs_test(ctx: RunContext, source: SourceRecord, account: ImapAccount) -> bool:
    if dict(stored_account(source)) != _account_settings(account):
        return True
    try:
        return ctx.vault.open(source.settings.get("sealed_password") or "") != account.password
    except CredentialError:
        return True


def _account_name(name: str | None, username: str) -> str:
    value = username if name is None else name
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_NAME
        or _CONTROL.search(value)
    ):
        raise AccountError("name", f"The name is text of 1 to {MAX_NAME} characters, on one line.")
    return value.strip()


def _check_unique(tx: Transaction, owner: str, name: str) -> None:
    if tx.find_source(owner, KIND, name) is not None:
        raise _name_taken(name)


def _name_taken(name: str) -> AccountError:
    return AccountError(
        "name", f"There is already an IMAP account named {name!r}: choose another name."
    )


def _ssl_context(ctx: RunContext) -> ssl.SSLContext | None:
    """The server's CA setting ([fetch] ca_bundle) when there is one, else the system's."""
    bundle = ctx.fetch_policy.ca_bundle
    return ssl.create_default_context(cafile=bundle) if bundle else None


def _sentence(error: Exception, host: str) -> str:
    """The error as a sentence; one that starts with the server's name says "The server"
    first (a name is not capitalised, and may be an address)."""
    text = str(error)
    if text.startswith(host):
        return f"The server {text}"
    return text[:1].upper() + text[1:]


# -- a run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scanned:
    """What one run read: each folder's result, in the order scanned."""

    folders: dict[str, ScanResult]
    own: frozenset[str]

    @property
    def messages(self) -> int:
        return sum(result.messages_scanned for result in self.folders.values())

    @property
    def state(self) -> State:
        return {folder: result.state[folder] for folder, result in self.folders.items()}


def run(
    ctx: RunContext, source: SourceRecord, started: float, trigger: str, override: bool
) -> RunRecord:
    """Scan what is new in the mailbox and bring the people it names into the book.
    `override` has no use here: an IMAP source never deletes."""
    try:
        account = account_of(ctx, source)
        scanned = scan_mailbox(ctx, account, source.settings)
    except (ImapError, CredentialError, AccountError) as error:
        logger.warning("IMAP source %s: reading the mailbox failed: %s", source.id, error)
        return record_outcome(ctx, source, started, trigger, "failed", str(error))
    people, touched = tally(_people_of(source), _state_of(source), scanned)
    logger.info(
        "IMAP source %s: %d messages scanned in %s; %d people to update",
        source.id,
        scanned.messages,
        ", ".join(scanned.folders),
        len(touched),
    )
    with ctx.store.read() as tx:
        links = tx.links_of(source.id)
    known = {key: link.record_hash for key, link in links.items()}
    cards = ExistingCards(
        ctx.store, source.book_path, {links[key].uid for key in touched if key in links}
    )
    records = incoming(people, touched, known, cards)
    problems: list[Problem] = []
    try:
        outcome = run_source(
            ctx.store,
            source,
            lambda: (records, problems),
            Policy(update_existing=True, delete_missing=False, unattended=trigger == "schedule"),
            trigger=trigger,
            report=SourceReport({SCANNED: scanned.messages}, describe=_with_scanned),
            on_applied=_saver(source, scanned, people),
        )
    except RunFailed as failed:
        return failed.run
    assert outcome.run is not None
    return outcome.run


def _with_scanned(counts: Mapping[str, int]) -> str:
    """ "9 added; 16 messages scanned": what came in, and what was read to find it."""
    return f"{describe_changes(counts)}; {counts[SCANNED]} messages scanned"


def scan_mailbox(ctx: RunContext, account: ImapAccount, settings: Mapping[str, Any]) -> Scanned:
    """Scan the Sent folder (its From addresses are the account's), then INBOX."""
    state = _state(settings.get("state"))
    own = frozenset([*account.own_addresses, *_strings(settings.get("own"))])
    client = connect(account, ctx.fetch_policy.timeout, _ssl_context(ctx), ctx.fetch_policy)
    try:
        try:
            sent = resolve_sent_folder(account, list_folders(client))
        except (OSError, imaplib.IMAP4.error) as error:
            raise ImapError(
                f"listing the folders on {account.host} failed ({error}): try again later"
            ) from error
        results: dict[str, ScanResult] = {}
        if sent is not None:
            results[sent] = scan(client, [sent], state, own_addresses=own, sent_folders=[sent])
            own = results[sent].own_addresses
        results[INBOX] = scan(client, [INBOX], state, own_addresses=own)
        return Scanned(results, results[INBOX].own_addresses)
    finally:
        logout(client)


def tally(people: People, previous: State, scanned: Scanned) -> tuple[People, set[str]]:
    """The people with this run's messages counted, and the addresses whose tally changed.

    A folder scanned from the start (new, or its UIDVALIDITY changed) replaces its
    counts; a folder scanned on from its last UID adds to them.
    """
    people = {
        email: {**person, "per_folder": dict(person.get("per_folder") or {})}
        for email, person in people.items()
    }
    touched: set[str] = set()
    for folder, result in scanned.folders.items():
        before = previous.get(folder)
        if before is None or before.get("uidvalidity") != result.state[folder]["uidvalidity"]:
            for email, person in people.items():
                if person["per_folder"].pop(folder, None) is not None:
                    touched.add(email)
        for email, found in result.correspondents.items():
            if _CONTROL.search(email):
                continue
            person = people.setdefault(email, {"name": "", "per_folder": {}, "last": None})
            person["per_folder"][folder] = person["per_folder"].get(folder, 0) + found.messages
            person["last"] = _later(person.get("last"), found.last_date)
            touched.add(email)
    for email, name in _run_names(scanned).items():
        people[email]["name"] = _better_name(email, people[email].get("name") or "", name)
    for email in scanned.own:
        people.pop(email, None)
    gone = {email for email, person in people.items() if not person["per_folder"]}
    for email in gone:
        del people[email]
    return people, touched - gone - scanned.own


def _run_names(scanned: Scanned) -> dict[str, str]:
    """Each address's name in this run: a real name before none or only the local part,
    then the name of the folder where the address has the most messages."""
    best: dict[str, tuple[bool, bool, int, str]] = {}
    for result in scanned.folders.values():
        for email, found in result.correspondents.items():
            name = _CONTROL.sub("", found.name).strip()
            rank = (not _weak(email, name), bool(name), found.messages, name)
            if email not in best or rank[:3] > best[email][:3]:
                best[email] = rank
    return {email: rank[3] for email, rank in best.items() if not _CONTROL.search(email)}


def _weak(email: str, name: str) -> bool:
    """No name, or only the address's local part ("bob" for bob@example.net)."""
    return not name or name.casefold() == email.rpartition("@")[0].casefold()


def _better_name(email: str, current: str, candidate: str) -> str:
    """The name seen before stays, unless it was none or only the local part."""
    if not candidate or not _weak(email, current):
        return current
    if current and _weak(email, candidate):
        return current
    return candidate


def _later(stored: Any, date: datetime | None) -> str | None:
    best = _date(stored)
    if date is not None and (best is None or date > best):
        best = date
    return best.isoformat() if best is not None else None


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def correspondent_of(email: str, person: Mapping[str, Any]) -> Correspondent:
    total = sum(person.get("per_folder", {}).values())
    return Correspondent(email, person.get("name") or "", total, _date(person.get("last")))


def record_hash(correspondent: Correspondent) -> str:
    last = correspondent.last_date.date().isoformat() if correspondent.last_date else ""
    text = "\x1f".join((correspondent.name, str(correspondent.messages), last))
    return hashlib.sha256(text.encode()).hexdigest()


def incoming(
    people: People, touched: set[str], known: Mapping[str, str], cards: ExistingCards
) -> list[Incoming]:
    """The records of the people whose tally changed; `known` (key -> record hash of the
    links) spares those whose card would not change."""
    records = []
    for email in sorted(touched):
        correspondent = correspondent_of(email, people[email])
        digest = record_hash(correspondent)
        maker = None if known.get(email) == digest else _card_maker(correspondent, cards)
        records.append(
            Incoming(
                key=email,
                uid="",
                make_card=maker,
                record_hash=digest,
                summary=correspondent.name or email,
            )
        )
    return records


def _card_maker(correspondent: Correspondent, cards: ExistingCards) -> Callable[[str], ItemData]:
    def make(uid: str) -> ItemData:
        fresh = correspondent_vcard(correspondent, uid)
        existing = cards.text(uid)
        if existing is None:
            return item_data(fresh)
        return item_data(merge_card(existing, fresh, correspondent.email))

    return make


class ExistingCards:
    """The book's cards that a run may update, as they are when the run writes.

    They are read at the first update the reconciler builds: inside its write
    transaction, which holds the book's lock, so no edit of the user's can come in
    between (another connection's snapshot: the run has not touched them yet).
    """

    def __init__(self, store: Store, book_path: str, uids: set[str]) -> None:
        self._store = store
        self._book_path = book_path
        self._uids = uids
        self._texts: dict[str, str] | None = None

    def text(self, uid: str) -> str | None:
        if uid not in self._uids:
            return None
        if self._texts is None:
            self._texts = self._load()
        return self._texts.get(uid)

    def _load(self) -> dict[str, str]:
        with self._store.read() as tx:
            book = tx.require_collection(self._book_path)
            hrefs = tx.uids_of(book.id)
            wanted = [hrefs[uid] for uid in self._uids if uid in hrefs]
            return {item.uid: item.text for item in tx.get_items(book.id, wanted).values()}


def merge_card(existing: str, fresh: str, email: str) -> str:
    """The user's card with this source's X-CONTACTHUB-* counts replaced, and FN and N
    filled from `fresh` when FN was only the address. Everything else stays as it was,
    written with CRLF line breaks as the cards this source makes."""
    new = {line.name: line for line in content_lines(fresh)}
    lines = [line for line in content_lines(existing) if line.raw.strip()]
    fill = _weak_fn(lines, email) and not _weak_fn(list(new.values()), email)
    merged: list[ContentLine] = []
    for line in lines:
        if line.name in _OUR_PROPERTIES:
            continue
        if line.name == "END":
            merged.extend(new[prop] for prop in sorted(_OUR_PROPERTIES) if prop in new)
        if fill and (line.name == "FN" or (line.name == "N" and not line.escaped.strip(";"))):
            line = new.get(line.name, line)
        merged.append(line)
    return "".join(_LINE_BREAK.sub("\r\n", line.raw.rstrip("\r\n")) + "\r\n" for line in merged)


def _weak_fn(lines: list[ContentLine], email: str) -> bool:
    names = [line.value for line in lines if line.name == "FN"]
    value = names[0].strip() if names else ""
    return not value or value.casefold() == email.casefold()


def _saver(source: SourceRecord, scanned: Scanned, people: People) -> Callable[[Transaction], None]:
    """Saves how far the run read, with the changes (the reconciler's transaction)."""

    def save(tx: Transaction) -> None:
        current = tx.require_source(source.id)
        if _login_of(current.settings.get("account")) != _login_of(source.settings.get("account")):
            return  # another mailbox was set while this run read the old one
        tx.update_source(
            current,
            settings={
                **current.settings,
                "state": scanned.state,
                "people": people,
                "own": sorted(scanned.own),
            },
        )

    return save


def _people_of(source: SourceRecord) -> People:
    stored = source.settings.get("people")
    if not isinstance(stored, Mapping):
        return {}
    return {email: dict(person) for email, person in stored.items() if isinstance(person, Mapping)}


def _state_of(source: SourceRecord) -> State:
    return _state(source.settings.get("state"))


def _state(stored: Any) -> State:
    """The saved scan state; anything unreadable is left out (that folder is scanned
    again, and its counts replaced)."""
    if not isinstance(stored, Mapping):
        return {}
    return {
        folder: {"uidvalidity": value["uidvalidity"], "last_uid": value["last_uid"]}
        for folder, value in stored.items()
        if isinstance(value, Mapping)
        and isinstance(value.get("uidvalidity"), int)
        and isinstance(value.get("last_uid"), int)
    }


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
