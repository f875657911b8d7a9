"""Roles of accounts; the users file keeps their names and password hashes."""

from __future__ import annotations

import time

from sqlalchemy import select, update

from contacthub.store.base import TxBase
from contacthub.store.schema import accounts


class RolesPart(TxBase):
    """Who is an administrator. The table keeps its first name, "accounts"; the users file
    holds the accounts themselves (names and password hashes)."""

    def set_admin(self, name: str, is_admin: bool) -> None:
        if not self.conn.execute(
            update(accounts).where(accounts.c.name == name).values(is_admin=is_admin)
        ).rowcount:
            self.conn.execute(
                accounts.insert().values(name=name, is_admin=is_admin, created_at=time.time())
            )

    def is_admin(self, name: str) -> bool:
        return bool(
            self.conn.execute(select(accounts.c.is_admin).where(accounts.c.name == name)).scalar()
        )

    def admins(self) -> set[str]:
        rows = self.conn.execute(select(accounts.c.name).where(accounts.c.is_admin.is_(True)))
        return {row.name for row in rows}

    def forget_account(self, name: str) -> None:
        self.conn.execute(accounts.delete().where(accounts.c.name == name))
