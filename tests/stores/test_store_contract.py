"""The store contract (``complaintflow.testing.StoreContract``), run against
the memory, SQLite and PostgreSQL stores the way a plugin author runs it
against theirs: by subclassing it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_helpers import PG_DSN, PG_SKIP, StoreFactory, drop_schema, new_schema

from complaintflow.stores import MemoryStore, PostgresStore, SQLiteStore
from complaintflow.testing import StoreContract


class TestMemoryStore(StoreContract):
    @pytest.fixture
    def store(self) -> MemoryStore:
        return MemoryStore()


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def opened(self) -> Iterator[list[SQLiteStore]]:
        opened: list[SQLiteStore] = []
        yield opened
        for s in opened:
            s.close()

    @pytest.fixture
    def open_again(self, tmp_path: Path, opened: list[SQLiteStore]) -> StoreFactory:
        def open_sqlite() -> SQLiteStore:
            opened.append(SQLiteStore(tmp_path / "complaints.db"))
            return opened[-1]

        return open_sqlite

    @pytest.fixture
    def store(self, open_again: StoreFactory) -> Any:
        return open_again()


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def open_again(self) -> Iterator[StoreFactory]:
        if not PG_DSN:
            pytest.skip(PG_SKIP)
        dsn, schema = PG_DSN, new_schema()
        opened: list[PostgresStore] = []

        def open_pg() -> PostgresStore:
            opened.append(PostgresStore(dsn, schema=schema))
            return opened[-1]

        yield open_pg
        for s in opened:
            s.close()
        drop_schema(schema)

    @pytest.fixture
    def store(self, open_again: StoreFactory) -> Any:
        return open_again()
