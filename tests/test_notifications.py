"""Notifier plugins get every notification; a failing one loses nothing."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import (
    COMPLAINANT_ID,
    RESPONDENT,
    RESPONDENT_ID,
    bring_to,
    check_trail,
    do,
    finish,
    make_engine,
    new_complaint,
    snapshot,
)


class Recorder:
    def __init__(self) -> None:
        self.got: list[cf.Notification] = []

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        self.got.append(notification)


class Flaky:
    """Raises on the first ``failures`` attempts at each notification."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: Counter[str] = Counter()
        self.delivered: list[str] = []

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        self.calls[notification.id] += 1
        if self.calls[notification.id] <= self.failures:
            raise TimeoutError(f"SMS gateway timed out (call {self.calls[notification.id]})")
        self.delivered.append(notification.idempotency_key)


def test_a_notifier_receives_every_notification_as_it_is_queued(clock: FakeClock) -> None:
    recorder = Recorder()
    engine = make_engine(clock, plugins=(recorder,))
    c = bring_to(engine, clock, "verifying", category="violation")
    do(engine, clock, c.id, "request_info", party="respondent", question="Is it your listing?")
    do(engine, clock, c.id, "provide_info", RESPONDENT, info="Yes.")
    c = finish(engine, clock, c.id, satisfied=False)
    got = [(n.kind, n.recipient, n.recipient_role) for n in recorder.got]
    assert got[0] == ("acknowledgement", COMPLAINANT_ID, "complainant")
    assert got[1] == ("info_request", RESPONDENT_ID, "respondent")
    assert sorted(got[2:4]) == sorted(
        [("decision", COMPLAINANT_ID, "complainant"), ("decision", RESPONDENT_ID, "respondent")]
    )
    assert got[4:] == [("follow_up", COMPLAINANT_ID, "complainant")]
    assert recorder.got[1].data["question"] == "Is it your listing?"
    assert recorder.got[4].data["satisfied"] is False
    # each was delivered once, and the outbox says so
    outbox = engine.store.notifications(c.id)
    assert sorted(n.id for n in outbox) == sorted(n.id for n in recorder.got)
    assert all(n.status == "delivered" and n.attempts == 1 for n in outbox)
    assert all(n.delivered_at is not None and n.last_error is None for n in outbox)
    assert len({n.idempotency_key for n in outbox}) == len(outbox)
    assert engine.deliver_pending(now=clock.now + timedelta(days=1)) == 0
    assert len(recorder.got) == 5


def test_a_rejection_is_sent_to_the_complainant(clock: FakeClock) -> None:
    recorder = Recorder()
    engine = make_engine(clock, plugins=(recorder,))
    c = engine.submit(new_complaint("service"), actor=cf.Actor.system())
    do(engine, clock, c.id, "reject", reason="malicious", statement="Abusive content.")
    ((kind, who, role, statement),) = [
        (n.kind, n.recipient, n.recipient_role, n.data["statement"]) for n in recorder.got
    ]
    assert (kind, who, role, statement) == (
        "rejection",
        COMPLAINANT_ID,
        "complainant",
        "Abusive content.",
    )


def test_every_notifier_is_called(clock: FakeClock) -> None:
    first, second = Recorder(), Recorder()
    engine = make_engine(clock, plugins=(first, second))
    c = bring_to(engine, clock, "verifying")
    assert [n.id for n in first.got] == [n.id for n in second.got]
    assert [n.kind for n in first.got] == ["acknowledgement"]
    assert engine.store.notifications(c.id)[0].status == "delivered"


