"""The store's API: one class, one file per concern (as Radicale's multifilesystem)."""

from .accounts import AccountsPart
from .base import TxBase
from .changes import ChangesPart
from .folders import FoldersPart
from .items import ItemsPart
from .leases import LeasesPart
from .links import LinksPart
from .runs import RunsPart
from .search import SearchPart
from .sources import SourcesPart
from .uploads import UploadsPart


class Transaction(
    FoldersPart, ItemsPart, ChangesPart, SearchPart, AccountsPart, SourcesPart, LinksPart,
    RunsPart, UploadsPart, LeasesPart, TxBase,
):
    """Everything a caller may do to the store, inside one database transaction."""
