"""Syncs of a file on an HTTP server: importing, noticing an unchanged file, failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contacthub.jobs.runner import run_sync
from contacthub.jobs.status import status_of
from contacthub.reconcile import RunOutcome
from contacthub.sources.context import RunContext
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.remote import update_origin
from contacthub.sources.csv.run import UNCHANGED
from contacthub.store import SourceRecord, Store
from tests.fetch.http_server import LocalHTTPServer, Site, http_date
from tests.jobs.helpers import (
    ANN,
    BOB,
    CID,
    book_of,
    csv_of,
    http_sync,
    reload,
    runs_of,
    serve,
    stored_fetch_state,
    stored_settings_json,
)

PASSWORD = "pa55-Word!zq"
WORK_EMAILS = {
    "version": 1,
    "columns": [
        {"column": "Name", "field": "full_name"},
        {"column": "Email", "field": "email.work"},
        {"column": "Company", "field": "organisation"},
    ],
}


def test_the_first_run_imports_the_file(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)

    run = run_sync(ctx, source)

    assert (run.status, run.trigger) == ("ok", "manual")
    assert run.counts["added"] == 2 and run.counts["updated"] == run.counts["deleted"] == 0
    assert book_of(store, source).names == ["Ann Archer", "Bob Baker"]
    with store.read() as tx:
        assert status_of(tx, reload(store, source), ctx.now()).text.startswith("ok: 2 added")


def test_a_second_run_of_an_unchanged_file_changes_nothing(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)
    run_sync(ctx, source)
    book = book_of(store, source)

    again = run_sync(ctx, source)

    assert again.status == "no_changes"
    assert again.message == UNCHANGED == "the file is the same as at the last import"
    assert book_of(store, source) == book  # same sync token, same cards
    with store.read() as tx:
        assert status_of(tx, reload(store, source), ctx.now()).text == "no changes"


def test_an_unchanged_file_is_recognised_by_its_etag(
    ctx: RunContext, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)
    run_sync(ctx, source)
    etag = site.files["/people.csv"].etag_value()
    assert "If-None-Match" not in site.requests[-1]  # nothing imported yet: the whole file

    run_sync(ctx, source)

    assert site.requests[-1]["If-None-Match"] == etag
    assert site.statuses[-1] == 304


def test_an_unchanged_file_is_recognised_by_its_last_modified_date(
    ctx: RunContext, site: Site, http: LocalHTTPServer
) -> None:
    modified = http_date(1_700_000_000)
    serve(site, "/people.csv", csv_of(ANN, BOB), etag=False, last_modified=modified)
    source = http_sync(ctx, site, http)
    run_sync(ctx, source)

    again = run_sync(ctx, source)

    assert again.status == "no_changes"
    assert site.requests[-1]["If-Modified-Since"] == modified
    assert site.statuses[-1] == 304


def test_a_changed_file_updates_and_adds_contacts(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)
    csv_source.configure(store, source, update_existing=True)
    run_sync(ctx, source)
    before = book_of(store, source)

    serve(site, "/people.csv", csv_of((ANN[0], ANN[1], "Acme Global"), BOB, CID))
    run = run_sync(ctx, source)

    assert run.status == "ok"
    assert (run.counts["added"], run.counts["updated"], run.counts["unchanged"]) == (1, 1, 1)
    after = book_of(store, source)
    assert after.sync_seq > before.sync_seq
    assert after.names == ["Ann Archer", "Bob Baker", "Cid Carter"]
    assert any("Acme Global" in text for _, _, text in after.cards)
    assert site.statuses[-1] == 200


def test_basic_auth_works_and_no_clear_text_password_is_stored(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    serve(site, "/private.csv", csv_of(ANN, BOB), credentials=("reader", PASSWORD))
    source = http_sync(ctx, site, http, "/private.csv", username="reader", password=PASSWORD)

    run = run_sync(ctx, source)

    assert run.status == "ok" and run.counts["added"] == 2
    stored = stored_settings_json(store, source)
    assert PASSWORD not in stored
    origin = json.loads(stored)["origin"]
    assert origin["username"] == "reader" and origin["sealed_password"]
    assert PASSWORD not in origin["url"]
    assert all(PASSWORD not in run.message for run in runs_of(store, source))


def test_a_password_written_in_the_url_is_sealed_too(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    serve(site, "/private.csv", csv_of(ANN), credentials=("reader", PASSWORD))
    url = http.url("/private.csv").replace("://", f"://reader:{PASSWORD}@")
    source = http_sync(ctx, site, http, "/private.csv", url=url)

    assert run_sync(ctx, source).status == "ok"
    stored = stored_settings_json(store, source)
    assert PASSWORD not in stored
    assert json.loads(stored)["origin"]["url"] == http.url("/private.csv")


def test_a_wrong_password_fails_the_run_with_a_message_to_act_on(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    serve(site, "/private.csv", csv_of(ANN), credentials=("reader", PASSWORD))
    source = http_sync(ctx, site, http, "/private.csv", username="reader", password=PASSWORD)
    source = update_origin(
        ctx,
        source,
        {"url": http.url("/private.csv"), "username": "reader", "password": "wrong-one"},
    )

    run = run_sync(ctx, source)

    assert run.status == "failed"
    assert run.message == (
        f"HTTP 401 for {http.url('/private.csv')}: the server refused the user name or password"
    )
    assert "wrong-one" not in run.message


def test_a_new_mapping_imports_the_unchanged_file_again(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)
    run_sync(ctx, source)
    assert run_sync(ctx, source).status == "no_changes"

    csv_source.configure(store, source, mapping=WORK_EMAILS, update_existing=True)
    run = run_sync(ctx, source)

    assert "If-None-Match" not in site.requests[-1]
    assert site.statuses[-1] == 200
    assert run.status == "ok" and run.counts["updated"] == 2
    assert all("EMAIL;TYPE=INTERNET,WORK:" in text for _, _, text in book_of(store, source).cards)
    assert run_sync(ctx, source).status == "no_changes"  # and then it is seen again


def test_a_missing_file_fails_the_run_with_the_http_status(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)
    run_sync(ctx, source)
    book = book_of(store, source)
    del site.files["/people.csv"]

    run = run_sync(ctx, source)

    assert run.status == "failed"
    assert run.message.startswith(f"HTTP 404 for {http.url('/people.csv')}")
    assert book_of(store, source) == book
    with store.read() as tx:
        status = status_of(tx, reload(store, source), ctx.now())
    assert (status.status, status.text) == ("failed", f"failed: {run.message}")


def test_a_changed_file_that_cannot_be_imported_changes_nothing_and_is_tried_again(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)
    run_sync(ctx, source)
    good_state = stored_fetch_state(store, source)
    book = book_of(store, source)

    serve(site, "/people.csv", b"Nom,Courriel\r\nAnn,ann@example.org\r\n")
    failed = run_sync(ctx, source)

    assert failed.status == "failed"
    assert failed.message == "column 'Name' is not in the file"
    assert book_of(store, source) == book
    assert stored_fetch_state(store, source) == good_state  # the bad file was not "seen"

    retried = run_sync(ctx, source)

    assert site.requests[-1]["If-None-Match"] == good_state["etag"]  # type: ignore[index]
    assert site.statuses[-1] == 200  # the bad file came again, not a 304
    assert retried.status == "failed"

    serve(site, "/people.csv", csv_of(ANN, BOB, CID))
    fixed = run_sync(ctx, source)
    assert fixed.status == "ok" and fixed.counts["added"] == 1


def test_a_file_touched_without_changes_is_not_downloaded_again(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    serve(site, "/people.csv", csv_of(ANN, BOB), etag=False, last_modified=http_date(1e9))
    source = http_sync(ctx, site, http)
    run_sync(ctx, source)

    serve(site, "/people.csv", csv_of(ANN, BOB), etag=False, last_modified=http_date(2e9))
    touched = run_sync(ctx, source)
    assert touched.status == "no_changes" and site.statuses[-1] == 200

    again = run_sync(ctx, source)

    assert again.status == "no_changes"
    assert site.requests[-1]["If-Modified-Since"] == http_date(2e9)
    assert site.statuses[-1] == 304


def test_a_mapping_changed_while_a_run_imports_is_applied_by_the_next_run(
    ctx: RunContext,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = http_sync(ctx, site, http)
    real_import = csv_source.run_import

    def import_while_someone_edits_the_mapping(
        store_: Store, source_: SourceRecord, **options: Any
    ) -> RunOutcome:
        csv_source.configure(store_, source_, mapping=WORK_EMAILS, update_existing=True)
        return real_import(store_, source_, **options)  # with the settings it started with

    monkeypatch.setattr(csv_source, "run_import", import_while_someone_edits_the_mapping)
    assert run_sync(ctx, source).counts["added"] == 2
    monkeypatch.undo()

    run = run_sync(ctx, source)

    assert run.status == "ok" and run.counts["updated"] == 2
    assert all("EMAIL;TYPE=INTERNET,WORK:" in text for _, _, text in book_of(store, source).cards)
