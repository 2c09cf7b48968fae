"""Fault injection at each step of each command of a lifecycle: before the
save, during it (the database fails mid-transaction), after it (before
delivery), and during delivery. No partial state, no lost notification, the
complaint loadable and consistent after every fault."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from store_helpers import (
    LIFECYCLE,
    T0,
    Recorder,
    StoreFactory,
    check_consistent,
    command,
    complainant,
    engine_on,
    new,
)

import complaintflow as cf
from complaintflow.errors import StoreError
from complaintflow.stores import Save
from complaintflow.testing import FakeClock


class FaultyStore:
    """Wraps a store and raises :class:`StoreError` once, at the armed point:
    ``before_save``, ``after_save`` (the write happened, the caller hears an
    error), ``mark_delivered`` or ``mark_failed``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.armed: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _fire(self, point: str) -> None:
        if self.armed == point:
            self.armed = None
            raise StoreError(f"injected fault: {point}")

    def save(
        self,
        complaint: cf.Complaint,
        *,
        expected_version: int,
        events: Sequence[cf.Event],
        notifications: Sequence[cf.Notification] = (),
    ) -> None:
        self._fire("before_save")
        self.inner.save(
            complaint,
            expected_version=expected_version,
            events=events,
            notifications=notifications,
        )
        self._fire("after_save")

    def save_many(self, saves: Sequence[Save]) -> list[bool]:
        self._fire("before_save")
        out = list(self.inner.save_many(saves))
        self._fire("after_save")
        return out

    def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        self._fire("mark_delivered")
        return bool(self.inner.mark_delivered(notification_id, at=at))

    def mark_failed(self, notification_id: str, *, error: str, next_attempt_at: datetime) -> None:
        self._fire("mark_failed")
        self.inner.mark_failed(notification_id, error=error, next_attempt_at=next_attempt_at)


def _db_fault(store: Any, table: str) -> Callable[[], None]:
    """Make the database itself fail the next insert into ``table``, in the
    middle of the save's transaction; returns the undo."""
    from complaintflow.stores import PostgresStore, SQLiteStore

    if isinstance(store, SQLiteStore):

        def fail() -> None:
            raise OSError("injected fault")

        store._conn.create_function("inject", 0, fail)
        store._conn.execute(
            f"CREATE TEMP TRIGGER inject BEFORE INSERT ON main.{table} BEGIN SELECT inject(); END"
        )
        return lambda: store._conn.execute("DROP TRIGGER temp.inject") and None
    assert isinstance(store, PostgresStore)
    conn = store.connection
    conn.execute(
        "CREATE OR REPLACE FUNCTION inject() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql"
    )
    conn.execute(
        f"CREATE TRIGGER inject BEFORE INSERT ON {table} "  # type: ignore[arg-type]
        "FOR EACH ROW EXECUTE FUNCTION inject()"
    )
    return lambda: conn.execute(f"DROP TRIGGER inject ON {table}") and None  # type: ignore[arg-type]


STEPS = ("before_save", "during_save", "after_save", "notifier", "mark_delivered", "mark_failed")
COMMANDS = (("submit", {}), *LIFECYCLE)


def _state(store: Any, cid: str) -> tuple[Any, ...]:
    return (store.load(cid), store.events(cid), store.notifications(cid))


