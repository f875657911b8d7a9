"""benchmarks/load_test.py's check of acknowledged writes: it must see each kind of loss
(its run exits 1 only if it does), and nothing where nothing was lost."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "load_test.py"


@pytest.fixture(scope="module")
def load_test() -> ModuleType:
    spec = importlib.util.spec_from_file_location("load_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["load_test"] = module
    spec.loader.exec_module(module)
    return module


BOOK = "/user00/contacts"


def card(marker: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\nNOTE:{marker}\r\nEND:VCARD\r\n"


def test_nothing_lost_when_the_store_holds_what_was_acknowledged(load_test: ModuleType) -> None:
    expected = {
        f"{BOOK}/a.vcf": "m2",
        f"{BOOK}/b.vcf": load_test.DELETED,
        f"{BOOK}/c.vcf": load_test.UNKNOWN,
    }
    held = {f"{BOOK}/a.vcf": card("m2"), f"{BOOK}/b.vcf": None, f"{BOOK}/c.vcf": card("m9")}
    assert load_test.lost_writes(expected, held) == []


def test_a_missing_card_is_a_lost_put(load_test: ModuleType) -> None:
    lost = load_test.lost_writes({f"{BOOK}/a.vcf": "m1"}, {})
    assert lost == [f"{BOOK}/a.vcf: written (201/204) and missing"]


def test_an_older_version_is_a_lost_put(load_test: ModuleType) -> None:
    lost = load_test.lost_writes({f"{BOOK}/a.vcf": "m2"}, {f"{BOOK}/a.vcf": card("m1")})
    assert lost == [f"{BOOK}/a.vcf: holds an older version than the one acknowledged"]


def test_a_card_still_there_is_a_lost_delete(load_test: ModuleType) -> None:
    lost = load_test.lost_writes({f"{BOOK}/a.vcf": load_test.DELETED}, {f"{BOOK}/a.vcf": card("m")})
    assert lost == [f"{BOOK}/a.vcf: deleted (204) and still there"]


def test_a_write_without_an_answer_promises_nothing(load_test: ModuleType) -> None:
    assert load_test.lost_writes({f"{BOOK}/a.vcf": load_test.UNKNOWN}, {}) == []
