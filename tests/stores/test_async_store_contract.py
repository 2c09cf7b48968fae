"""The store contract (``complaintflow.testing.StoreContract``) run against
the async stores: :class:`AsyncPostgresStore` on its connection pool, and
the memory and SQLite stores behind :class:`ThreadedStore`. The tests are
blocking, so each async store is reached through :class:`BlockingStore`
with its event loop running in a thread of its own, the way
:class:`AsyncEngine` reaches it.

The async and the blocking PostgreSQL stores share a schema: what one
writes (the complaint's index columns and its ``complaint_keys``), the
other finds."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from store_helpers import (
    PG_DSN,
    PG_SKIP,
    T0,
    StoreFactory,
    command,
    complainant,
    drop_schema,
    engine_on,
    needs_pg,
    new,
    new_schema,
)

from complaintflow.aio import AsyncPostgresStore, BlockingStore, ThreadedStore
from complaintflow.errors import StoreError
from complaintflow.stores import MemoryStore, PostgresStore, SQLiteStore, Store
from complaintflow.stores._sql import SCHEMA_VERSION
from complaintflow.testing import FakeClock, StoreContract


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


@pytest.fixture
def opened() -> Iterator[list[BlockingStore]]:
    opened: list[BlockingStore] = []
    yield opened
    for s in opened:
        s.close()


class TestAsyncMemoryStore(StoreContract):
    @pytest.fixture
    def store(self, loop: asyncio.AbstractEventLoop) -> BlockingStore:
        return BlockingStore(ThreadedStore(MemoryStore()), loop)


class TestAsyncSQLiteStore(StoreContract):
    @pytest.fixture
    def open_again(
        self, tmp_path: Path, loop: asyncio.AbstractEventLoop, opened: list[BlockingStore]
    ) -> StoreFactory:
        def open_sqlite() -> BlockingStore:
            opened.append(BlockingStore(ThreadedStore(SQLiteStore(tmp_path / "c.db")), loop))
            return opened[-1]

        return open_sqlite

    @pytest.fixture
    def store(self, open_again: StoreFactory) -> Any:
        return open_again()


@pytest.fixture
def pg_schema() -> Iterator[str]:
    if not PG_DSN:
        pytest.skip(PG_SKIP)
    schema = new_schema()
    yield schema
    drop_schema(schema)


@pytest.fixture
def open_async_pg(
    pg_schema: str, loop: asyncio.AbstractEventLoop, opened: list[BlockingStore]
) -> StoreFactory:
    """Opens an :class:`AsyncPostgresStore` (a pool of its own) on ``pg_schema``."""

    def open_pg() -> BlockingStore:
        assert PG_DSN is not None
        store = _on(loop, AsyncPostgresStore.open(PG_DSN, schema=pg_schema, max_size=4))
        opened.append(BlockingStore(store, loop))
        return opened[-1]

    return open_pg


class TestAsyncPostgresStore(StoreContract):
    @pytest.fixture
    def open_again(self, open_async_pg: StoreFactory) -> StoreFactory:
        return open_async_pg

    @pytest.fixture
    def store(self, open_again: StoreFactory) -> Any:
        return open_again()


# -- the async and the blocking PostgreSQL stores on one schema ---------------------------


@pytest.fixture
def sync_pg(pg_schema: str) -> Iterator[PostgresStore]:
    assert PG_DSN is not None
    with PostgresStore(PG_DSN, schema=pg_schema) as store:
        yield store


def _submit_alike(store: Store, clock: FakeClock) -> list[str]:
    """Three complaints of u-1 a minute apart: two alike by text (other
    orders), one by order; and one of u-2. Returns the ids of u-1's."""
    engine = engine_on(store, clock)
    ids = []
    for fields in (
        {"order_id": "o-1"},
        {"order_id": "o-2"},
        {"order_id": "o-1", "subject": "Lid broken", "description": "Snapped off."},
    ):
        clock.advance(minutes=1)
        ids.append(engine.submit(new(1, **fields), actor=complainant(1)).id)
    clock.advance(minutes=1)
    engine.submit(new(2, order_id="o-1"), actor=complainant(2))
    return ids


