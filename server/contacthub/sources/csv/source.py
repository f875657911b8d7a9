"""CSV syncs: the rows of a file become the contacts of one book, through the reconciler.

A CSV source keeps its settings (delimiter, encoding, mapping, key column or
generated keys, update and delete options) and its last uploaded file in the
store, so a sync can be previewed, changed and run again by any process.

Keys. With a key column, a row is matched to the contact made from the row
with the same key. With generated keys, a row is matched by its identity
(full name, first email, first phone): each new contact gets a 9-digit code,
derived from that identity and stored in its card as X-CONTACTHUB-KEY, so
the same person keeps the same code on every run; a row whose name, first
email or first phone changed is a new contact (choose a key column to
follow such edits).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from contacthub.errors import UserError
from contacthub.reconcile import Incoming, Policy, Problem, RunOutcome, run_source
from contacthub.sources.csv import (
    ContactFields,
    CsvFile,
    Mapping,
    MappingError,
    NotCsvError,
    Row,
    RowConverter,
    suggest_mapping,
)
from contacthub.sources.csv import Problem as CsvProblem
from contacthub.store import ContactIndex, ItemData, SourceRecord, Store, Transaction
from contacthub.vcard.write import to_vcard

KIND = "csv"
KEY_PROPERTY = "X-CONTACTHUB-KEY"
PREVIEW_ROWS = 10
# A preview shows what a column holds; a longer cell is cut there, with an ellipsis.
PREVIEW_CELL_CHARS = 200


class CsvImportError(UserError):
    """A setting or file that cannot be used; the message says what and where."""


@dataclass
class CsvSettings:
    delimiter: str | None = None  # None: detected
    encoding: str | None = None  # None: detected
    mapping: dict[str, Any] = field(default_factory=dict)
    key_column: str | None = None  # None: generate 9-digit keys
    update_existing: bool = False
    delete_missing: bool = False

    @classmethod
    def of(cls, source: SourceRecord) -> CsvSettings:
        known = {k: v for k, v in source.settings.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ImportView:
    """What a person sees before running: detected settings, a preview, the mapping."""

    source: SourceRecord
    settings: CsvSettings
    filename: str
    encoding: str
    encoding_detected: bool
    delimiter: str
    delimiter_detected: bool
    header: list[str]
    preview: list[list[str]]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "import"


def _open(settings: CsvSettings, content: bytes) -> CsvFile:
    try:
        return CsvFile(content, delimiter=settings.delimiter, encoding=settings.encoding)
    except NotCsvError as error:
        raise CsvImportError(str(error)) from None
    except ValueError as error:
        raise CsvImportError(f"cannot read the file: {error}") from None


def create_import(
    store: Store,
    owner: str,
    filename: str,
    content: bytes,
    *,
    name: str | None = None,
    book_path: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> ImportView:
    """A new CSV sync from an uploaded file, with a suggested mapping."""
    settings = CsvSettings(delimiter=delimiter, encoding=encoding)
    csv_file = _open(settings, content)
    settings.mapping = suggest_mapping(csv_file.header).to_json()
    name = name or PurePath(filename).stem or "import"
    with store.write([owner]) as tx:  # one new sync of the owner at a time: names stay unique
        unique = _unique_name(tx, owner, name)
        book = _book(tx, owner, unique, book_path)
        source = tx.create_source(owner, KIND, unique, book, settings.to_json())
        tx.put_upload(source.id, filename, content)
    return view(store, source)


def replace_file(store: Store, source: SourceRecord, filename: str, content: bytes) -> ImportView:
    """A new version of the sync's file (the next run imports it)."""
    _open(CsvSettings.of(source), content)
    with store.write() as tx:
        tx.put_upload(source.id, filename, content)
    return view(store, source)


def _unique_name(tx: Transaction, owner: str, name: str) -> str:
    candidate, number = name, 1
    while tx.find_source(owner, KIND, candidate) is not None:
        number += 1
        candidate = f"{name} ({number})"
    return candidate


def _book(tx: Transaction, owner: str, name: str, book_path: str | None) -> str:
    if book_path is not None:
        if not book_path.startswith(f"{owner}/"):
            raise CsvImportError(f"the book {book_path!r} is not {owner}'s")
        book = tx.get_collection(book_path)
        if book is None or book.tag != "VADDRESSBOOK":
            raise CsvImportError(f"there is no address book {book_path!r}")
        return book.path
    base = path = f"{owner}/from-csv-{_slug(name)}"
    number = 1
    while tx.get_collection(path) is not None:  # "a b" and "a-b" get books of their own
        number += 1
        path = f"{base}-{number}"
    tx.create_collection(path, {"tag": "VADDRESSBOOK", "D:displayname": f"From CSV ({name})"})
    return path


