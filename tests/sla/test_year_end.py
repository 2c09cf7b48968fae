"""The year-end scenario: the CN data ends on 2026-12-31, a follow-up starts
on 2026-12-24, and the 2027 schedule arrives later.

Expected deadlines are counted by hand (guide §3.3.5: 7 working days, the
start day not counted, ending at 24:00):

- provisional, on the weekly pattern past 2026-12-31 (2027-01-01, a Friday,
  counted as a working day): 12-25 Fri (1), 12-28..12-31 (2..5), 01-01 (6),
  01-04 Mon (7) -> 2027-01-05 00:00 +08:00;
- on the 2027 test schedule (tests/sla/data/cn-2027.toml: 01-01 a holiday):
  12-25 (1), 12-28..12-31 (2..5), 01-04 (6), 01-05 (7) -> 2027-01-06 00:00.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import complaintflow as cf
from complaintflow.models import Complaint, Event
from complaintflow.testing import FakeClock

SH = ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).parent / "data"
H = cf.Actor(id="agent-li", roles=frozenset({"handler"}))
U = cf.Actor(id="u-1", roles=frozenset({"complainant"}))
PROVISIONAL = datetime(2027, 1, 5, tzinfo=SH)
FINAL = datetime(2027, 1, 6, tzinfo=SH)


def sh(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def executed_on_dec_24(engine: cf.Engine, clock: FakeClock) -> str:
    clock.set(sh(12, 21, 9))
    c = engine.submit(
        cf.NewComplaint(
            channel="web",
            category="goods",
            complainant=cf.Party(id="u-1"),
            respondent=cf.Party(id="shop-9", kind="merchant"),
            subject="Broken kettle",
            received_at=sh(12, 21, 9),
        ),
        actor=U,
    )
    cid = c.id
    clock.set(sh(12, 21, 10))
    engine.handle(cid, cf.Acknowledge(actor=H))
    engine.handle(cid, cf.RecordStep(actor=H, step="contact_complainant"))
    engine.handle(cid, cf.RecordStep(actor=H, step="investigate"))
    engine.handle(cid, cf.Classify(actor=H))
    clock.set(sh(12, 22, 10))
    engine.handle(cid, cf.Decide(actor=H, outcome="upheld", basis="refund agreed"))
    clock.set(sh(12, 24, 10))
    engine.handle(cid, cf.Execute(actor=H))
    return cid


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(sh(12, 21, 9))


@pytest.fixture
def engine(clock: FakeClock) -> cf.Engine:
    return cf.Engine(
        calendar=cf.BusinessCalendar.preset("CN"), clock=clock, load_entry_points=False
    )


def change_calendar(
    engine: cf.Engine, clock: FakeClock, cid: str, new: cf.BusinessCalendar, at: datetime
) -> tuple[Complaint, Event, list[dict[str, object]]]:
    """``engine.calendar_changed`` at ``at``: the complaint after it, its
    ``calendar_changed`` event and the changes the event records."""
    clock.set(at)
    assert engine.calendar_changed(new) == [cid]
    event = engine.store.events(cid)[-1]
    assert (event.type, event.at) == ("calendar_changed", at)
    return engine.get(cid), event, list(event.data["changes"])


def test_provisional_follow_up_is_alerted_then_recomputed(
    engine: cf.Engine,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("complaintflow.sla._calendar._WARNED", set())
    with caplog.at_level(logging.WARNING, logger="complaintflow.sla"):
        cid = executed_on_dec_24(engine, clock)
    r = engine.sla(cid, now=sh(12, 24, 11))["follow_up"]
    assert r.deadline == PROVISIONAL
    assert r.provisional is not None
    assert "2027-01-01" in r.provisional
    assert r.calendar_version == cf.BusinessCalendar.preset("CN").version
    c = engine.get(cid)
    assert c.sla is not None
    assert c.sla.next_check is not None
    # the log says so, once for the calendar version
    warned = [m for m in caplog.messages if "provisionally" in m]
    assert len(warned) == 1
    assert "2027-01-01" in warned[0]

    # warnings at 0.5 (3.5 working days: 12-30 12:00) and 0.8 (5.6 days: 01-01 14:24)
    alerts = engine.sweep(now=sh(12, 30, 12, 1))
    assert [(a.kind, a.due_at) for a in alerts] == [("warning", sh(12, 30, 12))]
    alerts = engine.sweep(now=sh(1, 1, 15, year=2027))
    assert [(a.kind, a.due_at) for a in alerts] == [("warning", sh(1, 1, 14, 24, year=2027))]
    alerts = engine.sweep(now=sh(1, 5, 0, 1, year=2027))
    assert [(a.kind, a.deadline) for a in alerts] == [("breach", PROVISIONAL)]
    c = engine.get(cid)
    assert c.sla is not None
    rec = next(x for x in c.sla.targets if x.name == "follow_up")
    assert rec.provisional
    assert "breach" in rec.sent

    # the 2027 schedule arrives: recomputed, the promise kept, breach re-armed
    new = cf.BusinessCalendar.preset("CN").extended(DATA / "cn-2027.toml")
    after, event, changes = change_calendar(engine, clock, cid, new, sh(1, 5, 9, year=2027))
    assert [(ch["target"], ch["old"], ch["new"]) for ch in changes] == [
        ("follow_up", PROVISIONAL.isoformat(), FINAL.isoformat())
    ]
    assert event.data["changes"][0]["new"] == FINAL.isoformat()
    assert after.sla is not None
    rec = next(x for x in after.sla.targets if x.name == "follow_up")
    assert (rec.deadline, rec.promised, rec.provisional) == (FINAL, PROVISIONAL, None)
    assert rec.calendar_version == new.version
    assert "breach" not in rec.sent
    assert rec.next_alert_at == FINAL
    assert after.sla.next_check == FINAL


@pytest.mark.parametrize(
    ("stop", "before", "after"),
    [
        # after the provisional deadline, before the real one: met once known
        (sh(1, 5, 10, year=2027), "undetermined", "met"),
        # after both: breached once known
        (sh(1, 6, 10, year=2027), "undetermined", "breached"),
        # before both: still undetermined (new makeup days could pull it earlier)
        (sh(1, 4, 10, year=2027), "undetermined", "met"),
    ],
)
def test_a_stop_on_a_provisional_deadline_is_judged_on_the_recomputed_one(
    engine: cf.Engine, clock: FakeClock, stop: datetime, before: str, after: str
) -> None:
    cid = executed_on_dec_24(engine, clock)
    clock.set(stop)
    engine.handle(cid, cf.FollowUp(actor=H, satisfied=True))
    r = engine.sla(cid, now=stop + timedelta(hours=1))["follow_up"]
    assert r.state == before
    new = cf.BusinessCalendar.preset("CN").extended(DATA / "cn-2027.toml")
    _, _, changes = change_calendar(engine, clock, cid, new, stop + timedelta(days=2))
    assert len(changes) == 1
    report = engine.sla(cid, now=stop + timedelta(days=2))["follow_up"]
    assert report.state == after
    assert report.deadline == FINAL
    assert report.promised == PROVISIONAL


def test_metrics_over_december_do_not_raise(engine: cf.Engine, clock: FakeClock) -> None:
    cid = executed_on_dec_24(engine, clock)
    clock.set(sh(1, 5, 10, year=2027))
    engine.handle(cid, cf.FollowUp(actor=H, satisfied=True))
    # received 12-30: its 3-business-day bucket needs 2027 (the close is later)
    clock.set(sh(12, 30, 10))
    late = engine.submit(
        cf.NewComplaint(
            channel="web",
            category="goods",
            complainant=cf.Party(id="u-2"),
            respondent=cf.Party(id="shop-9", kind="merchant"),
            subject="Late parcel",
            received_at=sh(12, 30, 10),
        ),
        actor=cf.Actor(id="u-2", roles=frozenset({"complainant"})),
    )
    clock.set(sh(1, 6, 10, year=2027))
    u2 = cf.Actor(id="u-2", roles=frozenset({"complainant"}))
    engine.handle(late.id, cf.Withdraw(actor=u2, reason="sorted out"))
    m = engine.metrics(since=sh(12, 1), until=sh(1, 1, year=2027), now=sh(1, 10, year=2027))
    assert m.complaints == 2
    assert m.targets["follow_up"].undetermined == 1
    assert m.targets["follow_up"].breached == 0
    assert m.closed_undetermined == 1


def test_sla_state_with_calendar_fields_survives_json(engine: cf.Engine, clock: FakeClock) -> None:
    cid = executed_on_dec_24(engine, clock)
    c = engine.get(cid)
    again = Complaint.model_validate_json(c.model_dump_json())
    assert again.sla == c.sla
