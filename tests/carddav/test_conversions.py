"""The cache of converted cards: the same text for the same stored card, bounded in size."""

from __future__ import annotations

from contacthub.vcard.versions import to_v4
from contacthub_radicale.conversions import ConversionCache


def card(n: int) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:P{n}\r\nN:;P{n};;;\r\nUID:{n}\r\nEND:VCARD\r\n"


def test_a_conversion_is_made_once_and_handed_out_again() -> None:
    cache = ConversionCache()
    first = cache.converted('"e1"', card(1), "4.0")
    assert first == to_v4(card(1))
    assert cache.converted('"e1"', "not looked at", "4.0") is first
    assert cache.converted('"e1"', card(1), "3.0") == card(1)  # a version of its own


def test_the_least_recently_used_conversions_leave_when_the_cache_is_full() -> None:
    size = len(to_v4(card(1)))
    cache = ConversionCache(max_chars=size * 8 + size // 2)
    for n in range(8):
        cache.converted(f'"e{n}"', card(n), "4.0")
    cache.converted('"e0"', card(0), "4.0")  # used again: kept
    cache.converted('"e8"', card(8), "4.0")  # over the bound: e1 leaves
    assert cache.converted('"e0"', "x", "4.0") == to_v4(card(0))
    assert cache.converted('"e1"', card(1).replace("P1", "Q1"), "4.0") == to_v4(
        card(1).replace("P1", "Q1")
    )


def test_a_card_already_in_the_version_asked_is_not_kept() -> None:
    cache = ConversionCache()
    assert cache.converted('"e1"', card(1), "3.0") == card(1)
    # Not kept: the next request for that ETag reads the text it is handed.
    assert cache.converted('"e1"', card(2), "3.0") == card(2)
