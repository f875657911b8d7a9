"""The JSON request bodies of /api/v1, each shape written once.

The OpenAPI document's request components are generated from these models
(contacthub.web.openapi), and every JSON body the API receives is checked with its
operation's model before the view runs (contacthub.web.api); the admin page checks the
bodies it hands to the API's code with the same models. A docstring or description here
is the document's text. What a shape cannot say stays with the code that knows it: that
a URL's server may be fetched from, a schedule has a run after now, a name is free.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from contacthub.services.app_passwords import MAX_NAME as MAX_DEVICE_NAME
from contacthub.services.times import EXAMPLE as TIME_EXAMPLE
from contacthub.services.times import MAX_TIME
from contacthub.sources.csv.origin import MAX_URL
from contacthub.sources.imap.connection import PRESETS
from contacthub.sources.schedule import MAX_INTERVAL
from contacthub.sources.settings import MAX_RECIPIENTS
from contacthub.web.validation import LEFT_OUT, Body, Says

MAX_NAME = 255

# --- the file's settings (an import, a sync) ----------------------------------------------

Delimiter = Annotated[
    str | None,
    Field(description="comma, semicolon, tab, pipe or any other single character; null: detected."),
    Says(
        "The delimiter is comma, semicolon, tab, pipe or any other single character "
        "(not a quote, a line break or a control character)."
    ),
]
Encoding = Annotated[
    str | None,
    Field(description="utf-8, utf-16, cp1252, ...; null: detected."),
    Says("The encoding is the name of a character set, such as utf-8 or cp1252."),
]
KeyColumn = Annotated[
    str | None,
    Field(
        description="The column whose value identifies a contact; null: a 9-digit key is "
        "generated for each new contact and stored in its card."
    ),
    Says(
        "The key column is the name of a column of the file, or null to generate a key "
        "for each contact."
    ),
]
UpdateExisting = Annotated[
    bool,
    Field(description="Update contacts whose row changed."),
    Says("Set update_existing to true or false."),
]
DeleteMissing = Annotated[
    bool,
    Field(description="Delete this import's contacts whose row is gone (never other contacts)."),
    Says("Set delete_missing to true or false."),
]


class MappingEntry(Body):
    """One column and the field it goes to."""

    unknown = "Mapping: mapping entry {number}: unknown keys [{name}]."
    reported_as = "mapping"

    column: Annotated[
        str,
        Field(min_length=1, description="A column of the file."),
        Says('Mapping: mapping entry {number}: "column" must be a non-empty string.'),
    ]
    field: Annotated[
        str,
        Field(
            description="A field id of GET /api/v1/fields, custom:NAME for a custom field "
            '(stored as an X- property: "custom:Shoe size" is X-SHOE-SIZE), or none (not '
            "imported)."
        ),
        Says('Mapping: mapping entry {number}: "field" must be a string.'),
    ]
    type_from: Annotated[
        str,
        Field(
            description='Email, phone and address fields: a column whose value ("Work", '
            '"* Home", ...) sets the type row by row.'
        ),
        Says('Mapping: mapping entry {number}: "type_from" must be a string.'),
    ] = LEFT_OUT


class Mapping(Body):
    """Which column goes to which field; a column left out is not imported."""

    model_config = ConfigDict(extra="ignore")
    reported_as = "mapping"

    version: Annotated[Literal[1], Says("Mapping: unknown mapping version {input}.")] = LEFT_OUT
    columns: Annotated[
        list[MappingEntry],
        Says(
            'Mapping: a mapping is an object with a "columns" list.',
            model_type="Mapping: mapping entry {number}: expected an object, got {input}.",
        ),
    ]


MappingField = Annotated[Mapping, Says('Mapping: a mapping is an object with a "columns" list.')]


class ImportSettings(Body):
    unknown = "Unknown setting {name}; an import has {fields}."

    delimiter: Delimiter = LEFT_OUT
    encoding: Encoding = LEFT_OUT
    mapping: MappingField = LEFT_OUT
    key_column: KeyColumn = LEFT_OUT
    update_existing: UpdateExisting = LEFT_OUT
    delete_missing: DeleteMissing = LEFT_OUT


class RunOptions(Body):
    unknown = "Unknown field {name}; a run takes {fields}."

    override_mass_deletion: Annotated[
        bool,
        Field(
            description="Run even when the run would keep no more than 10% of the import's "
            "contacts."
        ),
        Says("Set override_mass_deletion to true or false."),
    ] = LEFT_OUT


# --- what a source shares: schedule and report emails ------------------------------------


class ScheduleInput(Body):
    unknown = "Unknown field {name}."

    start: Annotated[
        str,
        Field(
            description="The first possible run: a local date and time without an offset, "
            "2030-03-01T09:00 (the zone is timezone)."
        ),
        Says("Start must be a string.", missing="Start is required.", null="Start is required."),
    ]
    timezone: Annotated[
        str,
        Field(description="An IANA time zone: Europe/Tallinn, UTC."),
        Says(
            "Timezone must be a string.",
            missing="Timezone is required.",
            null="Timezone is required.",
        ),
    ]
    frequency: Annotated[
        Literal["once", "hourly", "daily", "weekly", "monthly", None],
        Field(description="Default: once."),
        Says("Frequency must be one of once, hourly, daily, weekly, monthly, not {input}."),
    ] = LEFT_OUT
    interval: Annotated[
        int,
        Field(ge=1, le=MAX_INTERVAL, description="Default: 1."),
        Says(
            "Interval must be a whole number.",
            greater_than_equal="Interval must be at least 1.",
            less_than_equal=f"Interval must be at most {MAX_INTERVAL}.",
        ),
    ] = LEFT_OUT
    weekdays: Annotated[
        list[str] | None,
        Field(description="Day names: monday ... sunday."),
        Says("Weekdays must be a list of day names.", string_type="Unknown weekday {input}."),
    ] = LEFT_OUT
    month_day: Annotated[
        int | None,
        Field(
            ge=1,
            le=31,
            description="Monthly: the day of the month (29 to 31: the last day of a shorter "
            "month).",
        ),
        Says(
            "Month_day must be a whole number.",
            greater_than_equal="Month_day must be a day from 1 to 31.",
            less_than_equal="Month_day must be a day from 1 to 31.",
        ),
    ] = LEFT_OUT
    count: Annotated[
        int | None,
        Field(ge=1, description="The range ends after this many runs."),
        Says("Count must be a whole number.", greater_than_equal="Count must be at least 1."),
    ] = LEFT_OUT
    until: Annotated[
        str | None,
        Field(
            description="The range ends with this local day (inclusive).",
            json_schema_extra={"format": "date"},
        ),
        Says("Until must be a string."),
    ] = LEFT_OUT


SyncSchedule = Annotated[
    ScheduleInput | None,
    Field(description="Remote sources only (422 for an upload); null: none."),
    Says("Schedule must be an object."),
]
AccountSchedule = Annotated[ScheduleInput | None, Says("Schedule must be an object.")]
Notify = Annotated[
    str | list[str] | None,
    Field(
        description="Addresses that get the report after each run: a list, or text "
        f"separated by commas; at most {MAX_RECIPIENTS}. Empty or null: nobody."
    ),
    Says("The notification address is an email address, or a list of them."),
]

# --- syncs ------------------------------------------------------------------------------


class SyncSourceInput(Body):
    unknown = "A source has no field {name}; it has type, url, username, password and passive."

    type: Annotated[
        Literal["upload", "http", "ftp"],
        Field(description="Taken from the URL's scheme if left out."),
        Says("The type of a source is upload, http or ftp."),
    ] = LEFT_OUT
    url: Annotated[
        str,
        Field(
            max_length=MAX_URL,
            description="http, https, ftp or ftps; a user and password in it are taken out "
            "and stored apart.",
        ),
        Says(
            "Enter the file's URL (http, https, ftp or ftps).",
            string_too_long=f"The URL has at most {MAX_URL} characters and no spaces.",
        ),
    ] = LEFT_OUT
    username: Annotated[
        str | None,
        Field(max_length=255),
        Says("The username is text of at most 255 characters, on one line."),
    ] = LEFT_OUT
    password: Annotated[
        str | None,
        Field(
            max_length=255,
            description="Stored encrypted and never shown again. Left out on a change of "
            "source: the stored one is kept while the host and user stay the same.",
            json_schema_extra={"writeOnly": True},
        ),
        Says("The password is text of at most 255 characters, on one line."),
    ] = LEFT_OUT
    passive: Annotated[
        bool,
        Field(description="FTP: passive mode (default true)."),
        Says("Set passive to true or false."),
    ] = LEFT_OUT


SyncSource = Annotated[
    SyncSourceInput,
    Says(
        "The source is an object with a type and a URL.",
        missing='Give the sync\'s source: {"url": "https://..."} (with username and '
        "password if the server asks for them).",
    ),
]
NAME_WORDS = {
    "string_too_long": f"The name has at most {MAX_NAME} characters and no control characters."
}


class SyncInput(Body):
    unknown = "Unknown field {name}; a new sync has {fields}."

    name: Annotated[
        str,
        Field(
            max_length=MAX_NAME,
            description="Made unique; the file's name without extension if left out.",
        ),
        Says("The name is text.", **NAME_WORDS),
    ] = LEFT_OUT
    book: Annotated[
        str,
        Field(
            description='The id of an address book of the user; if left out, a new book "From '
            'CSV (name)".'
        ),
        Says('There is no address book {input}; leave out "book" to import into a new one.'),
    ] = LEFT_OUT
    source: SyncSource
    delimiter: Delimiter = LEFT_OUT
    encoding: Encoding = LEFT_OUT
    schedule: SyncSchedule = LEFT_OUT
    notify: Notify = LEFT_OUT


class SyncSettings(Body):
    unknown = "Unknown field {name}; a sync has {fields}."

    name: Annotated[
        str,
        Field(min_length=1, max_length=MAX_NAME),
        Says(
            "The name is text.",
            null="Give the sync a name.",
            string_too_short="Give the sync a name.",
            **NAME_WORDS,
        ),
    ] = LEFT_OUT
    source: SyncSource = LEFT_OUT
    schedule: SyncSchedule = LEFT_OUT
    notify: Notify = LEFT_OUT
    delimiter: Delimiter = LEFT_OUT
    encoding: Encoding = LEFT_OUT
    mapping: MappingField = LEFT_OUT
    key_column: KeyColumn = LEFT_OUT
    update_existing: UpdateExisting = LEFT_OUT
    delete_missing: DeleteMissing = LEFT_OUT


# --- mail accounts ------------------------------------------------------------------------


class AccountSettings(Body):
    """A change of a mail account: only what is given changes."""

    unknown = "Unknown field {name}; an account has {fields}."

    username: Annotated[
        str,
        Field(
            description="IMAP: the login (the whole address, or the part before @). "
            "Exchange, advanced: DOMAIN\\user or user@domain."
        ),
        Says("The username is text."),
    ] = LEFT_OUT
    password: Annotated[
        str,
        Field(
            description="Stored encrypted, never shown; left out on a change, the stored one "
            "is kept.",
            json_schema_extra={"writeOnly": True},
        ),
        Says("The password is text."),
    ] = LEFT_OUT
    host: Annotated[
        str,
        Field(description="IMAP server."),
        Says("The host is text of at most 255 characters, on one line."),
    ] = LEFT_OUT
    port: Annotated[
        int,
        Field(ge=1, le=65535),
        Says("The port is a number from 1 to 65535: usually 993 with SSL, or 143."),
    ] = LEFT_OUT
    ssl: Annotated[
        bool,
        Field(description="IMAP: TLS (STARTTLS on 143)."),
        Says("Set Use SSL to true or false."),
    ] = LEFT_OUT
    starttls: Annotated[bool | None, Says("Set STARTTLS to true or false.")] = LEFT_OUT
    sent_folder: Annotated[
        str | None,
        Field(description="IMAP: the Sent folder; found by SPECIAL-USE when left out."),
        Says("The sent folder is text of at most 255 characters, on one line."),
    ] = LEFT_OUT
    preset: Annotated[
        str,
        Field(description="IMAP: a provider's server and port (see /api/v1/accounts/presets)."),
        Says(
            "Unknown provider {input}: choose one of "
            f"{', '.join(sorted(PRESETS))}, or enter the server and port."
        ),
    ] = LEFT_OUT
    email: Annotated[
        str,
        Field(description="Exchange: the address (autodiscover)."),
        Says("The email is text."),
    ] = LEFT_OUT
    server: Annotated[
        str | None,
        Field(
            description="Exchange, advanced: the server, when autodiscover fails; needed "
            "with OAuth2."
        ),
        Says("The server is text."),
    ] = LEFT_OUT
    auth: Annotated[
        Literal["password", "oauth2"],
        Field(
            description="Exchange: log in with the password (the default), or as an app "
            "registered in Azure AD (OAuth2 client credentials: client_id, tenant_id, "
            "client_secret). Left out on a change, the account keeps its way."
        ),
        Says('The auth is "password" or "oauth2" (an app registered in Azure AD).'),
    ] = LEFT_OUT
    client_id: Annotated[
        str,
        Field(description="Exchange, OAuth2: the app's Application (client) ID."),
        Says("The client_id is text."),
    ] = LEFT_OUT
    tenant_id: Annotated[
        str,
        Field(
            description="Exchange, OAuth2: the Directory (tenant) ID, or the directory's "
            "domain name."
        ),
        Says("The tenant_id is text."),
    ] = LEFT_OUT
    client_secret: Annotated[
        str,
        Field(
            description="Exchange, OAuth2: the app's client secret (its value). Stored "
            "encrypted, never shown; left out on a change, the stored one is kept.",
            json_schema_extra={"writeOnly": True},
        ),
        Says("The client secret is text."),
    ] = LEFT_OUT
    schedule: AccountSchedule = LEFT_OUT
    notify: Notify = LEFT_OUT


class AccountInput(AccountSettings):
    """A new mail account: its type and name, and the form of its type."""

    type: Annotated[
        Literal["imap", "exchange"],
        Says('Say which kind of account: "type" is "imap" or "exchange".'),
    ]
    name: Annotated[
        str,
        Field(
            max_length=MAX_NAME,
            description='The account\'s name; its book is "From IMAP (name)" or "From Exchange".',
        ),
        Says("The name is text on one line."),
    ] = LEFT_OUT


# --- books and devices ----------------------------------------------------------------------


class BookInput(Body):
    model_config = ConfigDict(extra="ignore")

    display_name: Annotated[
        str,
        Field(min_length=1, max_length=MAX_NAME),
        Says(
            "Give the address book a name (display_name).",
            string_too_long=f"The name may have at most {MAX_NAME} characters.",
        ),
    ]


class BookSettings(Body):
    unknown = "Unknown field {name}; a book's settings are {fields}."

    group_form: Annotated[
        Literal["both", "categories"],
        Field(
            description="The form a new group takes when a client writes neither form (a "
            'category no group card has yet): "both" (the default), a group card iPhones '
            'and Macs show and a category on each member; "categories", categories only, '
            "for books read only by clients that show a group card as a stray contact."
        ),
        Says('The group form is "both" or "categories".'),
    ] = LEFT_OUT


class DeviceSettings(Body):
    model_config = ConfigDict(extra="ignore")

    auto_export: Annotated[bool, Says("Set auto_export to true or false.")]


# --- app passwords ---------------------------------------------------------------------------


BooksOfDevice = Annotated[
    Literal["as-recognised", "one-book", "apart"],
    Field(
        description="How CardDAV shows this device the account's address books: "
        '"one-book", all of them as one book (what macOS Contacts can sync, each card '
        'in its own book still); "apart", each book as it is; "as-recognised" (the '
        "default), one book when the device's User-Agent is macOS's AddressBookCore, else "
        "apart. A request signed in with the account's own password is always as recognised."
    ),
    Says('The books of a device are "as-recognised", "one-book" or "apart".'),
]


class AppPasswordInput(Body):
    unknown = "Unknown field {name}; an app password has {fields}."

    name: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_DEVICE_NAME,
            description="The device it is for, such as “Anna’s iPhone”: unique among the "
            "user's app passwords, without slashes.",
        ),
        Says(
            "Give the app password the name of its device (name).",
            string_too_long=f"A device's name has at most {MAX_DEVICE_NAME} characters.",
        ),
    ]
    books: BooksOfDevice = LEFT_OUT


class AppPasswordSettings(Body):
    unknown = "Unknown field {name}; an app password's settings are {fields}."

    books: BooksOfDevice = LEFT_OUT


class SignInSettings(Body):
    unknown = "Unknown field {name}; the sign-in settings are {fields}."

    carddav_requires_app_password: Annotated[
        bool,
        Field(
            description="Refuse the account's own password for CardDAV, so that every phone "
            "and program signs in with an app password; the admin page and the API still "
            "take it."
        ),
        Says("Set carddav_requires_app_password to true or false."),
    ]


# --- history: the trash, restores, the undo of a run ---------------------------------------

MAX_UIDS = 10_000
MAX_UID = 1_000
MAX_BOOKS = 1_000
MAX_BASIS = 128

RestoreTo = Annotated[
    str,
    Field(
        max_length=MAX_TIME,
        description="The time to go back to, ISO 8601: 2024-05-01T09:30:00+02:00, or with Z "
        "for UTC; a time without an offset is read as UTC. Within the history's retention "
        "(30 days by default), not in the future.",
    ),
    Says(
        f"Give the time to restore to (to) in ISO 8601, such as {TIME_EXAMPLE}.",
        string_too_long=f"The time to restore to (to) has at most {MAX_TIME} characters.",
    ),
]
Basis = Annotated[
    str,
    Field(
        max_length=MAX_BASIS,
        description="The basis of the preview that was shown: the apply is then refused "
        "(409 changed_since_preview) if a contact it would touch changed since. Left out: "
        "applied as the contacts are now.",
    ),
    Says("The basis is the text a preview answered in basis."),
]


class TrashRestoreInput(Body):
    """Which contacts of the trash to bring back: their UIDs, or all of them."""

    unknown = "Unknown field {name}; say which contacts to bring back with uids or all."

    uids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=MAX_UID)]],
        Field(
            min_length=1,
            max_length=MAX_UIDS,
            description="The UIDs of contacts in the book's trash.",
        ),
        Says(
            "The uids are a list of the UIDs of contacts in the trash.",
            too_short="Name at least one UID in uids, or send all: true.",
            too_long=f"Bring back at most {MAX_UIDS} contacts by UID; send all: true for "
            "the whole trash.",
        ),
    ] = LEFT_OUT
    all: Annotated[
        bool,
        Field(description="true: bring back every contact of the trash (instead of uids)."),
        Says("Set all to true or false."),
    ] = LEFT_OUT


class RestorePreviewInput(Body):
    unknown = "Unknown field {name}; a restore takes {fields}."

    to: RestoreTo


class RestoreInput(RestorePreviewInput):
    basis: Basis = LEFT_OUT


class AccountRestorePreviewInput(RestorePreviewInput):
    books: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=MAX_NAME)]],
        Field(
            min_length=1,
            max_length=MAX_BOOKS,
            description="The ids of the address books to restore; left out: all of the "
            "user's books.",
        ),
        Says(
            "The books are a list of address book ids.",
            too_short="Name at least one address book in books, or leave books out for all.",
        ),
    ] = LEFT_OUT


class AccountRestoreInput(AccountRestorePreviewInput):
    basis: Basis = LEFT_OUT


class UndoInput(Body):
    unknown = "Unknown field {name}; an undo takes {fields}."

    include_later_changes: Annotated[
        bool,
        Field(
            description="Undo the run's changes to contacts that changed again after it too "
            "(default false: those are left as they are)."
        ),
        Says("Set include_later_changes to true or false."),
    ] = LEFT_OUT
    basis: Basis = LEFT_OUT


# --- merging duplicates --------------------------------------------------------------------

MAX_MERGED = 50


class MergeContact(Body):
    """One contact of a merge: its book's id and its id (href) in the book."""

    unknown = "A contact of a merge has book and href; unknown field {name}."
    reported_as = "contacts"

    book: Annotated[
        str,
        Field(min_length=1, max_length=MAX_NAME, description="The id of the contact's book."),
        Says("Each contact names its book's id in book."),
    ]
    href: Annotated[
        str,
        Field(min_length=1, max_length=1024, description="The contact's id in its book."),
        Says("Each contact names its id in href."),
    ]


