"""The store contract, as a pytest class to subclass: run it against your store.

Every built-in store passes it; a plugin's store should too. Subclass
:class:`StoreContract` in a test module and give it a ``store`` fixture::

    import pytest
    from complaintflow.testing import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self):
            return MyStore()

A store kept outside the process (a database) should also override
``open_again``: a fixture that returns a function opening another store
object (another connection) on the same data, so that the suite checks
that what one writes, another reads. It needs pytest, and runs the store
under a real :class:`~complaintflow.Engine`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import complaintflow as cf
from complaintflow.errors import ConcurrencyError, InvalidInput, NotFound
from complaintflow.stores import Save, Store, VaultEntry
from complaintflow.testing._clock import FakeClock

__all__ = ["StoreContract", "StoreFactory"]

StoreFactory = Callable[[], Any]
"""Opens (another) store on the same data: a new connection for SQL stores."""

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)  # a Monday morning
HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))
SUPERVISOR = cf.Actor(id="s-1", roles=frozenset({"supervisor"}))

# a full lifecycle after submit: (command type, payload); each queues what it queues
LIFECYCLE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("acknowledge", {}),
    ("record_step", {"step": "contact_complainant"}),
    ("record_step", {"step": "investigate"}),
    ("classify", {}),
    ("decide", {"outcome": "upheld", "basis": "Platform rule 4.2", "remedy": "refund"}),
    ("execute", {"note": "refund issued"}),
    ("follow_up", {"satisfied": True}),
)


def complainant(i: int | str = 1) -> cf.Actor:
    """The complainant ``u-<i>``."""
    return cf.Actor(id=f"u-{i}", roles=frozenset({"complainant"}))


def new(i: int | str = 1, **overrides: Any) -> cf.NewComplaint:
    """A complete goods complaint from ``u-<i>`` against ``shop-9``."""
    fields: dict[str, Any] = {
        "channel": "web",
        "category": "goods",
        "complainant": cf.Party(id=f"u-{i}", name="Wang Xiaohong", contact="+86 139 1234 5678"),
        "respondent": cf.Party(id="shop-9", kind="merchant", name="Golden Kettle"),
        "subject": "Kettle arrived cracked",
        "description": "The kettle leaks from the base.",
        "evidence": ("photo-1.jpg",),
        "order_id": "o-1001",
    }
    fields.update(overrides)
    return cf.NewComplaint(**fields)


def command(kind: str, payload: dict[str, Any], actor: cf.Actor = HANDLER) -> dict[str, Any]:
    """A command as a plain dict."""
    return {"type": kind, "actor": actor, **payload}


def engine_on(
    store: Any, clock: FakeClock | None = None, plugins: tuple[object, ...] = ()
) -> cf.Engine:
    """An engine on ``store``, without entry-point plugins."""
    return cf.Engine(
        store=store, clock=clock or FakeClock(T0), plugins=plugins, load_entry_points=False
    )


def run_lifecycle(engine: cf.Engine, clock: FakeClock, i: int | str = 1) -> cf.Complaint:
    """Submit a complaint from ``u-<i>`` and take it through :data:`LIFECYCLE`."""
    c = engine.submit(new(i), actor=complainant(i))
    for kind, payload in LIFECYCLE:
        clock.advance(hours=1)
        c = engine.handle(c.id, command(kind, payload))
    return c


def check_consistent(engine: cf.Engine, cid: str) -> cf.Complaint:
    """The stored complaint is the replay of its trail; the trail has no gaps."""
    c = engine.get(cid)
    trail = engine.history(cid)
    assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
    assert c.version == len(trail)
    assert engine.replay(trail) == c
    return c


class Recorder:
    """A notifier plugin that records what it is handed, and can fail."""

    def __init__(self) -> None:
        self.seen: list[cf.Notification] = []
        self.fail = False

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        if self.fail:
            raise ConnectionError("mail server down")
        self.seen.append(notification)


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


def _race(
    writers: list[Any], attempts: list[tuple[cf.Complaint, cf.Event]], version: int
) -> list[str]:
    """Each writer saves its attempt on ``version`` at the same moment."""
    start = threading.Barrier(len(writers))
    results = [""] * len(writers)

    def write(w: int) -> None:
        after, event = attempts[w]
        start.wait()
        try:
            writers[w].save(after, expected_version=version, events=[event])
        except ConcurrencyError:
            results[w] = "conflict"
        else:
            results[w] = "saved"

    threads = [threading.Thread(target=write, args=(w,)) for w in range(len(writers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


BAD_FIND: list[tuple[dict[str, Any], str]] = [
    ({"limit": -1}, "limit"),
    ({"limit": 0}, "limit"),
    ({"limit": 10**7}, "limit"),
    ({"limit": "10"}, "limit"),
    ({"limit": True}, "limit"),
    ({"limit": 2.5}, "limit"),
    ({"offset": -1}, "offset"),
    ({"offset": "3"}, "offset"),
    ({"offset": 2**70}, "offset"),
    ({"status": 5}, "status"),
    ({"status": "bogus"}, "status"),
    ({"status": ["received", "bogus"]}, "status"),
    ({"status": [None]}, "status"),
    ({"status": b"received"}, "status"),
    ({"status": {"received": 1}}, "status"),
    ({"complainant": 5}, "complainant"),
    ({"respondent": ["shop-9"]}, "respondent"),
    ({"category": 1.5}, "category"),
    ({"handler": b"h-7"}, "handler"),
    ({"open_only": "yes"}, "open_only"),
    ({"open_only": None}, "open_only"),
    ({"needs_triage": 1}, "needs_triage"),
]
"""``find`` filters every store refuses, and the filter its error names."""


class StoreContract:
    """The store contract as pytest tests: subclass it with a ``store``
    fixture returning a fresh, empty store (see the module's docstring).

    The tests drive the store through an :class:`~complaintflow.Engine` and
    directly: round trips of every status, optimistic versions and
    all-or-nothing saves, the outbox (claims, leases, retries), the due
    query and sweeps, ``find`` filters and pages, the screens' indexed
    look-ups (``count_from``, ``recent_from``, ``find_like``) and two
    writers racing for one complaint."""

    @pytest.fixture
    def store(self) -> Any:
        """A fresh, empty store: every subclass provides it."""
        raise NotImplementedError("a StoreContract subclass needs a `store` fixture")

    @pytest.fixture
    def open_again(self, store: Any) -> StoreFactory:
        """Opens another store object on the data of ``store``; the same
        object by default (right for a store that lives in the process)."""
        return lambda: store

    def test_is_a_store(self, store: Any) -> None:
        assert isinstance(store, Store)

    def test_load_of_unknown_is_none(self, store: Any) -> None:
        assert store.load("nope") is None
        assert store.events("nope") == []

    @pytest.mark.parametrize("tz", ["UTC", "Asia/Shanghai", "America/New_York"])
    def test_a_full_lifecycle_round_trips(self, open_again: StoreFactory, tz: str) -> None:
        clock = FakeClock(T0)

        def on(store: Any) -> cf.Engine:
            calendar = cf.BusinessCalendar(tz)
            return cf.Engine(store=store, clock=clock, calendar=calendar, load_entry_points=False)

        done = run_lifecycle(on(open_again()), clock)
        again = on(open_again())
        loaded = again.get(done.id)
        assert loaded == done
        assert loaded.sla is not None
        assert loaded.sla == done.sla
        assert again.replay(again.history(done.id)) == done
        assert [e.type for e in again.history(done.id)][:2] == ["submit", "acknowledge"]
        check_consistent(again, done.id)

    def test_every_status_round_trips(self, open_again: StoreFactory) -> None:
        clock = FakeClock(T0)
        engine = engine_on(open_again(), clock)
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
        seen.append(
            engine.handle(c.id, command("reopen", {"reason": "no refund"}, actor=SUPERVISOR))
        )
        other = engine_on(open_again(), clock)
        assert other.get(c.id) == seen[-1]
        trail = other.history(c.id)
        assert len(trail) == len(seen)
        assert [other.replay(trail[:i]) for i in range(1, len(trail) + 1)] == seen

    def test_stale_version_is_a_conflict_and_changes_nothing(self, store: Any) -> None:
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

    def test_gap_in_event_seq_is_refused(self, store: Any) -> None:
        clock = FakeClock(T0)
        engine = engine_on(store, clock)
        c = engine.submit(new(), actor=complainant())
        ev = engine.history(c.id)[0].model_copy(update={"seq": 3, "type": "note"})
        with pytest.raises(ConcurrencyError):
            store.save(c.model_copy(update={"version": 3}), expected_version=1, events=[ev])
        assert store.load(c.id) == c
        assert len(store.events(c.id)) == 1

    def test_a_failing_part_of_a_save_rolls_back_the_rest(self, store: Any) -> None:
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

    def test_new_complaint_with_a_taken_id_is_a_conflict(self, store: Any) -> None:
        engine = engine_on(store)
        c = engine.submit(new(id="c-1"), actor=complainant())
        with pytest.raises(ConcurrencyError):
            engine.submit(new(id="c-1", subject="other"), actor=complainant())
        assert store.load("c-1") == c
        assert len(store.events("c-1")) == 1

    def test_outbox(self, store: Any) -> None:
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

    def test_claims_are_disjoint_and_leased(self, store: Any) -> None:
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

    def test_due_and_sweep(self, open_again: StoreFactory) -> None:
        clock = FakeClock(T0)
        store = open_again()
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
        sweeper = engine_on(open_again(), clock, plugins=(recorder,))
        alerts = sweeper.sweep(now=T0 + timedelta(days=5))
        assert alerts
        assert sweeper.sweep(now=T0 + timedelta(days=5)) == []
        keys = [(a.complaint_id, a.target, a.kind, a.threshold) for a in alerts]
        assert len(keys) == len(set(keys))
        assert len(recorder.seen) == len(alerts)
        for cid in ids:
            check_consistent(sweeper, cid)

    def test_deliver_pending_delivers_each_once(self, open_again: StoreFactory) -> None:
        clock = FakeClock(T0)
        quiet = engine_on(open_again(), clock)  # no notifier: everything stays pending
        for i in range(3):
            run_lifecycle(quiet, clock, i)
        assert quiet.deliver_pending() == 0
        recorder = Recorder()
        worker = engine_on(open_again(), clock, plugins=(recorder,))
        assert worker.deliver_pending(limit=5) == 5
        assert worker.deliver_pending(limit=100) == 7
        assert worker.deliver_pending() == 0
        assert len({n.id for n in recorder.seen}) == len(recorder.seen) == 12
        assert open_again().pending_notifications() == []

    def test_failed_delivery_is_retried_later(self, open_again: StoreFactory) -> None:
        clock = FakeClock(T0)
        recorder = Recorder()
        recorder.fail = True
        engine = engine_on(open_again(), clock, plugins=(recorder,))
        c = engine.submit(new(), actor=complainant())
        clock.advance(hours=1)
        engine.handle(c.id, command("acknowledge", {}))
        [n] = open_again().pending_notifications()
        assert n.attempts == 1
        assert n.last_error is not None
        assert "mail server down" in n.last_error
        recorder.fail = False
        assert engine.deliver_pending(now=clock.now) == 0  # backoff not over
        assert engine.deliver_pending(now=clock.now + timedelta(minutes=1)) == 1
        assert [x.id for x in recorder.seen] == [n.id]
        assert open_again().pending_notifications() == []

    def test_find_filters_and_pages(self, store: Any) -> None:
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

        def ids(cs: list[cf.Complaint]) -> list[str]:
            return [c.id for c in cs]

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

    @pytest.mark.parametrize(("filters", "field"), BAD_FIND, ids=[str(f) for f, _ in BAD_FIND])
    def test_find_refuses_bad_filters(
        self, store: Any, filters: dict[str, Any], field: str
    ) -> None:
        """Every store refuses the same bad ``find`` filters with
        :class:`InvalidInput` naming the filter."""
        engine_on(store, FakeClock(T0)).submit(new(), actor=complainant())
        with pytest.raises(InvalidInput) as refused:
            store.find(**filters)
        assert str(refused.value).startswith(f"{field}:"), str(refused.value)
        # the edges of what is taken
        everything = [c.id for c in store.find()]
        assert len(everything) == 1
        assert [c.id for c in store.find(status="received", limit=1_000_000)] == everything
        assert store.find(status=(), offset=2**62, needs_triage=None) == []

    def test_handler_sees_the_same_through_a_second_store(self, open_again: StoreFactory) -> None:
        clock = FakeClock(T0)
        a = engine_on(open_again(), clock)
        b = engine_on(open_again(), clock)
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

    def test_save_many_skips_conflicts_and_keeps_the_rest(self, store: Any) -> None:
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

    def test_a_sweep_skips_what_changed_meanwhile(self, open_again: StoreFactory) -> None:
        clock = FakeClock(T0)
        store = open_again()
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
                return list(stale)

        sweeper = engine_on(Stale(), clock)
        first = sweeper.sweep(now=now)
        assert {a.complaint_id for a in first} == {ids[0], ids[2]}
        second = engine.sweep(now=now)
        assert {a.complaint_id for a in second} == {ids[1]}
        assert engine.sweep(now=now) == []
        for cid in ids:
            check_consistent(engine, cid)

    # -- notifications() and the screens' look-ups -------------------------------

    def test_notifications_lists_every_one_delivered_or_not(self, store: Any) -> None:
        clock = FakeClock(T0)
        engine = engine_on(store, clock)
        a = run_lifecycle(engine, clock, 1)
        b = run_lifecycle(engine, clock, 2)
        every = store.notifications()
        # per lifecycle: acknowledgement, decision to each party, follow-up
        assert len(every) == 8
        assert [n.id for n in every] == [n.id for n in store.pending_notifications()]
        assert {n.complaint_id for n in store.notifications(a.id)} == {a.id}
        assert len(store.notifications(b.id)) == 4
        assert store.mark_delivered(every[0].id, at=clock.now)
        assert [n.status for n in store.notifications()][:2] == ["delivered", "pending"]
        assert store.notifications("nope") == []

    def test_count_and_recent_read_one_complainants_window(self, store: Any) -> None:
        clock = FakeClock(T0)
        engine = engine_on(store, clock)
        mine = []
        for hour in range(6):  # u-1 at T0, T0+1h, ... T0+5h; u-2 in between
            clock.set(T0 + timedelta(hours=hour))
            mine.append(engine.submit(new(1, order_id=f"o-{hour}"), actor=complainant(1)).id)
            clock.advance(minutes=30)
            engine.submit(new(2, order_id=f"p-{hour}"), actor=complainant(2))
        hours = [T0 + timedelta(hours=h) for h in range(6)]
        # received after `since`, no later than `until`: (T0+1h, T0+4h] holds 2, 3, 4
        assert store.count_from("u-1", since=hours[1], until=hours[4]) == 3
        assert store.count_from("u-1", since=T0 - timedelta(days=1), until=hours[5]) == 6
        assert store.count_from("u-1", since=hours[5], until=hours[5] + timedelta(days=1)) == 0
        assert store.count_from("nobody", since=T0, until=hours[5]) == 0
        recent = store.recent_from("u-1", since=hours[1], until=hours[4])
        assert [c.id for c in recent] == mine[2:5]
        latest = store.recent_from("u-1", since=T0 - timedelta(days=1), until=hours[5], limit=2)
        assert [c.id for c in latest] == mine[4:6]

    def test_find_like_finds_open_complaints_alike_by_text_or_order(self, store: Any) -> None:
        clock = FakeClock(T0)
        engine = engine_on(store, clock)

        def submit(i: int | str = 1, **fields: Any) -> cf.Complaint:
            clock.advance(minutes=1)
            return engine.submit(new(i, **fields), actor=complainant(i))

        base = submit(order_id="o-1")
        same_text = submit(order_id="o-2")  # the same words, another order
        same_order = submit(order_id="o-1", subject="Lid broken", description="Snapped off.")
        nobody = submit(order_id="o-3", respondent=None)  # no respondent: matches any
        shop10 = submit(order_id="o-4", respondent=cf.Party(id="shop-10"))  # another one
        submit(2, order_id="o-1")  # another complainant
        unrelated = submit(order_id="o-5", subject="Late courier", description="Ten days.")
        closed = submit(order_id="o-6")
        engine.handle(closed.id, command("withdraw", {"reason": "settled"}, complainant(1)))

        def like(c: cf.Complaint, **kw: Any) -> list[str]:
            return [x.id for x in store.find_like(c, **kw)]

        # the same order first, then the most fingerprint keys shared, then the oldest
        assert like(base) == [same_order.id, same_text.id, nobody.id]
        assert like(base, same_order=False) == [same_text.id, nobody.id]
        assert like(base, limit=1) == [same_order.id]
        assert like(unrelated) == []
        # a complaint without a respondent matches every respondent
        assert like(nobody) == [base.id, same_text.id, shop10.id]

    # -- two writers, one winner -------------------------------------------------

    def test_two_writers_of_one_complaint_one_wins_and_no_gap(
        self, open_again: StoreFactory
    ) -> None:
        clock = FakeClock(T0)
        engine = engine_on(open_again(), clock)
        cid = engine.submit(new(), actor=complainant()).id
        writers = [open_again(), open_again()]
        for round_ in range(10):
            base = engine.get(cid)
            attempts = [_noted(engine, cid, f"writer {w} round {round_}") for w in (0, 1)]
            results = _race(writers, attempts, base.version)
            assert sorted(results) == ["conflict", "saved"]
            winner = results.index("saved")
            assert engine.get(cid) == attempts[winner][0]
            check_consistent(engine, cid)
        assert len(engine.history(cid)) == 11

    # -- the personal-data vault -------------------------------------------------

    def test_vault_keeps_entries_by_complaint_and_party(self, open_again: StoreFactory) -> None:
        store, other = open_again(), open_again()
        store.vault_put(
            [VaultEntry("c-1", "u-1", '{"a":1}'), VaultEntry("c-1", "shop-9", '{"b":2}')]
        )
        store.vault_put([VaultEntry("c-2", "u-1", '{"c":3}'), VaultEntry("c-1", "u-1", "new")])
        # an entry that exists is kept as it was; another connection reads them
        assert sorted(other.vault_read(["c-1"])) == [
            ("c-1", "shop-9", '{"b":2}'),
            ("c-1", "u-1", '{"a":1}'),
        ]
        assert sorted(other.vault_of("u-1")) == [
            ("c-1", "u-1", '{"a":1}'),
            ("c-2", "u-1", '{"c":3}'),
        ]
        assert other.vault_read([]) == []
        assert other.vault_of("nobody") == []
        assert store.vault_erase(party_id="u-1") == 2
        assert other.vault_read(["c-1", "c-2"]) == [("c-1", "shop-9", '{"b":2}')]
        assert store.vault_erase(complaint_id="c-1") == 1
        assert other.vault_read(["c-1"]) == []
        assert other.vault_of("shop-9") == []
        assert store.vault_erase(party_id="u-1") == 0

    def test_erasing_a_complainant_drops_their_duplicate_screen_keys(
        self, open_again: StoreFactory
    ) -> None:
        clock = FakeClock(T0)
        engine = engine_on(open_again(), clock)
        first = engine.submit(new(), actor=complainant())
        assert engine.get(first.id).description == ""  # the text is in the vault
        full = engine.view(first.id, actor=cf.Actor.system())
        assert full.description == "The kettle leaks from the base."
        store = open_again()
        assert [c.id for c in store.find_like(full)] == []
        second = engine.submit(new(order_id="o-2"), actor=complainant())
        assert [c.id for c in store.find_like(second)] == [first.id]
        engine.erase("u-1", "asked to be forgotten", actor=SUPERVISOR, force=True)
        assert store.find_like(second) == []
        assert store.vault_of("u-1") == []
        for cid in (first.id, second.id):
            seen = engine.view(cid, actor=cf.Actor.system())
            assert (seen.complainant.name, seen.description) == ("[erased]", "[erased]")
            assert seen.respondent is not None
            assert seen.respondent.name == "Golden Kettle"
            check_consistent(engine, cid)
