"""CSV imports (syncs): upload, settings and mapping, dry run, run, run reports.

An import is a CSV source of the reconciler (contacthub.sources.csv.source):
its settings and its last uploaded file live in the store, so it can be
previewed, changed and run again. Every outcome of a run — done, nothing to
do, refused by the mass-deletion guard, failed — is a run report with a
status, answered with 200: the run was recorded whatever happened.

Every import is also a sync with an uploaded file (syncs.py: same ids), and the
helpers that check settings and show an import are shared with it.
"""

from __future__ import annotations

import codecs
import unicodedata
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.datastructures import FileStorage

from contacthub.jobs.runner import run_sync
from contacthub.reconcile import ChangeSet, RunFailed
from contacthub.sources.csv import (
    DELIMITER_NAMES,
    CsvFile,
    Mapping,
    MappingError,
    NotCsvError,
    all_fields,
    delimiter_name,
    parse_delimiter,
    suggest_mapping,
)
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.fields import CUSTOM_PREFIX
from contacthub.sources.settings import SyncBusy
from contacthub.store import Transaction
from contacthub.store.runs import RunRecord
from contacthub.store.sources import SourceRecord
from contacthub.web.api.common import (
    int_arg,
    json_body,
    location,
    require_book,
    run_context,
    store,
)
from contacthub.web.api.devices import iso, run_json
from contacthub.web.auth import current_user
from contacthub.web.errors import (
    ApiError,
    bad_request,
    conflict,
    invalid,
    not_found,
    quoted,
    sentence,
)

bp = Blueprint("imports", __name__)

MAX_NAME = 255
MAX_SHOWN = 1000  # changes and problems a dry run lists
MAX_ID = 2**31 - 1  # larger ids exist nowhere (and overflow PostgreSQL's integer)
DEFAULT_RUNS, MAX_RUNS = 20, 100
# A dry run lists what changes first, so the cap cuts the unchanged rows first.
_ORDER = {"add": 0, "update": 1, "delete": 2, "skip": 3, "unchanged": 4}
SETTINGS = ("delimiter", "encoding", "mapping", "key_column", "update_existing", "delete_missing")


# --- JSON -------------------------------------------------------------------------------


def book_id(source: SourceRecord) -> str:
    return source.book_path.rsplit("/", 1)[-1]


def _last_run(tx: Transaction, source: SourceRecord) -> dict[str, Any] | None:
    runs = tx.runs_of(source.id, limit=1)
    return run_json(runs[0]) if runs else None


def _summary_json(tx: Transaction, source: SourceRecord) -> dict[str, Any]:
    settings = csv_source.CsvSettings.of(source)
    return {
        "id": source.id,
        "name": source.name,
        "book": book_id(source),
        "key_column": settings.key_column,
        "update_existing": settings.update_existing,
        "delete_missing": settings.delete_missing,
        "uploaded_at": iso(tx.upload_created_at(source.id)),
        "last_run": _last_run(tx, source),
    }


def import_json(source: SourceRecord) -> dict[str, Any]:
    try:
        view = csv_source.view(store(), source)
    except csv_source.ImportError_ as error:
        raise ApiError(409, "unreadable_file", sentence(str(error))) from None
    with store().read() as tx:
        shown = _summary_json(tx, view.source)
    shown.update(
        {
            "filename": view.filename,
            "encoding": view.encoding,
            "encoding_detected": view.encoding_detected,
            "delimiter": delimiter_name(view.delimiter),
            "delimiter_detected": view.delimiter_detected,
            "header": view.header,
            "preview": view.preview,
            "mapping": Mapping.from_json(view.settings.mapping).to_json(),
        }
    )
    return shown


def _changes_json(changes: ChangeSet) -> dict[str, Any]:
    ordered = sorted(changes.changes, key=lambda change: _ORDER[change.action])
    return {
        "counts": changes.counts,
        "changes": [change.as_dict() for change in ordered[:MAX_SHOWN]],
        "truncated": len(ordered) > MAX_SHOWN,
        "problems": [problem.as_dict() for problem in changes.problems[:MAX_SHOWN]],
        "problems_truncated": len(changes.problems) > MAX_SHOWN,
        "refused": changes.refused or None,
    }


