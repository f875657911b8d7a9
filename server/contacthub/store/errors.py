"""Errors the store raises; each says what and where in words a person reads."""


class StoreError(Exception):
    """Base class of the store's errors."""


class NotFound(StoreError):
    pass


class AlreadyExists(StoreError):
    pass


class PreconditionFailed(StoreError):
    """An If-Match or If-None-Match condition does not hold."""


class UidConflict(StoreError):
    """Another item of the same collection already has this UID."""

    def __init__(self, uid: str, href: str) -> None:
        super().__init__(f"UID {uid!r} is already used by {href!r} in this collection")
        self.uid = uid
        self.href = href


class InvalidSyncToken(StoreError, ValueError):
    """The token is malformed, from another collection, or older than the kept history.

    A ValueError, because that is what Radicale turns into 403 valid-sync-token.
    """


class UnsafeName(StoreError, ValueError):
    """A collection or item name that could escape its collection."""
