"""CSV imports: an uploaded file with its settings and mapping, checked, previewed (dry
run) and changed.

An import is a CSV source of the reconciler (contacthub.sources.csv.source): its
settings and its last uploaded file live in the store, so it can be previewed, changed
and run again. Every import is also a sync (services.syncs: same ids), whose file may
come from a remote server instead of an upload.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from typing import Any

from contacthub.errors import Conflict, Invalid, NotFound, UserError, quoted, sentence
from contacthub.reconcile import ChangeSet, RunFailed
from contacthub.services.books import require_book
from contacthub.services.sources import require_source
from contacthub.sources.context import RunContext
from contacthub.sources.csv import (
    CsvFile,
    Mapping,
    MappingError,
    NotCsvError,
    parse_delimiter,
    suggest_mapping,
)
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.source import CsvImportError, CsvSettings, ImportView
from contacthub.store import RunRecord, SourceRecord, Transaction

KIND = csv_source.KIND
MAX_NAME = 255
SETTINGS = ("delimiter", "encoding", "mapping", "key_column", "update_existing", "delete_missing")


@dataclass(frozen=True)
class ImportSummary:
    """An import as its list shows it: settings, when its file came, its latest run."""

    source: SourceRecord
    settings: CsvSettings
    uploaded_at: float | None
    last_run: RunRecord | None


# --- checking settings --------------------------------------------------------------------


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def check_delimiter(value: str | None) -> str | None:
    """A delimiter as a person writes it ("comma", "tab", ";"), checked as a value; the
    models of the API's bodies (ImportSettings, SyncInput, SyncSettings) say it is text."""
    if value is None:
        return None
    message = (
        "The delimiter is comma, semicolon, tab, pipe or any other single character "
        "(not a quote, a line break or a control character)."
    )
    try:
        delimiter = parse_delimiter(value)
    except ValueError:
        raise Invalid(message, field="delimiter") from None
    if delimiter != "\t" and _has_control(delimiter):
        raise Invalid(message, field="delimiter")
    return delimiter


def check_encoding(value: str | None) -> str | None:
    """The name of a character set this server knows, as Python names it."""
    if value is None:
        return None
    if not value or len(value) > 40 or _has_control(value):
        raise Invalid(
            "The encoding is the name of a character set, such as utf-8 or cp1252.",
            field="encoding",
        )
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise Invalid(
            f"The encoding {value!r} is not one this server knows; try utf-8, "
            "utf-16, cp1252 or latin-1.",
            field="encoding",
        ) from None


