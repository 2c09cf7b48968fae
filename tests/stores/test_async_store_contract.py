"""The store contract (every test of ``test_store_contract``) run against the
async stores: :class:`AsyncPostgresStore` on its connection pool, and the
memory and SQLite stores behind :class:`ThreadedStore`. The tests are
blocking, so each async store is reached through :class:`BlockingStore`
with its event loop running in a thread of its own, the way
:class:`AsyncEngine` reaches it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import test_store_contract
from store_helpers import PG_DSN, PG_SKIP, StoreFactory, drop_schema, new_schema
from test_store_contract import *  # noqa: F403  (the contract's tests, collected here again)

from complaintflow.aio import AsyncPostgresStore, BlockingStore, ThreadedStore
from complaintflow.stores import MemoryStore, SQLiteStore

CONTRACT = [n for n in dir(test_store_contract) if n.startswith("test_")]


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def _on(loop: asyncio.AbstractEventLoop, coro: Any) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, loop).result(30)


@pytest.fixture(params=["async-memory", "async-sqlite", "async-postgres"])
def opener(
    request: pytest.FixtureRequest, tmp_path: Path, loop: asyncio.AbstractEventLoop
) -> StoreFactory:
    opened: list[BlockingStore] = []
    if request.param == "async-postgres":
        if not PG_DSN:
            pytest.skip(PG_SKIP)
        schema = new_schema()
        request.addfinalizer(lambda: drop_schema(schema))
    request.addfinalizer(lambda: [s.close() for s in opened])  # noqa: PT021
    if request.param == "async-memory":
        only = BlockingStore(ThreadedStore(MemoryStore()), loop)
        return lambda: only
    if request.param == "async-sqlite":
        path = tmp_path / "complaints.db"

        def open_sqlite() -> BlockingStore:
            opened.append(BlockingStore(ThreadedStore(SQLiteStore(path)), loop))
            return opened[-1]

        return open_sqlite

    def open_pg() -> BlockingStore:
        assert PG_DSN is not None
        store = _on(loop, AsyncPostgresStore.open(PG_DSN, schema=schema, max_size=4))
        opened.append(BlockingStore(store, loop))
        return opened[-1]

    return open_pg


@pytest.fixture
def store(opener: StoreFactory) -> Any:
    return opener()


def test_the_whole_contract_is_collected_here() -> None:
    here = globals()
    assert len(CONTRACT) >= 15
    assert [n for n in CONTRACT if n not in here] == []
