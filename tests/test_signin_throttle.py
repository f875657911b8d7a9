"""The sign-in throttle's rules, on a clock the tests move (the doors are tested with a
real `serve` in tests/e2e/test_signin_throttle.py)."""

from __future__ import annotations

import logging

import pytest

from contacthub.signin_throttle import SignInThrottle, Throttled, ThrottlePolicy, address_key

POLICY = ThrottlePolicy(
    address_failures=4,
    account_failures=3,
    first_delay=1.0,
    address_max_delay=100.0,
    account_max_delay=10.0,
    forget_after=1000.0,
    tracked=50,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def throttle(clock: Clock) -> SignInThrottle:
    return SignInThrottle(POLICY, clock)


def wrong(throttle: SignInThrottle, address: str, login: str = "alice") -> None:
    assert throttle.check(address, login, lambda: False) is False


def right(throttle: SignInThrottle, address: str, login: str = "alice") -> None:
    assert throttle.check(address, login, lambda: True) is True


def wait(throttle: SignInThrottle, address: str, login: str = "alice") -> int:
    with pytest.raises(Throttled) as refused:
        throttle.check(address, login, lambda: pytest.fail("checked during a delay"))
    return refused.value.retry_after


def test_an_address_waits_after_its_free_failures_and_the_wait_doubles(
    throttle: SignInThrottle, clock: Clock
) -> None:
    for number in range(4):
        wrong(throttle, "192.0.2.1", f"user{number}")
    assert wait(throttle, "192.0.2.1", "someone") == 1
    clock.now += 1
    wrong(throttle, "192.0.2.1", "user9")
    assert wait(throttle, "192.0.2.1") == 2
    for delay in (2, 4, 8, 16, 32, 64, 100, 100):
        clock.now += delay
        wrong(throttle, "192.0.2.1", "user9")
    assert wait(throttle, "192.0.2.1") == 100  # the cap
    right(throttle, "192.0.2.2")  # another address is not held


def test_the_right_password_is_refused_during_a_delay_then_resets_the_count(
    throttle: SignInThrottle, clock: Clock
) -> None:
    for _ in range(3):
        wrong(throttle, "192.0.2.1")
    assert wait(throttle, "192.0.2.1") == 1
    clock.now += 1
    right(throttle, "192.0.2.1")
    for _ in range(2):  # counted from zero again
        wrong(throttle, "192.0.2.1")
    right(throttle, "192.0.2.1")


def test_an_account_waits_whatever_address_guesses_but_not_where_it_signed_in(
    throttle: SignInThrottle, clock: Clock
) -> None:
    right(throttle, "198.51.100.7")  # alice's phone
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        wrong(throttle, address)
    assert wait(throttle, "192.0.2.4") == 1
    right(throttle, "192.0.2.4", "bob")  # other accounts are not held
    right(throttle, "198.51.100.7")  # nor alice at her own address
    assert wait(throttle, "192.0.2.4") == 1  # and her signing in there forgives no guesser
    for number in range(20):
        clock.now += 10
        wrong(throttle, f"203.0.113.{number}")
    assert wait(throttle, "192.0.2.4") == 10  # the account's cap


def test_a_success_forgives_only_the_failures_against_that_account(
    throttle: SignInThrottle,
) -> None:
    wrong(throttle, "192.0.2.1", "alice")
    wrong(throttle, "192.0.2.1", "alice")
    wrong(throttle, "192.0.2.1", "bob")
    right(throttle, "192.0.2.1", "alice")  # alice's two typos are forgiven
    wrong(throttle, "192.0.2.1", "carol")
    wrong(throttle, "192.0.2.1", "dave")
    right(throttle, "192.0.2.1", "mallory")  # mallory's own login forgives nothing else
    wrong(throttle, "192.0.2.1", "erin")
    assert wait(throttle, "192.0.2.1", "mallory") == 1


def test_the_owners_own_failures_are_forgiven_where_she_gets_it_right(
    throttle: SignInThrottle,
) -> None:
    right(throttle, "198.51.100.7")
    for _ in range(3):
        wrong(throttle, "198.51.100.7")  # an old password on her phone at home
    assert wait(throttle, "192.0.2.4") == 1
    right(throttle, "198.51.100.7")  # the new one: her failures, and the wait, are gone
    right(throttle, "192.0.2.4")


def test_failures_are_forgotten_after_a_quiet_time(throttle: SignInThrottle, clock: Clock) -> None:
    for _ in range(3):
        wrong(throttle, "192.0.2.1")
    clock.now += POLICY.forget_after
    wrong(throttle, "192.0.2.1")
    right(throttle, "192.0.2.1")


def test_memory_is_bounded_by_the_tracked_entries(throttle: SignInThrottle) -> None:
    for number in range(1000):
        wrong(throttle, f"10.0.{number // 250}.{number % 250}", f"name{number}")
        right(throttle, f"10.1.{number // 250}.{number % 250}", f"real{number}")
    assert len(throttle._addresses.entries) <= POLICY.tracked
    assert len(throttle._accounts.entries) <= POLICY.tracked
    assert len(throttle._known) <= POLICY.tracked


def test_an_address_held_longest_ago_makes_room_first(
    throttle: SignInThrottle, clock: Clock
) -> None:
    for number in range(4):
        wrong(throttle, "192.0.2.1", f"x{number}")
    for number in range(POLICY.tracked):
        clock.now += 0.01
        wrong(throttle, f"10.0.0.{number}", f"n{number}")
    assert len(throttle._addresses.entries) == POLICY.tracked
    right(throttle, "192.0.2.1", "y")  # pushed out, so forgotten


def test_ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::2")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_key("::1") != address_key("127.0.0.1")
    assert address_key("") == ""


def test_each_start_of_a_delay_is_logged_without_the_password(
    throttle: SignInThrottle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="contacthub.signin_throttle")
    password = "Hunter-2-secret"

    for _ in range(3):
        assert throttle.check("192.0.2.1", "alice", lambda: password == "other") is False
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "sign-in throttled: account 'alice' after 3 wrong passwords; next attempt in 1 s "
        "(but from addresses it signed in from)"
    )
    assert password not in caplog.text


def test_long_names_are_kept_cut_short(throttle: SignInThrottle) -> None:
    for number in range(3):
        wrong(throttle, f"192.0.2.{number}", "a" * 100_000 + str(number))
    assert wait(throttle, "192.0.2.9", "a" * 200) == 1
    assert all(len(name) <= 65 for name in throttle._accounts.entries)
