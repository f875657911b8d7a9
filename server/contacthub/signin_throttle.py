"""Sign-in throttling: wrong passwords make the next attempt wait, per address and account.

Every door that checks a password (CardDAV's Basic auth, the API's, the admin page's
sign-in form) asks `SignInThrottle.check` instead of checking it directly. A client
address (an IPv6 address by its /64, which one host usually holds whole) and an account
name each get a few wrong passwords free; after that, each further wrong password
pushes that address's or account's next allowed attempt out, doubling from
`first_delay` up to a cap. Until then an attempt is refused at once (`Throttled`, a 429
with Retry-After), the right password included, and without checking it: nothing
sleeps in a worker thread and a refused guess costs no bcrypt check.

An attacker must not be able to lock a person out: the account's cap is short (a
minute by default) and the account's delay does not apply at an address where that
account recently signed in (a phone at home keeps syncing while somebody elsewhere
guesses). The address's throttle is the stronger one (a higher cap, and it holds
whatever account is tried). A right password forgives the failures of its pair of
address and account, at both: a person's own typos are forgotten, while failures against
other accounts (having an account of one's own buys no free guesses) and at the account
from elsewhere (the owner's phone signing in at home does not end a guesser's wait) stay.

Attempts checked at the same moment each pass before the others' failures are counted, so
a burst can have at most one check per worker thread beyond the free ones.

Per-process memory, not the store: a wrong password must cost no write (guesses
would otherwise become write load, and on SQLite writes wait for each other, the
very harm this prevents), and every signed-in request would pay a read. Several
`serve` processes on one store therefore each count alone: an attacker spread over N
processes gets N times the free failures, and the delays grow per process; still
exponential, so the gain is a small constant factor. A restart forgets the counts.

Memory is bounded: each table keeps at most `tracked` entries, the least recently
failed dropped first. To push an account under attack out of the table an attacker
must make that many checked failures between two guesses at it, far more than the
server checks in one account delay.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from contacthub.errors import UserError

logger = logging.getLogger(__name__)

NAME_LIMIT = 65  # user names have at most 64 characters: longer ones are kept cut short
PAIRS_PER_ENTRY = 16  # failures of further pairs only count in the total (none forgives them)
KNOWN_PER_ACCOUNT = 8  # addresses remembered as an account's own


@dataclass(frozen=True)
class ThrottlePolicy:
    """The [throttle] settings (config.py reads them; README documents them)."""

    address_failures: int = 10  # wrong passwords from an address before it waits
    account_failures: int = 5  # wrong passwords at an account before it waits
    first_delay: float = 1.0  # seconds; each further failure doubles it
    address_max_delay: float = 300.0
    account_max_delay: float = 60.0
    forget_after: float = 900.0  # seconds without a failure after which the count starts over
    tracked: int = 10_000  # addresses, and accounts, whose failures are kept

    def delay(self, failures: int, free: int, cap: float) -> float:
        """Seconds before the next attempt after `failures` wrong passwords: none until
        `free` of them, then `first_delay`, doubled by each further one, up to `cap`."""
        beyond = failures - free
        if beyond < 0:
            return 0.0
        return min(self.first_delay * 2.0 ** min(beyond, 64), cap)


class Throttled(UserError):
    """An attempt refused during a delay; `retry_after` is whole seconds to wait."""

    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many wrong passwords: try again in {_seconds(retry_after)}.")
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


def _seconds(count: int) -> str:
    return "1 second" if count == 1 else f"{count} seconds"


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0
    until: float = 0.0  # no attempt is checked before this moment
    # The failures by the pair's other half: by account for an address, by address for
    # an account; what a right password of that pair forgives.
    by_pair: dict[str, int] = field(default_factory=dict)


class _Table:
    """Failures by key, least recently failed first, at most `size` keys."""

    def __init__(self, size: int, forget_after: float) -> None:
        self.size = size
        self.forget_after = forget_after
        self.entries: OrderedDict[str, _Failures] = OrderedDict()

    def get(self, key: str, now: float) -> _Failures | None:
        entry = self.entries.get(key)
        if entry is not None and self._stale(entry, now):
            del self.entries[key]
            return None
        return entry

    def failed(self, key: str, other: str, now: float) -> _Failures:
        entry = self.get(key, now)
        if entry is None:
            self._make_room(now)
            entry = self.entries[key] = _Failures()
        self.entries.move_to_end(key)
        entry.count += 1
        entry.last = now
        if other in entry.by_pair or len(entry.by_pair) < PAIRS_PER_ENTRY:
            entry.by_pair[other] = entry.by_pair.get(other, 0) + 1
        return entry

    def forgive(self, key: str, other: str, now: float) -> None:
        """Forget the failures of this pair; with none left, the key's delay ends too."""
        entry = self.get(key, now)
        if entry is None:
            return
        entry.count -= entry.by_pair.pop(other, 0)
        if entry.count <= 0:
            del self.entries[key]

    def _make_room(self, now: float) -> None:
        while self.entries:
            oldest = next(iter(self.entries.values()))
            if len(self.entries) < self.size and not self._stale(oldest, now):
                return
            self.entries.popitem(last=False)

    def _stale(self, entry: _Failures, now: float) -> bool:
        return now >= entry.until and now - entry.last >= self.forget_after


