"""SQLiteStore's arguments are checked before a file is opened: a path that
is not one, or a timeout that is not a number of seconds, is InvalidInput
naming it; a path SQLite cannot open (a NUL in it) is a StoreError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import complaintflow as cf


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"path": 5}, "path"),
        ({"path": None}, "path"),
        ({"path": b"x.sqlite3"}, "path"),
        ({"path": ""}, "path"),  # SQLite would open a private temporary database
        ({"path": "   "}, "path"),
        ({"timeout": "30"}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"timeout": True}, "timeout"),
    ],
)
def test_bad_arguments_are_invalid_input(
    tmp_path: Path, kwargs: dict[str, Any], field: str
) -> None:
    args: dict[str, Any] = {"path": str(tmp_path / "cf.sqlite3"), **kwargs}
    with pytest.raises(cf.InvalidInput) as info:
        cf.stores.SQLiteStore(**args)
    assert str(info.value).startswith(f"{field}: must be")
    assert list(tmp_path.iterdir()) == []  # nothing created


def test_a_nul_in_the_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(cf.StoreError, match="cannot open SQLite database"):
        cf.stores.SQLiteStore(str(tmp_path / "a\x00b.sqlite3"))
    assert list(tmp_path.iterdir()) == []


def test_a_path_object_and_a_zero_timeout_open(tmp_path: Path) -> None:
    store = cf.stores.SQLiteStore(tmp_path / "cf.sqlite3", timeout=0)
    assert store.find() == []
    store.close()
