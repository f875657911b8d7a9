"""The store's API on SQLite and on PostgreSQL (the `store_url` fixture runs both)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from contacthub.store import (
    AlreadyExists,
    InvalidSyncToken,
    ItemData,
    NotFound,
    PreconditionFailed,
    PropertyPresence,
    Store,
    TextMatch,
    UidConflict,
    UnsafeName,
    format_token,
)
from contacthub.vcard.parse import item_data


def card(uid: str, name: str, *, email: str = "", tel: str = "", org: str = "") -> ItemData:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}"]
    lines += [f"EMAIL:{email}"] if email else []
    lines += [f"TEL:{tel}"] if tel else []
    lines += [f"ORG:{org}"] if org else []
    return item_data("\r\n".join([*lines, "END:VCARD", ""]))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


@pytest.fixture
def book(store: Store) -> str:
    with store.write() as tx:
        return tx.ensure_default_book("alice").path


def test_default_book_is_listed_first_whatever_the_creation_order(store: Store) -> None:
    with store.write() as tx:
        tx.create_collection("alice/aaa", {"tag": "VADDRESSBOOK"})
        tx.ensure_default_book("alice")
        tx.create_collection("alice/0-first", {"tag": "VADDRESSBOOK"})
    with store.read() as tx:
        names = [c.name for c in tx.list_children("alice")]
        assert names == ["contacts", "aaa", "0-first"]
        assert tx.require_collection("alice/contacts").display_name == "Contacts"


def test_creating_a_book_creates_its_principal_and_refuses_duplicates(store: Store) -> None:
    with store.write() as tx:
        tx.create_collection("bob/work", {"tag": "VADDRESSBOOK"})
    with store.read() as tx:
        assert [c.path for c in tx.list_children("")] == ["bob"]
    with pytest.raises(AlreadyExists), store.write() as tx:
        tx.create_collection("bob/work")


def test_a_read_transaction_looks_each_collection_up_once(store: Store, book: str) -> None:
    """It sees one snapshot, so a second lookup (every CardDAV request makes several) is
    answered from the first, a path with no collection included."""
    sent: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("SELECT"):
            sent.append(statement)

    event.listen(store.engine, "before_cursor_execute", note)
    with store.read() as tx:
        assert set(tx.get_collections([book, "alice", "nobody"])) == {book, "alice"}
        assert len(sent) == 1
        assert tx.get_collection("nobody") is None
        assert tx.require_collection(book).path == book
        assert len(sent) == 1
        assert tx.get_collection("alice/other") is None
        assert len(sent) == 2
    with store.write() as tx:  # a writer sees what it makes
        assert tx.get_collection("alice/other") is None
        tx.create_collection("alice/other", {"tag": "VADDRESSBOOK"})
        assert tx.require_collection("alice/other").path == "alice/other"


@pytest.mark.parametrize(
    "path", ["alice/..", "alice/.hidden", "alice/a\\b", "alice/tab\there", "alice/nul\x00"]
)
def test_unsafe_collection_names_are_refused(store: Store, path: str) -> None:
    with pytest.raises(UnsafeName), store.write() as tx:
        tx.create_collection(path)
    with store.read() as tx:
        assert tx.list_children("") == []


def test_put_keeps_the_text_exactly_and_returns_the_replaced_item(store: Store, book: str) -> None:
    data = card("u1", "Ann")
    with store.write() as tx:
        collection = tx.require_collection(book)
        new, old = tx.put_item(collection, "u1.vcf", data)
    assert old is None
    with store.read() as tx:
        stored = tx.get_item(collection.id, "u1.vcf")
    assert stored is not None and stored.text == data.text and stored.etag == new.etag
    assert stored.etag.startswith('"') and stored.etag.endswith('"')
    with store.write() as tx:
        _, replaced = tx.put_item(collection, "u1.vcf", card("u1", "Ann B"))
    assert replaced is not None and replaced.text == data.text


def test_if_match_and_if_none_match(store: Store, book: str) -> None:
    with store.write() as tx:
        collection = tx.require_collection(book)
        first, _ = tx.put_item(collection, "u1.vcf", card("u1", "Ann"), if_none_match=True)
    with pytest.raises(PreconditionFailed), store.write() as tx:
        tx.put_item(collection, "u1.vcf", card("u1", "Other"), if_none_match=True)
    with pytest.raises(PreconditionFailed), store.write() as tx:
        tx.put_item(collection, "u1.vcf", card("u1", "Other"), if_match='"stale"')
    with pytest.raises(PreconditionFailed), store.write() as tx:
        tx.put_item(collection, "new.vcf", card("u2", "New"), if_match="*")
    with store.write() as tx:
        second, _ = tx.put_item(collection, "u1.vcf", card("u1", "Ann 2"), if_match=first.etag)
        tx.delete_item(collection, "u1.vcf", if_match=second.etag)
    with store.read() as tx:
        assert tx.get_item(collection.id, "u1.vcf") is None


def test_a_uid_belongs_to_one_href_per_book(store: Store, book: str) -> None:
    with store.write() as tx:
        collection = tx.require_collection(book)
        tx.put_item(collection, "a.vcf", card("same", "A"))
    with pytest.raises(UidConflict), store.write() as tx:
        tx.put_item(collection, "b.vcf", card("same", "B"))
    with store.write() as tx:
        other = tx.create_collection("alice/other", {"tag": "VADDRESSBOOK"})
        tx.put_item(other, "b.vcf", card("same", "B"))  # another book may have it


def test_failed_transaction_leaves_nothing_behind(store: Store, book: str) -> None:
    with pytest.raises(UidConflict), store.write() as tx:
        collection = tx.require_collection(book)
        tx.put_item(collection, "a.vcf", card("x", "A"))
        tx.put_item(collection, "b.vcf", card("x", "B"))
    with store.read() as tx:
        collection = tx.require_collection(book)
        assert list(tx.iter_hrefs(collection.id)) == []
        assert collection.sync_seq == 0


def test_sync_reports_each_change_once_since_a_token(store: Store, book: str) -> None:
    with store.write() as tx:
        collection = tx.require_collection(book)
        tx.put_item(collection, "keep.vcf", card("keep", "Keep"))
        tx.put_item(collection, "edit.vcf", card("edit", "Edit"))
        tx.put_item(collection, "gone.vcf", card("gone", "Gone"))
    with store.read() as tx:
        collection = tx.require_collection(book)
        token = format_token(collection, collection.sync_seq)
        assert list(tx.changed_since(collection, token)) == []
    with store.write() as tx:
        tx.put_item(collection, "edit.vcf", card("edit", "Edited"))
        tx.put_item(collection, "edit.vcf", card("edit", "Edited twice"))
        tx.delete_item(collection, "gone.vcf")
        tx.put_item(collection, "new.vcf", card("new", "New"))
    with store.read() as tx:
        collection = tx.require_collection(book)
        assert sorted(tx.changed_since(collection, token)) == ["edit.vcf", "gone.vcf", "new.vcf"]


def test_same_text_again_is_no_change(store: Store, book: str) -> None:
    with store.write() as tx:
        collection = tx.require_collection(book)
        tx.put_item(collection, "a.vcf", card("a", "A"))
    with store.read() as tx:
        before = tx.require_collection(book).sync_seq
    with store.write() as tx:
        tx.put_item(collection, "a.vcf", card("a", "A"))
    with store.read() as tx:
        assert tx.require_collection(book).sync_seq == before


def test_foreign_future_and_malformed_tokens_are_refused(store: Store, book: str) -> None:
    with store.write() as tx:
        collection = tx.require_collection(book)
        other = tx.create_collection("alice/other", {"tag": "VADDRESSBOOK"})
    for token in [format_token(other, 0), format_token(collection, 99), "http://x/1", "junk"]:
        with pytest.raises(InvalidSyncToken), store.read() as tx:
            list(tx.changed_since(collection, token))


def test_a_recreated_book_refuses_the_old_books_tokens(store: Store, book: str) -> None:
    with store.read() as tx:
        old_token = format_token(tx.require_collection(book), 0)
    with store.write(["alice", book]) as tx:  # the book goes, and comes back in alice
        tx.delete_collection(book)
        tx.ensure_default_book("alice")
    with pytest.raises(InvalidSyncToken), store.read() as tx:
        list(tx.changed_since(tx.require_collection(book), old_token))


def test_history_of_deletions_is_pruned_and_older_tokens_expire(store_url: str) -> None:
    store = Store.open(store_url, history_retention=0.2)
    with store.write() as tx:
        collection = tx.ensure_default_book("alice")
        tx.put_item(collection, "a.vcf", card("a", "A"))
        tx.put_item(collection, "b.vcf", card("b", "B"))
    with store.read() as tx:
        old_token = format_token(tx.require_collection(collection.path), 2)
    with store.write() as tx:
        tx.delete_item(collection, "a.vcf")
    time.sleep(0.3)
    with store.write() as tx:
        tx.delete_item(collection, "b.vcf")  # prunes a.vcf's entry
    with store.read() as tx:
        collection = tx.require_collection(collection.path)
        with pytest.raises(InvalidSyncToken):
            list(tx.changed_since(collection, old_token))
        fresh = format_token(collection, collection.history_floor)
        assert list(tx.changed_since(collection, fresh)) == ["b.vcf"]
    store.close()


def _pages(store: Store, path: str, token: str, members: int, text_bytes: int) -> list[list[str]]:
    """Every page from `token` on."""
    pages = []
    while True:
        with store.read() as tx:
            page = tx.changes_page(
                tx.require_collection(path), token, members=members, text_bytes=text_bytes
            )
        pages.append(page.hrefs)
        token = page.token
        if page.complete:
            return pages


def test_a_first_sync_in_pages_lists_each_item_once_and_no_deletion(
    store: Store, book: str
) -> None:
    with store.write() as tx:
        collection = tx.require_collection(book)
        for name in "abcdefg":
            tx.put_item(collection, f"{name}.vcf", card(name, name.upper()))
        tx.delete_item(collection, "c.vcf")
        tx.put_item(collection, "a.vcf", card("a", "A again"))
    pages = _pages(store, book, "", members=2, text_bytes=10**6)
    assert pages == [["b.vcf", "d.vcf"], ["e.vcf", "f.vcf"], ["g.vcf", "a.vcf"]]


def test_a_page_is_cut_by_bytes_and_the_first_item_always_fits(store: Store, book: str) -> None:
    with store.write() as tx:
        collection = tx.require_collection(book)
        for name in "abc":
            tx.put_item(collection, f"{name}.vcf", card(name, name.upper() * 500))
    assert _pages(store, book, "", members=10, text_bytes=10) == [["a.vcf"], ["b.vcf"], ["c.vcf"]]
    assert _pages(store, book, "", members=10, text_bytes=1100) == [["a.vcf", "b.vcf"], ["c.vcf"]]


def test_changes_during_a_paged_sync_arrive_in_a_later_page(store: Store, book: str) -> None:
    with store.write() as tx:
        collection = tx.require_collection(book)
        for name in "abcd":
            tx.put_item(collection, f"{name}.vcf", card(name, name.upper()))
    with store.read() as tx:
        first = tx.changes_page(tx.require_collection(book), "", members=2, text_bytes=10**6)
    assert first.hrefs == ["a.vcf", "b.vcf"] and not first.complete
    with store.write() as tx:
        tx.put_item(collection, "a.vcf", card("a", "A edited"))
        tx.delete_item(collection, "b.vcf")
        tx.delete_item(collection, "c.vcf")  # deleted after the sync began: reported
        tx.put_item(collection, "e.vcf", card("e", "E"))
    assert _pages(store, book, first.token, members=10, text_bytes=10**6) == [
        ["d.vcf", "a.vcf", "b.vcf", "c.vcf", "e.vcf"]
    ]


def test_a_first_syncs_page_token_outlives_older_pruned_history(store_url: str) -> None:
    """Cards unchanged for long sit before the history floor; the page that lists them
    must still continue (its client saw the book after the pruned deletions)."""
    store = Store.open(store_url, history_retention=0.2)
    with store.write() as tx:
        collection = tx.ensure_default_book("alice")
        for name in "abcd":
            tx.put_item(collection, f"{name}.vcf", card(name, name.upper()))
        tx.delete_item(collection, "d.vcf")
    time.sleep(0.3)
    with store.write() as tx:
        tx.put_item(collection, "e.vcf", card("e", "E"))
        tx.delete_item(collection, "e.vcf")  # prunes d.vcf's entry: the floor passes a, b, c
    assert _pages(store, collection.path, "", members=1, text_bytes=10**6) == [
        ["a.vcf"],
        ["b.vcf"],
        ["c.vcf"],
    ]
    with store.read() as tx:
        collection = tx.require_collection(collection.path)
        assert collection.history_floor > 3
        stale = format_token(collection, 1)  # an ordinary token that old has expired
        with pytest.raises(InvalidSyncToken):
            tx.changes_page(collection, stale, members=1, text_bytes=10**6)
    store.close()


@pytest.mark.parametrize("suffix", [":", ":1:", ":2:1", ":1:x", ":-1", ":1:2:3", "::1"])
def test_malformed_page_tokens_are_refused(store: Store, book: str, suffix: str) -> None:
    with store.read() as tx:
        collection = tx.require_collection(book)
        token = format_token(collection, 0).rsplit(":", 1)[0] + suffix
        with pytest.raises(InvalidSyncToken):
            tx.changes_page(collection, token, members=1, text_bytes=1)


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        (TextMatch("EMAIL", "ann@example.org", "equals"), {"ann"}),
        (TextMatch("EMAIL", "ANN@", "starts-with"), {"ann"}),
        (TextMatch("EMAIL", "example.org", "ends-with"), {"ann", "bob"}),
        (TextMatch("EMAIL", "EXAMPLE", "contains"), {"ann", "bob"}),
        (TextMatch("EMAIL", "ann@", "equals"), set()),
        (TextMatch("EMAIL", "ann", "contains", negate=True), {"bob"}),
        (TextMatch("FN", "müller", "contains"), {"bob"}),
        (TextMatch("TEL", "555", "contains"), {"ann"}),
        (TextMatch("ORG", "sales", "equals"), {"ann"}),
        (TextMatch("EMAIL", "100%", "contains"), set()),
        (TextMatch("EMAIL", "_", "contains"), set()),
        (PropertyPresence("TEL"), {"ann"}),
        (PropertyPresence("EMAIL", defined=False), {"carl"}),
    ],
)
def test_text_match_on_the_index(
    store: Store, book: str, test: TextMatch | PropertyPresence, expected: set[str]
) -> None:
    with store.write() as tx:
        collection = tx.require_collection(book)
        tx.put_item(
            collection,
            "ann.vcf",
            card("ann", "Ann", email="Ann@Example.org", tel="+1 555 0100", org="Acme;Sales"),
        )
        tx.put_item(collection, "bob.vcf", card("bob", "Bob Müller", email="bob@example.org"))
        tx.put_item(collection, "carl.vcf", card("carl", "Carl"))
    with store.read() as tx:
        found = {i.uid for i in tx.match_items(collection.id, test)}
    assert found == expected


def test_move_item_between_books_records_both_sides(store: Store, book: str) -> None:
    with store.write() as tx:
        source = tx.require_collection(book)
        target = tx.create_collection("alice/work", {"tag": "VADDRESSBOOK"})
        tx.put_item(source, "a.vcf", card("a", "A"))
    with store.read() as tx:
        source_token = format_token(tx.require_collection(book), 1)
        target_token = format_token(tx.require_collection("alice/work"), 0)
    with store.write() as tx:
        tx.move_item(source, "a.vcf", target, "moved.vcf")
    with store.read() as tx:
        source, target = tx.require_collection(book), tx.require_collection("alice/work")
        assert tx.get_item(source.id, "a.vcf") is None
        assert tx.get_item(target.id, "moved.vcf") is not None
        assert list(tx.changed_since(source, source_token)) == ["a.vcf"]
        assert list(tx.changed_since(target, target_token)) == ["moved.vcf"]


def test_move_item_refuses_a_missing_card_and_a_uid_taken_in_the_target(
    store: Store, book: str
) -> None:
    """Radicale asks first (404, 409 no-uid-conflict); the store holds the rule itself."""
    with store.write() as tx:
        source = tx.require_collection(book)
        target = tx.create_collection("alice/work", {"tag": "VADDRESSBOOK"})
        tx.put_item(source, "a.vcf", card("a", "A"))
        tx.put_item(target, "other.vcf", card("a", "A elsewhere"))
    with pytest.raises(NotFound, match="no item \x27gone.vcf\x27"), store.write() as tx:
        tx.move_item(source, "gone.vcf", target, "gone.vcf")
    with pytest.raises(UidConflict, match="\x27other.vcf\x27"), store.write() as tx:
        tx.move_item(source, "a.vcf", target, "a.vcf")
    with store.read() as tx:
        assert list(tx.iter_hrefs(source.id)) == ["a.vcf"]
        assert list(tx.iter_hrefs(target.id)) == ["other.vcf"]


def test_replace_items_makes_the_book_hold_exactly_the_new_set(store: Store, book: str) -> None:
    with store.write() as tx:
        collection = tx.require_collection(book)
        tx.put_item(collection, "old.vcf", card("old", "Old"))
        tx.put_item(collection, "kept.vcf", card("kept", "Kept"))
        replaced, added = tx.replace_items(
            collection, [("kept.vcf", card("kept", "Kept 2")), ("new.vcf", card("new", "New"))]
        )
    assert set(replaced) == {"kept.vcf"} and added == ["new.vcf"]
    with store.read() as tx:
        assert sorted(tx.iter_hrefs(collection.id)) == ["kept.vcf", "new.vcf"]


def test_deleting_a_principal_deletes_everything_below_it_only(store: Store) -> None:
    with store.write() as tx:
        tx.ensure_default_book("alice")
        tx.ensure_default_book("alice2")
        tx.put_item(tx.require_collection("alice/contacts"), "a.vcf", card("a", "A"))
        tx.delete_collection("alice")
    with store.read() as tx:
        assert tx.get_collection("alice/contacts") is None
        assert tx.get_collection("alice2/contacts") is not None
    with pytest.raises(NotFound), store.write() as tx:
        tx.delete_collection("alice")


def test_admin_roles(store: Store) -> None:
    with store.write() as tx:
        tx.set_admin("root", True)
        tx.set_admin("ann", False)
        tx.set_admin("ann", True)
        tx.forget_account("root")
    with store.read() as tx:
        assert tx.admins() == {"ann"}
        assert tx.is_admin("ann") and not tx.is_admin("root")
