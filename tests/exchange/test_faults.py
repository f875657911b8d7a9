"""A run against an Exchange that fails partway, throttles, or refuses: what reached Exchange is
never sent twice, a throttled run waits and finishes, a refusal says what to check. The EWS
double does the faults (tests/support/ews_faults.py); exchangelib's real transport meets them."""

from __future__ import annotations

from pathlib import Path

import pytest

from contacthub import config
from contacthub.config import Settings
from contacthub.fetch import FetchPolicy
from contacthub.sources.context import RunContext
from contacthub.sources.exchange import source as exchange_source
from contacthub.sources.exchange.client import uid_for
from contacthub.store import SourceRecord
from tests.exchange.conftest import EMAIL, PASSWORD
from tests.exchange.test_exchange_source import card, put, sync, texts
from tests.support.ews_faults import Fault
from tests.support.ews_server import EwsServer

OWNER = "alice"
NAMES = ("Ann Lee", "Bob Ray", "Cy Young")


@pytest.fixture
def hub_settings(tmp_path: Path) -> Settings:
    loaded = config.load(tmp_path / "data")
    loaded.smtp = {}
    loaded.fetch_policy = FetchPolicy(allowed_networks=("127.0.0.0/8",))
    return loaded


@pytest.fixture
def source(ctx: RunContext, ews: EwsServer) -> SourceRecord:
    form = {"email": EMAIL, "password": PASSWORD, "server": ews.url}
    return exchange_source.connect_account(ctx, OWNER, form)


def put_three(ctx: RunContext, source: SourceRecord) -> None:
    for number, name in enumerate(NAMES, 1):
        put(ctx, source, card(f"hub-{number}", name))


def assert_each_once(ctx: RunContext, source: SourceRecord, ews: EwsServer) -> None:
    """Every card is one contact in Exchange, and the book holds the cards, no copies."""
    names = sorted(ews.mailbox.text(c.item_id, "DisplayName") or "" for c in ews.mailbox.live())
    assert names == sorted(NAMES)
    assert sorted(texts(ctx, source)) == ["hub-1", "hub-2", "hub-3"]


# -- failing partway ------------------------------------------------------------------------


def test_a_create_refused_partway_sends_only_the_rest_next_time(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    put_three(ctx, source)
    ews.plan(Fault.error("CreateItem", "ErrorInternalServerError", nth=2))

    failed, _ = sync(ctx, source, ews)
    assert failed.status == "failed"
    assert failed.message == (
        "Exchange answered ErrorInternalServerError: An internal server error occurred. "
        "The operation failed."
    )
    assert len(ews.mailbox.live()) == 1

    run, operations = sync(ctx, source, ews)
    assert (run.status, run.message) == ("ok", "2 created in Exchange")
    assert operations.count("CreateItem") == 2
    assert_each_once(ctx, source, ews)
    again, _ = sync(ctx, source, ews)
    assert again.status == "no_changes"


def test_an_update_refused_partway_sends_only_the_rest_without_conflicts(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ids = [ews.mailbox.create({"DisplayName": name}) for name in NAMES]
    sync(ctx, source, ews)
    for item_id, name in zip(ids, NAMES, strict=True):
        put(ctx, source, card(uid_for(item_id), name, "TITLE:Edited here"))
    ews.plan(Fault.error("UpdateItem", "ErrorInternalServerError", nth=2))

    failed, _ = sync(ctx, source, ews)
    assert failed.status == "failed"

    run, operations = sync(ctx, source, ews)
    assert (run.status, run.message) == ("ok", "2 updated in Exchange")
    assert run.counts["conflicts"] == 0 and run.problems == []
    assert operations.count("UpdateItem") == 2
    assert [ews.mailbox.text(i, "JobTitle") for i in ids] == ["Edited here"] * 3


@pytest.mark.parametrize("after", [False, True], ids=["before Exchange", "after Exchange"])
def test_a_connection_lost_during_a_create_never_makes_a_second_contact(
    ctx: RunContext, ews: EwsServer, source: SourceRecord, after: bool
) -> None:
    """Lost after: Exchange made the contact, the hub never heard its item id."""
    put_three(ctx, source)
    ews.plan(Fault.drop("CreateItem", nth=2, after=after))

    failed, _ = sync(ctx, source, ews)
    assert failed.status == "failed"
    assert len(ews.mailbox.live()) == (2 if after else 1)

    run, _ = sync(ctx, source, ews)
    assert run.status == "ok"
    assert run.counts["pushed_created"] == (1 if after else 2)
    assert_each_once(ctx, source, ews)
    again, operations = sync(ctx, source, ews)
    assert again.status == "no_changes" and "CreateItem" not in operations
    assert_each_once(ctx, source, ews)


# -- throttling -----------------------------------------------------------------------------


def test_a_busy_exchange_is_waited_for_and_the_run_finishes(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    put_three(ctx, source)
    ews.plan(Fault.busy("CreateItem", back_off_ms=200, nth=2))

    run, operations = sync(ctx, source, ews)

    assert (run.status, run.message) == ("ok", "3 created in Exchange")
    assert operations.count("CreateItem") == 4  # the second one twice: busy, then again
    assert_each_once(ctx, source, ews)


def test_a_back_off_longer_than_a_run_waits_fails_the_run_and_says_so(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    put_three(ctx, source)
    ews.plan(Fault.busy("CreateItem", back_off_ms=3_600_000, nth=2))

    failed, operations = sync(ctx, source, ews)

    assert failed.status == "failed"
    assert failed.message.startswith("Exchange is busy and asked to wait 3600 s")
    assert operations.count("CreateItem") == 2  # not sent again at once
    run, _ = sync(ctx, source, ews)
    assert run.message == "2 created in Exchange"
    assert_each_once(ctx, source, ews)


# -- refusals -------------------------------------------------------------------------------


def test_access_denied_to_the_contacts_fails_the_run_and_names_the_login(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ews.plan(Fault.error("GetFolder", "ErrorAccessDenied", times=None))
    run, _ = sync(ctx, source, ews)
    assert run.status == "failed"
    assert run.message.startswith(f"Exchange denied {EMAIL} access to the contacts of {EMAIL}")


def test_a_mailbox_without_a_contacts_folder_fails_the_run_and_says_so(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ews.plan(Fault.error("GetFolder", "ErrorFolderNotFound", times=None))
    run, _ = sync(ctx, source, ews)
    assert (run.status, run.message) == ("failed", f"the mailbox of {EMAIL} has no Contacts folder")
