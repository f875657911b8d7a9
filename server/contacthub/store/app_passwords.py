"""App passwords: a secret per device of an account, kept as its hash, with how CardDAV
shows that device the account's books; and the account's choice to refuse its main
password for CardDAV (a column of `accounts`)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError

from contacthub.store.actor import MAX_AGENT
from contacthub.store.base import TxBase
from contacthub.store.errors import AlreadyExists
from contacthub.store.records import AppPassword, BookView
from contacthub.store.schema import accounts, app_passwords

_LISTED = (
    app_passwords.c.id,
    app_passwords.c.owner,
    app_passwords.c.name,
    app_passwords.c.created_at,
    app_passwords.c.last_used_at,
    app_passwords.c.book_view,
    app_passwords.c.last_user_agent,
)


# Built once: CardDAV asks at every request signed in with an account's own password.
_REQUIRES_APP_PASSWORD = select(accounts.c.carddav_requires_app_password).where(
    accounts.c.name == bindparam("owner")
)


class AppPasswordsPart(TxBase):
    def add_app_password(
        self,
        owner: str,
        name: str,
        secret_hash: str,
        now: float,
        book_view: BookView | None = None,
    ) -> AppPassword:
        try:
            with self.savepoint():
                new_id = self.conn.execute(
                    app_passwords.insert()
                    .values(
                        owner=owner,
                        name=name,
                        secret_hash=secret_hash,
                        created_at=now,
                        book_view=book_view,
                    )
                    .returning(app_passwords.c.id)
                ).scalar_one()
        except IntegrityError:
            # The name is taken (two requests at once); a secret repeats never in practice.
            raise AlreadyExists(f"{owner} already has an app password named {name!r}") from None
        return AppPassword(
            id=new_id,
            owner=owner,
            name=name,
            created_at=now,
            last_used_at=None,
            book_view=book_view,
        )

    def app_passwords_of(self, owner: str) -> list[AppPassword]:
        rows = self.conn.execute(
            select(*_LISTED)
            .where(app_passwords.c.owner == owner)
            .order_by(app_passwords.c.created_at, app_passwords.c.id)
        )
        return [AppPassword.from_row(row) for row in rows]

    def find_app_password(self, owner: str, name: str) -> AppPassword | None:
        row = self.conn.execute(
            select(*_LISTED).where(app_passwords.c.owner == owner, app_passwords.c.name == name)
        ).first()
        return AppPassword.from_row(row) if row else None

    def app_password_with_hash(self, owner: str, secret_hash: str) -> AppPassword | None:
        """The owner's app password whose secret has this hash, if any.

        The database compares the hashes, not in constant time; it need not: a caller who
        could time it learns only how a hash of their guess compares to a stored hash,
        which tells nothing about any secret (finding a secret from its hash is
        SHA-256's preimage problem).
        """
        row = self.conn.execute(
            select(*_LISTED).where(
                app_passwords.c.secret_hash == secret_hash, app_passwords.c.owner == owner
            )
        ).first()
        return AppPassword.from_row(row) if row else None

    def set_app_password_book_view(
        self, owner: str, name: str, book_view: BookView | None
    ) -> AppPassword | None:
        """Set how the device sees the account's books (None: as recognised); the app
        password as it now is, or None if the owner has none of that name."""
        changed = self.conn.execute(
            update(app_passwords)
            .where(app_passwords.c.owner == owner, app_passwords.c.name == name)
            .values(book_view=book_view)
        )
        return self.find_app_password(owner, name) if changed.rowcount else None

    def revoke_app_password(self, owner: str, name: str) -> bool:
        """Delete it: its secret stops working at the next request. False if there was none."""
        deleted = self.conn.execute(
            app_passwords.delete().where(
                app_passwords.c.owner == owner, app_passwords.c.name == name
            )
        )
        return bool(deleted.rowcount)

    def record_app_password_uses(
        self,
        used_at: Mapping[int, float],
        *,
        every: float,
        agents: Mapping[int, str] | None = None,
    ) -> None:
        """Set each app password's last use (and the User-Agent it came with, from
        `agents`), unless one at most `every` seconds before that was already recorded
        (by another process)."""
        agents = agents or {}
        for password_id, moment in used_at.items():
            values: dict[str, object] = {"last_used_at": moment}
            if password_id in agents:
                values["last_user_agent"] = agents[password_id][:MAX_AGENT]
            self.conn.execute(
                update(app_passwords)
                .where(
                    app_passwords.c.id == password_id,
                    or_(
                        app_passwords.c.last_used_at.is_(None),
                        app_passwords.c.last_used_at < moment - every,
                    ),
                )
                .values(values)
            )

    def forget_app_passwords(self, owner: str) -> None:
        self.conn.execute(app_passwords.delete().where(app_passwords.c.owner == owner))

    def carddav_requires_app_password(self, owner: str) -> bool:
        return bool(self.conn.execute(_REQUIRES_APP_PASSWORD, {"owner": owner}).scalar())

    def set_carddav_requires_app_password(self, owner: str, required: bool) -> None:
        self.after_commit.append(self.store.note_account_rules_changed)
        if not self.conn.execute(
            update(accounts)
            .where(accounts.c.name == owner)
            .values(carddav_requires_app_password=required)
        ).rowcount:
            self.conn.execute(
                accounts.insert().values(
                    name=owner,
                    is_admin=False,
                    created_at=time.time(),
                    carddav_requires_app_password=required,
                )
            )
