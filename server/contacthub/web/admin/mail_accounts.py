"""Mail accounts: the signed-in user's IMAP mailboxes and Exchange accounts, with their
status, last run, Sync now, Schedule and Disconnect, and the two forms that connect a new one.

Everything goes through the services of /api/v1/accounts: the list, the connection test
(try_connection), connect, the schedule and report addresses (scheduling, update_account)
and disconnect (delete_source). Connect starts the first sync at once and Sync now another:
both show the runs page's progress bar, then the report.
A password is never sent back into the page: after a test, it is entered again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from contacthub.errors import NotFound
from contacthub.jobs.status import SyncStatus
from contacthub.services import mail_accounts as accounts
from contacthub.services.sources import SourceRunning, delete_source
from contacthub.sources.exchange import source as exchange_source
from contacthub.sources.imap import source as imap_source
from contacthub.sources.imap.connection import PRESETS
from contacthub.sources.registry import MAIL_ACCOUNTS
from contacthub.sources.settings import notify_of
from contacthub.store import SourceRecord
from contacthub.web.admin import runs
from contacthub.web.admin.pages import FORM, FormErrors, ago, page
from contacthub.web.admin.schedules import SYNC, Choices, ScheduleForm, described, plain
from contacthub.web.bodies import AccountSettings
from contacthub.web.context import run_context
from contacthub.web.validation import check

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

KIND_WORDS = {imap_source.KIND: "IMAP", exchange_source.KIND: "Exchange"}


# --- the list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    """One line of the list: what GET /api/v1/accounts says of the account."""

    source: SourceRecord
    account: Mapping[str, Any]  # the source module's account_json: never the password
    status: SyncStatus
    book: str  # the title of the account's address book

    @property
    def kind(self) -> str:
        return KIND_WORDS[self.source.kind]

    @property
    def login(self) -> str:
        return str(self.account.get("username") or self.account.get("email") or "")

    @property
    def server(self) -> str:
        if self.source.kind == imap_source.KIND:
            security = "SSL" if self.account.get("ssl") else "no SSL"
            return f"{self.account.get('host')} port {self.account.get('port')} ({security})"
        return str(self.account.get("server") or "found by autodiscover")

    @property
    def schedule(self) -> str | None:
        """The saved schedule in words; None when it syncs only by hand."""
        return described(self.source)

    @property
    def notify(self) -> list[str]:
        return notify_of(self.source)


def _row(state: accounts.AccountState) -> AccountRow:
    source = state.source
    return AccountRow(source, accounts.account_settings(source), state.status, state.book_title)


def _rows(user: str) -> list[AccountRow]:
    return [_row(state) for state in accounts.account_states(run_context(), user)]


# --- the two connect forms ------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectForm:
    """A connect form: its input names are "<kind>.<field>", the API's field names."""

    kind: str
    fields: tuple[str, ...]  # the inputs, the password included
    # The API's fields without an input here, and the input (or FORM) their messages stand
    # next to. "account" is the connection as a whole (a refused login names the password
    # or the username, a server that cannot be found names the server): above the form.
    elsewhere: Mapping[str, str]

    def input_name(self, name: str) -> str:
        return f"{self.kind}.{name}"

    @property
    def rename(self) -> dict[str, str]:
        """For FormErrors.catching: the API's field names to the input names."""
        moved = {
            api_field: target if target == FORM else self.input_name(target)
            for api_field, target in self.elsewhere.items()
        }
        return {name: self.input_name(name) for name in self.fields} | moved


FORMS = {
    imap_source.KIND: ConnectForm(
        imap_source.KIND,
        ("username", "password", "host", "port", "ssl", "preset", "name"),
        {"account": FORM, "starttls": "ssl", "sent_folder": FORM, "type": FORM},
    ),
    exchange_source.KIND: ConnectForm(
        exchange_source.KIND,
        ("email", "password", "username", "server", "name"),
        {
            "account": FORM,
            "auth": FORM,
            "client_id": FORM,
            "tenant_id": FORM,
            "client_secret": FORM,
            "type": FORM,
        },
    ),
}


@dataclass
class Filled:
    """A connect form as it comes back: what was typed (never the password), the messages
    next to its fields, and what a successful test found."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)
    works: str | None = None
    sent: bool = False  # the form was sent: its password has to be entered again

    @property
    def advanced_open(self) -> bool:
        """Exchange's Advanced settings show when they hold something, have an error, or
        the message of a failed login says to try them."""
        advanced = ("username", "server")
        return (
            any(self.values.get(name) for name in advanced)
            or any(self.errors.get(f"exchange.{name}") for name in advanced)
            or any(
                "Advanced settings" in self.errors.get(name, "")
                for name in ("exchange.password", FORM)
            )
        )


def _typed(form: ConnectForm) -> dict[str, Any]:
    """What the person typed, as the API's fields (the name apart)."""
    values: dict[str, Any] = {
        name: request.form.get(form.input_name(name), "") for name in form.fields if name != "ssl"
    }
    if form.kind == imap_source.KIND:
        values["ssl"] = request.form.get(form.input_name("ssl")) == "yes"
    return values


