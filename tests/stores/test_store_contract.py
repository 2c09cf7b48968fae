"""The store contract, run against the memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from store_helpers import (
    HANDLER,
    LIFECYCLE,
    SUPERVISOR,
    T0,
    Recorder,
    StoreFactory,
    check_consistent,
    command,
    complainant,
    engine_on,
    new,
    run_lifecycle,
)

import complaintflow as cf
from complaintflow.errors import ConcurrencyError, NotFound
from complaintflow.stores import Store
from complaintflow.testing import FakeClock


def test_is_a_store(store: Any) -> None:
    assert isinstance(store, Store)


def test_load_of_unknown_is_none(store: Any) -> None:
    assert store.load("nope") is None
    assert store.events("nope") == []


@pytest.mark.parametrize("tz", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_a_full_lifecycle_round_trips(opener: StoreFactory, tz: str) -> None:
    clock = FakeClock(T0)

    def on(store: Any) -> cf.Engine:
        calendar = cf.BusinessCalendar(tz)
        return cf.Engine(store=store, clock=clock, calendar=calendar, load_entry_points=False)

    done = run_lifecycle(on(opener()), clock)
    again = on(opener())
    loaded = again.get(done.id)
    assert loaded == done
    assert loaded.sla is not None
    assert loaded.sla == done.sla
    assert again.replay(again.history(done.id)) == done
    assert [e.type for e in again.history(done.id)][:2] == ["submit", "acknowledge"]
    check_consistent(again, done.id)


def test_every_status_round_trips(opener: StoreFactory) -> None:
    clock = FakeClock(T0)
    engine = engine_on(opener(), clock)
    c = engine.submit(new(), actor=complainant())
    seen = [c]
    for kind, payload in [
        ("request_info", {"party": "complainant", "question": "Photo?"}),
        ("provide_info", {"info": "Here."}),
        ("assign", {"handler": "h-2"}),
        ("escalate", {"reason": "big order"}),
        ("note", {"text": "ünïcödé ✓ 投诉"}),
        *LIFECYCLE,
    ]:
        clock.advance(hours=2)
        seen.append(engine.handle(c.id, command(kind, payload)))
    clock.advance(days=1)
    seen.append(engine.handle(c.id, command("reopen", {"reason": "no refund"}, actor=SUPERVISOR)))
    other = engine_on(opener(), clock)
    assert other.get(c.id) == seen[-1]
    trail = other.history(c.id)
    assert len(trail) == len(seen)
    assert [other.replay(trail[:i]) for i in range(1, len(trail) + 1)] == seen


def test_stale_version_is_a_conflict_and_changes_nothing(store: Any) -> None:
    clock = FakeClock(T0)
    engine = engine_on(store, clock)
    c = engine.submit(new(), actor=complainant())
    clock.advance(hours=1)
    after = engine.handle(c.id, command("acknowledge", {}))
    ev = engine.history(c.id)[-1]
    with pytest.raises(ConcurrencyError):
        store.save(after, expected_version=0, events=[ev])
    with pytest.raises(ConcurrencyError):
        store.save(after, expected_version=5, events=[ev.model_copy(update={"seq": 6})])
    assert store.load(c.id) == after
    assert len(store.events(c.id)) == 2


def test_gap_in_event_seq_is_refused(store: Any) -> None:
    clock = FakeClock(T0)
    engine = engine_on(store, clock)
    c = engine.submit(new(), actor=complainant())
    ev = engine.history(c.id)[0].model_copy(update={"seq": 3, "type": "note"})
    with pytest.raises(ConcurrencyError):
        store.save(c.model_copy(update={"version": 3}), expected_version=1, events=[ev])
    assert store.load(c.id) == c
    assert len(store.events(c.id)) == 1


def test_a_failing_part_of_a_save_rolls_back_the_rest(store: Any) -> None:
    # a notification id that exists already: the complaint row and events of
    # the same save must not stay behind
    clock = FakeClock(T0)
    engine = engine_on(store, clock)
    c = engine.submit(new(), actor=complainant())
    clock.advance(hours=1)
    acked = engine.handle(c.id, command("acknowledge", {}))
    [note] = store.pending_notifications()
    ev = engine.history(c.id)[-1].model_copy(update={"seq": 3, "type": "note", "data": {}})
    bumped = acked.model_copy(update={"version": 3})
    with pytest.raises(ConcurrencyError):
        store.save(bumped, expected_version=2, events=[ev], notifications=[note])
    assert store.load(c.id) == acked
    assert len(store.events(c.id)) == 2
    assert store.pending_notifications() == [note]


def test_new_complaint_with_a_taken_id_is_a_conflict(store: Any) -> None:
    engine = engine_on(store)
    c = engine.submit(new(id="c-1"), actor=complainant())
    with pytest.raises(ConcurrencyError):
        engine.submit(new(id="c-1", subject="other"), actor=complainant())
    assert store.load("c-1") == c
    assert len(store.events("c-1")) == 1


def test_outbox(store: Any) -> None:
    clock = FakeClock(T0)
    engine = engine_on(store, clock)
    run_lifecycle(engine, clock, 1)
    run_lifecycle(engine, clock, 2)
    pending = store.pending_notifications()
    # acknowledgement, decision x2, follow_up per complaint, oldest first
    assert len(pending) == 8
    assert [n.created_at for n in pending] == sorted(n.created_at for n in pending)
    assert store.pending_notifications(limit=3) == pending[:3]
    first = pending[0]
    assert store.mark_delivered(first.id, at=clock.now) is True
    assert store.mark_delivered(first.id, at=clock.now) is False
    assert first.id not in {n.id for n in store.pending_notifications()}
    later = clock.now + timedelta(minutes=10)
    store.mark_failed(pending[1].id, error="boom", next_attempt_at=later)
    assert pending[1].id not in {n.id for n in store.pending_notifications(now=clock.now)}
    again = [n for n in store.pending_notifications(now=later) if n.id == pending[1].id]
    assert again[0].attempts == 1
    assert again[0].last_error == "boom"
    assert again[0].next_attempt_at == later
    with pytest.raises(NotFound):
        store.mark_delivered("nope", at=clock.now)
    with pytest.raises(NotFound):
        store.mark_failed("nope", error="x", next_attempt_at=later)


def test_claims_are_disjoint_and_leased(store: Any) -> None:
    clock = FakeClock(T0)
    engine = engine_on(store, clock)
    for i in range(3):
        run_lifecycle(engine, clock, i)
    now = clock.now
    a = store.claim_notifications(now=now, limit=5, lease=timedelta(minutes=5))
    b = store.claim_notifications(now=now, limit=100, lease=timedelta(minutes=5))
    assert len(a) == 5
    assert len(b) == 7
    assert not {n.id for n in a} & {n.id for n in b}
    assert all(n.next_attempt_at == now + timedelta(minutes=5) for n in a + b)
    assert store.claim_notifications(now=now + timedelta(minutes=4)) == []
    # a worker that died: its claims come back once the lease runs out
    store.mark_delivered(a[0].id, at=now)
    back = store.claim_notifications(now=now + timedelta(minutes=5), limit=100)
    assert {n.id for n in back} == {n.id for n in a[1:] + b}


def test_due_and_sweep(opener: StoreFactory) -> None:
    clock = FakeClock(T0)
    store = opener()
    engine = engine_on(store, clock)
    ids = []
    for i in range(5):
        clock.advance(minutes=10)
        ids.append(engine.submit(new(i), actor=complainant(i)).id)
    assert store.due(T0) == []
    due = store.due(T0 + timedelta(days=1))
    assert [c.id for c in due] == ids
    assert [c.id for c in store.due(T0 + timedelta(days=1), limit=2)] == ids[:2]
    checks = [c.sla.next_check for c in due if c.sla is not None]
    assert checks == sorted(checks)
    recorder = Recorder()
    sweeper = engine_on(opener(), clock, plugins=(recorder,))
    alerts = sweeper.sweep(now=T0 + timedelta(days=5))
    assert alerts
    assert sweeper.sweep(now=T0 + timedelta(days=5)) == []
    keys = [(a.complaint_id, a.target, a.kind, a.threshold) for a in alerts]
    assert len(keys) == len(set(keys))
    assert len(recorder.seen) == len(alerts)
    for cid in ids:
        check_consistent(sweeper, cid)


def test_deliver_pending_delivers_each_once(opener: StoreFactory) -> None:
    clock = FakeClock(T0)
    quiet = engine_on(opener(), clock)  # no notifier: everything stays pending
    for i in range(3):
        run_lifecycle(quiet, clock, i)
    assert quiet.deliver_pending() == 0
    recorder = Recorder()
    worker = engine_on(opener(), clock, plugins=(recorder,))
    assert worker.deliver_pending(limit=5) == 5
    assert worker.deliver_pending(limit=100) == 7
    assert worker.deliver_pending() == 0
    assert len({n.id for n in recorder.seen}) == len(recorder.seen) == 12
    assert opener().pending_notifications() == []


def test_failed_delivery_is_retried_later(opener: StoreFactory) -> None:
    clock = FakeClock(T0)
    recorder = Recorder()
    recorder.fail = True
    engine = engine_on(opener(), clock, plugins=(recorder,))
    c = engine.submit(new(), actor=complainant())
    clock.advance(hours=1)
    engine.handle(c.id, command("acknowledge", {}))
    [n] = opener().pending_notifications()
    assert n.attempts == 1
    assert n.last_error is not None
    assert "mail server down" in n.last_error
    recorder.fail = False
    assert engine.deliver_pending(now=clock.now) == 0  # backoff not over
    assert engine.deliver_pending(now=clock.now + timedelta(minutes=1)) == 1
    assert [x.id for x in recorder.seen] == [n.id]
    assert opener().pending_notifications() == []


def test_find_filters_and_pages(store: Any) -> None:
    clock = FakeClock(T0)
    engine = engine_on(store, clock)
    made = []
    for i in range(7):
        clock.advance(minutes=1)
        c = engine.submit(
            new(i % 2, category="goods" if i < 4 else "service", respondent=None)
            if i == 6
            else new(i % 2, category="goods" if i < 4 else "service"),
            actor=complainant(i % 2),
        )
        made.append(c.id)
    clock.advance(minutes=1)
    engine.handle(made[0], command("withdraw", {"reason": "settled"}))
    engine.handle(made[1], command("assign", {"handler": "h-7"}))
    engine.handle(made[2], command("acknowledge", {}))
    ids = lambda cs: [c.id for c in cs]  # noqa: E731
    assert ids(store.find()) == made
    assert ids(store.find(limit=3)) == made[:3]
    assert ids(store.find(limit=3, offset=3)) == made[3:6]
    assert ids(store.find(offset=6)) == made[6:]
    assert ids(store.find(complainant="u-0")) == made[0::2]
    assert ids(store.find(complainant="u-0", open_only=True)) == made[2::2]
    assert ids(store.find(respondent="shop-9")) == made[:6]
    assert ids(store.find(respondent="nobody")) == []
    assert ids(store.find(category="service")) == made[4:]
    assert ids(store.find(handler="h-7")) == [made[1]]
    assert ids(store.find(status=cf.Status.withdrawn)) == [made[0]]
    assert ids(store.find(status=[cf.Status.withdrawn, cf.Status.verifying])) == made[:3:2]
    assert ids(store.find(status=[])) == []


def test_handler_sees_the_same_through_a_second_store(opener: StoreFactory) -> None:
    clock = FakeClock(T0)
    a = engine_on(opener(), clock)
    b = engine_on(opener(), clock)
    c = a.submit(new(), actor=complainant())
    clock.advance(hours=1)
    b.handle(c.id, command("acknowledge", {}))
    clock.advance(hours=1)
    # a stale writer: its complaint is version 1, the stored one is 2
    stale, last = c.model_copy(update={"version": 2}), b.history(c.id)[-1]
    with pytest.raises(ConcurrencyError):
        a.store.save(stale, expected_version=1, events=[last])
    assert a.get(c.id) == b.get(c.id)
    check_consistent(a, c.id)
    assert a.get(c.id).handler in (None, HANDLER.id)


def _noted(engine: cf.Engine, cid: str, text: str) -> tuple[cf.Complaint, cf.Event]:
    trail = engine.history(cid)
    last = trail[-1]
    event = cf.Event(
        complaint_id=cid,
        seq=last.seq + 1,
        type="note",
        at=last.at + timedelta(minutes=1),
        actor=HANDLER.id,
        from_status=last.to_status,
        to_status=last.to_status,
        data={"text": text},
    )
    return engine.replay([*trail, event]), event


def test_save_many_skips_conflicts_and_keeps_the_rest(store: Any) -> None:
    from complaintflow.stores import Save

    clock = FakeClock(T0)
    engine = engine_on(store, clock)
    ids = [engine.submit(new(i), actor=complainant(i)).id for i in range(4)]
    clock.advance(hours=1)
    engine.handle(ids[2], command("acknowledge", {}))  # queues a notification
    [taken] = store.pending_notifications()
    before = {cid: (store.load(cid), store.events(cid)) for cid in ids}
    saves = []
    for cid in ids:
        after, event = _noted(engine, cid, f"note on {cid}")
        notes: list[cf.Notification] = []
        if cid == ids[3]:
            notes = [taken]  # exists already: this one must fail whole
        saves.append(Save(after, before[cid][0].version, [event], notes))
    saves[1] = saves[1]._replace(expected_version=7)  # stale
    assert store.save_many(saves) == [True, False, True, False]
    for i in (0, 2):
        assert store.load(ids[i]) == saves[i].complaint
        check_consistent(engine, ids[i])
    for i in (1, 3):
        assert (store.load(ids[i]), store.events(ids[i])) == before[ids[i]]
    assert store.pending_notifications() == [taken]
    assert store.save_many([]) == []


def test_a_sweep_skips_what_changed_meanwhile(opener: StoreFactory) -> None:
    clock = FakeClock(T0)
    store = opener()
    engine = engine_on(store, clock)
    ids = [engine.submit(new(i), actor=complainant(i)).id for i in range(3)]
    now = T0 + timedelta(days=3)
    stale = store.due(now)
    clock.set(now)
    engine.handle(ids[1], command("note", {"text": "meanwhile"}))

    class Stale:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def due(self, before: Any, *, limit: int = 1000) -> list[cf.Complaint]:
            return stale

    sweeper = engine_on(Stale(), clock)
    first = sweeper.sweep(now=now)
    assert {a.complaint_id for a in first} == {ids[0], ids[2]}
    second = engine.sweep(now=now)
    assert {a.complaint_id for a in second} == {ids[1]}
    assert engine.sweep(now=now) == []
    for cid in ids:
        check_consistent(engine, cid)
