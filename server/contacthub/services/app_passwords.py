"""App passwords of an account: list, create (its secret is shown once, then only its
hash is kept), revoke, and how CardDAV shows each device the account's books; and
whether CardDAV refuses the account's own password.

What an app password is and how it signs in: contacthub.logins.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

from contacthub.errors import Invalid, NotFound, quoted
from contacthub.logins import new_secret, secret_hash
from contacthub.sources.context import RunContext
from contacthub.store import BOOK_VIEWS, AlreadyExists, AppPassword, BookView
from contacthub.users import UsersFile

logger = logging.getLogger(__name__)

MAX_NAME = 100

# How a device sees the account's books, as the API and the admin page name it; the
# store keeps None for "as-recognised" (its User-Agent decides: README, "One book for
# the Mac").
AS_RECOGNISED = "as-recognised"
BOOKS_CHOICES: tuple[str, ...] = (AS_RECOGNISED, *BOOK_VIEWS)


@dataclass(frozen=True)
class NewAppPassword:
    password: AppPassword
    secret: str  # to show once: the store keeps only its hash


def check_name(value: str) -> str:
    """A device's name as a person typed it, trimmed; refused when it cannot be one."""
    name = value.strip()
    if not name:
        raise Invalid(
            "Give the app password the name of its device, such as “Anna’s iPhone”.",
            field="name",
        )
    if len(name) > MAX_NAME or "/" in name or any(unicodedata.category(c) == "Cc" for c in name):
        raise Invalid(
            f"A device's name has at most {MAX_NAME} characters, "
            "without slashes or control characters.",
            field="name",
        )
    return name


def check_books(value: str) -> BookView | None:
    """The store's value for a choice of BOOKS_CHOICES; refused when it is none of them."""
    for view in BOOK_VIEWS:
        if value == view:
            return view
    if value == AS_RECOGNISED:
        return None
    *first, last = (f'"{choice}"' for choice in BOOKS_CHOICES)
    choices = f"{', '.join(first)} or {last}"
    raise Invalid(f"The books of a device are {choices}.", field="books")


def books_choice(password: AppPassword) -> str:
    """How the device sees the books, as BOOKS_CHOICES names it."""
    return password.book_view or AS_RECOGNISED


def _require_user(ctx: RunContext, user: str) -> None:
    if not UsersFile(ctx.settings.users_file).exists(user):
        raise NotFound(f"There is no user {quoted(user)}.", field="user")


def _taken(name: str) -> Invalid:
    return Invalid(
        f"You already have an app password named {quoted(name)}: revoke it first, "
        "or choose another name.",
        field="name",
    )


def app_passwords_of(ctx: RunContext, user: str) -> list[AppPassword]:
    with ctx.store.read() as tx:
        return tx.app_passwords_of(user)


def app_password_of(ctx: RunContext, user: str, name: str) -> AppPassword:
    with ctx.store.read() as tx:
        found = tx.find_app_password(user, name)
    if found is None:
        raise NotFound(f"There is no app password named {quoted(name)}.")
    return found


def create_app_password(
    ctx: RunContext, user: str, name: str, books: str = AS_RECOGNISED
) -> NewAppPassword:
    name = check_name(name)
    book_view = check_books(books)
    _require_user(ctx, user)
    secret = new_secret()
    with ctx.store.write() as tx:
        if tx.find_app_password(user, name) is not None:
            raise _taken(name)
        try:
            created = tx.add_app_password(user, name, secret_hash(secret), ctx.now(), book_view)
        except AlreadyExists:  # made by another request meanwhile
            raise _taken(name) from None
    logger.info("app password %r of %s created", name, user)
    return NewAppPassword(created, secret)


def set_app_password_books(ctx: RunContext, user: str, name: str, books: str) -> AppPassword:
    """Set how the device sees the account's books over CardDAV, from its next request on."""
    book_view = check_books(books)
    with ctx.store.write() as tx:
        changed = tx.set_app_password_book_view(user, name, book_view)
    if changed is None:
        raise NotFound(f"There is no app password named {quoted(name)}.")
    logger.info("app password %r of %s sees the books %s", name, user, books)
    return changed


def revoke_app_password(ctx: RunContext, user: str, name: str) -> None:
    """Delete it: a device that signs in with it is refused from its next request on."""
    with ctx.store.write() as tx:
        revoked = tx.revoke_app_password(user, name)
    if not revoked:
        raise NotFound(f"There is no app password named {quoted(name)}.")
    logger.info("app password %r of %s revoked", name, user)


def carddav_requires_app_password(ctx: RunContext, user: str) -> bool:
    with ctx.store.read() as tx:
        return tx.carddav_requires_app_password(user)


def require_app_password_for_carddav(ctx: RunContext, user: str, required: bool) -> bool:
    """Refuse (or accept again) the account's own password for CardDAV, from the next
    request on; the admin page and the API take it either way."""
    _require_user(ctx, user)
    with ctx.store.write() as tx:
        tx.set_carddav_requires_app_password(user, required)
    logger.info(
        "CardDAV %s the own password of %s", "refuses" if required else "accepts again", user
    )
    return required
