"""A phone's own address book, pushed into the book "From iOS".

The phone sends its whole book as a vCard stream. A person first sees only
the contacts that would be added, and accepts all or none; applying adds the
new ones and updates changed ones. Deletions never travel: a contact the user
deleted on the server stays deleted (a tombstone), and one deleted on the
phone stays on the server. While a device's automatic export is off, its
pushes are refused; what came in stays.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import vobject

from contacthub.errors import UserError
from contacthub.reconcile import ChangeSet, Incoming, Policy, Problem, RunOutcome, run_source
from contacthub.sources.vcf_file import split_cards
from contacthub.store import SourceRecord, Store, Transaction
from contacthub.vcard.fields import UNNAMED
from contacthub.vcard.parse import index_of, item_data
from contacthub.vcard.versions import without_quoted_printable

logger = logging.getLogger(__name__)

KIND = "device"
BOOK = "from-ios"
BOOK_PROPS = {"tag": "VADDRESSBOOK", "D:displayname": "From iOS"}
POLICY = Policy(update_existing=True, delete_missing=False, shared_deletions=True)
MAX_PUSH_BYTES = 50_000_000


class PushRefused(UserError):
    """A push that is not accepted as a whole; the message says why and what to do."""


def device_source(tx: Transaction, user: str, device: str) -> SourceRecord:
    """The device's source, created with its book on the first push (two first pushes at
    once make one of each)."""
    book = tx.ensure_collection(f"{user}/{BOOK}", BOOK_PROPS)
    return tx.ensure_source(user, KIND, device, book.path, {"auto_export": True})


def set_auto_export(tx: Transaction, source: SourceRecord, on: bool) -> SourceRecord:
    return tx.update_source(source, settings={**source.settings, "auto_export": on})


def receive_push(store: Store, user: str, device: str, body: bytes) -> ChangeSet:
    """Keep the push until the user accepts it; return what it would change."""
    try:
        source = _store_push(store, user, device, body)
    except PushRefused as refused:
        logger.info("push from device %r of %s refused: %s", device, user, refused)
        raise
    changes = preview(store, source)
    logger.info(
        "push from device %r of %s stored for preview (%d bytes; new contacts: %d)",
        device,
        user,
        len(body),
        len(changes.of("add")),
    )
    return changes


def _store_push(store: Store, user: str, device: str, body: bytes) -> SourceRecord:
    if len(body) > MAX_PUSH_BYTES:
        raise PushRefused(f"the push has {len(body)} bytes; the limit is {MAX_PUSH_BYTES}")
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PushRefused(f"the push is not UTF-8 (byte {error.start})") from None
    with store.write() as tx:
        source = device_source(tx, user, device)
        if not source.settings.get("auto_export", True):
            raise PushRefused(
                f"automatic export is off for {device!r}: turn it on to push this device's contacts"
            )
        tx.put_upload(source.id, "push.vcf", body)
    return source


def pending_push(store: Store, source: SourceRecord) -> bytes | None:
    with store.read() as tx:
        upload = tx.get_upload(source.id)
    return upload.content if upload else None


def preview(store: Store, source: SourceRecord) -> ChangeSet:
    """What applying the pending push would do (`.of("add")` are the new contacts)."""
    body = pending_push(store, source)
    if body is None:
        return ChangeSet()
    return run_source(store, source, lambda: read_push(body.decode()), POLICY, dry_run=True).changes


def apply_push(store: Store, source: SourceRecord) -> RunOutcome:
    body = pending_push(store, source)
    if body is None:
        raise PushRefused("there is no pending push to import")
    outcome = run_source(store, source, lambda: read_push(body.decode()), POLICY)
    cancel_push(store, source)
    logger.info("push from device %r of %s applied", source.name, source.owner)
    return outcome


def cancel_push(store: Store, source: SourceRecord) -> None:
    with store.write() as tx:
        tx.drop_upload(source.id)


def read_push(text: str) -> tuple[list[Incoming], list[Problem]]:
    records: list[Incoming] = []
    problems: list[Problem] = []
    for position, (line, card_text) in enumerate(split_cards(text), start=1):
        try:
            records.append(_incoming(without_quoted_printable(card_text), line))
        except Exception as error:  # any malformed card is reported, never fatal
            problems.append(Problem(f"card {position}: not a valid vCard: {error}", line=line))
    return records, problems


def _incoming(text: str, line: int) -> Incoming:
    """Every card comes in, whatever it holds; a missing UID or FN is filled in. A 2.1
    card (Android's export) comes in as 3.0 (`without_quoted_printable`)."""
    card: Any = vobject.readOne(text, validate=False)
    changed = False
    if not _value(card, "uid"):
        # Stable across pushes of the same card, so it is matched next time.
        uid = "push-" + hashlib.sha256(_normalized(text).encode()).hexdigest()[:32]
        _set(card, "uid", uid)
        changed = True
    if not _value(card, "fn"):
        _set(card, "fn", index_of(card).display_name or UNNAMED)
        changed = True
    if "n" not in card.contents:
        card.add("n").value = vobject.vcard.Name()
        changed = True
    stored = card.serialize() if changed else text
    data = item_data(stored, card if not changed else None)
    return Incoming(
        key=data.uid,
        uid=data.uid,
        make_card=lambda _uid: data,
        record_hash=hashlib.sha256(_normalized(stored).encode()).hexdigest(),
        line=line,
        summary=data.index.display_name,
    )


def _value(card: Any, name: str) -> str:
    found = card.contents.get(name)
    return str(found[0].value).strip() if found else ""


def _set(card: Any, name: str, value: str) -> None:
    if name in card.contents:
        card.contents[name][0].value = value
    else:
        card.add(name).value = value


def _normalized(text: str) -> str:
    return text.replace("\r\n", "\n").strip()
