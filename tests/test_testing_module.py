"""complaintflow.testing: the strategies and the pytest plugin hosts use."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow.testing import FakeClock
from complaintflow.testing import strategies as cst


def test_pytest_plugin_fixtures(
    complaintflow_engine: cf.Engine, complaintflow_clock: FakeClock
) -> None:
    start = complaintflow_clock()
    c = complaintflow_engine.submit(
        cf.NewComplaint(channel="web", category="goods", complainant=cf.Party(id="u"), subject="s"),
        actor=cf.Actor.system(),
    )
    assert c.received_at == start
    complaintflow_clock.advance(hours=25)
    assert complaintflow_engine.sla(c.id)["preliminary_verification"].state == "breached"


@given(start=cst.aware_datetimes(), d=cst.durations(kinds=("hours", "calendar_days")))
def test_aware_datetimes_and_durations(start: datetime, d: cf.Duration) -> None:
    assert start.tzinfo is not None
    cal = cf.BusinessCalendar("UTC")
    assert cal.add(start, d).astimezone(UTC) >= start.astimezone(UTC)


@given(cal=cst.calendars(), data=st.data())
def test_calendars_give_deadlines_in_their_zone(
    cal: cf.BusinessCalendar, data: st.DataObject
) -> None:
    start = data.draw(cst.aware_datetimes(tz=cal.tz))
    kinds = ("hours", "working_days", "calendar_days") + (
        ("business_hours",) if cal.business_hours else ()
    )
    d = data.draw(cst.durations(kinds=kinds, max_hours=40, max_days=10))
    deadline = cal.add(start, d)
    # compare instants: two datetimes of one zone compare by wall time,
    # ignoring fold (wrong inside DST gaps and repeated hours)
    assert deadline.astimezone(UTC) >= start.astimezone(UTC)
    assert deadline.tzinfo == cal.tz


@given(cal=cst.calendars(), data=st.data())
def test_pause_sets_extend_hour_deadlines_by_their_union(
    cal: cf.BusinessCalendar, data: st.DataObject
) -> None:
    start = data.draw(cst.aware_datetimes(tz=cal.tz))
    pauses = data.draw(cst.pause_sets(start, span=timedelta(days=3)))
    plain = cal.add(start, cf.hours(100))
    paused = cal.add(start, cf.hours(100), pauses=pauses)
    # every pause here starts after `start`; the union of pauses before the
    # deadline is what moves it
    assert paused.astimezone(UTC) >= plain.astimezone(UTC)


@given(commands=st.lists(cst.commands(), max_size=12))
def test_command_sequences_only_raise_library_errors(commands: list[cf.Command]) -> None:
    clock = FakeClock()
    engine = cf.Engine(clock=clock, load_entry_points=False)
    c = engine.submit(
        cf.NewComplaint(channel="web", category="goods", complainant=cf.Party(id="u"), subject="s"),
        actor=cf.Actor.system(),
    )
    for cmd in commands:
        clock.advance(minutes=30)
        with contextlib.suppress(cf.ComplaintFlowError):
            engine.handle(c.id, cmd)
    assert engine.replay(engine.history(c.id)) == engine.get(c.id)


def test_pause_sets_are_well_formed_across_a_dst_gap() -> None:
    # 01:11:35 on 2020-03-29 does not exist in London (clocks jump 01:00 -> 02:00);
    # pauses are offsets from the start's instant, so each ends after it starts
    from zoneinfo import ZoneInfo

    start = datetime(2020, 3, 29, 1, 11, 35, tzinfo=ZoneInfo("Europe/London"))

    @given(pauses=cst.pause_sets(start, span=timedelta(hours=3)))
    def check(pauses: list[tuple[datetime, datetime]]) -> None:
        for p0, p1 in pauses:
            assert p0 <= p1
            assert p0 >= start.astimezone(UTC)

    check()


def test_fake_clock_advances_real_time_across_dst() -> None:
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    # 00:30 GMT on 2026-03-29; one real hour later the clocks read 02:30 BST
    clock = FakeClock(datetime(2026, 3, 29, 0, 30, tzinfo=london))
    after = clock.advance(hours=1)
    assert after.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert (after.hour, after.minute) == (2, 30)
