"""vCards: reading, checking, writing and editing them.

vobject reads a card's folded lines in quadratic time; every reader in the process,
Radicale's included, reads them with ours once this package is imported
(vobject_readers.py says why).
"""

from contacthub.vcard import vobject_readers

vobject_readers.install()
