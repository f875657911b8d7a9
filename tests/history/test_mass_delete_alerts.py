"""A client that deletes too much (carddav/mass_delete.py, services/alerts.py): when one
CardDAV client deletes more than the share of a book within the window, one alert per
episode; restoring it brings back exactly the contacts of the episode, through the trash.

Over a real store (SQLite and PostgreSQL) whose clock the test turns; the watch's email
goes to an aiosmtpd server on 127.0.0.1.
"""

from __future__ import annotations

import time
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest

from contacthub import config
from contacthub.carddav.mass_delete import DeletionWatch, check_deletions, recipients
from contacthub.config import MassDeletePolicy
from contacthub.errors import Conflict, NotFound
from contacthub.services import alerts, history
from contacthub.sources.context import RunContext
from contacthub.store import Actor, AlertRecord, Store
from contacthub_radicale.context import Deletion
from tests.history.book import API, PHONE, Clock, changed_since, delete, held, put, token
from tests.reconcile.tiny_source import BOOK
from tests.support.net import free_port, wait_until
from tests.support.smtp import Mailbox, serve_mailbox

POLICY = MassDeletePolicy()  # 50 % of a book of at least 20 within 600 s
IOS = Actor("alice", "carddav", "iOS/17.4 (21E219) dataaccessd/1.0")


def fill(store: Store, count: int) -> list[str]:
    uids = [f"c{index:03}" for index in range(count)]
    for uid in uids:
        put(store, uid, f"Person {uid}")
    return uids


def deleting(
    store: Store,
    clock: Clock,
    uids: list[str],
    *,
    by: Actor = PHONE,
    every: float = 1.0,
    policy: MassDeletePolicy = POLICY,
) -> list[AlertRecord]:
    """The client deletes the cards one by one, `every` seconds apart, each looked at as the
    watch does after the request; the alerts raised."""
    raised = []
    for uid in uids:
        clock.turn(every)
        delete(store, f"{uid}.vcf", by=by)
        found = check_deletions(store, policy, Deletion(by.account, BOOK, by.agent))
        if found is not None:
            raised.append(found)
    return raised


def listed(store: Store) -> list[AlertRecord]:
    with store.read() as tx:
        return tx.alerts_of("alice")


def test_one_alert_for_a_client_that_deletes_a_whole_book(store: Store, clock: Clock) -> None:
    uids = fill(store, 30)
    start = clock.now

    raised = deleting(store, clock, uids)

    assert len(raised) == 1
    first = raised[0]
    # Raised at the 16th deletion: more than half of 30.
    assert (first.deleted, first.book_size, first.agent, first.account) == (
        16,
        30,
        PHONE.agent,
        "alice",
    )
    assert first.owner == "alice" and first.book_path == BOOK and first.state == "open"
    [now] = listed(store)  # the rest of the episode counted in the same alert
    assert (now.id, now.deleted, now.book_size) == (first.id, 30, 30)
    assert now.first_at == start + 1.0 and now.last_at == clock.now


def test_half_of_a_book_or_a_small_book_raises_nothing(store: Store, clock: Clock) -> None:
    uids = fill(store, 30)
    assert deleting(store, clock, uids[:15]) == []  # 50 %: not more than the share
    other = "alice/small"
    with store.write() as tx:
        tx.create_collection(other, {"tag": "VADDRESSBOOK"})
    for index in range(19):
        put(store, f"s{index}", "Small", book=other)
    for index in range(19):
        delete(store, f"s{index}.vcf", book=other)
        assert check_deletions(store, POLICY, Deletion("alice", other, PHONE.agent)) is None
    assert listed(store) == []


def test_a_slow_deleter_under_the_share_within_each_window_raises_nothing(
    store: Store, clock: Clock
) -> None:
    # One every 130 s: at most 5 in any 600 s, never more than half of what the book held
    # at the window's start while it holds at least 20.
    assert deleting(store, clock, fill(store, 30), every=130.0) == []
    assert held(store) == {}


def test_clients_are_counted_apart(store: Store, clock: Clock) -> None:
    uids = fill(store, 30)
    other_account = Actor("bob", "carddav", PHONE.agent)
    # Together 24 of 30 within a minute, but no client more than 10.
    raised = deleting(store, clock, uids[:10])
    raised += deleting(store, clock, uids[10:20], by=IOS)
    raised += deleting(store, clock, uids[20:24], by=other_account)
    assert raised == []
    # The API's deletions are a person's requests, not a client's: not watched.
    assert deleting(store, clock, uids[24:], by=API) == []


def test_a_later_episode_after_the_window_raises_a_new_alert(store: Store, clock: Clock) -> None:
    uids = fill(store, 60)
    first = deleting(store, clock, uids[:31])
    clock.turn(POLICY.window + 1)
    second = deleting(store, clock, uids[31:46])  # 15 of the 29 left

    assert len(first) == 1 and len(second) == 1
    assert (second[0].deleted, second[0].book_size) == (15, 29)
    assert [(a.deleted, a.state) for a in listed(store)] == [(15, "open"), (31, "open")]


