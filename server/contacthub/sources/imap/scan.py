"""Scanning folders for correspondents: only header fields, only messages not seen before.

The state remembers, per folder, its UIDVALIDITY and the highest UID scanned. A folder whose
UIDVALIDITY changed (recreated, or the server renumbered it) is scanned again from the
start; the result is keyed by address, so a rescan repeats addresses but never duplicates
them. Folders are opened read-only (EXAMINE) and fetched with BODY.PEEK: nothing is marked
as read.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple, TypedDict

from contacthub.fetch import FetchPolicy
from contacthub.sources.imap.connection import (
    DEFAULT_TIMEOUT,
    ImapAccount,
    ImapError,
    connect,
    list_folders,
    logout,
    quote_mailbox,
    resolve_sent_folder,
)
from contacthub.sources.imap.harvest import Correspondent, Harvest

HEADER_FIELDS = "FROM TO CC REPLY-TO DATE LIST-ID PRECEDENCE LIST-UNSUBSCRIBE AUTO-SUBMITTED"
FETCH_ITEMS = f"(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])"
BATCH_SIZE = 500

_UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) '
    rb'(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"'
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


class FolderState(TypedDict):
    uidvalidity: int
    last_uid: int


State = dict[str, FolderState]


class ScanResult(NamedTuple):
    correspondents: dict[str, Correspondent]  # by address
    state: State  # for the folders scanned, to pass to the next scan
    messages_scanned: int
    # The account's addresses: those given, and the From addresses of the Sent folders.
    own_addresses: frozenset[str] = frozenset()


def scan(
    client: imaplib.IMAP4,
    folders: Iterable[str],
    state: State,
    *,
    own_addresses: Iterable[str] = (),
    sent_folders: Collection[str] = (),
    batch_size: int = BATCH_SIZE,
) -> ScanResult:
    """Harvest the messages of *folders* that *state* has not seen.

    *sent_folders* are the ones the account sends into: their From addresses are the
    account's own. They are scanned first so those addresses are known for the others.
    """
    names = list(dict.fromkeys(folders))
    harvest = Harvest(own_addresses)
    new_state: State = {}
    scanned = 0
    for folder in sorted(names, key=lambda name: name not in sent_folders):
        try:
            new_state[folder], count = _scan_folder(
                client, folder, state.get(folder), harvest, folder in sent_folders, batch_size
            )
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(
                f"reading folder '{folder}' on {client.host} failed ({exc}): try again later"
            ) from exc
        scanned += count
    ordered = {folder: new_state[folder] for folder in names}
    return ScanResult(harvest.correspondents(), ordered, scanned, frozenset(harvest.own))


def scan_account(
    account: ImapAccount,
    state: State,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
    policy: FetchPolicy | None = None,
    own_addresses: Iterable[str] = (),
    batch_size: int = BATCH_SIZE,
) -> ScanResult:
    """Connect (``policy``: the address guard's), scan INBOX and the Sent folder (configured
    or found), log out."""
    client = connect(account, timeout, ssl_context, policy)
    try:
        try:
            sent = resolve_sent_folder(account, list_folders(client))
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"listing the folders on {account.host} failed ({exc})") from exc
        folders = ["INBOX"] if sent is None else ["INBOX", sent]
        return scan(
            client,
            folders,
            state,
            own_addresses=[*account.own_addresses, *own_addresses],
            sent_folders=() if sent is None else (sent,),
            batch_size=batch_size,
        )
    finally:
        logout(client)


def _scan_folder(
    client: imaplib.IMAP4,
    folder: str,
    previous: FolderState | None,
    harvest: Harvest,
    sent: bool,
    batch_size: int,
) -> tuple[FolderState, int]:
    typ, data = client.select(quote_mailbox(folder), readonly=True)
    if typ != "OK":
        said = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise ImapError(
            f"cannot open folder '{folder}' on {client.host} ({said}): check the folder "
            "name in the settings"
        )
    uidvalidity = _number(client.response("UIDVALIDITY")[1])
    uidnext = _number(client.response("UIDNEXT")[1])
    if uidvalidity is None:
        raise ImapError(
            f"{client.host} gave no UIDVALIDITY for folder '{folder}': it cannot be scanned "
            "incrementally"
        )
    same = previous is not None and previous["uidvalidity"] == uidvalidity
    last_uid = previous["last_uid"] if same and previous is not None else 0
    count = 0
    if int(data[0] or 0) == 0:
        return FolderState(uidvalidity=uidvalidity, last_uid=last_uid), 0
    highest = last_uid
    for uid_set in _uid_ranges(last_uid + 1, uidnext, batch_size):
        typ, data = client.uid("FETCH", uid_set, FETCH_ITEMS)
        if typ != "OK":
            raise imaplib.IMAP4.error(f"UID FETCH {uid_set}: {data!r}")
        for uid, received, header in parse_fetch(data):
            if uid <= last_uid:  # "n:*" also matches the highest UID when it is below n
                continue
            harvest.add(header, sent=sent, received=received)
            count += 1
            highest = max(highest, uid)
    return FolderState(uidvalidity=uidvalidity, last_uid=highest), count


def _uid_ranges(start: int, uidnext: int | None, size: int) -> Iterator[str]:
    """UID sets of *size* UIDs up to UIDNEXT; UIDs may have gaps, which only cost requests."""
    if uidnext is None:
        yield f"{start}:*"
        return
    while start < uidnext:
        end = min(start + size, uidnext) - 1
        yield f"{start}:{end}"
        start = end + 1


def parse_fetch(data: Sequence[object]) -> Iterator[tuple[int, datetime | None, bytes]]:
    """(UID, INTERNALDATE, header bytes) of each message in an imaplib FETCH answer."""
    for index, item in enumerate(data):
        if not isinstance(item, tuple) or len(item) != 2:
            continue
        meta, literal = item
        following = data[index + 1] if index + 1 < len(data) else b""
        trailer = following if isinstance(following, bytes) else b""
        match = _UID.search(meta) or _UID.search(trailer)
        if match is None:
            continue
        yield int(match.group(1)), parse_internaldate(meta + b" " + trailer), literal


def parse_internaldate(text: bytes) -> datetime | None:
    """INTERNALDATE in UTC (parsed by hand: strptime's %b depends on the locale)."""
    match = _INTERNALDATE.search(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    month_number = _MONTHS.get(month.decode().lower())
    if month_number is None:
        return None
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    zone = timezone(-offset if sign == b"-" else offset)
    try:
        local = datetime(
            int(year), month_number, int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def _number(values: list[bytes | None]) -> int | None:
    for value in reversed(values):
        if value is not None and value.strip().isdigit():
            return int(value)
    return None