def _api_form(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key != "name"}


def _name(values: Mapping[str, Any]) -> str | None:
    return str(values.get("name") or "").strip() or None


def _shown(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key != "password"}


def _works(kind: str, found: Mapping[str, Any]) -> str:
    """What a successful test found, in words."""
    if kind == imap_source.KIND:
        folders = found.get("folders") or []
        sent = found.get("sent_folder")
        where = (
            f"sent mail is in “{sent}”"
            if sent
            else "no Sent folder was found, so only INBOX will be read"
        )
        return f"The connection works: {len(folders)} folders, {where}."
    contacts = found.get("contacts")
    if isinstance(contacts, int):
        return (
            f"The connection works: the Contacts folder holds {contacts} "
            f"contact{'' if contacts == 1 else 's'}."
        )
    return "The connection works: the Contacts folder was found."


def _index(status: int = 200, **filled: Filled) -> Response:
    forms = {kind: filled.get(kind) or Filled(values={"ssl": True}) for kind in FORMS}
    return page(
        "accounts.html",
        status=status,
        accounts=_rows(g.caller.user),
        forms=forms,
        presets=PRESETS,
        title="Mail accounts",
    )


@bp.get("/")
def index() -> Response:
    return _index()


@bp.post("/<kind>")
def connect_form(kind: str) -> Response:
    """Test connection or Connect, for one of the two forms."""
    form = FORMS.get(kind)
    if form is None:
        raise NotFound("There is no such form.")
    values = _typed(form)
    filled = Filled(values=_shown(values), sent=True)
    with filled.errors.catching(rename=form.rename):
        if request.form.get("action") == "connect":
            source = accounts.connect(
                run_context(),
                g.caller.user,
                MAIL_ACCOUNTS[kind],
                _api_form(values),
                name=_name(values),
            )
            flash(f"Connected “{source.name}”: its first sync brings in its contacts now.")
            return runs.start(source)
        found = accounts.try_connection(run_context(), MAIL_ACCOUNTS[kind], _api_form(values))
        filled.works = _works(kind, found)
    return _index(status=filled.errors.status, **{kind: filled})


# --- an account's schedule and report addresses ----------------------------------------------

CHOICES = Choices(SYNC)


def _schedule_page(source: SourceRecord, form: ScheduleForm, errors: FormErrors) -> Response:
    return page(
        "account_schedule.html",
        status=errors.status,
        source=source,
        row=_row(accounts.state_of(run_context(), source)),
        form=form,
        errors=errors,
        choices=CHOICES,
        saved=described(source),
        title=f"Schedule of {source.name}",
    )


def _save_schedule(
    source: SourceRecord, form: ScheduleForm, errors: FormErrors
) -> SourceRecord | None:
    """Save the schedule and addresses with the code of PATCH /accounts/{id}."""
    body: dict[str, Any] = {"schedule": form.schedule_json(errors, SYNC), "notify": form.notify}
    if errors:
        return None
    ctx = run_context()
    with errors.catching():
        changes = accounts.scheduling(ctx, check(AccountSettings, body))
        return accounts.update_account(ctx, source, {}, schedule=changes)
    plain(errors, SYNC)
    return None


def _saved_words(source: SourceRecord) -> str:
    words = f"The schedule of “{source.name}” is saved."
    schedule = described(source)
    words += f" It syncs {schedule}." if schedule else " It syncs when you press Sync now."
    if source.next_run_at is not None:
        words += f" Next sync: {ago(source.next_run_at)}."
    return words


@bp.route("/<int:account_id>/schedule", methods=["GET", "POST"])
def schedule(account_id: int) -> Response:
    """The account's schedule and the addresses that get the report after each sync."""
    source = accounts.require_account(run_context(), g.caller.user, account_id)
    if request.method == "GET":
        return _schedule_page(source, ScheduleForm.of(source), FormErrors())
    form = ScheduleForm.posted()
    errors = FormErrors()
    saved = _save_schedule(source, form, errors)
    if saved is None:
        if not errors:
            errors[FORM] = "The settings could not be saved."
        return _schedule_page(source, form, errors)
    flash(_saved_words(saved))
    return redirect(url_for(".index"))


@bp.post("/<int:account_id>/disconnect")
def disconnect(account_id: int) -> Response:
    """The account goes as by the API's DELETE; its contacts and book stay."""
    source = accounts.require_account(run_context(), g.caller.user, account_id)
    try:
        delete_source(run_context(), source, "account")
    except SourceRunning as running:
        flash(running.message, "error")
    else:
        flash(f"Disconnected “{source.name}”. Its contacts stay in their address book.")
    return redirect(url_for(".index"))
