"""A savepoint undoes only what its block did; the transaction goes on."""

from __future__ import annotations

import pytest

from contacthub.store import Store, UidConflict
from contacthub.vcard.parse import item_data


def _card(uid: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{uid}\r\nEND:VCARD\r\n"


def test_a_failed_block_is_undone_and_the_rest_commits(store: Store) -> None:
    with store.write() as tx:
        book = tx.ensure_default_book("alice")
        tx.put_item(book, "kept.vcf", item_data(_card("kept")))
        with pytest.raises(UidConflict), tx.savepoint():
            tx.put_item(book, "undone.vcf", item_data(_card("undone")))
            tx.put_item(book, "clash.vcf", item_data(_card("kept")))
        tx.put_item(book, "after.vcf", item_data(_card("after")))
    with store.read() as tx:
        assert sorted(tx.iter_hrefs(book.id)) == ["after.vcf", "kept.vcf"]
