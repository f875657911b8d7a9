"""exchangelib's and requests' errors, told as the ExchangeError (errors.py) they mean."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

import requests
from exchangelib import errors as ews
from oauthlib.oauth2 import OAuth2Error

from contacthub.sources.exchange.errors import (
    AutodiscoverFailed,
    ChangeKeyConflict,
    ContactGone,
    ContactRefused,
    ExchangeError,
    ExchangeLoginRefused,
    ServerNotFound,
    SyncStateExpired,
)

if TYPE_CHECKING:
    from contacthub.sources.exchange.account import ExchangeAccount

T = TypeVar("T")

# Errors about the values of the item written, not about the connection or the mailbox.
_REFUSED_VALUES = (
    ews.ErrorItemSave,
    ews.ErrorItemSavePropertyError,
    ews.ErrorInvalidPropertySet,
    ews.ErrorInvalidValueForProperty,
    ews.ErrorPropertyValidationFailure,
    ews.ErrorPropertyUpdate,
    ews.ErrorValueOutOfRange,
    ews.ErrorInvalidPropertyAppend,
    ews.ErrorInvalidPropertyDelete,
    ews.ErrorRequiredPropertyMissing,
    ews.ErrorSchemaValidation,
)


# exchangelib's names for a connection lost or refused, which no Exchange answered.
_NOT_ANSWERS = (ews.ErrorTimeoutExpired, ews.ErrorServerBusy)


def translated(account: ExchangeAccount, run: Callable[[], T]) -> T:
    """``run()``, with exchangelib's and requests' errors as ExchangeError in words.

    ``account.server`` is the EWS endpoint URL, or None when autodiscover looks for it.
    """
    try:
        return run()
    except ExchangeError:
        raise
    except (ews.ErrorIrresolvableConflict, ews.ErrorInvalidChangeKey) as error:
        raise ChangeKeyConflict(
            "the contact changed in Exchange since it was last pulled: pull again, then "
            f"push the merged card ({error})"
        ) from error
    except (ews.ErrorItemNotFound, ews.ErrorInvalidIdMalformed) as error:
        raise ContactGone(f"the contact is no longer in Exchange ({error})") from error
    except _REFUSED_VALUES as error:
        raise ContactRefused(f"Exchange refused the contact's values ({error})") from error
    except ews.ErrorInvalidSyncStateData as error:
        raise SyncStateExpired(
            "Exchange no longer accepts the stored sync state: pull again "
            "without one to read the Contacts folder from the start"
        ) from error
    except OAuth2Error as error:
        raise _token_refused(account, error) from error
    except (ews.EWSError, requests.RequestException, OSError) as error:
        raise _in_words(account, error) from error


def _token_refused(account: ExchangeAccount, error: OAuth2Error) -> ExchangeError:
    """Azure AD refused to issue the app's token (OAuth2 client credentials)."""
    tenant = account.tenant_id
    detail = f" ({error.description})" if error.description else ""
    if error.error in ("invalid_client", "unauthorized_client"):
        return ExchangeError(
            f"Azure AD refused the app credentials for tenant {tenant}: check "
            f"the client id and secret{detail}"
        )
    if "AADSTS90002" in (error.description or ""):
        return ExchangeError(f"Azure AD knows no tenant {tenant}: check the tenant id{detail}")
    code = f"{error.error}: {error.description}" if error.description else error.error
    return ExchangeError(
        f"Azure AD refused a token for the app {account.client_id} of tenant "
        f"{tenant}: check the tenant id, client id and secret ({code})"
    )


def _in_words(account: ExchangeAccount, error: Exception) -> ExchangeError:
    where = account.server or f"the Exchange server of {account.email}"
    refused = _app_refused(account, error) if account.oauth2 else None
    if refused is not None:
        return refused
    if isinstance(error, ews.RateLimitError):
        return ExchangeError(
            f"Exchange is busy and asked to wait {error.wait:.0f} s, longer than a run waits: "
            "the next run tries again"
        )
    if isinstance(error, ews.UnauthorizedError):
        return ExchangeLoginRefused(
            f"Exchange refused the login for {account.login}: check the password; if it is "
            "right, try Advanced settings: the username as DOMAIN\\user or user@domain"
        )
    if isinstance(error, ews.AutoDiscoverError):
        domain = account.email.rpartition("@")[2]
        return AutodiscoverFailed(
            f"autodiscover found no Exchange server for {domain}: enter the "
            "server in Advanced settings"
        )
    if isinstance(error, ews.ErrorFolderNotFound):
        return ExchangeError(f"the mailbox of {account.email} has no Contacts folder")
    if isinstance(error, ews.ErrorAccessDenied):
        return ExchangeError(
            f"Exchange denied {account.login} access to the contacts of "
            f"{account.email}: check the username in Advanced settings"
        )
    if isinstance(error, ews.ResponseMessageError) and not isinstance(error, _NOT_ANSWERS):
        # Exchange answered, and refused: the server setting is not at fault.
        return ExchangeError(f"Exchange answered {type(error).__name__}: {error}")
    text = _chain_text(error)
    host = _request_host(error) or (urlsplit(account.server).netloc if account.server else where)
    if "certificate verify failed" in text or "CERTIFICATE_VERIFY_FAILED" in text:
        return ExchangeError(
            f"the TLS certificate of {host} is not trusted: check the server "
            "name, or add its CA to the CA bundle"
        )
    if any(
        s in text
        for s in (
            "Name or service not known",
            "nodename nor servname",
            "Failed to resolve",
            "NameResolutionError",
            "getaddrinfo failed",
            "No address associated",
            "Temporary failure in name",
        )
    ):
        return ServerNotFound(
            f"the server {host} was not found: check the server name in Advanced settings"
        )
    if "Failed to get auth type" in text or "No valid version headers" in text:
        return ExchangeError(
            f"no Exchange Web Services answered at {where}: check the server in Advanced settings"
        )
    if "Connection refused" in text or "ConnectionRefusedError" in text:
        return ExchangeError(
            f"{host} refused the connection: check the server name and port in Advanced settings"
        )
    if isinstance(error, (ews.TransportError, requests.RequestException, OSError)):
        return ExchangeError(
            f"could not talk to Exchange at {host}: {error}; check the server in Advanced settings"
        )
    return ExchangeError(f"the Exchange request failed: {error}")


def _app_refused(account: ExchangeAccount, error: Exception) -> ExchangeError | None:
    """Exchange refused the app's token (OAuth2), or what the app may do in the mailbox."""
    if isinstance(error, ews.UnauthorizedError):
        return ExchangeError(
            f"Exchange refused the token of the app {account.client_id} for {account.email}: "
            "check that the app has the Exchange permission full_access_as_app, with admin "
            "consent"
        )
    if isinstance(error, (ews.ErrorAccessDenied, ews.ErrorImpersonateUserDenied)):
        return ExchangeError(
            f"Exchange denied the app {account.client_id} access to the "
            f"contacts of {account.email}: check the app's permissions and "
            "the tenant's application access policies"
        )
    return None


def _request_host(error: Exception) -> str | None:
    """The host of the request that failed, when requests says (a token request does)."""
    if not isinstance(error, requests.RequestException):
        return None
    url = getattr(error.request, "url", None)
    return (urlsplit(url).netloc or None) if isinstance(url, str) else None


def _chain_text(error: BaseException) -> str:
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return " | ".join(parts)
