"""Properties of the SLA clock (DESIGN "SLA math — the contract"), checked with
Hypothesis on random calendars in zones with DST (including Lord Howe's 30-minute
shift), random starts, durations and pauses, and against the slow oracle in
``_reference.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from _reference import STEP, RefCalendar, RefPause, walk_days, walk_hours
from hypothesis import assume, given
from hypothesis import strategies as st

from complaintflow.sla import (
    BusinessCalendar,
    Duration,
    business_hours,
    calendar_days,
    hours,
    working_days,
)

# zones and the local dates of their 2026 transitions (Shanghai has none)
HOT_DAYS = {
    "Europe/London": [date(2026, 3, 29), date(2026, 10, 25)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],
    "Asia/Shanghai": [date(2026, 2, 17), date(2026, 10, 1)],
}
DAY = timedelta(days=1)
US = timedelta(microseconds=1)
# opening hours that straddle the transitions (01:00-03:00 local), beside ordinary ones
HOT_HOURS = [
    [(time(0, 30), time(4))],
    [(time(1), time(2, 15))],
    [(time(1, 45), time(2, 15)), (time(2, 30), time(3))],
    [(time(9), time(12)), (time(13, 30), time(18))],
]


def utc(t: datetime | None) -> datetime | None:
    """Compare instants in UTC: Python compares datetimes sharing a tzinfo by wall time
    (ignoring ``fold``) and never finds an ambiguous wall time equal to another zone's."""
    return None if t is None else t.astimezone(UTC)


def at(t: datetime) -> datetime:
    return t.astimezone(UTC)


@dataclass(frozen=True)
class Case:
    cal: BusinessCalendar
    ref: RefCalendar
    base: datetime  # local midnight of a day near a transition, in UTC