def check_sync_name(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > MAX_NAME or _has_control(value):
        raise Invalid(
            f"The name has at most {MAX_NAME} characters and no control characters.", field="name"
        )
    return value


def clean_filename(name: str | None) -> str:
    """An uploaded file's name without folders or control characters."""
    kept = "".join(ch for ch in name or "" if not _has_control(ch)).strip()
    return kept.replace("\\", "/").rsplit("/", 1)[-1][:MAX_NAME] or "upload.csv"


def opened_csv(
    content: bytes, delimiter: str | None, encoding: str | None, changed: str = "file"
) -> CsvFile:
    """The file as the settings read it; Invalid naming ``changed`` when it cannot be read."""
    try:
        csv_file = CsvFile(content, delimiter=delimiter, encoding=encoding)
    except NotCsvError as error:
        raise Invalid(sentence(str(error)), field=changed) from None
    except ValueError as error:
        raise Invalid(sentence(f"the file cannot be read: {error}"), field=changed) from None
    if csv_file.is_empty:
        raise Invalid("The file has no header row: there is nothing to import.", field=changed)
    return csv_file


def settings_changes(body: dict[str, Any]) -> dict[str, Any]:
    """An import's settings (a body ImportSettings took, or the file's settings of one
    SyncSettings took) checked as values, for configure: a delimiter, an encoding the
    server knows, a key column, a mapping of known fields."""
    changes: dict[str, Any] = {}
    if "delimiter" in body:
        changes["delimiter"] = check_delimiter(body["delimiter"])
    if "encoding" in body:
        changes["encoding"] = check_encoding(body["encoding"])
    for flag in ("update_existing", "delete_missing"):
        if flag in body:
            changes[flag] = body[flag]
    if "key_column" in body:
        key = body["key_column"]
        if key == "":
            raise Invalid(
                "The key column is the name of a column of the file, or null to "
                "generate a key for each contact.",
                field="key_column",
            )
        changes["key_column"] = key
    if "mapping" in body:
        try:
            changes["mapping"] = Mapping.from_json(body["mapping"]).to_json()
        except MappingError as error:
            raise Invalid(sentence(f"mapping: {error}"), field="mapping") from None
    return changes


# --- finding and showing imports ----------------------------------------------------------


def require_import(ctx: RunContext, user: str, import_id: int) -> SourceRecord:
    return require_source(ctx, user, import_id, (KIND,), f"There is no import {import_id}.")


def _summary(tx: Transaction, source: SourceRecord) -> ImportSummary:
    runs = tx.runs_of(source.id, limit=1)
    return ImportSummary(
        source,
        CsvSettings.of(source),
        tx.upload_created_at(source.id),
        runs[0] if runs else None,
    )


def summaries(ctx: RunContext, user: str) -> list[ImportSummary]:
    with ctx.store.read() as tx:
        return [_summary(tx, source) for source in tx.list_sources(owner=user, kind=KIND)]


def uploaded(ctx: RunContext, source: SourceRecord) -> tuple[str | None, float | None]:
    """The name of the import's file and when it came (None, None before the first)."""
    with ctx.store.read() as tx:
        return tx.upload_filename(source.id), tx.upload_created_at(source.id)


def file_of(ctx: RunContext, source: SourceRecord) -> tuple[ImportSummary, ImportView]:
    """The import and its file as its settings read it: header, preview, detected delimiter
    and encoding (Conflict "unreadable_file" when the stored file cannot be read)."""
    try:
        view = csv_source.view(ctx.store, source)
    except CsvImportError as error:
        raise Conflict("unreadable_file", sentence(str(error))) from None
    with ctx.store.read() as tx:
        return _summary(tx, view.source), view


# --- making and changing imports ------------------------------------------------------------


def book_path_for(ctx: RunContext, user: str, book: str | None) -> str | None:
    """The path of the user's address book ``book`` (an id), or None when none is given;
    Invalid on the field "book" when there is no such book."""
    if book is None:
        return None
    refusal = Invalid(
        f'There is no address book {quoted(book)}; leave out "book" to import into a new one.',
        field="book",
    )
    with ctx.store.read() as tx:
        try:
            return require_book(tx, user, book).path
        except NotFound:
            raise refusal from None


def create_upload(
    ctx: RunContext,
    user: str,
    filename: str,
    content: bytes,
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    name: str | None = None,
    book: str | None = None,
) -> SourceRecord:
    """A new import (an upload sync) of ``content``; every setting is checked first."""
    delimiter = check_delimiter(delimiter)
    encoding = check_encoding(encoding)
    name = check_sync_name(name)
    opened_csv(content, delimiter, encoding)
    book_path = book_path_for(ctx, user, book)
    try:
        view = csv_source.create_import(
            ctx.store,
            user,
            filename,
            content,
            name=name,
            book_path=book_path,
            delimiter=delimiter,
            encoding=encoding,
        )
    except CsvImportError as error:
        raise Invalid(sentence(str(error)), field="file") from None
    return view.source


def upload_content(ctx: RunContext, source: SourceRecord) -> bytes:
    with ctx.store.read() as tx:
        upload = tx.get_upload(source.id)
    if upload is None:
        raise Conflict("unreadable_file", "This import has no file: upload one.")
    return upload.content


def _fitted(
    settings: CsvSettings, header: list[str], changes: dict[str, Any], chosen: dict[str, Any]
) -> dict[str, Any]:
    try:
        return csv_source.fit_to_header(settings, header, changes, chosen=chosen)
    except CsvImportError as error:
        raise Invalid(sentence(str(error)), field=error.field) from None


def fit_settings(source: SourceRecord, content: bytes, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes checked against the file as the new settings read it.

    A new delimiter or encoding that changes the header, without a mapping in the same
    request, brings the suggested mapping for the new header (the old one was made for other
    columns), and generated keys if the key column is gone.
    """
    settings = CsvSettings.of(source)
    delimiter = changes.get("delimiter", settings.delimiter)
    encoding = changes.get("encoding", settings.encoding)
    changed = "encoding" if "encoding" in changes else "delimiter"
    header = opened_csv(content, delimiter, encoding, changed).header
    fitted = dict(changes)
    if "mapping" not in changes and header != _header_or_none(content, settings):
        fitted["mapping"] = suggest_mapping(header).to_json()
    return _fitted(settings, header, fitted, changes)


def _header_or_none(content: bytes, settings: CsvSettings) -> list[str] | None:
    try:
        return CsvFile(content, delimiter=settings.delimiter, encoding=settings.encoding).header
    except (NotCsvError, ValueError):
        return None


def configure(ctx: RunContext, source: SourceRecord, changes: dict[str, Any]) -> SourceRecord:
    try:
        return csv_source.configure(ctx.store, source, **changes).source
    except CsvImportError as error:
        raise Invalid(sentence(str(error))) from None


def update_settings(ctx: RunContext, source: SourceRecord, body: dict[str, Any]) -> SourceRecord:
    """Change the import's settings from its JSON form (a body ImportSettings took): all
    checked against the file."""
    changes = settings_changes(body)
    changes = fit_settings(source, upload_content(ctx, source), changes)
    return configure(ctx, source, changes)


def replace_upload(
    ctx: RunContext, source: SourceRecord, filename: str, content: bytes
) -> SourceRecord:
    """A new file for the import; a mapping or key column it cannot use is replaced."""
    settings = CsvSettings.of(source)
    header = opened_csv(content, settings.delimiter, settings.encoding).header
    changes = _fitted(settings, header, {}, {})
    try:
        csv_source.replace_file(ctx.store, source, filename, content)
    except CsvImportError as error:
        raise Invalid(sentence(str(error)), field="file") from None
    if changes:
        source = configure(ctx, source, changes)
    return source


def dry_run(ctx: RunContext, source: SourceRecord, *, override_mass_deletion: bool) -> ChangeSet:
    """What a run would change now, changing nothing."""
    try:
        outcome = csv_source.run_import(
            ctx.store, source, dry_run=True, override_mass_deletion=override_mass_deletion
        )
    except RunFailed as failed:
        raise ImportFailed(sentence(f"the file cannot be imported: {failed}")) from None
    return outcome.changes


class ImportFailed(UserError):
    code = "import_failed"