MergeContacts = Annotated[
    list[MergeContact],
    Field(min_length=2, max_length=MAX_MERGED, description="The contacts to merge."),
    Says(
        "The contacts are a list of objects with book and href.",
        too_short="Name two or more contacts to merge.",
        too_long=f"Merge at most {MAX_MERGED} contacts at once.",
    ),
]


class MergePreviewInput(Body):
    unknown = "Unknown field {name}; a merge preview takes {fields}."

    contacts: MergeContacts


MergeChoices = Annotated[
    dict[str, list[Annotated[str, Field(max_length=64)]]],
    Field(
        description="Per field key of the preview, the ids of the values chosen (one for "
        "a single field, any for a union; [] leaves a field out). A field left out: "
        "the preview's default."
    ),
    Says("The choices map a field's key to a list of the ids of its values."),
]
MergeInto = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The id of the book the merged contact lives in (default: the preview's into).",
    ),
    Says("into is the id of one of your address books."),
]


class MergeInput(Body):
    unknown = "Unknown field {name}; a merge takes {fields}."

    contacts: MergeContacts
    choices: MergeChoices = LEFT_OUT
    into: MergeInto = LEFT_OUT


class GroupMergeInput(Body):
    unknown = "Unknown field {name}; the merge of a group takes {fields}."

    choices: MergeChoices = LEFT_OUT
    into: MergeInto = LEFT_OUT


