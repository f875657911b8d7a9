"""Errors the store raises; each says what and where in words a person reads."""

from types import MappingProxyType

from contacthub import errors

# Seconds a client is asked to wait before trying a refused write again.
RETRY_AFTER = 5


class StoreError(errors.UserError):
    """Base class of the store's errors."""


class NotFound(StoreError, errors.NotFound):
    pass


class AlreadyExists(StoreError):
    status = 409
    code = "already_exists"


class PreconditionFailed(StoreError):
    """An If-Match or If-None-Match condition does not hold."""

    status = 412
    code = "precondition_failed"


class UidConflict(StoreError):
    """Another item of the same collection already has this UID."""

    status = 409
    code = "uid_conflict"

    def __init__(self, uid: str, href: str) -> None:
        super().__init__(f"UID {uid!r} is already used by {href!r} in this collection")
        self.uid = uid
        self.href = href


class InvalidSyncToken(StoreError, ValueError):
    """The token is malformed, from another collection, or older than the kept history.

    A ValueError, because that is what Radicale turns into 403 valid-sync-token.
    """

    status = 403
    code = "invalid_sync_token"


class UnsafeName(StoreError, ValueError):
    """A collection or item name that could escape its collection.

    A ValueError, because callers that check a name from a request catch that.
    """


class StorageFull(StoreError):
    """The disk under the store (or under a file the server writes) is full: the change
    was not made, and reads go on. The one error every door translates (CardDAV 507,
    the API and the admin page a sentence, a run a failed run)."""

    status = 507
    code = "insufficient_storage"

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "The server's disk is full: the change was not saved. "
            "Ask the administrator to free space."
        )


class CannotWrite(StoreError):
    """A file or directory the server must write is not writable (a read-only file system,
    no permission, no such directory): says which path, what is wrong and what needs it."""

    status = 503
    code = "cannot_write"

    def __init__(self, path: str, reason: str, purpose: str) -> None:
        super().__init__(f"cannot write to {path} ({reason}): {purpose}")
        self.path = path
        self.reason = reason


class StoreBusy(StoreError):
    """A write waited for others' longer than the store's busy timeout (SQLite)."""

    status = 503
    code = "busy"
    headers = MappingProxyType({"Retry-After": str(RETRY_AFTER)})

    def __init__(self) -> None:
        super().__init__(
            f"The address book is busy with other changes; try again in {RETRY_AFTER} seconds."
        )