def test_without_a_notifier_notifications_wait_in_the_outbox(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = bring_to(engine, clock, "verifying")
    (n,) = engine.store.notifications(c.id)
    assert (n.status, n.attempts, n.kind, n.recipient) == (
        "pending",
        0,
        "acknowledgement",
        COMPLAINANT_ID,
    )
    assert engine.deliver_pending(now=clock.now + timedelta(days=1)) == 0
    assert engine.store.notifications(c.id) == [n]


def test_a_notifier_failing_twice_then_delivering_exactly_once(clock: FakeClock) -> None:
    flaky = Flaky(failures=2)
    backoff = timedelta(minutes=1)
    engine = cf.Engine(clock=clock, plugins=[flaky], load_entry_points=False, retry_backoff=backoff)
    c = bring_to(engine, clock, "received")
    failed_at = clock.advance(hours=1)
    c = engine.handle(c.id, cf.Acknowledge(actor=cf.Actor.system()))

    # the command stays applied, the notification stays pending with the error
    assert (c.status, c.version) == ("verifying", 2)
    assert engine.get(c.id) == c
    check_trail(engine, c.id)
    (n,) = engine.store.notifications(c.id)
    assert (n.status, n.attempts) == ("pending", 1)
    assert n.last_error is not None
    assert n.last_error == "TimeoutError"  # not its message, which could quote a contact
    assert n.next_attempt_at == failed_at + backoff
    state = snapshot(engine, c.id)

    # not due yet: nothing is tried
    assert engine.deliver_pending(now=failed_at + backoff - timedelta(seconds=1)) == 0
    assert flaky.calls[n.id] == 1

    # due: the second attempt fails too, and backs off further
    second = failed_at + backoff
    assert engine.deliver_pending(now=second) == 0
    (n,) = engine.store.notifications(c.id)
    assert (n.status, n.attempts, flaky.calls[n.id]) == ("pending", 2, 2)
    assert n.last_error == "TimeoutError"
    assert n.next_attempt_at is not None
    assert n.next_attempt_at >= second + backoff

    # past the backoff: delivered, exactly once
    third = n.next_attempt_at + timedelta(seconds=1)
    assert engine.deliver_pending(now=third) == 1
    (n,) = engine.store.notifications(c.id)
    assert (n.status, n.attempts, n.delivered_at) == ("delivered", 3, third)
    assert flaky.delivered == [n.idempotency_key]

    # and nothing more, however often it is called
    assert engine.deliver_pending(now=third + timedelta(days=1)) == 0
    assert engine.deliver_pending(now=third + timedelta(days=30)) == 0
    assert flaky.calls[n.id] == 3
    assert flaky.delivered == [n.idempotency_key]
    # delivery never touched the complaint or its trail
    assert snapshot(engine, c.id)[:2] == state[:2]


def test_a_notifier_failing_forever_keeps_everything_pending(clock: FakeClock) -> None:
    flaky = Flaky(failures=10**6)
    engine = make_engine(clock, plugins=(flaky,))
    c = bring_to(engine, clock, "closed")
    assert c.status == "closed"
    outbox = engine.store.notifications(c.id)
    assert len(outbox) == 4  # acknowledgement, 2 decisions, follow-up
    assert all(n.status == "pending" and n.attempts == 1 for n in outbox)
    later = clock.now + timedelta(days=1)
    assert engine.deliver_pending(now=later) == 0
    assert all(n.attempts == 2 for n in engine.store.notifications(c.id))
    check_trail(engine, c.id)


def test_deliver_pending_respects_its_limit(clock: FakeClock) -> None:
    flaky = Flaky(failures=1)
    engine = make_engine(clock, plugins=(flaky,))
    c = bring_to(engine, clock, "decided")  # acknowledgement + 2 decisions, all failed once
    later = clock.now + timedelta(hours=1)
    assert engine.deliver_pending(now=later, limit=2) == 2
    assert engine.deliver_pending(now=later, limit=2) == 1
    assert engine.deliver_pending(now=later, limit=2) == 0
    assert sorted(flaky.delivered) == sorted(n.id for n in engine.store.notifications(c.id))


def test_a_notifier_failing_forever_does_not_starve_the_others(clock: FakeClock) -> None:
    # DESIGN.md: every implementation is called for each notification,
    # whatever the order the notifiers were registered in
    recorder = Recorder()
    engine = make_engine(clock, plugins=(recorder, Flaky(failures=10**6)))
    c = bring_to(engine, clock, "verifying")
    (n,) = engine.store.notifications(c.id)
    assert n.status == "pending"  # one notifier failed: retried later
    assert [m.id for m in recorder.got] == [n.id]
