"""``Engine.calendar_changed``: the year-end scenario end to end, on every
store: provisional deadlines alerted, a 2027 schedule loaded from a data
file, a ``calendar_changed`` event, the promise kept, outcomes judged on the
recomputed deadline, the trail still replaying.

Counted by hand (guide §3.3.5: 7 working days, start day not counted, end at
24:00), execution on Thursday 2026-12-24:
- provisional (weekly pattern past 2026-12-31): 12-25 (1), 12-28..31 (2..5),
  01-01 Fri (6), 01-04 Mon (7) -> 2027-01-05 00:00 +08:00;
- with tests/sla/data/cn-2027.toml (01-01 a holiday): 12-25, 12-28..31,
  01-04 (6), 01-05 (7) -> 2027-01-06 00:00 +08:00.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock

SH = ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).parent / "sla" / "data"
H = cf.Actor(id="agent-li", roles=frozenset({"handler"}))
U = cf.Actor(id="u-1", roles=frozenset({"complainant"}))
PROVISIONAL = datetime(2027, 1, 5, tzinfo=SH)
FINAL = datetime(2027, 1, 6, tzinfo=SH)


def sh(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[cf.Store]:
    s: cf.Store = (
        cf.MemoryStore() if request.param == "memory" else cf.stores.SQLiteStore(tmp_path / "db")
    )
    yield s
    getattr(s, "close", lambda: None)()


def executed_on_dec_24(engine: cf.Engine, clock: FakeClock) -> str:
    clock.set(sh(12, 21, 9))
    new = cf.NewComplaint(
        channel="web",
        category="goods",
        complainant=cf.Party(id="u-1"),
        respondent=cf.Party(id="shop-9", kind="merchant"),
        subject="Broken kettle",
    )
    cid = engine.submit(new, actor=U).id
    clock.set(sh(12, 21, 10))
    for command in (
        cf.Acknowledge(actor=H),
        cf.RecordStep(actor=H, step="contact_complainant"),
        cf.RecordStep(actor=H, step="investigate"),
        cf.Classify(actor=H),
        cf.Decide(actor=H, outcome="upheld", basis="refund agreed"),
    ):
        engine.handle(cid, command)
    clock.set(sh(12, 24, 10))
    engine.handle(cid, cf.Execute(actor=H))
    return cid


def test_year_end_through_the_engine(store: cf.Store) -> None:
    clock = FakeClock(sh(12, 21, 9))
    engine = cf.Engine(store=store, clock=clock, load_entry_points=False)  # the CN default
    cid = executed_on_dec_24(engine, clock)
    follow = engine.sla(cid)["follow_up"]
    assert (follow.deadline, follow.state) == (PROVISIONAL, "running")
    assert follow.provisional is not None

    # the warnings and the breach come on the provisional deadline, saying so
    clock.set(sh(1, 5, 0, 1, year=2027))
    alerts = engine.sweep()
    assert [(a.target, a.kind) for a in alerts if a.target == "follow_up"] == [
        ("follow_up", "warning"),
        ("follow_up", "warning"),
        ("follow_up", "breach"),
    ]
    assert all(a.provisional for a in alerts if a.target == "follow_up")
    breach = [e for e in engine.history(cid) if e.type == "sla_breach"]
    assert breach[-1].data["provisional"]

    # the 2027 schedule, loaded from a data file, reaches the engine
    new = cf.BusinessCalendar.preset("CN").extended(DATA / "cn-2027.toml")
    clock.set(sh(1, 5, 9, year=2027))
    assert engine.calendar_changed(new) == [cid]
    assert engine.calendar is new
    event = engine.history(cid)[-1]
    assert (event.type, event.actor, event.recorded_at) == ("calendar_changed", "system", clock.now)
    assert event.data["version"] == new.version
    [change] = event.data["changes"]
    assert (change["target"], change["old"], change["new"]) == (
        "follow_up",
        PROVISIONAL.isoformat(),
        FINAL.isoformat(),
    )
    follow = engine.sla(cid)["follow_up"]
    assert (follow.deadline, follow.promised, follow.provisional) == (FINAL, PROVISIONAL, None)
    assert follow.state == "running"  # the breach was not one: 01-05 09:00 < 01-06 00:00

    # followed up on 01-05 at 10:00: met on the recomputed deadline
    clock.set(sh(1, 5, 10, year=2027))
    engine.handle(cid, cf.FollowUp(actor=H, satisfied=True))
    assert engine.sla(cid)["follow_up"].state == "met"
    # nothing more to change on a second run; the trail replays
    assert engine.calendar_changed(new) == []
    assert engine.replay(engine.history(cid)) == engine.get(cid)
    # metrics over December do not raise
    m = engine.metrics(since=sh(12, 1), until=sh(1, 1, year=2027))
    assert m.targets["follow_up"].met == 1


def test_a_stop_while_provisional_is_settled_by_the_change() -> None:
    clock = FakeClock(sh(12, 21, 9))
    engine = cf.Engine(clock=clock, load_entry_points=False)
    cid = executed_on_dec_24(engine, clock)
    clock.set(sh(1, 6, 10, year=2027))  # after both deadlines
    engine.handle(cid, cf.FollowUp(actor=H, satisfied=True))
    assert engine.sla(cid)["follow_up"].state == "undetermined"
    clock.advance(days=1)
    new = cf.BusinessCalendar.preset("CN").extended(DATA / "cn-2027.toml")
    assert engine.calendar_changed(new) == [cid]
    assert engine.sla(cid)["follow_up"].state == "breached"


def test_calendar_changed_checks_its_arguments() -> None:
    engine = cf.Engine(load_entry_points=False)
    with pytest.raises(cf.InvalidInput, match="calendar"):
        engine.calendar_changed("CN")  # type: ignore[arg-type]
    with pytest.raises(cf.InvalidInput, match="batch"):
        engine.calendar_changed(cf.BusinessCalendar.preset("CN"), batch=0)


def test_expiring_calendar_data_is_announced_by_the_sweep() -> None:
    seen: list[object] = []

    class Watch:
        @cf.hookimpl
        def complaintflow_calendar_expiring(self, calendar: object, data_ends: object) -> None:
            seen.append(data_ends)

    clock = FakeClock(sh(11, 20, 9))  # 2026-12-31 is 41 days away: within 60
    engine = cf.Engine(clock=clock, plugins=[Watch()], load_entry_points=False)
    engine.sweep()
    engine.sweep()
    assert len(seen) == 1  # once per calendar version
    clock.set(sh(6, 1))
    quiet = cf.Engine(clock=FakeClock(sh(6, 1)), plugins=[Watch()], load_entry_points=False)
    quiet.sweep()
    assert len(seen) == 1
    assert timedelta(days=60) == cf.sla.DEFAULT_HORIZON


# -- several calendars: one per complaint, chosen by a hook -------------------------


UK = cf.BusinessCalendar(
    "Europe/London", holidays=[date(2026, 12, 25), date(2026, 12, 28)], name="UK"
)


class ByRegion:
    """Complaints through the UK channel count on the UK calendar."""

    @cf.hookimpl
    def complaintflow_calendar(self, complaint: cf.Complaint) -> str | None:
        return "UK" if complaint.channel == "web-uk" else None


def test_each_complaint_counts_on_its_own_calendar() -> None:
    clock = FakeClock(sh(12, 21, 9))
    engine = cf.Engine(clock=clock, calendars=[UK], plugins=[ByRegion()], load_entry_points=False)
    cn = executed_on_dec_24(engine, clock)
    clock.set(sh(12, 21, 9))
    uk_new = cf.NewComplaint(
        channel="web-uk", category="goods", complainant=cf.Party(id="u-9"), subject="Late"
    )
    uk = engine.submit(uk_new, actor=cf.Actor(id="u-9", roles=frozenset({"complainant"}))).id
    c = engine.get(uk)
    assert c.sla is not None
    assert c.sla.calendar == "UK"
    assert {r.calendar for r in c.sla.targets} == {"UK"}
    clock.set(sh(12, 21, 10))
    for command in (
        cf.Acknowledge(actor=H),
        cf.RecordStep(actor=H, step="contact_complainant"),
        cf.RecordStep(actor=H, step="investigate"),
        cf.Classify(actor=H),
        cf.Decide(actor=H, outcome="upheld", basis="refund agreed"),
    ):
        engine.handle(uk, command)
    clock.set(sh(12, 24, 10))  # 02:00 in London, Thursday 24th
    engine.handle(uk, cf.Execute(actor=H))
    # London: 25th and 28th are holidays; working days 12-29 (1), 30 (2), 31 (3),
    # 01-01 (4; the UK calendar has no 2027 holiday data), 01-04 (5), 05 (6),
    # 06 (7) -> 24:00 of Wednesday 2027-01-06 in London
    ldn = ZoneInfo("Europe/London")
    assert engine.sla(uk)["follow_up"].deadline == datetime(2027, 1, 7, tzinfo=ldn)
    # the CN complaint keeps its own (provisional) deadline
    assert engine.sla(cn)["follow_up"].deadline == PROVISIONAL
    # a new CN schedule changes the CN complaint only
    clock.set(sh(1, 2, 9, year=2027))
    new = cf.BusinessCalendar.preset("CN").extended(DATA / "cn-2027.toml")
    assert engine.calendar_changed(new) == [cn]
    assert engine.sla(uk)["follow_up"].deadline == datetime(2027, 1, 7, tzinfo=ldn)
    for cid in (cn, uk):
        assert engine.replay(engine.history(cid)) == engine.get(cid)


def test_an_unknown_calendar_choice_is_a_plugin_error() -> None:
    class Typo:
        @cf.hookimpl
        def complaintflow_calendar(self, complaint: cf.Complaint) -> str:
            return "UKK"

    engine = cf.Engine(calendars=[UK], plugins=[Typo()], load_entry_points=False)
    new = cf.NewComplaint(channel="web", complainant=cf.Party(id="u-9"), subject="s")
    with pytest.raises(cf.PluginError, match="UKK"):
        engine.submit(new, actor=cf.Actor.system())
    assert engine.store.find() == []
    with pytest.raises(cf.InvalidInput, match="calendars"):
        cf.Engine(calendars=[UK, UK], load_entry_points=False)
