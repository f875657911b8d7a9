"""The import wizard: (1) the source, an uploaded file or one fetched over HTTP or FTP, with
its delimiter and the update and delete options, or a .vcf file with the book it goes
into (imported at once: its run's report is next, as for POST /api/v1/imports/vcf);
(2) a preview of the file; (3) the mapping of its columns to contact fields, and its
unique key; (4) Run import, or for a remote file a schedule, the report's addresses and
Finish.

Step 1 makes the sync with the services of POST /api/v1/imports and /api/v1/syncs, and
every later step changes it with those of PATCH /api/v1/imports and /api/v1/syncs, so Back
shows what was saved; the bodies it hands them are checked with the API's models first.
Only the schedule step can be left unsaved (a schedule starts runs): Back keeps what it
held in the session until the step is shown again.

Drafts: a sync made by step 1 in this browser session is a draft until it is run or
finished, and Cancel deletes a draft that never ran. A draft left open is an ordinary sync
that has not run yet: the Synchronizations page lists it, where Edit takes it up again and
Delete removes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from flask import Blueprint, flash, redirect, request, session, url_for
from werkzeug.wrappers import Response

from contacthub.errors import NotFound, UserError
from contacthub.services import books, imports, syncs, vcf_imports
from contacthub.services.sources import runs_of
from contacthub.sources.csv import NOT_IMPORTED, InvalidField, all_fields, custom_field, field_info
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.fields import CUSTOM_PREFIX, takes_type_labels
from contacthub.sources.csv.origin import FTP, HTTP, UPLOAD
from contacthub.sources.csv.remote import origin_of
from contacthub.sources.settings import schedule_of
from contacthub.store import SourceRecord
from contacthub.web.admin import runs
from contacthub.web.admin.pages import FORM, FormErrors, ago, page
from contacthub.web.admin.schedules import IMPORT, Choices, ScheduleForm, described, plain
from contacthub.web.auth import current_user
from contacthub.web.bodies import ImportSettings, SyncInput, SyncSettings
from contacthub.web.context import run_context
from contacthub.web.inputs import uploaded_file
from contacthub.web.shapes import import_json
from contacthub.web.validation import check

bp = Blueprint("wizard", __name__, url_prefix="/import")

STEPS = (
    ("source", "Source"),
    ("preview", "Preview"),
    ("mapping", "Mapping"),
    ("finish", "Run or schedule"),
)
DRAFTS = "import_drafts"  # session: ids of syncs made here, not yet run or finished
HELD = "import_schedules"  # session: the schedule step's fields as Back left them

VCF = "vcf"  # a .vcf file, imported at once into a chosen or a new book
KINDS = (
    (UPLOAD, "Upload a file (CSV)"),
    (VCF, "Upload a .vcf file (vCard: a phone's, Google's, Outlook's or Apple's export)"),
    (HTTP, "Download from a web address (HTTP or HTTPS)"),
    (FTP, "Download from an FTP server"),
)
DELIMITERS = (
    ("auto", "Detect automatically"),
    ("comma", "Comma ( , )"),
    ("semicolon", "Semicolon ( ; )"),
    ("tab", "Tab"),
    ("other", "Other"),
)
_NAMED = {",": "comma", ";": "semicolon", "\t": "tab"}
ENCODINGS = (
    ("", "Detect automatically"),
    ("utf-8", "UTF-8 (Unicode)"),
    ("utf-16", "UTF-16 (Excel's “Unicode text”)"),
    ("cp1252", "Windows Western European (cp1252)"),
    ("iso8859-1", "ISO 8859-1 (Latin-1)"),
    ("iso8859-15", "ISO 8859-15 (Latin-9)"),
    ("mac-roman", "Mac Roman"),
)
# The API's field names of a source, as this form names them.
_SOURCE_FIELDS = {
    "source": "url",
    "source.url": "url",
    "source.type": "kind",
    "source.username": "username",
    "source.password": "password",
    "source.passive": "passive",
}
MAX_CUSTOM_NAME = 100


# --- the steps and drafts ---------------------------------------------------------------


def steps(current: str, sync: SourceRecord | None) -> list[dict[str, Any]]:
    """The list of steps; once the sync exists every step but the current is a link."""
    return [
        {
            "label": label,
            "current": name == current,
            "url": url_for(f".{name}", sync_id=sync.id) if sync and name != current else None,
        }
        for name, label in STEPS
    ]


def _drafts() -> list[int]:
    return [number for number in session.get(DRAFTS, []) if isinstance(number, int)]


def is_draft(sync: SourceRecord) -> bool:
    return sync.id in _drafts()


def _mark_draft(sync: SourceRecord) -> None:
    session[DRAFTS] = [*_drafts()[-19:], sync.id]


def _done(sync: SourceRecord) -> None:
    """Run or finished: no longer a draft, and no schedule form waits."""
    session[DRAFTS] = [number for number in _drafts() if number != sync.id]
    held = dict(session.get(HELD, {}))
    if held.pop(str(sync.id), None) is not None:
        session[HELD] = held


def _wizard_page(
    template: str, current: str, sync: SourceRecord | None, *, status: int = 200, **context: Any
) -> Response:
    name = f"“{sync.name}”" if sync else "a file"
    return page(
        template,
        status=status,
        steps=steps(current, sync),
        sync=sync,
        draft=sync is not None and is_draft(sync),
        title=f"Import {name}: {dict(STEPS)[current]}",
        **context,
    )


def _require_sync(sync_id: int) -> SourceRecord:
    return syncs.require_sync(run_context(), current_user(), sync_id)


@bp.post("/<int:sync_id>/cancel")
def cancel(sync_id: int) -> Response:
    """Delete a draft that never ran; anything else stays as it was saved."""
    sync = _require_sync(sync_id)
    ran = bool(runs_of(run_context(), sync, 1))
    if is_draft(sync) and not ran:
        syncs.delete_sync(run_context(), sync, "import")
        flash(f"The import “{sync.name}” is cancelled and removed.")
    _done(sync)
    return redirect(url_for("admin.syncs.index"))


# --- step 1: the source -----------------------------------------------------------------


@dataclass
class SourceForm:
    kind: str = UPLOAD
    name: str = ""
    url: str = ""
    username: str = ""
    passive: bool = True
    has_password: bool = False
    delimiter: str = "auto"
    delimiter_other: str = ""
    encoding: str = ""
    update_existing: bool = False
    delete_missing: bool = False
    filename: str = ""  # the stored file of an upload sync
    uploaded_at: float | None = None

    @classmethod
    def of(cls, sync: SourceRecord) -> SourceForm:
        settings = csv_source.CsvSettings.of(sync)
        origin = origin_of(sync)
        filename, uploaded_at = imports.uploaded(run_context(), sync)
        delimiter = settings.delimiter
        return cls(
            kind=origin.type,
            name=sync.name,
            url=origin.url,
            username=origin.username or "",
            passive=origin.passive,
            has_password=origin.sealed_password is not None,
            delimiter="auto" if delimiter is None else _NAMED.get(delimiter, "other"),
            delimiter_other="" if delimiter is None or delimiter in _NAMED else delimiter,
            encoding=settings.encoding or "",
            update_existing=settings.update_existing,
            delete_missing=settings.delete_missing,
            filename=filename or "",
            uploaded_at=uploaded_at,
        )

    @classmethod
    def posted(cls, stored: SourceForm | None = None) -> SourceForm:
        """The form as sent; an existing sync keeps its kind of source."""
        form = request.form
        kind = stored.kind if stored else form.get("kind", UPLOAD)
        kind = kind if kind in dict(KINDS) else UPLOAD
        delimiter = form.get("delimiter", "auto")
        # Only an FTP form has the passive box; HTTP keeps what it had.
        passive = (
            form.get("passive") == "yes" if kind == FTP else (stored.passive if stored else True)
        )
        return cls(
            kind=kind,
            name=form.get("name", "").strip(),
            url=form.get("url", "").strip(),
            username=form.get("username", "").strip(),
            passive=passive,
            has_password=stored.has_password if stored else False,
            delimiter=delimiter if delimiter in dict(DELIMITERS) else "auto",
            delimiter_other=form.get("delimiter_other", ""),
            encoding=form.get("encoding", ""),
            update_existing=form.get("update_existing") == "yes",
            delete_missing=form.get("delete_missing") == "yes",
            filename=stored.filename if stored else "",
            uploaded_at=stored.uploaded_at if stored else None,
        )

    @property
    def delimiter_value(self) -> str | None:
        """The delimiter as the API takes it; None to detect it."""
        if self.delimiter == "other":
            return self.delimiter_other
        return None if self.delimiter == "auto" else self.delimiter

    @property
    def encoding_value(self) -> str | None:
        return self.encoding or None

    @property
    def options(self) -> dict[str, bool]:
        return {"update_existing": self.update_existing, "delete_missing": self.delete_missing}

    def origin(self, password: str) -> dict[str, Any]:
        """The API's source form; no password keeps the saved one (same server and user)."""
        origin: dict[str, Any] = {
            "type": self.kind,
            "url": self.url,
            "username": self.username or None,
            "password": password or None,
        }
        if self.kind == FTP:
            origin["passive"] = self.passive
        return origin

    def origin_changed(self, stored: SourceForm, password: str) -> bool:
        return bool(password) or (
            (self.url, self.username, self.passive) != (stored.url, stored.username, stored.passive)
        )

    def encoding_choices(self) -> list[tuple[str, str]]:
        known = dict(ENCODINGS)
        extra = [] if self.encoding in known else [(self.encoding, self.encoding)]
        return [*ENCODINGS, *extra]