def _run_with_fault(opener: StoreFactory, step: str) -> None:
    clock = FakeClock(T0)
    base = opener()
    store = FaultyStore(base)
    recorder = Recorder()
    engine = engine_on(store, clock, plugins=(recorder,))
    redelivered: set[str] = set()
    cids: list[str] = []
    for at_command in range(len(COMMANDS)):
        cid = f"c-{at_command}"
        cids.append(cid)
        for i, (kind, payload) in enumerate(COMMANDS):
            clock.advance(hours=1)
            inject = i == at_command

            def run(kind: str = kind, payload: dict[str, Any] = payload, cid: str = cid) -> None:
                if kind == "submit":
                    engine.submit(new(1, id=cid), actor=complainant(1))
                else:
                    engine.handle(cid, command(kind, payload))

            if not inject:
                run()
                check_consistent(engine, cid)
                continue
            before = _state(base, cid) if kind != "submit" else (None, [], [])
            if step in ("before_save", "during_save"):
                undo: Callable[[], None] | None = None
                if step == "during_save":
                    queues = bool(base.pending_notifications()) and kind in (
                        "acknowledge",
                        "decide",
                        "follow_up",
                    )
                    undo = _db_fault(base, "notifications" if queues else "events")
                else:
                    store.armed = step
                try:
                    with pytest.raises(StoreError, match=r"injected|user-defined function"):
                        run()
                finally:
                    if undo is not None:
                        undo()
                assert _state(base, cid) == before, f"{step} at {kind} left partial state"
                run()  # the command, retried, applies
            elif step == "after_save":
                store.armed = step
                with pytest.raises(StoreError, match="injected"):
                    run()
                # the write is whole: the new state, its events, its notifications
                assert len(base.events(cid)) == len(before[1]) + 1 or kind == "classify"
            elif step == "notifier":
                recorder.fail = True
                try:
                    run()
                finally:
                    recorder.fail = False
                assert all(n.attempts <= 1 for n in base.notifications(cid))
            else:
                store.armed = step
                if step == "mark_failed":
                    recorder.fail = True
                try:
                    run()
                finally:
                    recorder.fail = False
                if step == "mark_delivered" and store.armed is None:
                    # the notifier got it, the store never heard: it is sent
                    # again after the lease, with the same idempotency key
                    redelivered.update(n.id for n in base.pending_notifications())
                store.armed = None
            if kind != "submit" or step not in ("before_save", "during_save"):
                check_consistent(engine, cid)
        assert engine.get(cid).status == cf.Status.closed
    # the delivery worker, later: everything pending goes out, once
    clock.advance(hours=2)
    while engine.deliver_pending(limit=7):
        pass
    outbox = [n for cid in cids for n in base.notifications(cid)]
    assert outbox
    assert all(n.status == "delivered" for n in outbox), "a notification was lost"
    keys = Counter(n.idempotency_key for n in recorder.seen)
    assert set(keys) == {n.id for n in outbox}
    assert {k for k, v in keys.items() if v > 1} == redelivered
    assert all(v <= 2 for v in keys.values())
    for cid in cids:
        check_consistent(engine, cid)


@pytest.mark.parametrize("step", [s for s in STEPS if s != "during_save"])
def test_fault_at_each_step(opener: StoreFactory, step: str) -> None:
    _run_with_fault(opener, step)


def test_database_fault_during_save(sql_opener: StoreFactory) -> None:
    # the memory store checks everything before it writes anything, under one
    # lock; SQL stores are made to fail half-way, inside the transaction
    _run_with_fault(sql_opener, "during_save")


@pytest.mark.parametrize("point", ["before_save", "after_save"])
def test_fault_during_a_sweep(opener: StoreFactory, point: str) -> None:
    clock = FakeClock(T0)
    base = opener()
    store = FaultyStore(base)
    recorder = Recorder()
    engine = engine_on(store, clock, plugins=(recorder,))
    c = engine.submit(new(), actor=complainant())
    now = T0 + timedelta(days=3)
    store.armed = point
    with pytest.raises(StoreError):
        engine.sweep(now=now)
    first = [e for e in base.events(c.id) if e.type.startswith("sla_")]
    assert bool(first) == (point == "after_save")
    alerts = engine.sweep(now=now)
    assert bool(alerts) == (point == "before_save")
    assert engine.sweep(now=now) == []
    sla_events = [e for e in base.events(c.id) if e.type.startswith("sla_")]
    keys = [(e.data["target"], e.data["key"]) for e in sla_events]
    assert len(keys) == len(set(keys)) > 0
    while engine.deliver_pending(now=now + timedelta(hours=1)):
        pass
    assert {n.event_seq for n in base.notifications(c.id)} == {e.seq for e in sla_events}
    assert all(n.status == "delivered" for n in base.notifications(c.id))
    check_consistent(engine, c.id)
