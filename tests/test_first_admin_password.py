"""The first admin's password, printed once at the first start, is never shaped like an
app password: a CardDAV request signed in with one would first be looked up as an app
password, one more statement for each of the admin's requests (about one generated
password in 14 was)."""

from __future__ import annotations

from contacthub.firstrun import first_admin_password
from contacthub.logins import could_be_app_password, new_secret


def test_the_first_admins_password_is_never_taken_for_an_app_password() -> None:
    assert could_be_app_password(new_secret())  # what the check looks for exists
    passwords = {first_admin_password() for _ in range(2000)}
    assert len(passwords) == 2000
    assert not [password for password in passwords if could_be_app_password(password)]