def _chosen_file() -> bool:
    upload = request.files.get("file")
    return upload is not None and bool(upload.filename)


def _checked_delimiter(form: SourceForm, errors: FormErrors) -> None:
    if form.delimiter == "other" and not form.delimiter_other:
        errors["delimiter_other"] = (
            "Type the character that separates the fields, or choose another delimiter."
        )


def _renames(form: SourceForm) -> dict[str, str]:
    """An invalid delimiter is shown next to the Other field, where it was typed."""
    delimiter = "delimiter_other" if form.delimiter == "other" else "delimiter"
    return {**_SOURCE_FIELDS, "delimiter": delimiter}


def _create(form: SourceForm, errors: FormErrors) -> SourceRecord | None:
    """The new sync, made with the API's code; None when the form is refused."""
    _checked_delimiter(form, errors)
    if form.kind == UPLOAD and not _chosen_file():
        errors["file"] = "Choose the CSV file to upload."
    if errors:
        return None
    made: SourceRecord | None = None
    with errors.catching(rename=_renames(form)):
        if form.kind == UPLOAD:
            filename, content = uploaded_file()
            made = imports.create_upload(
                run_context(),
                current_user(),
                filename,
                content,
                delimiter=form.delimiter_value,
                encoding=form.encoding_value,
                name=form.name or None,
            )
        else:
            body = {
                "source": form.origin(request.form.get("password", "")),
                "delimiter": form.delimiter_value,
                "encoding": form.encoding_value,
            }
            if form.name:  # else the file's name
                body["name"] = form.name
            made = syncs.create_remote(run_context(), current_user(), check(SyncInput, body))
    if made is not None and (form.update_existing or form.delete_missing):
        made = imports.update_settings(run_context(), made, check(ImportSettings, form.options))
    return made


