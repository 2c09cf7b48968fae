"""SQLite specifics: the file, its pragmas, schema versions and migrations."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from store_helpers import T0, check_consistent, complainant, engine_on, new, run_lifecycle

import complaintflow as cf
from complaintflow.errors import StoreError
from complaintflow.stores import SQLiteStore
from complaintflow.stores._sqlite import MIGRATIONS, SCHEMA_VERSION
from complaintflow.testing import FakeClock


def test_wal_foreign_keys_and_durability(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "a.db") as store:
        conn = store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert store.schema_version == SCHEMA_VERSION
        assert "SQLiteStore" in repr(store)
    with SQLiteStore(tmp_path / "b.db", synchronous="NORMAL") as store:
        assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    with pytest.raises(StoreError, match="synchronous"):
        SQLiteStore(tmp_path / "c.db", synchronous="OFF")  # type: ignore[arg-type]


def test_the_due_query_uses_its_index(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "a.db") as store:
        plan = store._conn.execute(
            "EXPLAIN QUERY PLAN SELECT doc FROM complaints WHERE next_check IS NOT NULL "
            "AND next_check <= 5 ORDER BY next_check LIMIT 10"
        ).fetchall()
        assert "complaints_due" in str(plan)


def test_events_need_their_complaint(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "a.db") as store, pytest.raises(sqlite3.IntegrityError):
        store._conn.execute("INSERT INTO events VALUES ('ghost', 1, '{}')")


def test_data_survives_reopening(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    path = tmp_path / "a.db"
    with SQLiteStore(path) as store:
        done = run_lifecycle(engine_on(store, clock), clock)
    with SQLiteStore(path) as store:
        engine = engine_on(store, clock)
        assert engine.get(done.id) == done
        check_consistent(engine, done.id)


def test_an_old_schema_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.commit()
    conn.close()
    clock = FakeClock(T0)
    with SQLiteStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        indexes = {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master")}
        assert "complaints_due" in indexes
        done = run_lifecycle(engine_on(store, clock), clock)
        assert store.load(done.id) == done


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this complaintflow"):
        SQLiteStore(path)


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        SQLiteStore(tmp_path / "missing-dir" / "a.db")


def test_a_locked_database_is_a_store_error_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    clock = FakeClock(T0)
    with SQLiteStore(path, timeout=0.05) as store:
        engine = engine_on(store, clock)
        c = engine.submit(cf.NewComplaint(**_minimal()), actor=cf.Actor.system())
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreError, match="locked"):
                engine.handle(c.id, {"type": "acknowledge", "actor": cf.Actor.system()})
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert engine.get(c.id) == c
        check_consistent(engine, c.id)


def test_a_closed_store_raises_store_errors(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "a.db")
    store.close()
    with pytest.raises(StoreError):
        store.load("x")


def _minimal() -> dict[str, object]:
    return {"channel": "web", "complainant": cf.Party(id="u-1"), "subject": "s"}


def _read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``folder`` and its files read-only.

    Run as root, ``chmod`` does not stop writes: there the store's
    connections are opened through SQLite's read-only URI
    (``file:...?mode=ro``) instead, which refuses writes the same way, with
    the same errors from SQLite."""
    for f in folder.iterdir():
        f.chmod(0o444)
    folder.chmod(0o555)
    if os.geteuid() == 0:
        connect = sqlite3.connect

        def read_only_connect(path: str, **kw: Any) -> sqlite3.Connection:
            return connect(f"file:{path}?mode=ro", **{**kw, "uri": True})

        monkeypatch.setattr(sqlite3, "connect", read_only_connect)


def test_a_read_only_database_in_a_read_only_folder_is_a_store_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    # a database in rollback-journal mode, as another tool leaves it (the
    # store cannot switch it to WAL), and one this library made, closed
    other = sqlite3.connect(folder / "other.db")
    other.execute("CREATE TABLE t (a)")
    other.commit()
    other.close()
    clock = FakeClock(T0)
    with SQLiteStore(folder / "ours.db") as ours:
        made = run_lifecycle(engine_on(ours, clock), clock)
    _read_only(folder, monkeypatch)
    try:
        with pytest.raises(StoreError, match=r"cannot open SQLite database .*other\.db"):
            SQLiteStore(folder / "other.db")
        with pytest.raises(StoreError, match="cannot open SQLite database"):
            SQLiteStore(folder / "new.db")
        # ours opens where SQLite can read it (its WAL index needs writing a
        # file beside it, which a read-only folder refuses): reading works,
        # writing is a StoreError
        store: SQLiteStore | StoreError
        try:
            store = SQLiteStore(folder / "ours.db")
        except StoreError as e:
            store = e
        if isinstance(store, StoreError):
            assert "cannot open SQLite database" in str(store)
        else:
            with store:
                assert store.load(made.id) == made
                engine = engine_on(store, clock)
                with pytest.raises(StoreError, match=r"readonly|read-only"):
                    engine.submit(new(), actor=complainant())
    finally:
        folder.chmod(0o755)
