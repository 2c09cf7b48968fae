"""An ``hours`` target without pauses is recomputed by the tracker without
the calendar's general path: its deadline, next alert, outcome and calendar
marks are those the calendar's ``deadline_info`` gives (the oracle here),
in any zone, with or without a promise, stop or alert already sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from complaintflow._base import utc
from complaintflow.sla import BusinessCalendar, TargetRecord, hours
from complaintflow.sla._tracker import SlaTracker

ZONES = [UTC, ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Europe/London")]
CALENDAR = BusinessCalendar("Asia/Shanghai")


@st.composite
def records(draw: st.DrawFn) -> TargetRecord:
    start = draw(st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31)))
    start = start.replace(tzinfo=draw(st.sampled_from(ZONES)))
    amount = draw(st.integers(0, 2000))
    stopped = draw(st.none() | st.integers(0, 3000).map(lambda m: start + timedelta(minutes=m)))
    promised = draw(st.none() | st.integers(0, 3000).map(lambda m: start + timedelta(hours=m)))
    return TargetRecord(
        name="t",
        cycle=1,
        kind="hours",
        amount=amount,
        warn_at=draw(st.sampled_from([(), (0.5,), (0.5, 0.8), (0.25,)])),
        pause_in=(),
        stop="decide",
        started_at=start,
        stopped_at=stopped,
        sent=draw(st.sampled_from([(), ("warning:0.5",), ("warning:0.5", "warning:0.8")])),
        promised=promised,
    )


def expected(r: TargetRecord, binding: str) -> tuple[object, ...]:
    info = CALENDAR.deadline_info(r.started_at, hours(r.amount))
    deadline = info.deadline
    assert deadline is not None
    if r.promised is not None and binding == "later":
        deadline = max(deadline, r.promised, key=utc)
    nxt = None
    if r.stopped_at is None:
        pending = [w for w in r.warn_at if f"warning:{w:g}" not in r.sent]
        if pending:
            nxt = CALENDAR.deadline_info(r.started_at, hours(r.amount * pending[0])).deadline
        elif "breach" not in r.sent:
            nxt = deadline
    met = None if r.stopped_at is None else utc(r.stopped_at) <= utc(deadline)
    return (deadline, met, nxt, None, info.calendar, info.version, info.provisional)


@given(records(), st.sampled_from(["later", "recomputed"]))
def test_an_hours_target_is_recomputed_as_the_calendar_counts_it(
    r: TargetRecord, binding: str
) -> None:
    got = SlaTracker(CALENDAR, binding=binding)._recompute(r)  # type: ignore[arg-type]
    assert (
        got.deadline,
        got.met,
        got.next_alert_at,
        got.problem,
        got.calendar,
        got.calendar_version,
        got.provisional,
    ) == expected(r, binding)
    if r.promised is None:  # counted in the calendar's zone
        assert got.deadline is not None
        assert got.deadline.tzinfo is CALENDAR.tz
    assert got[:11] == r[:11]  # the facts are kept
    assert (got.sent, got.promised) == (r.sent, r.promised)