def _update(sync: SourceRecord, stored: SourceForm, form: SourceForm, errors: FormErrors) -> bool:
    """Save the changed source step with the code of PATCH /syncs/{id}; then a new file
    of an upload sync (PUT /imports/{id}/file), read with the new settings."""
    _checked_delimiter(form, errors)
    if errors:
        return False
    body: dict[str, Any] = {"name": form.name, **form.options}
    if form.delimiter_value != stored.delimiter_value:
        body["delimiter"] = form.delimiter_value
    if form.encoding != stored.encoding:
        body["encoding"] = form.encoding_value
    password = request.form.get("password", "")
    if form.kind != UPLOAD and form.origin_changed(stored, password):
        body["source"] = form.origin(password)
    with errors.catching(rename=_renames(form)):
        new_file = uploaded_file() if form.kind == UPLOAD and _chosen_file() else None
        if new_file is not None:
            # A file the new settings cannot read is refused before anything is saved.
            imports.opened_csv(new_file[1], form.delimiter_value, form.encoding_value)
        changed = syncs.change_sync(run_context(), sync, check(SyncSettings, body))
        if new_file is not None:
            imports.replace_upload(run_context(), changed, *new_file)
        return True
    return False


NEW_BOOK = ""  # the book choice of a .vcf: a new book named after the file