# --- duplicates: the account's settings -----------------------------------------------------


class DuplicateSettingsInput(Body):
    unknown = "Unknown field {name}; the account's settings are {fields}."

    phone_region: Annotated[
        str | None,
        Field(
            max_length=2,
            description="The region of phone numbers written without a country code, as an "
            "ISO 3166 two-letter code (EE, DE, US); null: such numbers match nothing.",
        ),
        Says(
            "The phone region is a country's two-letter code, such as EE, or null.",
            string_too_long="The phone region is a country's two-letter code, such as EE.",
        ),
    ] = LEFT_OUT
    match_similar_names: Annotated[
        bool,
        Field(
            description="Offer contacts whose names alone are the same or similar (the name "
            "lane); off by default: names collide."
        ),
        Says("Set match_similar_names to true or false."),
    ] = LEFT_OUT
    auto_merge: Annotated[
        bool,
        Field(
            description="Merge the safest lane (the same email and the same full name) "
            "automatically after each run of a source, with a report; off by default."
        ),
        Says("Set auto_merge to true or false."),
    ] = LEFT_OUT


# The request components of the document, by name; nested models come with them.
MODELS: tuple[type[Body], ...] = (
    ImportSettings,
    RunOptions,
    SyncInput,
    SyncSettings,
    AccountInput,
    AccountSettings,
    BookInput,
    BookSettings,
    DeviceSettings,
    AppPasswordInput,
    AppPasswordSettings,
    SignInSettings,
    TrashRestoreInput,
    RestorePreviewInput,
    RestoreInput,
    AccountRestorePreviewInput,
    AccountRestoreInput,
    UndoInput,
    MergePreviewInput,
    MergeInput,
    GroupMergeInput,
    DuplicateSettingsInput,
)
