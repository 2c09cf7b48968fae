"""AsyncEngine: the blocking engine's results, awaited, on every store.

The oracle is the blocking :class:`~complaintflow.Engine`: the same
commands at the same clock times must give equal complaints, trails and
reports, and the same errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from store_helpers import (
    HANDLER,
    LIFECYCLE,
    PG_DSN,
    PG_SKIP,
    T0,
    Recorder,
    command,
    complainant,
    drop_schema,
    new,
    new_schema,
)

import complaintflow as cf
from complaintflow.aio import AsyncEngine, AsyncPostgresStore, BlockingStore, ThreadedStore
from complaintflow.errors import StoreError
from complaintflow.stores import MemoryStore, SQLiteStore
from complaintflow.testing import FakeClock

AsyncFactory = Callable[[], Awaitable[Any]]


@pytest.fixture(params=["memory", "sqlite", "async-sqlite", "async-postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncFactory:
    """Opens the store under test (inside the test's event loop)."""
    if request.param == "memory":

        async def memory() -> Any:
            return MemoryStore()

        return memory
    if request.param == "sqlite":

        async def sqlite() -> Any:
            return SQLiteStore(tmp_path / "c.db")

        return sqlite
    if request.param == "async-sqlite":

        async def threaded() -> Any:
            return ThreadedStore(SQLiteStore(tmp_path / "c.db"))

        return threaded
    if not PG_DSN:
        pytest.skip(PG_SKIP)
    schema = new_schema()
    request.addfinalizer(lambda: drop_schema(schema))  # noqa: PT021

    async def pg() -> Any:
        assert PG_DSN is not None
        return await AsyncPostgresStore.open(PG_DSN, schema=schema, max_size=3)

    return pg


def _engine(store: Any, clock: FakeClock, plugins: tuple[object, ...] = ()) -> AsyncEngine:
    return AsyncEngine(store=store, clock=clock, plugins=plugins, load_entry_points=False)


def test_a_lifecycle_gives_what_the_blocking_engine_gives(make_store: AsyncFactory) -> None:
    sync_clock, async_clock = FakeClock(T0), FakeClock(T0)
    oracle = cf.Engine(store=MemoryStore(), clock=sync_clock, load_entry_points=False)

    async def main() -> None:
        async with _engine(await make_store(), async_clock) as engine:
            a = await engine.submit(new(), actor=complainant())
            b = oracle.submit(new(), actor=complainant())
            assert a.model_dump(exclude={"id"}) == b.model_dump(exclude={"id"})
            for kind, payload in LIFECYCLE:
                sync_clock.advance(hours=1)
                async_clock.advance(hours=1)
                assert await engine.allowed(a.id, actor=HANDLER) == oracle.allowed(
                    b.id, actor=HANDLER
                )
                a = await engine.handle(a.id, command(kind, payload))
                b = oracle.handle(b.id, command(kind, payload))
                assert a.status == b.status
                assert a.version == b.version
            trail = await engine.history(a.id)
            assert [e.type for e in trail] == [e.type for e in oracle.history(b.id)]
            assert await engine.replay(trail) == await engine.get(a.id) == a
            seen = await engine.view(a.id, actor=cf.Actor(id="shop-9", roles={"respondent"}))
            assert seen.complainant.contact == "[redacted]"
            report = await engine.sla(a.id)
            expected = oracle.sla(b.id)
            assert [(n, t.state, t.deadline) for n, t in report.items()] == [
                (n, t.state, t.deadline) for n, t in expected.items()
            ]
            m = await engine.metrics(since=T0, until=T0 + timedelta(days=30))
            assert m == oracle.metrics(since=T0, until=T0 + timedelta(days=30))

    asyncio.run(main())


def test_errors_are_the_blocking_engines_and_change_nothing(make_store: AsyncFactory) -> None:
    async def main() -> None:
        async with _engine(await make_store(), FakeClock(T0)) as engine:
            with pytest.raises(cf.NotFound):
                await engine.get("nope")
            c = await engine.submit(new(), actor=complainant())
            bad = command("decide", {"outcome": "upheld", "basis": ""})
            with pytest.raises(cf.InvalidInput) as e:
                await engine.handle(c.id, bad)
            assert e.value.errors[0]["field"] == "basis"
            with pytest.raises(cf.InvalidTransition):
                await engine.handle(c.id, command("execute", {"note": "x"}))
            with pytest.raises(cf.PermissionDenied):
                await engine.view(c.id, actor=complainant(2))
            assert await engine.get(c.id) == c
            assert len(await engine.history(c.id)) == 1

    asyncio.run(main())


def test_the_worker_task_sweeps_and_delivers_each_alert_once(make_store: AsyncFactory) -> None:
    clock = FakeClock(T0)
    seen = Recorder()

    async def main() -> None:
        async with _engine(await make_store(), clock, plugins=(seen,)) as engine:
            ids = [(await engine.submit(new(i), actor=complainant(i))).id for i in range(3)]
            clock.advance(days=3)  # the 24 h acknowledgement deadline passed for each
            stop = asyncio.Event()
            task = asyncio.create_task(engine.run_worker(stop=stop, interval=0.01))
            for _ in range(500):
                await asyncio.sleep(0.01)
                breaches = [n for n in seen.seen if n.kind == "sla_breach"]
                if len({n.complaint_id for n in breaches}) == 3:
                    break
            stop.set()
            health = await task
            assert health.state == "stopped"
            assert health.rounds >= 1
            breached = [n for n in seen.seen if n.kind == "sla_breach"]
            assert sorted({n.complaint_id for n in breached}) == sorted(ids)
            keys = [n.idempotency_key for n in seen.seen]
            assert len(keys) == len(set(keys))  # nothing delivered twice
            trail_breaches = 0
            for cid in ids:
                types = [e.type for e in await engine.history(cid)]
                trail_breaches += types.count("sla_breach")
            # one delivered notification per breach in the audit trails
            assert len(breached) == trail_breaches

    asyncio.run(main())


def test_a_cancelled_worker_finishes_its_round_and_reraises() -> None:
    async def main() -> None:
        engine = _engine(MemoryStore(), FakeClock(T0))
        task = asyncio.create_task(engine.run_worker(interval=0.01))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        health = await engine.run_worker(once=True)
        assert health.rounds == 1
        assert health.state == "stopped"

    asyncio.run(main())


def test_deliver_pending_retries_a_failed_delivery() -> None:
    clock = FakeClock(T0)
    seen = Recorder()

    async def main() -> None:
        engine = _engine(ThreadedStore(MemoryStore()), clock, plugins=(seen,))
        seen.fail = True
        c = await engine.submit(new(), actor=complainant())
        await engine.handle(c.id, command("acknowledge", {}))
        seen.fail = False
        clock.advance(hours=1)
        delivered = await engine.deliver_pending()
        assert delivered >= 1
        assert await engine.deliver_pending() == 0  # each once
        assert engine.now() == clock()

    asyncio.run(main())


def test_a_bad_store_is_refused_and_the_bridges_check_their_side() -> None:
    with pytest.raises(cf.InvalidInput) as e:
        AsyncEngine(store=object())  # type: ignore[arg-type]
    assert e.value.errors[0]["field"] == "store"
    with pytest.raises(StoreError):
        ThreadedStore(ThreadedStore(MemoryStore()))  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        BlockingStore(MemoryStore())  # type: ignore[arg-type]
    bridge = BlockingStore(ThreadedStore(MemoryStore()))
    with pytest.raises(StoreError, match="no running event loop"):
        bridge.load("x")

    async def on_the_loop() -> None:
        bridge.loop = asyncio.get_running_loop()
        with pytest.raises(StoreError, match="its own event loop"):
            bridge.load("x")

    asyncio.run(on_the_loop())


@given(hours=st.lists(st.integers(min_value=1, max_value=72), min_size=1, max_size=5))
def test_sla_reports_match_the_blocking_engine_at_any_time(hours: list[int]) -> None:
    clock = FakeClock(T0)
    oracle = cf.Engine(store=MemoryStore(), clock=clock, load_entry_points=False)
    engine = _engine(MemoryStore(), clock)

    async def main() -> None:
        a = await engine.submit(new(), actor=complainant())
        b = oracle.submit(new(), actor=complainant())
        for h in hours:
            clock.advance(hours=h)
            got = await engine.sla(a.id)
            want = oracle.sla(b.id)
            assert [(n, t.state, t.deadline, t.remaining) for n, t in got.items()] == [
                (n, t.state, t.deadline, t.remaining) for n, t in want.items()
            ]

    asyncio.run(main())


def test_erasure_export_and_retention_through_the_async_engine(make_store: AsyncFactory) -> None:
    clock = FakeClock(T0)

    async def main() -> None:
        store = await make_store()
        async with _engine(store, clock) as engine:
            a = await engine.submit(new(), actor=complainant())
            for kind, payload in LIFECYCLE:
                clock.advance(hours=1)
                a = await engine.handle(a.id, command(kind, payload))
            before = (await engine.sla(a.id)).history
            exported = json.loads(await engine.export_person("u-1"))
            assert exported["complaints"][0]["complaint"]["complainant"]["name"] == "Wang Xiaohong"
            assert await engine.apply_retention(T0 + timedelta(days=30), dry_run=True) == []
            if isinstance(store, AsyncPostgresStore):  # the vault's row, and no other
                assert await _pg_rows_holding(store, "Wang Xiaohong") == 1
            assert await engine.erase("u-1", "PIPL art. 47 request") == [a.id]
            seen = await engine.view(a.id, actor=HANDLER)
            assert (seen.complainant.name, seen.description) == ("[erased]", "[erased]")
            assert await engine.replay(await engine.history(a.id)) == await engine.get(a.id)
            assert (await engine.sla(a.id)).history == before
            if isinstance(store, AsyncPostgresStore):
                assert await _pg_rows_holding(store, "Wang Xiaohong") == 0

    asyncio.run(main())


async def _pg_rows_holding(store: AsyncPostgresStore, text: str) -> int:
    """Rows of any table of the store's schema whose text holds ``text``."""
    from psycopg import sql

    n = 0
    async with store.pool.connection() as conn:
        cur = await conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (store.schema,),
        )
        for (table,) in await cur.fetchall():
            query = sql.SQL("SELECT count(*) FROM {}.{} t WHERE t::text LIKE %s").format(
                sql.Identifier(store.schema), sql.Identifier(table)
            )
            row = await (await conn.execute(query, (f"%{text}%",))).fetchone()
            n += row[0]
    return n