def _import_vcf(errors: FormErrors) -> Response | None:
    """The .vcf of the form imported at once (the reconciler's run, as the API's): its
    report next; None when the form is refused."""
    upload = request.files.get("vcf_file")
    if upload is None or not upload.filename:
        errors["vcf_file"] = "Choose the .vcf file to import."
        return None
    book = request.form.get("vcf_book", NEW_BOOK)
    with errors.catching(rename={"file": "vcf_file", "book": "vcf_book"}):
        done = vcf_imports.import_vcf(
            run_context(),
            current_user(),
            imports.clean_filename(upload.filename),
            upload.read(),
            book=book or None,
            trigger="admin",
        )
        run = done.outcome.run
        assert run is not None and run.source_id is not None  # not a dry run
        return redirect(url_for("admin.runs.report", source_id=run.source_id, run_id=run.id))
    return None


def _vcf_books() -> list[tuple[str, str]]:
    found = books.books_of(run_context(), current_user())
    return [
        (NEW_BOOK, "A new address book named after the file"),
        *((book.id, book.record.display_name) for book in found),
    ]


def _source_page(form: SourceForm, errors: FormErrors, sync: SourceRecord | None) -> Response:
    return _wizard_page(
        "wizard_source.html",
        "source",
        sync,
        status=errors.status,
        form=form,
        errors=errors,
        kinds=KINDS if sync is None else KINDS[:1] + KINDS[2:],
        delimiters=DELIMITERS,
        vcf_books=_vcf_books() if sync is None else [],
        vcf_book=request.form.get("vcf_book", NEW_BOOK),
    )


@bp.route("/", methods=["GET", "POST"])
def start() -> Response:
    """Step 1 of a new import."""
    if request.method == "GET":
        return _source_page(SourceForm(), FormErrors(), None)
    form = SourceForm.posted()
    errors = FormErrors()
    if form.kind == VCF:
        return _import_vcf(errors) or _source_page(form, errors, None)
    made = _create(form, errors)
    if made is None:
        return _source_page(form, errors, None)
    _mark_draft(made)
    return redirect(url_for(".preview", sync_id=made.id))


@bp.route("/<int:sync_id>/source", methods=["GET", "POST"])
def source(sync_id: int) -> Response:
    """Step 1 of an existing sync (Back, or Edit on the Synchronizations page)."""
    sync = _require_sync(sync_id)
    stored = SourceForm.of(sync)
    if request.method == "GET":
        return _source_page(stored, FormErrors(), sync)
    form = SourceForm.posted(stored)
    errors = FormErrors()
    if _update(sync, stored, form, errors):
        return redirect(url_for(".preview", sync_id=sync.id))
    return _source_page(form, errors, sync)


# --- step 2: the preview ----------------------------------------------------------------


def _file_of(sync: SourceRecord) -> tuple[dict[str, Any] | None, str | None]:
    """The file as GET /imports/{id} shows it, or why it cannot be read."""
    try:
        return import_json(*imports.file_of(run_context(), sync)), None
    except NotFound:
        raise
    except UserError as error:
        return None, error.message


@bp.get("/<int:sync_id>/preview")
def preview(sync_id: int) -> Response:
    sync = _require_sync(sync_id)
    shown, problem = _file_of(sync)
    rows = []
    if shown is not None:
        width = len(shown["header"])
        rows = [(row + [""] * width)[:width] for row in shown["preview"]]
    return _wizard_page(
        "wizard_preview.html",
        "preview",
        sync,
        status=409 if problem else 200,
        file=shown,
        rows=rows,
        problem=problem,
        delimiter_words={**dict(DELIMITERS), "pipe": "Pipe ( | )"},
    )


