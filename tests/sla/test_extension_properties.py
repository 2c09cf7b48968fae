"""Properties of calendars as living data (issue: calendars, provisional
deadlines):

- extending a calendar never changes a deadline that lies wholly inside the
  old data;
- a provisional deadline equals the final one whenever the new data makes no
  day in between differ from the weekly pattern (no holiday on a weekday, no
  working weekend day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from complaintflow.sla import BusinessCalendar, Duration, calendar_days, hours, working_days

SH = ZoneInfo("Asia/Shanghai")
Y2026 = (date(2026, 1, 1), date(2026, 12, 31))
Y2027 = (date(2027, 1, 1), date(2027, 12, 31))


def days_in(lo: date, hi: date, weekend: bool) -> st.SearchStrategy[frozenset[date]]:
    return st.frozensets(
        st.dates(lo, hi).filter(lambda d: (d.weekday() >= 5) == weekend), max_size=25
    )


@st.composite
def base_calendars(draw: st.DrawFn) -> BusinessCalendar:
    return BusinessCalendar(
        SH,
        holidays=draw(days_in(*Y2026, weekend=False)),
        workdays=draw(days_in(*Y2026, weekend=True)),
        valid_from=Y2026[0],
        valid_until=Y2026[1],
    )


@st.composite
def extensions(draw: st.DrawFn) -> dict[str, object]:
    # any days of 2027 (weekday holidays and weekend makeup days, plus
    # weekend holidays and weekday "makeup" days that change nothing)
    holidays = draw(st.frozensets(st.dates(*Y2027), max_size=25))
    workdays = draw(st.frozensets(st.dates(*Y2027), max_size=10)) - holidays
    return {
        "valid_from": "2027-01-01",
        "valid_until": "2027-12-31",
        "holidays": sorted(d.isoformat() for d in holidays),
        "workdays": sorted(d.isoformat() for d in workdays),
    }


durations = st.one_of(
    st.integers(0, 40).map(working_days),
    st.integers(0, 60).map(calendar_days),
    st.integers(0, 2000).map(hours),
)


def starts(lo: datetime, hi: datetime) -> st.SearchStrategy[datetime]:
    return st.datetimes(lo.replace(tzinfo=None), hi.replace(tzinfo=None)).map(
        lambda t: t.replace(tzinfo=SH)
    )


@given(
    base_calendars(),
    extensions(),
    starts(datetime(2026, 1, 1), datetime(2026, 12, 31, 23, 59)),
    durations,
)
def test_extending_never_moves_a_deadline_inside_the_old_data(
    base: BusinessCalendar, data: dict[str, object], start: datetime, duration: Duration
) -> None:
    before = base.deadline_info(start, duration)
    extended = base.extended(data)
    after = extended.deadline_info(start, duration)
    if before.provisional is None:
        assert after.deadline == before.deadline
        assert after.provisional is None


def differs_from_pattern(cal: BusinessCalendar, d: date) -> bool:
    return (d in cal.holidays and d.weekday() < 5) or (d in cal.workdays and d.weekday() >= 5)


@given(
    base_calendars(),
    extensions(),
    starts(datetime(2026, 11, 1), datetime(2026, 12, 31, 23, 59)),
    durations,
)
def test_provisional_equals_final_when_nothing_in_between_differs(
    base: BusinessCalendar, data: dict[str, object], start: datetime, duration: Duration
) -> None:
    provisional = base.deadline_info(start, duration)
    final = base.extended(data).deadline_info(start, duration)
    assert provisional.deadline is not None
    assert final.deadline is not None
    assert final.provisional is None  # 2027 covers every deadline drawn here
    last = max(provisional.deadline, final.deadline).date()
    new_days = {d for d in extended_days(data) if start.date() < d < last}
    ext = base.extended(data)
    unchanged_between = not any(differs_from_pattern(ext, d) for d in new_days)
    if unchanged_between or provisional.provisional is None:  # a final one never moves
        assert final.deadline == provisional.deadline


def extended_days(data: dict[str, object]) -> set[date]:
    out: set[date] = set()
    for key in ("holidays", "workdays"):
        values = data[key]
        assert isinstance(values, list)
        out |= {date.fromisoformat(v) for v in values}
    return out


def test_the_properties_are_not_vacuous() -> None:
    # a hand-made case for each branch: 5 working days from Wed 2026-12-30
    base = BusinessCalendar(SH, valid_from=Y2026[0], valid_until=Y2026[1])
    start = datetime(2026, 12, 30, 10, tzinfo=SH)
    p = base.deadline_info(start, working_days(5))
    # 12-31 (1), 01-01 (2), 01-04..01-06 (3..5) -> 24:00 of 01-06
    assert p.deadline == datetime(2027, 1, 7, tzinfo=SH)
    assert p.provisional is not None
    plain = base.extended({"valid_from": "2027-01-01", "valid_until": "2027-12-31"})
    assert plain.add(start, working_days(5)) == p.deadline
    # a holiday on 01-01 moves it a day later: 01-04..01-07 (2..5)
    holiday = base.extended(
        {"valid_from": "2027-01-01", "valid_until": "2027-12-31", "holidays": ["2027-01-01"]}
    )
    assert holiday.add(start, working_days(5)) == p.deadline + timedelta(days=1)
