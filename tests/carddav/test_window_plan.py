"""The windows a big book's listing is sent in: as many cards as fit, every card once."""

from __future__ import annotations

from contacthub_radicale.window import ListingWindow, plan


def test_windows_hold_at_most_so_many_cards_each_card_once() -> None:
    sizes = [(f"{n:02d}.vcf", 10) for n in range(7)]
    assert plan(sizes, members=3, card_bytes=1000) == [
        ListingWindow("", "02.vcf", first=True),
        ListingWindow("02.vcf", "05.vcf", first=False),
        ListingWindow("05.vcf", "06.vcf", first=False),
    ]


def test_windows_hold_at_most_so_many_bytes_and_a_bigger_card_alone() -> None:
    sizes = [("a.vcf", 40), ("b.vcf", 40), ("c.vcf", 500), ("d.vcf", 10)]
    assert plan(sizes, members=100, card_bytes=100) == [
        ListingWindow("", "b.vcf", first=True),
        ListingWindow("b.vcf", "c.vcf", first=False),
        ListingWindow("c.vcf", "d.vcf", first=False),
    ]


def test_an_empty_book_has_no_window_and_a_small_one_one() -> None:
    assert plan([]) == []
    assert plan([("a.vcf", 10)]) == [ListingWindow("", "a.vcf", first=True)]
