"""Roles of accounts; the users file keeps their names and password hashes."""

from __future__ import annotations

import time

from sqlalchemy import Executable, select
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.base import TxBase
from contacthub.store.schema import accounts


def _upsert(dialect: type[sqlite.Insert] | type[postgresql.Insert]) -> Executable:
    statement = dialect(accounts)
    return statement.on_conflict_do_update(
        index_elements=[accounts.c.name], set_={"is_admin": statement.excluded.is_admin}
    )


_SET_ADMIN = {"sqlite": _upsert(sqlite.Insert), "postgresql": _upsert(postgresql.Insert)}


class RolesPart(TxBase):
    """Who is an administrator. The table keeps its first name, "accounts"; the users file
    holds the accounts themselves (names and password hashes)."""

    def set_admin(self, name: str, is_admin: bool) -> None:
        """Make the account an administrator or not; two at once for one name both hold."""
        self.wrote_other_rows("accounts")
        self.conn.execute(
            _SET_ADMIN[self.conn.dialect.name],
            {"name": name, "is_admin": is_admin, "created_at": time.time()},
        )

    def is_admin(self, name: str) -> bool:
        return bool(
            self.conn.execute(select(accounts.c.is_admin).where(accounts.c.name == name)).scalar()
        )

    def admins(self) -> set[str]:
        rows = self.conn.execute(select(accounts.c.name).where(accounts.c.is_admin.is_(True)))
        return {row.name for row in rows}

    def forget_account(self, name: str) -> None:
        self.wrote_other_rows("accounts")
        self.conn.execute(accounts.delete().where(accounts.c.name == name))
