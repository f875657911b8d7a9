"""A CSV sync's remote file: its origin (upload, HTTP, FTP) and the fetch state of the
file last imported, both kept in the source's settings:

    origin    where the file comes from (sources.csv.origin)
    fetch     the FetchState of the last imported file, and the settings it was imported with
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from contacthub.fetch import FetchError, FetchLoginRefused, FetchState, fetch
from contacthub.sources.context import RunContext
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.origin import Origin, OriginError
from contacthub.sources.settings import SyncError, save_settings
from contacthub.store import SourceRecord, Transaction


def origin_of(source: SourceRecord) -> Origin:
    return Origin.of(source.settings)


def fetch_state_of(source: SourceRecord) -> FetchState | None:
    """The state of the last import, if it was made with today's settings."""
    saved = source.settings.get("fetch") or {}
    if saved.get("recipe") != recipe(source) or not saved.get("state"):
        return None
    return FetchState.from_json(saved["state"])


def recipe(source: SourceRecord) -> str:
    """A digest of what turns the file into contacts: other settings, other contacts."""
    csv_settings = csv_source.CsvSettings.of(source).to_json()
    return hashlib.sha256(json.dumps(csv_settings, sort_keys=True).encode()).hexdigest()


def create_remote_sync(
    ctx: RunContext,
    owner: str,
    origin_json: Any,
    *,
    name: str | None = None,
    book_path: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> SourceRecord:
    """A sync of a remote file: fetched once now, for its preview and suggested mapping."""
    origin = parse_origin(ctx, origin_json)
    if not origin.is_remote:
        raise SyncError("source", "Upload the file to make a sync of an uploaded file.")
    content = fetch_now(ctx, origin)
    filename = remote_filename(origin)
    try:
        view = csv_source.create_import(
            ctx.store,
            owner,
            filename,
            content,
            name=name or PurePosixPath(filename).stem,
            book_path=book_path,
            delimiter=delimiter,
            encoding=encoding,
        )
    except csv_source.CsvImportError as error:
        raise SyncError("source", str(error)) from None
    return save_settings(ctx, view.source, origin=origin)


def update_origin(ctx: RunContext, source: SourceRecord, origin_json: Any) -> SourceRecord:
    """A new origin; a new remote file is fetched at once so its header can be checked."""
    previous = origin_of(source)
    origin = parse_origin(ctx, origin_json, previous)
    if origin.is_remote != previous.is_remote:
        raise SyncError(
            "source.type",
            "A sync keeps its kind of source: make a new sync to "
            "change between an upload and a remote file.",
        )
    if origin.is_remote and (origin.url, origin.username) != (previous.url, previous.username):
        content = fetch_now(ctx, origin)
        try:
            csv_source.replace_file(ctx.store, source, remote_filename(origin), content)
            csv_source.fit_to_file(ctx.store, source)
        except csv_source.CsvImportError as error:
            raise SyncError("source", str(error)) from None
    return save_settings(ctx, source, origin=origin)


def save_fetch_state(tx: Transaction, source: SourceRecord, state: FetchState) -> None:
    """Note the file as imported with `source`'s settings (those the run used: settings
    changed while it ran make the next run import the file again)."""
    current = tx.require_source(source.id)
    tx.update_source(
        current,
        settings={
            **current.settings,
            "fetch": {"state": state.to_json(), "recipe": recipe(source)},
        },
    )


def fetch_now(ctx: RunContext, origin: Origin) -> bytes:
    try:
        result = fetch(origin.remote(ctx.vault), None, ctx.fetch_policy)
    except FetchLoginRefused as error:
        raise SyncError(f"source.{error.field}", str(error)) from None
    except (FetchError, OriginError) as error:
        raise SyncError("source", str(error)) from None
    assert result.content is not None  # an unconditional fetch brings the file
    return result.content


def remote_filename(origin: Origin) -> str:
    return PurePosixPath(unquote(urlsplit(origin.url).path)).name or "remote.csv"


def parse_origin(ctx: RunContext, value: Any, previous: Origin | None = None) -> Origin:
    """The API's source form as an Origin; SyncError names "source" or "source.FIELD"."""
    try:
        return Origin.from_json(value, ctx.vault, previous)
    except OriginError as error:
        raise SyncError(
            f"source.{error.field}" if error.field != "source" else "source", str(error)
        ) from None