def _content(store: Store, source: SourceRecord) -> tuple[str, bytes]:
    with store.read() as tx:
        upload = tx.get_upload(source.id)
    if upload is None:
        raise CsvImportError("this sync has no file: upload one")
    return upload.filename, upload.content


def view(store: Store, source: SourceRecord) -> ImportView:
    filename, content = _content(store, source)
    settings = CsvSettings.of(source)
    csv_file = _open(settings, content)
    return ImportView(
        source=source,
        settings=settings,
        filename=filename,
        encoding=csv_file.encoding,
        encoding_detected=csv_file.encoding_detected,
        delimiter=csv_file.delimiter,
        delimiter_detected=csv_file.delimiter_detected,
        header=csv_file.header,
        preview=[[_clipped(cell) for cell in row] for row in csv_file.preview(PREVIEW_ROWS)],
    )


def _clipped(cell: str) -> str:
    return cell if len(cell) <= PREVIEW_CELL_CHARS else cell[:PREVIEW_CELL_CHARS] + "\u2026"


def configure(store: Store, source: SourceRecord, **changes: Any) -> ImportView:
    """Change settings; the mapping and key column are checked against the file's header."""
    settings = CsvSettings.of(source)
    unknown = set(changes) - set(CsvSettings.__dataclass_fields__)
    if unknown:
        raise CsvImportError(f"unknown setting {sorted(unknown)[0]!r}")
    for key, value in changes.items():
        setattr(settings, key, value)
    _, content = _content(store, source)
    header = _open(settings, content).header
    try:
        Mapping.from_json(settings.mapping).check(header)
    except MappingError as error:
        raise CsvImportError(str(error)) from None
    if settings.key_column is not None and settings.key_column not in header:
        raise CsvImportError(f"the key column {settings.key_column!r} is not in the file")
    with store.write() as tx:
        current = tx.require_source(source.id)  # keeps what other settings hold (schedule, ...)
        source = tx.update_source(current, settings={**current.settings, **settings.to_json()})
    return view(store, source)


def fit_to_header(
    settings: CsvSettings,
    header: list[str],
    changes: dict[str, Any],
    *,
    chosen: Collection[str] = (),
) -> dict[str, Any]:
    """`changes` to the settings, and what makes them fit a file with `header`: a mapping
    that does not fit becomes the suggestion for the header, a key column that is not in it
    becomes generated keys. What a person chose just now (`chosen`: "mapping",
    "key_column") is not replaced: a misfit there is a CsvImportError naming the field."""
    fitted = dict(changes)
    try:
        Mapping.from_json(fitted.get("mapping", settings.mapping)).check(header)
    except MappingError as error:
        if "mapping" in chosen:
            raise CsvImportError(f"mapping: {error}", field="mapping") from None
        fitted["mapping"] = suggest_mapping(header).to_json()
    key = fitted.get("key_column", settings.key_column)
    if key is not None and key not in header:
        if "key_column" in chosen:
            raise CsvImportError(
                f"The key column {key!r} is not in the file; its columns are "
                f"{', '.join(repr(name) for name in header[:20])}.",
                field="key_column",
            )
        fitted["key_column"] = None
    return fitted


def fit_to_file(store: Store, source: SourceRecord) -> ImportView:
    """After a new file: a mapping that does not fit its columns becomes the suggested
    one, and a key column it lacks becomes generated keys."""
    with store.read() as tx:
        source = tx.require_source(source.id)
    settings = CsvSettings.of(source)
    _, content = _content(store, source)
    changes = fit_to_header(settings, _open(settings, content).header, {})
    return configure(store, source, **changes) if changes else view(store, source)