class SignInThrottle:
    def __init__(self, policy: ThrottlePolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self.clock = clock
        self._lock = threading.Lock()
        self._addresses = _Table(policy.tracked, policy.forget_after)
        self._accounts = _Table(policy.tracked, policy.forget_after)
        # Addresses where an account signed in, most recent last; only successes add here,
        # so it holds real accounts only.
        self._known: OrderedDict[str, OrderedDict[str, None]] = OrderedDict()

    def check(self, address: str, login: str, verify: Callable[[], bool]) -> bool:
        """`verify()` (the password check), counted; raises Throttled during a delay
        without calling it."""
        address, login = address_key(address), login[:NAME_LIMIT]
        self._refuse_if_waiting(address, login)
        if verify():
            self._succeeded(address, login)
            return True
        self._failed(address, login)
        return False

    def _refuse_if_waiting(self, address: str, login: str) -> None:
        now = self.clock()
        with self._lock:
            waits = [self._remaining(self._addresses.get(address, now), now)]
            if address not in self._known.get(login, ()):
                waits.append(self._remaining(self._accounts.get(login, now), now))
        wait = max(waits)
        if wait > 0:
            raise Throttled(max(math.ceil(wait), 1))

    @staticmethod
    def _remaining(entry: _Failures | None, now: float) -> float:
        return 0.0 if entry is None else entry.until - now

    def _failed(self, address: str, login: str) -> None:
        policy = self.policy
        now = self.clock()
        with self._lock:
            at_address = self._addresses.failed(address, login, now)
            of_account = self._accounts.failed(login, address, now)
            address_delay = policy.delay(
                at_address.count, policy.address_failures, policy.address_max_delay
            )
            account_delay = policy.delay(
                of_account.count, policy.account_failures, policy.account_max_delay
            )
            at_address.until = max(at_address.until, now + address_delay)
            of_account.until = max(of_account.until, now + account_delay)
            address_count, account_count = at_address.count, of_account.count
        if address_delay:
            logger.warning(
                "sign-in throttled: address %r after %d wrong passwords; next attempt in %.0f s",
                address,
                address_count,
                address_delay,
            )
        if account_delay:
            logger.warning(
                "sign-in throttled: account %r after %d wrong passwords; next attempt in %.0f s "
                "(but from addresses it signed in from)",
                login,
                account_count,
                account_delay,
            )

    def _succeeded(self, address: str, login: str) -> None:
        now = self.clock()
        with self._lock:
            self._addresses.forgive(address, login, now)
            self._accounts.forgive(login, address, now)
            self._remember(login, address)

    def _remember(self, login: str, address: str) -> None:
        known = self._known.pop(login, None) or OrderedDict()
        known.pop(address, None)
        known[address] = None
        while len(known) > KNOWN_PER_ACCOUNT:
            known.popitem(last=False)
        self._known[login] = known
        while len(self._known) > self.policy.tracked:
            self._known.popitem(last=False)


def address_key(address: str) -> str:
    """The client an address stands for: an IPv4 address, or an IPv6 address's /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)