# --- step 3: the mapping ----------------------------------------------------------------


@dataclass
class MappingRow:
    index: int
    column: str
    sample: str
    field: str  # a field id; NOT_IMPORTED when the column is not imported
    type_from: str | None = None

    def entry(self) -> dict[str, str] | None:
        if self.field == NOT_IMPORTED:
            return None
        entry = {"column": self.column, "field": self.field}
        if self.type_from is not None and takes_type_labels(self.field):
            entry["type_from"] = self.type_from
        return entry


def _stored_rows(shown: dict[str, Any]) -> list[MappingRow]:
    """A row for each column of the file: a sample value and its field as saved."""
    entries = {entry["column"]: entry for entry in shown["mapping"]["columns"]}
    rows = []
    for index, column in enumerate(shown["header"]):
        samples = (row[index] for row in shown["preview"] if index < len(row))
        entry = entries.get(column, {})
        rows.append(
            MappingRow(
                index,
                column,
                next((s for s in samples if s.strip()), ""),
                entry.get("field", NOT_IMPORTED),
                entry.get("type_from"),
            )
        )
    return rows


def _posted_rows(rows: list[MappingRow]) -> list[MappingRow]:
    """The rows with the fields chosen in the form; Remove leaves its column out."""
    removed = request.form.get("remove")
    return [
        MappingRow(
            row.index,
            row.column,
            row.sample,
            NOT_IMPORTED
            if removed == str(row.index)
            else request.form.get(f"field-{row.index}", NOT_IMPORTED),
            row.type_from,
        )
        for row in rows
    ]


def _added_field(rows: list[MappingRow], errors: FormErrors) -> None:
    """Add field: a new custom field, and the column mapped to it."""
    field_id = _custom_field_id(request.form.get("custom_name", "").strip(), errors)
    chosen = request.form.get("custom_column", "")
    row = next((row for row in rows if str(row.index) == chosen), None)
    if row is None:
        errors["custom_column"] = "Choose the column that goes into the new field."
    elif field_id is not None:
        row.field, row.type_from = field_id, None


def _custom_field_id(name: str, errors: FormErrors) -> str | None:
    if not name:
        errors["custom_name"] = "Give the new field a name."
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        errors["custom_name"] = (
            "Invalid characters found: a field name is letters, digits and spaces on one line."
        )
        return None
    if len(name) > MAX_CUSTOM_NAME:
        errors["custom_name"] = f"A field name has at most {MAX_CUSTOM_NAME} characters."
        return None
    try:
        return custom_field(name)
    except InvalidField as error:
        errors["custom_name"] = _field_words(str(error))
        return None


def _field_words(message: str) -> str:
    """The library's reason in the page's words."""
    if "needs at least one letter" in message:
        return "Invalid characters found: a field name needs at least one letter or digit."
    return message[:1].upper() + message[1:].rstrip(".") + "."


def _mapping_json(rows: list[MappingRow]) -> dict[str, Any]:
    """The API's mapping form; a column name the file repeats is mapped once."""
    columns, seen = [], set()
    for row in rows:
        entry = row.entry()
        if entry is not None and row.column not in seen:
            columns.append(entry)
            seen.add(row.column)
    return {"version": 1, "columns": columns}


