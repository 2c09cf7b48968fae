"""Stores under test: the contract suite runs on each of them.

PostgreSQL tests read a DSN from ``COMPLAINTFLOW_TEST_POSTGRES_DSN`` and are
skipped, with that reason, when it is unset. Each test gets its own schema,
dropped afterwards, so parallel runs do not collide."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from store_helpers import PG_DSN, PG_SKIP, StoreFactory, drop_schema, new_schema

from complaintflow.stores import MemoryStore, PostgresStore, SQLiteStore


@pytest.fixture
def pg_schema() -> Iterator[str]:
    if not PG_DSN:
        pytest.skip(PG_SKIP)
    schema = new_schema()
    yield schema
    drop_schema(schema)


def _opener(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> StoreFactory:
    opened: list[Any] = []
    if kind == "memory":
        only = MemoryStore()
        return lambda: only
    if kind == "sqlite":
        path = tmp_path / "complaints.db"

        def open_sqlite() -> SQLiteStore:
            s = SQLiteStore(path)
            opened.append(s)
            return s

        request.addfinalizer(lambda: [s.close() for s in opened])
        return open_sqlite
    if not PG_DSN:
        pytest.skip(PG_SKIP)
    schema = new_schema()

    def open_pg() -> PostgresStore:
        assert PG_DSN is not None
        s = PostgresStore(PG_DSN, schema=schema)
        opened.append(s)
        return s

    def cleanup() -> None:
        for s in opened:
            s.close()
        drop_schema(schema)

    request.addfinalizer(cleanup)
    return open_pg


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    return _opener(request.param, tmp_path, request)


@pytest.fixture(params=["sqlite", "postgres"])
def sql_opener(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    return _opener(request.param, tmp_path, request)


@pytest.fixture
def store(opener: StoreFactory) -> Any:
    return opener()
