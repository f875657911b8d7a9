"""contacthub: one set of CardDAV address books, fed from everywhere people keep contacts."""

__version__ = "0.1.0"
