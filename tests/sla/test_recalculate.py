"""Recalculation after a calendar change, at the tracker level: which deadline
binds, alerts that say provisional, replay of ``calendar_changed``.

A follow-up executed 2026-12-24 10:00 +08 (7 working days, guide §3.3.5);
by hand: provisional (weekly pattern) 2027-01-05 00:00; with a makeup working
day on Saturday 2027-01-02: 12-25 (1), 12-28..12-31 (2..5), 01-01 Fri (6),
01-02 Sat (7) -> 2027-01-03 00:00, earlier than the promise.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import complaintflow as cf
from complaintflow.models import Complaint, Event
from complaintflow.sla._tracker import SlaTracker, calendar_changed_data, recalculate
from complaintflow.testing import FakeClock

SH = ZoneInfo("Asia/Shanghai")
H = cf.Actor(id="agent-li", roles=frozenset({"handler"}))
PROMISED = datetime(2027, 1, 5, tzinfo=SH)
EARLIER = datetime(2027, 1, 3, tzinfo=SH)
MAKEUP = {
    "valid_from": "2027-01-01",
    "valid_until": "2027-12-31",
    "workdays": {"2027-01-02": "New Year (makeup)"},
}


@pytest.fixture(scope="module")
def executed() -> Complaint:
    clock = FakeClock(datetime(2026, 12, 21, 9, tzinfo=SH))
    engine = cf.Engine(
        calendar=cf.BusinessCalendar.preset("CN"), clock=clock, load_entry_points=False
    )
    c = engine.submit(
        cf.NewComplaint(
            channel="web",
            category="goods",
            complainant=cf.Party(id="u-1"),
            respondent=cf.Party(id="shop-9", kind="merchant"),
            subject="Broken kettle",
            received_at=clock(),
        ),
        actor=cf.Actor(id="u-1", roles=frozenset({"complainant"})),
    )
    clock.set(datetime(2026, 12, 21, 10, tzinfo=SH))
    for cmd in (
        cf.Acknowledge(actor=H),
        cf.RecordStep(actor=H, step="contact_complainant"),
        cf.RecordStep(actor=H, step="investigate"),
        cf.Classify(actor=H),
        cf.Decide(actor=H, outcome="upheld", basis="refund"),
    ):
        engine.handle(c.id, cmd)
    clock.set(datetime(2026, 12, 24, 10, tzinfo=SH))
    return engine.handle(c.id, cf.Execute(actor=H))


def apply(c: Complaint, cal: cf.BusinessCalendar, binding: str) -> Complaint:
    assert c.sla is not None
    changes = recalculate(c.sla, cal, binding=binding)  # type: ignore[arg-type]
    event = Event(
        complaint_id=c.id,
        seq=c.version + 1,
        type="calendar_changed",
        at=datetime(2026, 12, 28, 9, tzinfo=SH),
        actor="system",
        from_status=c.status,
        to_status=c.status,
        cycle=c.cycle,
        data=calendar_changed_data(cal, changes, binding=binding),  # type: ignore[arg-type]
    )
    return SlaTracker(cal, binding=binding).on_event(c, c, event)  # type: ignore[arg-type]


def follow_up(c: Complaint) -> object:
    assert c.sla is not None
    return next(r for r in c.sla.targets if r.name == "follow_up")


@pytest.mark.parametrize(("binding", "binds"), [("later", PROMISED), ("recomputed", EARLIER)])
def test_which_deadline_binds_when_it_moves_earlier(
    executed: Complaint, binding: str, binds: datetime
) -> None:
    cal = cf.BusinessCalendar.preset("CN").extended(MAKEUP)
    assert executed.sla is not None
    (change,) = recalculate(executed.sla, cal, binding=binding)  # type: ignore[arg-type]
    assert (change.old, change.recomputed, change.new) == (PROMISED, EARLIER, binds)
    assert change.was_provisional is not None
    assert change.provisional is None
    r = follow_up(apply(executed, cal, binding))
    assert r.deadline == binds  # type: ignore[attr-defined]
    assert r.promised == PROMISED  # type: ignore[attr-defined]


def test_no_change_when_the_new_data_matches_the_weekly_pattern(executed: Complaint) -> None:
    # a 2027 with no holiday before the deadline: the provisional deadline was
    # right; only the provisional mark goes
    cal = cf.BusinessCalendar.preset("CN").extended(
        {"valid_from": "2027-01-01", "valid_until": "2027-12-31", "holidays": ["2027-05-03"]}
    )
    assert executed.sla is not None
    (change,) = recalculate(executed.sla, cal)
    assert change.old == change.new == PROMISED
    assert change.provisional is None
    # and again on the same calendar: nothing left to change
    again = apply(executed, cal, "later")
    assert again.sla is not None
    assert recalculate(again.sla, cal) == []


def test_an_alert_says_provisional(executed: Complaint) -> None:
    tracker = SlaTracker(cf.BusinessCalendar.preset("CN"))
    r = follow_up(executed)
    alert = tracker.alert(executed, r, "breach", PROMISED, PROMISED)  # type: ignore[arg-type]
    assert alert.kind == "breach"
    assert alert.provisional is not None
    warning = tracker.alert(executed, r, "warning:0.5", PROMISED, PROMISED)  # type: ignore[arg-type]
    assert (warning.kind, warning.threshold) == ("warning", 0.5)


def test_binding_is_checked() -> None:
    with pytest.raises(cf.InvalidInput, match="binding"):
        SlaTracker(cf.BusinessCalendar.preset("CN"), binding="earlier")  # type: ignore[arg-type]