@st.composite
def quarter_hours(draw: st.DrawFn, min_len: int = 4) -> list[tuple[time, time]]:
    """One or two opening intervals on 15-minute boundaries, each at least ``min_len`` steps."""
    if draw(st.booleans()):
        return draw(st.sampled_from(HOT_HOURS))
    count = draw(st.integers(1, 2))
    points = sorted(
        draw(st.lists(st.integers(0, 95), min_size=2 * count, max_size=2 * count, unique=True))
    )
    pairs = list(zip(points[::2], points[1::2], strict=True))
    assume(all(b - a >= min_len for a, b in pairs))
    return [(time(a // 4, a % 4 * 15), time(b // 4, b % 4 * 15)) for a, b in pairs]


@st.composite
def cases(draw: st.DrawFn, with_hours: bool = False) -> Case:
    zone = draw(st.sampled_from(sorted(HOT_DAYS)))
    tz = ZoneInfo(zone)
    day = draw(st.sampled_from(HOT_DAYS[zone])) + draw(st.integers(-4, 4)) * DAY
    mask = draw(st.lists(st.booleans(), min_size=7, max_size=7).filter(lambda m: sum(m) >= 3))
    weekmask = "".join("1" if m else "0" for m in mask)
    near = st.integers(-3, 25).map(lambda k: day + k * DAY)
    holidays = draw(st.frozensets(near, max_size=6))
    workdays = draw(st.frozensets(near, max_size=3)) - holidays
    opening: dict[int, list[tuple[time, time]]] = {}
    if with_hours:
        if draw(st.booleans()):
            every = draw(quarter_hours())
            opening = dict.fromkeys(range(7), every)
        else:
            for wd in range(7):
                if draw(st.integers(0, 3)):
                    opening[wd] = draw(quarter_hours())
            assume(any(mask[wd] and opening.get(wd) for wd in range(7)))
    cal = BusinessCalendar(
        zone,
        weekmask,
        holidays,
        workdays,
        opening or None,
        valid_from=day - 40 * DAY,
        valid_until=day + 300 * DAY,
    )
    ref = RefCalendar(tz, weekmask, holidays, workdays, opening)
    base = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    return Case(cal, ref, base)


def steps(lo: int, hi: int) -> st.SearchStrategy[timedelta]:
    return st.integers(lo, hi).map(lambda k: k * STEP)


@st.composite
def starts(draw: st.DrawFn, case: Case) -> datetime:
    """A start on a 15-minute boundary within two days of the case's day, in UTC or local."""
    t = case.base + draw(steps(-96, 2 * 96))
    return t if draw(st.booleans()) else t.astimezone(case.cal.tz)


@st.composite
def pause_lists(draw: st.DrawFn, case: Case, allow_open: bool = True) -> list[RefPause]:
    out: list[RefPause] = []
    for _ in range(draw(st.integers(0, 3))):
        p0 = case.base + draw(steps(-96, 10 * 96))
        if allow_open and draw(st.integers(0, 5)) == 0:
            out.append((p0, None))
        else:
            out.append((p0, p0 + draw(steps(0, 3 * 96))))
    return out


def micro(case: Case) -> st.SearchStrategy[datetime]:
    """Any instant within three days of the case's day, to the microsecond."""
    return st.integers(-DAY // US, 3 * DAY // US).map(lambda k: case.base + k * US)


# whole days, and fractions whose share of a 23/25-hour day is not a whole microsecond
day_amounts = st.one_of(
    st.integers(0, 10),
    st.builds(lambda q, den: q / den, st.integers(0, 40), st.sampled_from([2, 3, 4, 7])),
)


def durations(with_hours: bool) -> st.SearchStrategy[Duration]:
    kinds = [
        st.integers(0, 4 * 72).map(lambda q: hours(q / 4)),
        day_amounts.map(working_days),
        day_amounts.map(calendar_days),
    ]
    if with_hours:
        kinds.append(st.integers(0, 4 * 6).map(lambda q: business_hours(q / 4)))
    return st.one_of(kinds)


# -- agreement with the slow oracle ------------------------------------------------------


@given(data=st.data())
def test_hours_agree_with_reference(data: st.DataObject) -> None:
    case = data.draw(cases())
    start, pauses = data.draw(starts(case)), data.draw(pause_lists(case))
    amount = data.draw(steps(0, 4 * 72))
    got = case.cal.deadline(start, hours(amount / timedelta(hours=1)), pauses)
    assert utc(got) == utc(walk_hours(case.ref, start, amount, pauses, business=False))


@given(data=st.data())
def test_business_hours_agree_with_reference(data: st.DataObject) -> None:
    case = data.draw(cases(with_hours=True))
    start, pauses = data.draw(starts(case)), data.draw(pause_lists(case))
    amount = data.draw(steps(0, 4 * 6))
    got = case.cal.deadline(start, business_hours(amount / timedelta(hours=1)), pauses)
    expected = walk_hours(case.ref, start, amount, pauses, business=True)
    assert utc(got) == utc(expected)
    if got is not None:
        assert got.tzinfo is case.cal.tz


@given(data=st.data(), every_day=st.booleans(), quarters=st.integers(0, 40))
def test_day_counts_agree_with_reference(
    data: st.DataObject, every_day: bool, quarters: int
) -> None:
    case = data.draw(cases())
    start, pauses = data.draw(starts(case)), data.draw(pause_lists(case))
    days = Fraction(quarters, 4)
    duration = (calendar_days if every_day else working_days)(float(days))
    got = case.cal.deadline(start, duration, pauses)
    expected = walk_days(case.ref, start, days, pauses, every_day=every_day)
    if got is None or expected is None:
        assert got == expected
    elif not pauses:
        assert at(got) == at(expected)
    else:
        # a pause's share of a 23/25-hour day is rounded to the microsecond, once per pause
        assert abs(got - expected) <= (len(pauses) + 1) * US


# -- properties ------------------------------------------------------------------------------


@given(data=st.data(), with_hours=st.booleans())
def test_monotone_in_start(data: st.DataObject, with_hours: bool) -> None:
    case = data.draw(cases(with_hours=with_hours))
    duration = data.draw(durations(with_hours))
    s1, s2 = sorted([data.draw(micro(case)), data.draw(micro(case))])
    assert at(case.cal.add(s1, duration)) <= at(case.cal.add(s2, duration))


@given(data=st.data(), with_hours=st.booleans())
def test_monotone_in_duration(data: st.DataObject, with_hours: bool) -> None:
    case = data.draw(cases(with_hours=with_hours))
    d1 = data.draw(durations(with_hours))
    # a second duration of the same kind, drawn from that kind's amounts
    d2 = data.draw(durations(with_hours).map(lambda d: Duration(d1.kind, d.amount)))
    d1, d2 = sorted([d1, d2], key=lambda d: d.amount)
    start, pauses = data.draw(micro(case)), data.draw(pause_lists(case, allow_open=False))
    assert at(case.cal.add(start, d1, pauses)) <= at(case.cal.add(start, d2, pauses))


@given(data=st.data(), with_hours=st.booleans())
def test_consumed_at_the_deadline_is_the_duration(data: st.DataObject, with_hours: bool) -> None:
    case = data.draw(cases(with_hours=with_hours))
    duration = data.draw(durations(with_hours))
    start = data.draw(micro(case))
    pauses = data.draw(pause_lists(case, allow_open=False))
    cal = case.cal
    end = cal.add(start, duration)
    assert cal.consumed(start, end, duration) == duration.measure
    assert cal.remaining(start, end, duration) == timedelta(0)
    end = cal.add(start, duration, pauses)
    consumed = cal.consumed(start, end, duration, pauses)
    if duration.counts_days:
        # exact unless the deadline falls inside a 23/25-hour day: then within 1 µs
        assert duration.measure <= consumed <= duration.measure + US
    else:
        assert consumed == duration.measure
    # and just before the deadline the clock had not run out
    if duration.measure:
        assert cal.consumed(start, at(end) - US, duration, pauses) < duration.measure


@given(data=st.data(), with_hours=st.booleans())
def test_pauses_extend_by_exactly_their_measure(data: st.DataObject, with_hours: bool) -> None:
    case = data.draw(cases(with_hours=with_hours))
    duration = data.draw(durations(with_hours))
    start = data.draw(micro(case))
    cal = case.cal
    end = cal.add(start, duration)
    # a pause inside the clock's window [start, end], drawn there directly
    span = (at(end) - at(start)) // US
    a = data.draw(st.integers(0, span))
    b = data.draw(st.integers(a, span))
    p0, p1 = at(start) + a * US, at(start) + b * US
    extended = cal.add(start, duration, [(p0, p1)])
    # the extension, measured in the duration's own measure, equals the pause's measure
    run = cal.consumed(start, extended, duration) - cal.consumed(start, end, duration)
    paused = cal.consumed(start, p1, duration) - cal.consumed(start, p0, duration)
    slack = US if duration.counts_days else timedelta(0)
    assert abs(run - paused) <= slack
    if duration.kind == "hours":
        assert at(extended) - at(end) == p1 - p0


@given(data=st.data())
def test_business_deadline_is_inside_opening_hours(data: st.DataObject) -> None:
    case = data.draw(cases(with_hours=True))
    start = data.draw(micro(case))
    pauses = data.draw(pause_lists(case, allow_open=False))
    duration = business_hours(data.draw(st.integers(1, 4 * 6)) / 4)
    end = case.cal.add(start, duration, pauses)
    # the clock ran in the microsecond before the deadline: open, not paused;
    # the deadline itself may be closing time
    assert case.ref.is_open(at(end) - US)
    assert not any(p0 <= at(end) - US < p1 for p0, p1 in pauses if p1 is not None)


@given(data=st.data())
def test_start_zone_does_not_matter(data: st.DataObject) -> None:
    case = data.draw(cases(with_hours=True))
    duration = data.draw(durations(True))
    start = data.draw(micro(case))
    elsewhere = start.astimezone(ZoneInfo("America/Los_Angeles"))
    expected = at(case.cal.add(start, duration))
    assert at(case.cal.add(elsewhere, duration)) == expected
    assert at(case.cal.add(start.astimezone(case.cal.tz), duration)) == expected


@given(
    zone=st.sampled_from(sorted(HOT_DAYS)),
    which=st.integers(0, 1),
    amount=st.builds(lambda q, den: q / den, st.integers(1, 6), st.sampled_from([7, 9, 11])),
    minutes=st.integers(0, 24 * 60 - 1),
    every_day=st.booleans(),
)
def test_fraction_of_a_dst_day(
    zone: str, which: int, amount: float, minutes: int, every_day: bool
) -> None:
    # the deadline falls inside the transition day itself (23, 23.5, 24.5 or 25 hours long)
    day = HOT_DAYS[zone][which]
    cal = BusinessCalendar(zone, "1111111")
    ref = RefCalendar(ZoneInfo(zone), "1111111")
    start = datetime.combine(day - DAY, time(0), tzinfo=ZoneInfo(zone)) + timedelta(minutes=minutes)
    duration = (calendar_days if every_day else working_days)(amount)
    days = Fraction(duration.measure // US, DAY // US)
    got = cal.add(start, duration)
    assert at(got) == walk_days(ref, start, days, every_day=every_day)
    consumed = cal.consumed(start, got, duration)
    assert duration.measure <= consumed <= duration.measure + US
    assert cal.consumed(start, at(got) - US, duration) < duration.measure
