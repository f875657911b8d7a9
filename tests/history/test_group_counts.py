"""A group card is a group, not a contact, wherever contacts are counted: the deletion
watch (its share and its least book size), the alert for a deleted book, and a deleted
book's "N contacts" in the trash and in the message of its restore. SQLite and
PostgreSQL."""

from __future__ import annotations

from contacthub.carddav.mass_delete import check_book_deletion, check_deletions
from contacthub.config import MassDeletePolicy
from contacthub.services import book_trash
from contacthub.sources.context import RunContext
from contacthub.store import Store
from contacthub.store.group_cards import new_group_card
from contacthub.vcard.parse import item_data
from contacthub_radicale.context import Deletion
from tests.history.book import PHONE, Clock, delete, put
from tests.history.test_mass_delete_alerts import deleting, fill, listed
from tests.reconcile.tiny_source import BOOK

POLICY = MassDeletePolicy()  # 50 % of a book of at least 20 within 600 s


def add_groups(store: Store, count: int, members: list[str]) -> list[str]:
    """Group cards as a phone writes them; their hrefs."""
    hrefs = []
    for number in range(count):
        href = f"group{number}.vcf"
        card = new_group_card(f"group{number}", f"Group {number}", members)
        with store.write([BOOK], actor=PHONE) as tx:
            tx.put_item(tx.require_collection(BOOK), href, item_data(card))
        hrefs.append(href)
    return hrefs


def test_a_client_deleting_its_groups_is_not_deleting_contacts(store: Store, clock: Clock) -> None:
    uids = fill(store, 20)
    groups = add_groups(store, 25, uids[:3])
    for href in groups:  # 25 of 45 cards, but no contact
        clock.turn(1.0)
        delete(store, href)
        assert check_deletions(store, POLICY, Deletion("alice", BOOK, PHONE.agent)) is None
    assert listed(store) == []

    [raised] = deleting(store, clock, uids[:11])  # 11 of the 20 contacts: more than half

    assert (raised.deleted, raised.book_size) == (11, 20)


def deleted_book_alert(store: Store, clock: Clock) -> list[tuple[int, int]]:
    """The book deleted by the phone, as the watch then looks at it: the alert's
    (deleted, book size), if one is raised."""
    clock.turn()
    with store.write([BOOK], actor=PHONE) as tx:
        [gone] = tx.delete_collection(BOOK)
    deletion = Deletion("alice", BOOK, PHONE.agent, deleted_book=gone.id)
    raised = check_book_deletion(store, POLICY, deletion)
    return [] if raised is None else [(raised.deleted, raised.book_size)]


def test_a_deleted_book_of_too_few_contacts_raises_nothing_however_many_groups(
    store: Store, clock: Clock
) -> None:
    add_groups(store, 5, fill(store, 19))
    assert deleted_book_alert(store, clock) == []


def test_a_deleted_book_alert_counts_its_contacts(store: Store, clock: Clock) -> None:
    add_groups(store, 5, fill(store, 20))
    assert deleted_book_alert(store, clock) == [(20, 20)]


def test_a_deleted_books_contacts_in_the_trash_and_its_restore_leave_groups_out(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    put(store, "bob", "Bob")
    add_groups(store, 3, ["ann"])
    clock.turn()
    with store.write([BOOK], actor=PHONE) as tx:
        tx.delete_collection(BOOK)

    [entry] = book_trash.deleted_books(ctx, "alice")
    assert entry.contacts == 2
    restored = book_trash.restore_deleted_book(ctx, "alice", entry.id)
    assert restored.contacts == 2
    assert restored.message == "'People' is back with 2 contacts."