def test_a_restored_episode_ends_it_the_client_deleting_again_is_a_new_one(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    uids = fill(store, 30)
    [first] = deleting(store, clock, uids)
    alerts.restore_alert(ctx, "alice", first.id, via="admin")
    [again] = deleting(store, clock, uids)
    assert again.id != first.id and (again.deleted, again.book_size) == (16, 30)


def test_restore_brings_back_exactly_the_contacts_of_the_episode(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    uids = fill(store, 30)
    cards = held(store)
    deleting(store, clock, uids[:2], by=IOS)  # another client's deletions: not its
    clock.turn(POLICY.window + 1)
    [raised] = deleting(store, clock, uids[2:])
    put(store, uids[5], "Made again")  # a client made one again since: it stays as it is
    before = token(store)

    restored = alerts.restore_alert(ctx, "alice", raised.id, via="admin")

    assert (restored.state, restored.restored) == ("restored", 27)
    assert restored.restore_run_id is not None
    now = held(store)
    assert set(now) == {f"{uid}.vcf" for uid in uids[2:]}
    assert all(now[href] == cards[href] for href in now if href != f"{uids[5]}.vcf")
    assert changed_since(store, before) == {f"{uid}.vcf" for uid in uids[2:] if uid != uids[5]}
    assert {entry.uid for entry in history.trash(ctx, "alice", "people")} == set(uids[:2])
    with pytest.raises(Conflict):
        alerts.restore_alert(ctx, "alice", raised.id, via="api")
    # The restore is a run like any other: undoing it deletes them again.
    history.apply_undo(ctx, "alice", restored.restore_run_id, False, via="api")
    assert set(held(store)) == {f"{uids[5]}.vcf"}


def test_dismiss_and_the_alerts_of_others(ctx: RunContext, store: Store, clock: Clock) -> None:
    [raised] = deleting(store, clock, fill(store, 20))
    assert [a.id for a in alerts.alerts_of(ctx, "alice", only_open=True)] == [raised.id]
    with pytest.raises(NotFound):
        alerts.dismiss_alert(ctx, "bob", raised.id)
    with pytest.raises(NotFound):
        alerts.alert_of(ctx, "bob", raised.id)

    dismissed = alerts.dismiss_alert(ctx, "alice", raised.id)

    assert dismissed.state == "dismissed" and dismissed.resolved_at == clock.now
    assert alerts.alerts_of(ctx, "alice", only_open=True) == []
    assert alerts.dismiss_alert(ctx, "alice", raised.id).state == "dismissed"
    # Changing one's mind: a dismissed alert can still be restored.
    assert alerts.restore_alert(ctx, "alice", raised.id, via="admin").restored == 20
    with pytest.raises(Conflict):
        alerts.dismiss_alert(ctx, "alice", raised.id)


def test_the_owner_is_told_by_email_once_and_a_failed_email_fails_nothing(
    store: Store, clock: Clock, tmp_path: Path
) -> None:
    uids = fill(store, 30)
    mailbox = Mailbox(free_port())
    settings = config.load(tmp_path / "data")
    settings.mass_delete = replace(POLICY, alert_to=("owner", "it@example.org"))
    settings.smtp = {
        "host": "127.0.0.1",
        "port": str(mailbox.port),
        "security": "none",
        "sender": "hub@example.org",
    }
    settings.public_url = "https://contacts.example.org/"
    watch = DeletionWatch(store, settings)
    with serve_mailbox(mailbox):
        for uid in uids:
            clock.turn(1.0)
            delete(store, f"{uid}.vcf")
            watch.deleted([Deletion("alice", BOOK, PHONE.agent)])
        assert watch.idle(30)
        [alert] = listed(store)
        wait_until(lambda: bool(_email_of(store, alert.id)), 30, "the email sent")

    assert _email_of(store, alert.id) == "sent to it@example.org"
    [envelope] = mailbox.envelopes
    assert envelope.rcpt_tos == ["it@example.org"]
    text = envelope.content.decode()
    assert PHONE.agent in text and "of the 30 contacts" in text
    assert f"https://contacts.example.org/admin/alerts/{alert.id}" in text

    # The SMTP server is gone: the next episode's alert is raised all the same.
    clock.turn(POLICY.window + 1)
    for uid in uids:
        put(store, uid, "Back")
    for uid in uids:
        delete(store, f"{uid}.vcf")
        watch.deleted([Deletion("alice", BOOK, PHONE.agent)])
    assert watch.idle(30)
    newest = listed(store)[0]
    assert newest.id != alert.id
    wait_until(lambda: bool(_email_of(store, newest.id)), 30, "the email tried")
    assert _email_of(store, newest.id).startswith("not sent: connection to 127.0.0.1")


def test_the_owner_is_the_address_when_the_account_name_is_one() -> None:
    policy = MassDeletePolicy()
    assert recipients(policy, "ann@example.org") == ["ann@example.org"]
    assert recipients(policy, "ann") == []
    both = replace(policy, alert_to=("owner", "it@example.org", "ann@example.org"))
    assert recipients(both, "ann@example.org") == ["ann@example.org", "it@example.org"]


def _email_of(store: Store, alert_id: int) -> str:
    with store.read() as tx:
        return tx.require_alert(alert_id).email


def test_the_watch_looks_at_a_client_deleting_fast_at_most_once_a_spacing(
    store: Store, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phone wiping a book deletes as fast as the server answers: each look reads the
    client's whole episode, so the watch looks at it at most once per SPACING, and the
    alert still ends counting every deletion."""
    uids = fill(store, 120)
    settings = config.load(tmp_path / "data")
    looks: list[float] = []

    def counted(store: Store, policy: MassDeletePolicy, deletion: Deletion) -> AlertRecord | None:
        looks.append(time.monotonic())
        return check_deletions(store, policy, deletion)

    monkeypatch.setattr("contacthub.carddav.mass_delete.check_deletions", counted)
    watch = DeletionWatch(store, settings)
    began = time.monotonic()
    for uid in uids:
        clock.turn(0.1)
        delete(store, f"{uid}.vcf")
        watch.deleted([Deletion("alice", BOOK, PHONE.agent)])
    assert watch.idle(30)
    took = time.monotonic() - began

    assert len(looks) <= took / DeletionWatch.SPACING + 2
    assert all(b - a >= DeletionWatch.SPACING * 0.99 for a, b in pairwise(looks))
    [alert] = listed(store)
    assert (alert.deleted, alert.book_size) == (120, 120)
