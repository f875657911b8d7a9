"""Exchange failures in words: what went wrong and what the user can do about it.

The words for exchangelib's own errors are in `translate`, which imports exchangelib."""

from __future__ import annotations

from contacthub.errors import LoginRefused, UserError


class ExchangeError(UserError):
    """Exchange could not be reached or refused; the message says what to do."""


class ExchangeLoginRefused(ExchangeError, LoginRefused):
    """Exchange refused the login (HTTP 401): the password, or the username, is wrong."""


class AutodiscoverFailed(ExchangeError):
    """Autodiscover found no server for the email address: the server is to be entered."""


class ChangeKeyConflict(ExchangeError):
    """The contact changed in Exchange after the change key we hold: pull before pushing."""


class ContactGone(ExchangeError):
    """The contact no longer exists in Exchange (deleted there, or moved out of Contacts)."""


class ContactRefused(ExchangeError):
    """Exchange refused the values of one contact; the other contacts may still go."""


class SyncStateExpired(ExchangeError):
    """Exchange no longer accepts the stored sync state: pull again without one."""


class ServerNotFound(ExchangeError):
    """The server's name does not resolve (the server setting is at fault, when one is given)."""


class ServerRefused(ExchangeError):
    """The address guard refuses a server's address: the one named, or one autodiscover tried,
    was redirected to or handed out. The message is the guard's."""
