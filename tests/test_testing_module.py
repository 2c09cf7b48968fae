"""complaintflow.testing: the strategies and the pytest plugin hosts use."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
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


@pytest.mark.complaintflow(calendar=cf.BusinessCalendar.preset("CN"))
def test_unanswered_complaint_breaches(
    complaintflow_engine: cf.Engine, complaintflow_clock: FakeClock
) -> None:
    # docs/testing.md, "The pytest plugin (opt-in)"
    c = complaintflow_engine.submit(
        cf.NewComplaint(channel="web", category="goods", complainant=cf.Party(id="u"), subject="s"),
        actor=cf.Actor.system(),
    )
    complaintflow_clock.advance(hours=25)
    assert complaintflow_engine.sla(c.id)["preliminary_verification"].state == "breached"
    assert complaintflow_engine.calendar.tz.key == "Asia/Shanghai"


SHANGHAI_NOON = datetime(2026, 2, 27, 12, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday


@pytest.mark.complaintflow(
    calendar=cf.BusinessCalendar.preset("CN"),
    policy=cf.SlaPolicy(
        [cf.SlaTarget("first_reply", "receipt", "acknowledge", cf.working_days(1))], name="wd"
    ),
    start=SHANGHAI_NOON,
)
def test_the_marker_sets_calendar_policy_and_start(
    complaintflow_engine: cf.Engine, complaintflow_clock: FakeClock
) -> None:
    assert complaintflow_clock() == SHANGHAI_NOON
    c = complaintflow_engine.submit(
        cf.NewComplaint(channel="web", category="goods", complainant=cf.Party(id="u"), subject="s"),
        actor=cf.Actor.system(),
    )
    # received Fri 02-27; Sat 02-28 is a 2026 Spring Festival makeup working
    # day, so one working day ends at 24:00 of Saturday
    assert complaintflow_engine.sla(c.id)["first_reply"].deadline == datetime(
        2026, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai")
    )


@pytest.mark.complaintflow(colour="red")
def test_the_marker_refuses_unknown_arguments(request: pytest.FixtureRequest) -> None:
    with pytest.raises(cf.InvalidInput, match=r"unknown marker arguments \['colour'\]"):
        request.getfixturevalue("complaintflow_engine")


@pytest.mark.complaintflow("CN")
def test_the_marker_takes_keywords_only(request: pytest.FixtureRequest) -> None:
    with pytest.raises(cf.InvalidInput, match="keyword arguments only"):
        request.getfixturevalue("complaintflow_clock")


HOST_TEST = """
import sys

def test_nothing_of_complaintflow_is_loaded(request):
    assert not [m for m in sys.modules if m.split(".")[0] == "complaintflow"]
    assert "complaintflow_engine" not in request.fixturenames
    assert request.config.pluginmanager.get_plugin("complaintflow.testing.pytest_plugin") is None
"""

OPTED_IN = """
import complaintflow as cf

def test_fixtures(complaintflow_engine, complaintflow_clock):
    assert isinstance(complaintflow_engine, cf.Engine)
"""


def _pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_plugin_stays_out_of_runs_that_did_not_ask(tmp_path: Path) -> None:
    (tmp_path / "test_host.py").write_text(HOST_TEST)
    done = _pytest_in(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hosts_opt_in_with_a_conftest_or_dash_p(tmp_path: Path) -> None:
    (tmp_path / "test_host.py").write_text(OPTED_IN)
    done = _pytest_in(tmp_path)
    assert done.returncode != 0
    assert "fixture 'complaintflow_engine' not found" in done.stdout
    done = _pytest_in(tmp_path, "-p", "complaintflow.testing.pytest_plugin")
    assert done.returncode == 0, done.stdout + done.stderr
    (tmp_path / "conftest.py").write_text(
        'pytest_plugins = ["complaintflow.testing.pytest_plugin"]\n'
    )
    done = _pytest_in(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_testing_package_loads_the_kit_lazily() -> None:
    import complaintflow.testing as kit

    assert kit.verify_calendar.__module__ == "complaintflow.testing._verify"
    with pytest.raises(AttributeError, match="no attribute 'StoreContractX'"):
        kit.StoreContractX  # noqa: B018
