"""What-if: tightening the follow-up target changes exactly the complaints a
brute-force recomputation says, and the store is left byte for byte as it was."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from cert_oracle import deadline as oracle_deadline
from complaintflow.testing import FakeClock
from complaintflow.testing.strategies import complaint_histories

SH = ZoneInfo("Asia/Shanghai")
CN = cf.BusinessCalendar.preset("CN")
NOW = datetime(2026, 9, 1, tzinfo=SH)
DRAFT = cf.GUIDE_POLICY.with_durations({"follow_up": cf.working_days(5)})


def brute_force_state(r: Any) -> str:
    """The follow-up's state under 5 working days, from the record's facts."""
    if r.cancelled_at is not None:
        return "cancelled"
    if r.pauses and r.pauses[-1][1] is None:
        return "paused"
    closed = list(r.pauses)
    due = oracle_deadline(
        r.started_at,
        "working_days",
        r.amount - 2,
        closed,
        SH,
        CN.holidays,
        CN.workdays,
        CN.weekmask,
    )
    if r.stopped_at is not None:
        return "met" if r.stopped_at <= due else "breached"
    return "breached" if due < NOW else "running"


@settings(max_examples=5)
@given(st.lists(complaint_histories(max_commands=16), min_size=40, max_size=40))
def test_tightening_follow_up_changes_exactly_the_brute_force_set(histories: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cf.db"
        clock = FakeClock(NOW)
        engine = cf.Engine(
            calendar=CN, store=cf.stores.SQLiteStore(path), clock=clock, load_entry_points=False
        )
        for h in histories:
            h.run(engine, clock)  # the engine's clock follows the history
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        sim = engine.simulate(policy=DRAFT, now=NOW, batch=7)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before
        expected = set()
        for c in engine.store.find(limit=1000):
            assert c.sla is not None
            for r in c.sla.targets:
                if r.name != "follow_up" or r.provisional or r.promised:
                    continue
                was = engine.sla(c.id, now=NOW).history
                old = next(x.state for x in was if (x.name, x.cycle) == (r.name, r.cycle))
                if brute_force_state(r) != old:
                    expected.add((c.id, r.cycle))
        got = {(ch.complaint_id, ch.cycle) for ch in sim.changes}
        assert {ch.target for ch in sim.changes} <= {"follow_up"}
        assert got == expected
        assert sim.complaints == len(histories)
        assert sim.replayed == 0
        total = sum(x.met + x.breached + x.running + x.other for x in sim.after.values())
        assert total == sum(x.met + x.breached + x.running + x.other for x in sim.before.values())
        engine.close()


def test_a_draft_that_counts_from_other_events_replays_the_trail() -> None:
    # a timeline with explicit times: the engine is told to believe them
    engine = cf.Engine(
        calendar=CN,
        clock_skew=timedelta(days=3650),
        intake_window=timedelta(days=3650),
        load_entry_points=False,
    )
    t0 = datetime(2026, 3, 9, 10, tzinfo=SH)
    engine.submit(
        cf.NewComplaint(
            channel="app",
            category="goods",
            complainant=cf.Party(id="u-7"),
            subject="Wrong colour",
            received_at=t0,
        ),
        actor=cf.Actor(id="u-7", roles={"complainant"}),
    )
    # 1 hour to acknowledge, counted from receipt: breached by 12:00 the same day
    draft = cf.SlaPolicy(
        [cf.SlaTarget("quick", start="receipt", stop="acknowledge", duration=cf.hours(1))],
        name="draft",
    )
    sim = engine.simulate(policy=draft, now=datetime(2026, 3, 9, 12, tzinfo=SH))
    assert sim.replayed == 1
    assert sim.after["quick"].breached == 1
    assert sim.before["verification"].running == 1
    assert sim.after["verification"].other == 1  # no longer in the policy
    assert "quick" in sim.table()
    later = engine.simulate(calendar=CN, since=datetime(2027, 1, 1, tzinfo=SH))
    assert later.complaints == 0
    with pytest.raises(cf.InvalidInput, match="policy"):
        engine.simulate(policy="draft.toml")  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput, match="calendar"):
        engine.simulate(calendar="CN")  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput, match="batch"):
        engine.simulate(batch=0)
