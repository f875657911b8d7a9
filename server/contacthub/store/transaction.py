"""The store's API: one class, one file per concern (as Radicale's multifilesystem)."""

from contacthub.store.alerts import AlertsPart
from contacthub.store.app_passwords import AppPasswordsPart
from contacthub.store.base import TxBase
from contacthub.store.book_trash import BookTrashPart
from contacthub.store.changes import ChangesPart
from contacthub.store.duplicates import DuplicatesPart
from contacthub.store.figures import FiguresPart
from contacthub.store.folders import FoldersPart
from contacthub.store.groups import GroupsPart
from contacthub.store.items import ItemsPart
from contacthub.store.leases import LeasesPart
from contacthub.store.links import LinksPart
from contacthub.store.merges import MergesPart
from contacthub.store.roles import RolesPart
from contacthub.store.runs import RunsPart
from contacthub.store.search import SearchPart
from contacthub.store.sessions import SessionsPart
from contacthub.store.sources import SourcesPart
from contacthub.store.staging import StagingPart
from contacthub.store.uploads import UploadsPart


class Transaction(
    GroupsPart,
    StagingPart,
    ItemsPart,
    BookTrashPart,
    FoldersPart,
    ChangesPart,
    SearchPart,
    RolesPart,
    SourcesPart,
    LinksPart,
    MergesPart,
    RunsPart,
    UploadsPart,
    LeasesPart,
    SessionsPart,
    AppPasswordsPart,
    AlertsPart,
    DuplicatesPart,
    FiguresPart,
    TxBase,
):
    """Everything a caller may do to the store, inside one database transaction.

    A part comes before the parts it inherits (GroupsPart, StagingPart, ItemsPart,
    BookTrashPart, FoldersPart, ChangesPart), as Python's method order requires.
    """
