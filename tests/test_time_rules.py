"""The engine's clock is the authority: forged times are refused and change
nothing; staff intake and the importer role are the ways to record the
past, and the audit trail says which was used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import (
    COMPLAINANT,
    HANDLER,
    SUPERVISOR,
    bring_to,
    do,
    make_engine,
    new_complaint,
    snapshot,
)

IMPORTER = cf.Actor(id="migration-2026", roles=frozenset({"importer"}))


def test_a_backdated_reopen_after_the_window_is_refused(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = bring_to(engine, clock, "closed")  # followed up, not satisfied
    closed_at = engine.get(c.id).closed_at
    assert closed_at is not None
    clock.advance(days=90)
    before = snapshot(engine, c.id)
    forged = {"type": "reopen", "actor": COMPLAINANT, "reason": "late", "at": closed_at}
    with pytest.raises(cf.InvalidInput) as err:
        engine.handle(c.id, {**forged, "at": closed_at + timedelta(minutes=1)})
    assert [e["field"] for e in err.value.errors] == ["at"]
    assert snapshot(engine, c.id) == before
    # at the engine's time, the 30-day window has passed: only a supervisor
    with pytest.raises(cf.PermissionDenied, match="30 days"):
        engine.handle(c.id, {k: v for k, v in forged.items() if k != "at"})
    reopened = engine.handle(c.id, cf.Reopen(actor=SUPERVISOR, reason="audit"))
    assert reopened.cycle == 2


def test_a_far_future_at_is_refused_and_staff_carry_on(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = bring_to(engine, clock, "verifying")
    do(engine, clock, c.id, "request_info", HANDLER)
    before = snapshot(engine, c.id)
    with pytest.raises(cf.InvalidInput, match="in the future") as err:
        engine.handle(
            c.id,
            cf.ProvideInfo(actor=COMPLAINANT, info="here", at=datetime(2099, 1, 1, tzinfo=UTC)),
        )
    assert [e["field"] for e in err.value.errors] == ["at"]
    assert snapshot(engine, c.id) == before
    # nothing moved to 2099: the next commands run on the engine's clock
    do(engine, clock, c.id, "provide_info", COMPLAINANT)
    after = do(engine, clock, c.id, "classify", HANDLER)
    assert after.status == cf.Status.classified
    assert engine.sla(c.id)["verification"].state == "met"


def test_a_backdated_answer_cannot_erase_a_pause(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = bring_to(engine, clock, "verifying")
    asked = do(engine, clock, c.id, "request_info", HANDLER).updated_at
    clock.advance(days=5)
    before = snapshot(engine, c.id)
    with pytest.raises(cf.InvalidInput):
        engine.handle(
            c.id,
            cf.ProvideInfo(actor=COMPLAINANT, info="x", at=asked + timedelta(minutes=1)),
        )
    assert snapshot(engine, c.id) == before
    engine.handle(c.id, cf.ProvideInfo(actor=COMPLAINANT, info="x"))
    # the five days waiting for the complainant stay off the verification clock:
    # 48 h from receipt + the whole pause (from the request to now)
    c = engine.get(c.id)
    verification = engine.sla(c.id)["verification"]
    assert verification.deadline == c.received_at + timedelta(hours=48) + (clock.now - asked)


def test_spaced_received_at_cannot_escape_the_malicious_screen(clock: FakeClock) -> None:
    engine = make_engine(clock)
    start = clock.now
    # ten complaints "received" 25 hours apart, by the complainant: refused
    with pytest.raises(cf.InvalidInput) as err:
        engine.submit(new_complaint(received_at=start - timedelta(hours=25)), actor=COMPLAINANT)
    assert [e["field"] for e in err.value.errors] == ["received_at"]
    assert engine.store.find() == []
    # at the engine's time they are ten within 24 hours: the screen sees them
    flagged = []
    for i in range(10):
        clock.advance(minutes=10)
        c = engine.submit(new_complaint(order_id=f"o-{i}", subject=f"s{i}"), actor=COMPLAINANT)
        flagged.append({f.kind for f in c.flags})
    assert any("malicious" in kinds for kinds in flagged)


def test_staff_may_record_a_late_intake_within_the_window(clock: FakeClock) -> None:
    engine = make_engine(clock)
    two_days_ago = clock.now - timedelta(days=2)
    c = engine.submit(new_complaint(received_at=two_days_ago), actor=HANDLER)
    assert c.received_at == two_days_ago
    first = engine.history(c.id)[0]
    assert (first.time_basis, first.at, first.recorded_at) == ("intake", two_days_ago, clock.now)
    # the deadlines count from the receipt, not from the recording
    assert engine.sla(c.id)["verification"].deadline == two_days_ago + timedelta(hours=48)
    with pytest.raises(cf.InvalidInput, match="7 days"):
        engine.submit(new_complaint(received_at=clock.now - timedelta(days=8)), actor=HANDLER)
    with pytest.raises(cf.InvalidInput, match="received_at"):
        engine.submit(new_complaint(received_at=two_days_ago), actor=COMPLAINANT)


def test_the_importer_migrates_history_and_the_trail_says_so(clock: FakeClock) -> None:
    engine = make_engine(clock)
    long_ago = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)
    c = engine.submit(new_complaint(received_at=long_ago), actor=IMPORTER)
    engine.handle(c.id, cf.Acknowledge(actor=IMPORTER, at=long_ago + timedelta(hours=3)))
    c = engine.handle(
        c.id, cf.Withdraw(actor=IMPORTER, reason="settled", at=long_ago + timedelta(days=2))
    )
    assert c.status == cf.Status.withdrawn
    trail = engine.history(c.id)
    assert [e.time_basis for e in trail] == ["import"] * 3
    assert [e.at for e in trail] == [
        long_ago,
        long_ago + timedelta(hours=3),
        long_ago + timedelta(days=2),
    ]
    assert {e.recorded_at for e in trail} == {clock.now}
    assert engine.sla(c.id)["preliminary_verification"].state == "met"
    # even the importer cannot write before the complaint's last event
    with pytest.raises(cf.InvalidInput, match="last event"):
        engine.handle(c.id, cf.Note(actor=IMPORTER, text="x", at=long_ago))


def test_events_record_the_engines_time(clock: FakeClock) -> None:
    engine = make_engine(clock)
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    clock.advance(minutes=30)
    # a person's time within the skew is taken, and marked as theirs
    said = clock.now - timedelta(minutes=3)
    engine.handle(c.id, cf.Acknowledge(actor=HANDLER, at=said))
    submit, ack = engine.history(c.id)
    assert (submit.time_basis, submit.recorded_at) == ("clock", submit.at)
    assert (ack.at, ack.recorded_at, ack.time_basis) == (said, clock.now, "caller")


def test_the_skew_is_configurable(clock: FakeClock) -> None:
    engine = cf.Engine(clock=clock, clock_skew=timedelta(hours=1), load_entry_points=False)
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    clock.advance(hours=2)
    engine.handle(c.id, cf.Acknowledge(actor=HANDLER, at=clock.now - timedelta(minutes=50)))
    with pytest.raises(cf.InvalidInput):
        engine.handle(c.id, cf.Note(actor=HANDLER, text="x", at=clock.now + timedelta(hours=2)))


@given(offset=st.integers(-3 * 24 * 3600, 3 * 24 * 3600))
def test_a_persons_time_is_believed_exactly_within_the_skew(offset: int) -> None:
    clock = FakeClock(datetime(2026, 3, 9, 2, 0, tzinfo=UTC))
    engine = make_engine(clock)
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    clock.advance(hours=4)
    at = clock.now + timedelta(seconds=offset)
    command = cf.Acknowledge(actor=HANDLER, at=at)
    if abs(offset) <= 5 * 60 and at >= c.updated_at:
        assert engine.handle(c.id, command).updated_at == at
    else:
        before = snapshot(engine, c.id)
        with pytest.raises(cf.InvalidInput):
            engine.handle(c.id, command)
        assert snapshot(engine, c.id) == before


def test_default_engine_counts_on_the_cn_calendar() -> None:
    engine = cf.Engine(load_entry_points=False)
    assert engine.calendar.tz.key == "Asia/Shanghai"
    assert engine.calendar.version == cf.BusinessCalendar.preset("CN").version
