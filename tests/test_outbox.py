"""The notification outbox under faults: a failing notifier loses nothing,
retries with backoff deliver exactly once, and never touch the command."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import (
    COMPLAINANT,
    bring_to,
    check_trail,
    do,
    finish,
    make_engine,
    new_complaint,
    record_required,
    snapshot,
)


class Flaky:
    """A notifier that raises on its first ``failures`` attempts per notification."""

    def __init__(self, failures: int = 2) -> None:
        self.failures = failures
        self.attempts: Counter[str] = Counter()
        self.delivered: list[str] = []

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        self.attempts[notification.id] += 1
        if self.attempts[notification.id] <= self.failures:
            raise ConnectionError(f"gateway down (attempt {self.attempts[notification.id]})")
        self.delivered.append(notification.idempotency_key)


def outbox(engine: cf.Engine, cid: str) -> list[cf.Notification]:
    return engine.store.notifications(cid)  # type: ignore[attr-defined, no-any-return]


def test_two_failures_then_exactly_one_delivery(clock: FakeClock) -> None:
    flaky = Flaky(failures=2)
    engine = make_engine(clock, plugins=(flaky,))  # retry_backoff: 30 s, doubling
    c = bring_to(engine, clock, "verifying")
    acked = clock.now
    (n,) = outbox(engine, c.id)
    # attempt 1 failed with the command: kept, error recorded, retry in 30 s
    assert (n.status, n.attempts, n.next_attempt_at) == (
        "pending",
        1,
        acked + timedelta(seconds=30),
    )
    assert n.last_error == "ConnectionError"  # the type: the message could quote a contact
    # not due yet: nothing is tried
    assert engine.deliver_pending(now=acked + timedelta(seconds=29)) == 0
    assert flaky.attempts[n.id] == 1
    # attempt 2 fails: the next wait doubles to 60 s
    assert engine.deliver_pending(now=acked + timedelta(seconds=30)) == 0
    (n,) = outbox(engine, c.id)
    assert (n.attempts, n.next_attempt_at) == (2, acked + timedelta(seconds=90))
    assert engine.deliver_pending(now=acked + timedelta(seconds=89)) == 0
    # attempt 3 delivers
    assert engine.deliver_pending(now=acked + timedelta(seconds=90)) == 1
    (n,) = outbox(engine, c.id)
    assert (n.status, n.attempts, n.delivered_at) == (
        "delivered",
        3,
        acked + timedelta(seconds=90),
    )
    # and never again, however often the host retries
    for minutes in (2, 60, 60 * 24):
        assert engine.deliver_pending(now=acked + timedelta(minutes=minutes)) == 0
    assert engine.deliver_pending() == 0
    assert flaky.delivered == [n.idempotency_key]
    assert flaky.attempts[n.id] == 3
    assert engine.store.pending_notifications() == []


def test_the_engine_clock_drives_deliver_pending(clock: FakeClock) -> None:
    flaky = Flaky(failures=1)
    engine = make_engine(clock, plugins=(flaky,))
    bring_to(engine, clock, "verifying")
    assert engine.deliver_pending() == 0  # 30 s have not passed
    clock.advance(seconds=30)
    assert engine.deliver_pending() == 1


def test_a_notifier_error_never_rolls_back_or_corrupts_the_command(clock: FakeClock) -> None:
    engine = make_engine(clock, plugins=(Flaky(failures=100),))
    c = bring_to(engine, clock, "classified")
    record_required(engine, clock, c.id)
    before = engine.get(c.id)
    after = do(engine, clock, c.id, "decide")  # two notifications, both fail
    assert after.status == cf.Status.decided
    assert after.version == before.version + 1
    assert engine.get(c.id) == after
    events = check_trail(engine, c.id)  # gap-free, and replays to the stored complaint
    assert events[-1].type == "decide"
    decided = [n for n in outbox(engine, c.id) if n.kind == "decision"]
    assert [(n.recipient_role, n.status, n.attempts) for n in decided] == [
        ("complainant", "pending", 1),
        ("respondent", "pending", 1),
    ]
    # the complaint goes on; failed retries change nothing but the outbox
    state = snapshot(engine, c.id)[:2]
    engine.deliver_pending(now=clock.now + timedelta(hours=1))
    assert snapshot(engine, c.id)[:2] == state
    finish(engine, clock, c.id)
    check_trail(engine, c.id)


def test_a_failing_notifier_loses_nothing_across_many_complaints(clock: FakeClock) -> None:
    flaky = Flaky(failures=1)
    engine = make_engine(clock, plugins=(flaky,))
    ids = []
    for _ in range(5):
        c = bring_to(engine, clock, "closed")
        ids.append(c.id)
    queued = [n.id for cid in ids for n in outbox(engine, cid)]
    assert len(engine.store.pending_notifications()) == len(queued)
    assert engine.deliver_pending(now=clock.now + timedelta(minutes=1), limit=1000) == len(queued)
    assert sorted(flaky.delivered) == sorted(queued)


def test_one_failing_notifier_means_a_retry_for_all(clock: FakeClock) -> None:
    # the spec's contract: a notifier may see a notification again after
    # another failed; the idempotency key lets it drop the repeat
    seen: list[str] = []

    class Recorder:
        @cf.hookimpl
        def complaintflow_notify(self, notification: cf.Notification) -> None:
            seen.append(notification.idempotency_key)

    engine = make_engine(clock, plugins=(Flaky(failures=1), Recorder()))
    c = bring_to(engine, clock, "verifying")
    engine.deliver_pending(now=clock.now + timedelta(minutes=1))
    (n,) = outbox(engine, c.id)
    assert n.status == "delivered"
    assert set(seen) == {n.idempotency_key}


def test_idempotency_keys_are_unique_per_event_kind_and_recipient(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = bring_to(engine, clock, "classified")
    do(engine, clock, c.id, "request_info", party="respondent")
    do(engine, clock, c.id, "provide_info")
    record_required(engine, clock, c.id)
    do(engine, clock, c.id, "decide")
    do(engine, clock, c.id, "execute")
    do(engine, clock, c.id, "follow_up")
    do(engine, clock, c.id, "reopen", COMPLAINANT)
    engine.sweep(now=clock.advance(days=5))
    other = engine.submit(new_complaint(), actor=COMPLAINANT)
    do(engine, clock, other.id, "acknowledge")
    notes = outbox(engine, c.id) + outbox(engine, other.id)
    kinds = {n.kind for n in notes}
    assert {"acknowledgement", "info_request", "decision", "follow_up", "sla_breach"} <= kinds
    keys = [n.idempotency_key for n in notes]
    assert len(keys) == len(set(keys))
    identities = {(n.complaint_id, n.event_seq, n.kind, n.recipient) for n in notes}
    assert len(identities) == len(notes)


def test_the_store_refuses_a_notification_it_has_already() -> None:
    engine = make_engine()
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    c = engine.handle(c.id, {"type": "acknowledge", "actor": cf.Actor.system()})
    (n,) = outbox(engine, c.id)
    event = engine.history(c.id)[-1]
    nxt = event.model_copy(update={"seq": event.seq + 1, "type": "note"})
    with pytest.raises(cf.ConcurrencyError, match="exists already"):
        engine.store.save(
            c.model_copy(update={"version": c.version + 1}),
            expected_version=c.version,
            events=[nxt],
            notifications=[n],
        )
    assert engine.get(c.id) == c
