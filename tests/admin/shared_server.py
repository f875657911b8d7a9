"""One `contacthub serve` for a test module, and each test's own accounts on it.

Starting a server for every admin-page test cost seconds a test. A module marked
``shared_server`` (its tests need no pristine server: no restart, no config of their own,
no wrong passwords that the throttle would count against the next test, no rows written
past the server) shares one; each test gets new accounts, so it sees nothing another
test made. Its names stay the tests' "alice" and "bob": `OwnAccounts` signs them in as
the accounts made for the test (alice-7, bob-7).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from tests.support.servers import ContacthubServer, DavSession

_numbers = itertools.count(1)


class OwnAccounts(ContacthubServer):
    """The module's running server, seen by one test: the same process, port and data
    directory, with the test's accounts under the names the test uses."""

    def __init__(self, server: ContacthubServer, logins: Mapping[str, str]) -> None:
        self.__dict__.update(server.__dict__)
        self.logins = dict(logins)
        self.users = {name: server.users[login] for name, login in self.logins.items()}

    @classmethod
    def made_on(cls, server: ContacthubServer, users: Mapping[str, str]) -> OwnAccounts:
        """New accounts on *server* for *users* (name -> password), one test's."""
        number = next(_numbers)
        logins = {name: f"{name}-{number}" for name in users}
        for name, login in logins.items():
            server.add_user(login, users[name])
        return cls(server, logins)

    def login(self, user: str) -> str:
        """The account a test's name stands for (a name of no test account: itself)."""
        return self.logins.get(user, user)

    def session(self, user: str | None = "alice", password: str | None = None) -> DavSession:
        if user is None:
            return super().session(None)
        return super().session(self.login(user), password or self.users.get(user))

    def stop(self, check: bool = True) -> int | None:
        raise AssertionError(
            "the module's server is shared: a test that stops or restarts it needs a server "
            "of its own (leave its module unmarked shared_server)"
        )
