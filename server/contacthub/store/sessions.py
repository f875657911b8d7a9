"""Sessions of the admin page that were signed out before their cookie expired.

The cookie itself is signed, not stored: a signed-out session is remembered here by its
random id until the cookie would have expired anyway, so every server process on one
store refuses a copy of it, and the table holds only the sessions of the last hours.
"""

from __future__ import annotations

from sqlalchemy import Executable, select
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.base import TxBase
from contacthub.store.schema import ended_sessions


def _insert_once(dialect: type[sqlite.Insert] | type[postgresql.Insert]) -> Executable:
    # Two tabs signing out of one session at once both succeed.
    return dialect(ended_sessions).on_conflict_do_nothing(index_elements=[ended_sessions.c.id])


_END_SESSION = {
    "sqlite": _insert_once(sqlite.Insert),
    "postgresql": _insert_once(postgresql.Insert),
}


class SessionsPart(TxBase):
    def end_session(self, session_id: str, expires_at: float, now: float) -> None:
        """Refuse the session from now on; forget the ended sessions that expired by `now`."""
        self.wrote_other_rows("ended_sessions")
        self.conn.execute(ended_sessions.delete().where(ended_sessions.c.expires_at < now))
        self.conn.execute(
            _END_SESSION[self.conn.dialect.name], {"id": session_id, "expires_at": expires_at}
        )

    def session_ended(self, session_id: str) -> bool:
        found = self.conn.execute(
            select(ended_sessions.c.id).where(ended_sessions.c.id == session_id)
        ).first()
        return found is not None
