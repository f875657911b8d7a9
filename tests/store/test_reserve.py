"""The room a SQLite store keeps free beside it for a run that meets a full disk."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from contacthub.store import Store
from contacthub.store.reserve import RESERVE_BYTES, SpaceReserve
from tests.support.disks import SmallDisk

MiB = 1024 * 1024


def test_a_sqlite_store_keeps_room_on_its_disk_as_real_blocks(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'contacthub.db'}")
    store.close()
    reserve = tmp_path / "contacthub.db.reserve"
    assert reserve.stat().st_size == RESERVE_BYTES
    # Allocated, not sparse: deleting a sparse file would give the disk nothing.
    assert reserve.stat().st_blocks * 512 >= RESERVE_BYTES
    assert sorted(p.name for p in tmp_path.iterdir() if "reserve" in p.name) == [reserve.name]


def test_released_room_goes_back_to_the_disk_and_is_kept_again_once_there_is_room(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with SmallDisk(tmp_path / "disk", 16 * MiB) as disk:
        reserve = SpaceReserve(disk.path / "contacthub.db", size=4 * MiB)
        reserve.keep()
        assert reserve.path.is_file()
        disk.fill()
        with caplog.at_level(logging.WARNING, logger="contacthub.store.reserve"):
            reserve.release()
        assert not reserve.path.exists()
        assert disk.free_bytes() >= 4 * MiB
        assert "released the 4 MiB kept free" in caplog.text
        assert str(reserve.path) in caplog.text

        # A nearly full disk is not made fuller: room for the reserve twice over, or no file.
        reserve.keep()
        assert not reserve.path.exists()
        assert disk.free_bytes() >= 4 * MiB
        disk.free()
        reserve.keep()
        assert reserve.path.stat().st_size == 4 * MiB
        assert sorted(p.name for p in disk.path.iterdir()) == [reserve.path.name]


def test_only_a_sqlite_file_has_a_reserve(tmp_path: Path) -> None:
    assert SpaceReserve.of("sqlite://") is None
    assert SpaceReserve.of("sqlite:///:memory:") is None
    assert SpaceReserve.of("postgresql+psycopg://u@127.0.0.1/db") is None
    found = SpaceReserve.of(f"sqlite:///{tmp_path / 'a.db'}")
    assert found is not None and found.path == tmp_path / "a.db.reserve"