def field_choices(rows: list[MappingRow]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The contact fields by group, then the custom fields this mapping uses."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for info in all_fields():
        if info.id != NOT_IMPORTED:
            groups.setdefault(info.group, []).append((info.id, info.label))
    custom = sorted({row.field for row in rows if row.field.startswith(CUSTOM_PREFIX)})
    if custom:
        groups["Custom fields"] = [(field_id, field_info(field_id).label) for field_id in custom]
    return list(groups.items())


_NEXT = {"next": ".finish", "back": ".preview"}


@bp.route("/<int:sync_id>/mapping", methods=["GET", "POST"])
def mapping(sync_id: int) -> Response:
    sync = _require_sync(sync_id)
    shown, problem = _file_of(sync)
    if shown is None:
        return redirect(url_for(".preview", sync_id=sync.id))
    rows = _stored_rows(shown)
    key = shown["key_column"] or ""
    errors = FormErrors()
    if request.method == "POST":
        rows = _posted_rows(rows)
        key = request.form.get("key_column", "")
        action = request.form.get("action", "apply")
        if action == "add":
            _added_field(rows, errors)
        if not errors:
            with errors.catching():
                body = {"mapping": _mapping_json(rows), "key_column": key or None}
                imports.update_settings(run_context(), sync, check(ImportSettings, body))
        if not errors:
            if action in _NEXT:
                return redirect(url_for(_NEXT[action], sync_id=sync.id))
            flash("The mapping is saved.")
            return redirect(url_for(".mapping", sync_id=sync.id))
    return _wizard_page(
        "wizard_mapping.html",
        "mapping",
        sync,
        status=errors.status,
        rows=rows,
        key=key,
        errors=errors,
        choices=field_choices(rows),
        not_imported=NOT_IMPORTED,
        column_choices=[("", "Choose a column"), *((str(row.index), row.column) for row in rows)],
        key_choices=[
            ("", "Generate unique key automatically"),
            *((column, column) for column in shown["header"]),
        ],
        custom_name=request.form.get("custom_name", "") if errors else "",
        custom_column=request.form.get("custom_column", ""),
    )


# --- step 4: run, or schedule and finish ------------------------------------------------

CHOICES = Choices(IMPORT)


def _save_schedule(
    sync: SourceRecord, form: ScheduleForm, errors: FormErrors
) -> SourceRecord | None:
    """Save the schedule and addresses with the code of PATCH /syncs/{id}."""
    body: dict[str, Any] = {"notify": form.notify}
    if origin_of(sync).is_remote:
        body["schedule"] = form.schedule_json(errors, IMPORT)
    if errors:
        return None
    with errors.catching():
        return syncs.change_sync(run_context(), sync, check(SyncSettings, body))
    plain(errors, IMPORT)
    return None


def _saved_words(sync: SourceRecord) -> str:
    words = f"The sync “{sync.name}” is saved."
    schedule = schedule_of(sync)
    if schedule is not None:
        words += f" It runs {schedule.describe()}."
    if sync.next_run_at is not None:
        words += f" Next import: {ago(sync.next_run_at)}."
    return words


def _held(sync: SourceRecord) -> ScheduleForm | None:
    saved = session.get(HELD, {}).get(str(sync.id))
    try:
        return ScheduleForm(**saved) if isinstance(saved, dict) else None
    except TypeError:
        return None


def _hold(sync: SourceRecord, form: ScheduleForm) -> None:
    held = {key: value for key, value in session.get(HELD, {}).items() if key != str(sync.id)}
    session[HELD] = {**dict(list(held.items())[-4:]), str(sync.id): asdict(form)}


def _finish_page(sync: SourceRecord, form: ScheduleForm, errors: FormErrors) -> Response:
    return _wizard_page(
        "wizard_finish.html",
        "finish",
        sync,
        status=errors.status,
        form=form,
        errors=errors,
        remote=origin_of(sync).is_remote,
        choices=CHOICES,
        saved=described(sync),
    )


@bp.route("/<int:sync_id>/finish", methods=["GET", "POST"])
def finish(sync_id: int) -> Response:
    sync = _require_sync(sync_id)
    if request.method == "GET":
        return _finish_page(sync, _held(sync) or ScheduleForm.of(sync), FormErrors())
    form = ScheduleForm.posted()
    action = request.form.get("action", "finish")
    if action == "back":
        _hold(sync, form)
        return redirect(url_for(".mapping", sync_id=sync.id))
    errors = FormErrors()
    saved = _save_schedule(sync, form, errors)
    if saved is None:
        if not errors:
            errors[FORM] = "The settings could not be saved."
        return _finish_page(sync, form, errors)
    _done(saved)
    if action == "run":
        return runs.start(saved)
    flash(_saved_words(saved))
    return redirect(url_for("admin.syncs.index"))