# --- checking what a client sends -------------------------------------------------------


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" for ch in text)


def check_delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    message = (
        "The delimiter is comma, semicolon, tab, pipe or any other single character "
        "(not a quote, a line break or a control character)."
    )
    try:
        delimiter = parse_delimiter(value)
    except ValueError:
        raise invalid(message, field="delimiter") from None
    if delimiter != "\t" and _has_control(delimiter):
        raise invalid(message, field="delimiter")
    return delimiter


def check_encoding(value: str | None) -> str | None:
    if value is None:
        return None
    if not value or len(value) > 40 or _has_control(value):
        raise invalid(
            "The encoding is the name of a character set, such as utf-8 or cp1252.",
            field="encoding",
        )
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise invalid(
            f"The encoding {value!r} is not one this server knows; try utf-8, "
            "utf-16, cp1252 or latin-1.",
            field="encoding",
        ) from None


def check_name(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > MAX_NAME or _has_control(value):
        raise invalid(
            f"The name has at most {MAX_NAME} characters and no control characters.", field="name"
        )
    return value


def _filename(upload: FileStorage) -> str:
    name = "".join(ch for ch in upload.filename or "" if not _has_control(ch)).strip()
    return name.replace("\\", "/").rsplit("/", 1)[-1][:MAX_NAME] or "upload.csv"


def uploaded_file() -> tuple[str, bytes]:
    """The multipart part "file": its name and content (413 above the server's limit)."""
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ApiError(
            415,
            "unsupported_media_type",
            'Send the file as multipart/form-data, in a part named "file".',
        )
    upload = request.files.get("file")
    if upload is None:
        raise bad_request('Send the CSV file in a part named "file".', field="file")
    content = upload.read()
    if not content:
        raise invalid("The file is empty: there is nothing to import.", field="file")
    return _filename(upload), content


def _form_text(name: str) -> str | None:
    value = request.form.get(name)
    return value if value not in (None, "") else None


def opened_csv(
    content: bytes, delimiter: str | None, encoding: str | None, changed: str = "file"
) -> CsvFile:
    """The file as the settings read it; 422 naming ``changed`` when it cannot be read."""
    try:
        csv_file = CsvFile(content, delimiter=delimiter, encoding=encoding)
    except NotCsvError as error:
        raise invalid(sentence(str(error)), field=changed) from None
    except ValueError as error:
        raise invalid(sentence(f"the file cannot be read: {error}"), field=changed) from None
    if csv_file.is_empty:
        raise invalid("The file has no header row: there is nothing to import.", field=changed)
    return csv_file


# --- finding imports --------------------------------------------------------------------


def _require_import(tx: Transaction, user: str, import_id: int) -> SourceRecord:
    source = tx.get_source(import_id) if import_id <= MAX_ID else None
    if source is None or source.owner != user or source.kind != csv_source.KIND:
        raise not_found(f"There is no import {import_id}.")
    return source


def _source(import_id: int) -> SourceRecord:
    user = current_user()
    with store().read() as tx:
        return _require_import(tx, user, import_id)


# --- views ------------------------------------------------------------------------------


@bp.get("/fields")
def fields() -> dict[str, Any]:
    return {
        "fields": [field.to_dict() for field in all_fields()],
        "custom_prefix": CUSTOM_PREFIX,
        "delimiters": [
            {"name": name, "character": character} for name, character in DELIMITER_NAMES.items()
        ],
    }


@bp.get("/imports")
def list_imports() -> dict[str, Any]:
    user = current_user()
    with store().read() as tx:
        return {
            "imports": [
                _summary_json(tx, source)
                for source in tx.list_sources(owner=user, kind=csv_source.KIND)
            ]
        }


def book_path_for(user: str, book: str | None) -> str | None:
    """The path of the user's address book ``book`` (an id), or None when none is given;
    422 on the field "book" when there is no such book."""
    if book is None:
        return None
    refusal = invalid(
        f'There is no address book {quoted(book)}; leave out "book" to import into a new one.',
        field="book",
    )
    with store().read() as tx:
        try:
            return require_book(tx, user, book).path
        except ApiError:
            raise refusal from None


def create_from_upload(user: str) -> SourceRecord:
    """A new import (an upload sync) from the multipart form of POST /imports."""
    filename, content = uploaded_file()
    return create_upload(
        user,
        filename,
        content,
        delimiter=_form_text("delimiter"),
        encoding=_form_text("encoding"),
        name=_form_text("name"),
        book=_form_text("book"),
    )


def create_upload(
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
    name = check_name(name)
    opened_csv(content, delimiter, encoding)
    book_path = book_path_for(user, book)
    try:
        view = csv_source.create_import(
            store(),
            user,
            filename,
            content,
            name=name,
            book_path=book_path,
            delimiter=delimiter,
            encoding=encoding,
        )
    except csv_source.ImportError_ as error:
        raise invalid(sentence(str(error)), field="file") from None
    return view.source


@bp.post("/imports")
def create_import() -> tuple[dict[str, Any], int, dict[str, str]]:
    source = create_from_upload(current_user())
    return (import_json(source), 201, {"Location": location(".get_import", import_id=source.id)})


@bp.get("/imports/<int:import_id>")
def get_import(import_id: int) -> dict[str, Any]:
    return import_json(_source(import_id))


def settings_changes(body: dict[str, Any]) -> dict[str, Any]:
    """An import's settings (a body ImportSettings took) checked as values: a delimiter, an
    encoding the server knows, a key column, a mapping of known fields."""
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
            raise invalid(
                "The key column is the name of a column of the file, or null to "
                "generate a key for each contact.",
                field="key_column",
            )
        changes["key_column"] = key
    if "mapping" in body:
        try:
            changes["mapping"] = Mapping.from_json(body["mapping"]).to_json()
        except MappingError as error:
            raise invalid(sentence(f"mapping: {error}"), field="mapping") from None
    return changes


def fit_settings(source: SourceRecord, content: bytes, changes: dict[str, Any]) -> dict[str, Any]:
    """The changes checked against the file as the new settings read it.

    A new delimiter or encoding that changes the header, without a mapping in the same
    request, brings the suggested mapping for the new header (the old one was made for other
    columns), and generated keys if the key column is gone.
    """
    settings = csv_source.CsvSettings.of(source)
    delimiter = changes.get("delimiter", settings.delimiter)
    encoding = changes.get("encoding", settings.encoding)
    changed = "encoding" if "encoding" in changes else "delimiter"
    header = opened_csv(content, delimiter, encoding, changed).header
    fitted = dict(changes)
    if "mapping" not in changes and header != _header_or_none(content, settings):
        fitted["mapping"] = suggest_mapping(header).to_json()
    return _fit_header(settings, header, fitted, given=changes)


def _header_or_none(content: bytes, settings: csv_source.CsvSettings) -> list[str] | None:
    try:
        return CsvFile(content, delimiter=settings.delimiter, encoding=settings.encoding).header
    except ValueError:
        return None


def _fit_header(
    settings: csv_source.CsvSettings,
    header: list[str],
    changes: dict[str, Any],
    *,
    given: dict[str, Any],
) -> dict[str, Any]:
    """Settings that the client did not send and that ``header`` cannot use are replaced:
    the mapping by the suggestion for it, the key column by generated keys."""
    fitted = dict(changes)
    mapping = Mapping.from_json(fitted.get("mapping", settings.mapping))
    try:
        mapping.check(header)
    except MappingError as error:
        if "mapping" in given:
            raise invalid(sentence(f"mapping: {error}"), field="mapping") from None
        fitted["mapping"] = suggest_mapping(header).to_json()
    key = fitted.get("key_column", settings.key_column)
    if key is not None and key not in header:
        if "key_column" in given:
            raise invalid(
                f"The key column {key!r} is not in the file; its columns are "
                f"{', '.join(repr(name) for name in header[:20])}.",
                field="key_column",
            )
        fitted["key_column"] = None
    return fitted


def upload_content(source: SourceRecord) -> bytes:
    with store().read() as tx:
        upload = tx.get_upload(source.id)
    if upload is None:
        raise ApiError(409, "unreadable_file", "This import has no file: upload one.")
    return upload.content


def configure(source: SourceRecord, changes: dict[str, Any]) -> SourceRecord:
    try:
        return csv_source.configure(store(), source, **changes).source
    except csv_source.ImportError_ as error:
        raise invalid(sentence(str(error))) from None


def update_settings(source: SourceRecord, body: dict[str, Any]) -> SourceRecord:
    """Change the import's settings (PATCH /imports/{id}): all checked against the file."""
    changes = settings_changes(body)
    changes = fit_settings(source, upload_content(source), changes)
    return configure(source, changes)


@bp.patch("/imports/<int:import_id>")
def update_import(import_id: int) -> dict[str, Any]:
    return import_json(update_settings(_source(import_id), json_body()))


@bp.put("/imports/<int:import_id>/file")
def replace_file(import_id: int) -> dict[str, Any]:
    source = _source(import_id)
    filename, content = uploaded_file()
    return import_json(replace_upload(source, filename, content))


def replace_upload(source: SourceRecord, filename: str, content: bytes) -> SourceRecord:
    """A new file for the import; a mapping or key column it cannot use is replaced."""
    settings = csv_source.CsvSettings.of(source)
    header = opened_csv(content, settings.delimiter, settings.encoding).header
    changes = _fit_header(settings, header, {}, given={})
    try:
        csv_source.replace_file(store(), source, filename, content)
    except csv_source.ImportError_ as error:
        raise invalid(sentence(str(error)), field="file") from None
    if changes:
        source = configure(source, changes)
    return source


@bp.delete("/imports/<int:import_id>")
def delete_import(import_id: int) -> Response:
    user = current_user()
    with store().write() as tx:
        tx.delete_source(_require_import(tx, user, import_id))
    return Response(status=204)


def override_mass_deletion() -> bool:
    """``override_mass_deletion`` from an optional JSON body."""
    if not request.get_data(cache=True):
        return False
    return bool(json_body().get("override_mass_deletion", False))


@bp.post("/imports/<int:import_id>/dry-run")
def dry_run(import_id: int) -> dict[str, Any]:
    source = _source(import_id)
    override = override_mass_deletion()
    try:
        outcome = csv_source.run_import(
            store(), source, dry_run=True, override_mass_deletion=override
        )
    except RunFailed as failed:
        raise ApiError(
            422, "import_failed", sentence(f"the file cannot be imported: {failed}")
        ) from None
    return _changes_json(outcome.changes)


def run_now(source: SourceRecord) -> RunRecord:
    """Run the sync as syncs.run_sync does: one run at a time, a remote file fetched
    first, the report email sent to the sync's addresses (409 while it runs)."""
    override = override_mass_deletion()
    try:
        return run_sync(run_context(), source, override_mass_deletion=override)
    except SyncBusy:
        raise conflict(
            "sync_running",
            f"The sync {quoted(source.name)} is running already; try "
            "again when the run has finished.",
        ) from None


@bp.post("/imports/<int:import_id>/run")
def run(import_id: int) -> dict[str, Any]:
    return run_json(run_now(_source(import_id)))


@bp.get("/imports/<int:import_id>/runs")
def list_runs(import_id: int) -> dict[str, Any]:
    source = _source(import_id)
    limit = int_arg("limit", DEFAULT_RUNS, 1, MAX_RUNS)
    with store().read() as tx:
        return {"runs": [run_json(record) for record in tx.runs_of(source.id, limit=limit)]}


@bp.get("/imports/<int:import_id>/runs/<int:run_id>")
def get_run(import_id: int, run_id: int) -> dict[str, Any]:
    source = _source(import_id)
    with store().read() as tx:
        record = tx.get_run(run_id) if run_id <= MAX_ID else None
    if record is None or record.source_id != source.id:
        raise not_found(f"Import {import_id} has no run {run_id}.")
    return run_json(record)