@needs_pg
@pytest.mark.parametrize("writer", ["async", "blocking"])
def test_what_one_postgres_store_writes_the_other_finds(
    writer: str, open_async_pg: StoreFactory, sync_pg: PostgresStore
) -> None:
    aio: Store = open_async_pg()
    write, read = (aio, sync_pg) if writer == "async" else (sync_pg, aio)
    clock = FakeClock(T0)
    base, same_text, same_order = _submit_alike(write, clock)
    # by hand: u-1 has three complaints in (T0, T0 + 3 min], one at each minute
    assert read.count_from("u-1", since=T0, until=T0 + timedelta(minutes=3)) == 3
    assert read.count_from("u-1", since=T0 + timedelta(minutes=1), until=clock.now) == 2
    recent = read.recent_from("u-1", since=T0, until=clock.now, limit=2)
    assert [c.id for c in recent] == [same_text, same_order]
    # the same order first, then the same text; u-2's complaint is not u-1's
    like = read.find_like(write.load(base))  # type: ignore[arg-type]
    assert [c.id for c in like] == [same_order, same_text]
    assert read.load(base) == write.load(base)


def _tables(schema: str) -> tuple[list[Any], list[Any]]:
    """The index columns of every complaint and every match key, by content
    (ids left out: they differ between two runs)."""
    import psycopg

    assert PG_DSN is not None
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"'.encode())
        rows = conn.execute(
            b"SELECT version, status, is_open, complainant, respondent, category, handler,"
            b" received_at, next_check, doc->>'subject' FROM complaints ORDER BY received_at"
        ).fetchall()
        keys = conn.execute(
            b"SELECT k.complainant, k.key, c.received_at FROM complaint_keys k"
            b" JOIN complaints c ON c.id = k.complaint_id ORDER BY 3, 1, 2"
        ).fetchall()
    return rows, keys


@needs_pg
def test_the_async_store_writes_the_rows_the_blocking_one_writes(
    open_async_pg: StoreFactory, pg_schema: str
) -> None:
    """The same submissions, once through each store: the complaints' index
    columns and match keys are the same row for row."""
    _submit_alike(open_async_pg(), FakeClock(T0))
    other = new_schema()
    try:
        assert PG_DSN is not None
        with PostgresStore(PG_DSN, schema=other) as blocking:
            _submit_alike(blocking, FakeClock(T0))
        written, keys = _tables(pg_schema)
        assert len(written) == 4
        assert len(keys) > len(written)  # fingerprint keys, and the order's
        assert (written, keys) == _tables(other)
    finally:
        drop_schema(other)


@needs_pg
def test_the_async_store_migrates_a_version_2_schema_and_refuses_a_newer(
    open_async_pg: StoreFactory, sync_pg: PostgresStore, pg_schema: str
) -> None:
    """A schema from before ``complaint_keys`` (version 2): the async store
    adds the table and files the complaints already there, so the duplicate
    screen finds them; a schema newer than the library is refused."""
    clock = FakeClock(T0)
    base, same_text, same_order = _submit_alike(sync_pg, clock)
    conn = sync_pg.connection
    conn.execute(b"DROP TABLE complaint_keys")
    conn.execute(b"ALTER TABLE complaints DROP COLUMN needs_triage")  # added in version 4
    conn.execute(b"UPDATE schema_version SET version = 2")
    aio = open_async_pg()
    assert _on(aio.loop, aio.store.schema_version) == SCHEMA_VERSION  # type: ignore[arg-type]
    like = aio.find_like(sync_pg.load(base))  # type: ignore[arg-type]
    assert [c.id for c in like] == [same_order, same_text]
    conn.execute(b"UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="newer than this complaintflow"):
        open_async_pg()


@needs_pg
def test_the_async_store_dead_letters_after_the_attempts(open_async_pg: StoreFactory) -> None:
    store = open_async_pg()
    clock = FakeClock(T0)
    engine = engine_on(store, clock)
    cid = engine.submit(new(1), actor=complainant(1)).id
    engine.handle(cid, command("acknowledge", {}))  # notifies the complainant
    (note,) = store.pending_notifications()
    for attempt in range(3):
        assert store.dead_letter(max_attempts=3) == []
        store.mark_failed(note.id, error=f"down {attempt}", next_attempt_at=T0)
    (gone,) = store.dead_letter(max_attempts=3)
    assert (gone.id, gone.status, gone.attempts, gone.next_attempt_at) == (note.id, "dead", 3, None)
    assert store.dead_notifications() == [gone]
    assert store.pending_notifications() == []
    assert store.claim_notifications(now=T0 + timedelta(days=1)) == []


@needs_pg
def test_find_refuses_a_filter_it_does_not_know(
    open_async_pg: StoreFactory, sync_pg: PostgresStore
) -> None:
    with pytest.raises(TypeError, match="'owner'"):
        open_async_pg().find(owner="u-1")
    with pytest.raises(TypeError, match="'owner'"):
        sync_pg.find(owner="u-1")  # type: ignore[call-arg]