def run_import(
    store: Store,
    source: SourceRecord,
    *,
    dry_run: bool = False,
    trigger: str = "manual",
    override_mass_deletion: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> RunOutcome:
    """Import the sync's file: one transaction, recorded as a run (not when dry)."""
    settings = CsvSettings.of(source)
    _, content = _content(store, source)
    policy = Policy(
        update_existing=settings.update_existing,
        delete_missing=settings.delete_missing,
        unattended=trigger == "schedule",
        override_mass_deletion=override_mass_deletion,
    )
    with store.read() as tx:
        known = {key: link.record_hash for key, link in tx.links_of(source.id).items()}
    return run_source(
        store,
        source,
        lambda: read_records(source, content, progress, known),
        policy,
        trigger=trigger,
        dry_run=dry_run,
    )


def read_records(
    source: SourceRecord,
    content: bytes,
    progress: Callable[[int, int], None] | None = None,
    known: dict[str, str] | None = None,
) -> tuple[list[Incoming], list[Problem]]:
    """The file's rows as records. `known` (key -> record hash of the source's links)
    spares the rows that are unchanged since the last run from being kept for a card."""
    known = known or {}
    settings = CsvSettings.of(source)
    csv_file = _open(settings, content)
    try:
        converter = RowConverter(Mapping.from_json(settings.mapping), csv_file.header)
    except MappingError as error:
        raise CsvImportError(str(error)) from None
    key_index = (
        csv_file.header.index(settings.key_column) if settings.key_column is not None else None
    )
    records: list[Incoming] = []
    problems: list[Problem] = []
    codes: set[str] = set()
    # A record's hash is of the row as read and of what turns it into a card,
    # so a new mapping updates every contact and an unchanged row costs no card.
    recipe = json.dumps(settings.mapping, sort_keys=True)
    for row in csv_file.rows():
        if progress is not None:
            progress(csv_file.bytes_read, csv_file.size)
        converted = converter.convert(row)
        problems.extend(_located(p) for p in converted.problems)
        if not converted.usable:
            continue
        fields = converted.fields
        if key_index is not None:
            key = row.cells[key_index].strip()
            if not key:
                problems.append(
                    Problem(
                        "the unique key is empty: the row is skipped",
                        line=row.line,
                        column=settings.key_column,
                    )
                )
                continue
            code = key
        else:
            key = "identity:" + _digest(_identity(fields))[:32]
            code = _nine_digit_code(source.id, key, codes)
        record_hash = _digest("\x1f".join([recipe, code, *row.cells]))
        unchanged = known.get(key) == record_hash
        records.append(
            Incoming(
                key=key,
                uid="",
                make_card=None if unchanged else _card_maker(converter, row, code),
                record_hash=record_hash,
                line=row.line,
                summary=fields.derived_full_name(),
            )
        )
    return records, problems


def _located(problem: CsvProblem) -> Problem:
    return Problem(problem.reason, line=problem.line, column=problem.column)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _identity(fields: ContactFields) -> str:
    email = fields.emails[0].value.lower() if fields.emails else ""
    phone = re.sub(r"\D", "", fields.phones[0].value) if fields.phones else ""
    return "\n".join((fields.derived_full_name().casefold(), email, phone))


def _nine_digit_code(source_id: int, key: str, taken: set[str]) -> str:
    number = int(_digest(f"{source_id}:{key}")[:15], 16) % 900_000_000 + 100_000_000
    while str(number) in taken:  # two people of one file never share a code
        number = number + 1 if number < 999_999_999 else 100_000_000
    taken.add(str(number))
    return str(number)


def _org_values(fields: ContactFields) -> tuple[str, ...]:
    """ORG as vobject reads the writer's "ORG:organisation;department"."""
    if fields.department:
        return (fields.organisation, fields.department)
    return (fields.organisation,) if fields.organisation else ()


def _card_maker(converter: RowConverter, row: Row, code: str) -> Callable[[str], ItemData]:
    """Keeps the row's cells packed in one string, not the converted fields (a
    large import holds every changed row until it is written); the rows that
    become cards are converted again. NUL never occurs: the reader refuses it."""
    packed, line, invalid = "\0".join(row.cells), row.line, row.invalid

    def make(uid: str) -> ItemData:
        fields = converter.convert(Row(line, packed.split("\0"), invalid=invalid)).fields
        # The writer's output is proven equal to vobject's reading of it
        # (tests/csv_source/test_vcard_writer.py), so the index comes from the
        # fields instead of parsing every generated card again.
        return ItemData(
            text=to_vcard(fields, uid, extra={KEY_PROPERTY: code}),
            uid=uid,
            name="VCARD",
            component_name="",
            index=ContactIndex(
                display_name=fields.derived_full_name(),
                fn=(fields.derived_full_name(),),
                emails=tuple(email.value for email in fields.emails),
                phones=tuple(phone.value for phone in fields.phones),
                orgs=_org_values(fields),
                extra=tuple(
                    sorted(
                        value
                        for value in (
                            fields.nickname,
                            *fields.categories,
                            *fields.custom.values(),
                            code,
                        )
                        if value
                    )
                ),
            ),
        )

    return make
