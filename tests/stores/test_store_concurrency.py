"""Several processes (not threads) on one SQLite file or one PostgreSQL
schema: every command applies or raises ConcurrencyError, nothing is lost,
the trail has no gaps and replays to the stored complaint; sweepers emit each
alert once; delivery workers send each notification once."""

from __future__ import annotations

import multiprocessing as mp
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from store_helpers import (
    PG_DSN,
    PG_SKIP,
    T0,
    Recorder,
    check_consistent,
    command,
    complainant,
    drop_schema,
    engine_on,
    new,
    new_schema,
    run_lifecycle,
)

import complaintflow as cf
from complaintflow.errors import ConcurrencyError
from complaintflow.stores import PostgresStore, SQLiteStore
from complaintflow.testing import FakeClock

CTX = mp.get_context("fork")
WORKERS = 4


def _open(kind: str, where: str) -> Any:
    if kind == "sqlite":
        return SQLiteStore(where)
    assert PG_DSN is not None
    return PostgresStore(PG_DSN, schema=where)


@pytest.fixture(params=["sqlite", "postgres"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "shared.db")
        return
    if not PG_DSN:
        pytest.skip(PG_SKIP)
    schema = new_schema()
    yield "postgres", schema
    drop_schema(schema)


def _run(target: Any, args: list[tuple[Any, ...]]) -> list[Any]:
    queue = CTX.Queue()
    barrier = CTX.Barrier(len(args))
    procs = [CTX.Process(target=target, args=(*a, barrier, queue)) for a in args]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    return results


# -- commands at the same complaints ---------------------------------------------

_STILL = [
    ("note", {"text": "called the shop"}),
    ("assign", {"handler": "h-2"}),
    ("escalate", {"reason": "big order"}),
    ("record_step", {"step": "investigate"}),
]


def _fire(
    kind: str, where: str, ids: list[str], seed: int, n: int, barrier: Any, queue: Any
) -> None:
    rng = random.Random(seed)
    store = _open(kind, where)
    engine = engine_on(store, FakeClock(T0 + timedelta(days=1)))
    applied: Counter[str] = Counter()
    rejected = 0
    other: list[str] = []
    barrier.wait()
    for _ in range(n):
        cid = rng.choice(ids)
        what, payload = rng.choice(_STILL)
        try:
            engine.handle(cid, command(what, payload))
            applied[cid] += 1
        except ConcurrencyError:
            rejected += 1
        except Exception as e:  # anything else is a failure of the test
            other.append(f"{type(e).__name__}: {e}")
    store.close()
    queue.put((dict(applied), rejected, other))


def test_processes_firing_commands_at_the_same_complaints(place: tuple[str, str]) -> None:
    kind, where = place
    store = _open(kind, where)
    clock = FakeClock(T0)
    engine = engine_on(store, clock)
    ids = []
    for i in range(3):
        c = engine.submit(new(i), actor=complainant(i))
        clock.advance(minutes=5)
        engine.handle(c.id, command("acknowledge", {}))
        ids.append(c.id)
    start = {cid: engine.get(cid).version for cid in ids}
    per_worker = 40
    results = _run(_fire, [(kind, where, ids, seed, per_worker) for seed in range(WORKERS)])
    assert [o for _, _, o in results] == [[]] * WORKERS
    applied: Counter[str] = Counter()
    for a, _, _ in results:
        applied.update(a)
    rejected = sum(r for _, r, _ in results)
    assert sum(applied.values()) + rejected == WORKERS * per_worker
    for cid in ids:
        c = check_consistent(engine, cid)
        # every applied command is one event; no update was lost
        assert c.version == start[cid] + applied[cid]
    store.close()


# -- sweepers --------------------------------------------------------------------


def _sweep(kind: str, where: str, barrier: Any, queue: Any) -> None:
    store = _open(kind, where)
    engine = engine_on(store, FakeClock(T0))
    found: list[tuple[str, str, str, float | None]] = []
    barrier.wait()
    for _ in range(20):
        alerts = engine.sweep(now=T0 + timedelta(days=10), limit=7)
        found.extend((a.complaint_id, a.target, a.kind, a.threshold) for a in alerts)
        if not alerts and not store.due(T0 + timedelta(days=10), limit=1):
            break
    store.close()
    queue.put(found)


def test_several_sweepers_emit_each_alert_exactly_once(place: tuple[str, str]) -> None:
    kind, where = place
    store = _open(kind, where)
    clock = FakeClock(T0)
    engine = engine_on(store, clock)
    ids = []
    for i in range(25):
        clock.advance(minutes=3)
        ids.append(engine.submit(new(i), actor=complainant(i)).id)
    results = _run(_sweep, [(kind, where)] * 3)
    emitted = [a for r in results for a in r]
    assert len(emitted) == len(set(emitted)), "an alert was emitted twice"
    in_trails = {
        (cid, e.data["target"], e.type.removeprefix("sla_"), e.data["threshold"])
        for cid in ids
        for e in engine.history(cid)
        if e.type.startswith("sla_")
    }
    assert set(emitted) == in_trails
    # every target of every complaint: each warning and the breach, no more
    assert len(in_trails) == len(ids) * 6
    assert store.due(T0 + timedelta(days=10)) == []
    for cid in ids:
        check_consistent(engine, cid)
    store.close()


# -- delivery workers -----------------------------------------------------------


def _deliver(kind: str, where: str, barrier: Any, queue: Any) -> None:
    store = _open(kind, where)
    recorder = Recorder()
    engine = engine_on(store, FakeClock(T0 + timedelta(days=2)), plugins=(recorder,))
    barrier.wait()
    while engine.deliver_pending(limit=3):
        pass
    store.close()
    queue.put([n.idempotency_key for n in recorder.seen])


def test_several_delivery_workers_send_each_notification_once(place: tuple[str, str]) -> None:
    kind, where = place
    store = _open(kind, where)
    clock = FakeClock(T0)
    engine = engine_on(store, clock)  # no notifier: the outbox fills up
    for i in range(10):
        run_lifecycle(engine, clock, i)
    queued = {n.id for n in store.pending_notifications(limit=1000)}
    assert len(queued) == 40
    results = _run(_deliver, [(kind, where)] * 3)
    sent = [k for r in results for k in r]
    assert len(sent) == len(set(sent)), "a notification was delivered twice"
    assert set(sent) == queued
    assert store.pending_notifications(limit=1000) == []
    store.close()


def test_commands_and_deliveries_at_once_never_send_twice(place: tuple[str, str]) -> None:
    # one process runs commands and delivers their notifications at once;
    # others run deliver_pending meanwhile: the fresh notifications are
    # saved already claimed by the writer, so nobody else sends them
    kind, where = place
    _open(kind, where).close()
    results = _run(_write_and_deliver, [(kind, where, i) for i in range(3)])
    sent = [k for r in results for k in r]
    assert len(sent) == len(set(sent)), "a notification was delivered twice"
    store = _open(kind, where)
    assert len(sent) == 4 * 6
    assert store.pending_notifications(limit=1000) == []
    store.close()


def _write_and_deliver(kind: str, where: str, role: int, barrier: Any, queue: Any) -> None:
    store = _open(kind, where)
    recorder = Recorder()
    clock = FakeClock(T0)
    engine = engine_on(store, clock, plugins=(recorder,))
    barrier.wait()
    if role == 0:
        for i in range(6):
            run_lifecycle(engine, clock, i)
    else:
        for _ in range(200):
            engine.deliver_pending(now=T0 + timedelta(hours=1))
    store.close()
    queue.put([n.idempotency_key for n in recorder.seen])


def test_a_worker_that_dies_leaves_its_claims_for_others() -> None:
    clock = FakeClock(T0)
    store = cf.MemoryStore()
    engine = engine_on(store, clock)
    run_lifecycle(engine, clock)
    claimed = store.claim_notifications(now=clock.now, limit=2)  # then it "dies"
    recorder = Recorder()
    worker = engine_on(store, clock, plugins=(recorder,))
    assert worker.deliver_pending() == 2
    clock.advance(worker.delivery_lease)
    assert worker.deliver_pending() == 2
    assert {n.id for n in claimed} <= {n.id for n in recorder.seen}
