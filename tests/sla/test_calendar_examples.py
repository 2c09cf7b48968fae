"""Hand-checked examples of the SLA math (DESIGN "SLA math — the contract").

Every expected value is worked out in the comment beside it.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from complaintflow.errors import CalendarRangeError, ComplaintFlowError, InvalidInput
from complaintflow.sla import (
    BusinessCalendar,
    Duration,
    business_hours,
    calendar_days,
    hours,
    working_days,
)

SH = ZoneInfo("Asia/Shanghai")
LON = ZoneInfo("Europe/London")
NY = ZoneInfo("America/New_York")


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def lon(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LON)


@pytest.fixture(scope="module")
def cn() -> BusinessCalendar:
    return BusinessCalendar.preset("CN")


@pytest.fixture(scope="module")
def plain() -> BusinessCalendar:
    return BusinessCalendar("Asia/Shanghai")


@pytest.fixture(scope="module")
def office() -> BusinessCalendar:
    """CN working days, open 09:00-18:00."""
    return BusinessCalendar.preset("CN", business_hours=(time(9), time(18)))


@pytest.fixture(scope="module")
def lunch() -> BusinessCalendar:
    """CN working days, open 09:00-12:00 and 13:30-18:00 Monday to Friday."""
    day = [(time(9), time(12)), (time(13, 30), time(18))]
    return BusinessCalendar.preset("CN", business_hours=dict.fromkeys(range(5), day))


# -- durations -----------------------------------------------------------------------


def test_durations_are_values() -> None:
    assert str(working_days(7)) == "7 working days"
    assert str(hours(1)) == "1 hour"
    assert str(business_hours(16)) == "16 business hours"
    assert str(calendar_days(56)) == "56 calendar days"
    assert str(hours(1.5)) == "1.5 hours"
    assert str(calendar_days(2.0)) == "2 calendar days"
    assert repr(working_days(7)) == "working_days(7)"
    assert working_days(7) == Duration("working_days", 7)
    assert hash(hours(24)) == hash(hours(24.0))
    assert hours(24) != business_hours(24)
    assert len({hours(24), hours(24), working_days(7)}) == 2
    assert hours(24).measure == timedelta(hours=24)
    assert business_hours(1.5).measure == timedelta(minutes=90)
    assert working_days(7).measure == timedelta(days=7)
    assert calendar_days(0.5).measure == timedelta(hours=12)
    assert working_days(7).counts_days
    assert not hours(1).counts_days
    with pytest.raises(AttributeError):
        hours(1).amount = 2  # type: ignore[misc]


# -- guide §3.3 policy in Asia/Shanghai -----------------------------------------------


@pytest.mark.parametrize(("n", "expected"), [(24, sh(2026, 3, 10, 10)), (48, sh(2026, 3, 11, 10))])
def test_guide_hours(cn: BusinessCalendar, n: int, expected: datetime) -> None:
    # 2026-03-09 10:00 + 24 (48) elapsed hours; Shanghai has no DST
    result = cn.add(sh(2026, 3, 9, 10), hours(n))
    assert result == expected
    assert result.tzinfo is SH


@pytest.mark.parametrize(
    "at", [time(0), time(10), time(23, 59, 59, 999999)], ids=["midnight", "10h", "last-us"]
)
@pytest.mark.parametrize("calendar", ["plain", "cn"])
def test_guide_follow_up_seven_working_days(
    request: pytest.FixtureRequest, calendar: str, at: time
) -> None:
    cal: BusinessCalendar = request.getfixturevalue(calendar)
    # executed Thu 2026-03-12 (not counted): Fri 13 (1), Mon 16 (2), Tue 17 (3), Wed 18 (4),
    # Thu 19 (5), Fri 20 (6), Mon 23 (7) -> 24:00 of Mon 23 = 2026-03-24 00:00 (no CN holiday)
    start = datetime.combine(date(2026, 3, 12), at, tzinfo=SH)
    assert cal.add(start, working_days(7)) == sh(2026, 3, 24)


def test_start_in_another_zone(cn: BusinessCalendar) -> None:
    # 2026-03-12 17:00 UTC is Fri 2026-03-13 01:00 in Shanghai: Mon 16 (1) ... Fri 20 (5),
    # Mon 23 (6), Tue 24 (7) -> 2026-03-25 00:00+08:00
    result = cn.add(datetime(2026, 3, 12, 17, tzinfo=UTC), working_days(7))
    assert result == sh(2026, 3, 25)
    assert result.tzinfo is SH
    assert result.utcoffset() == timedelta(hours=8)


def test_calendar_days(cn: BusinessCalendar) -> None:
    # day 1 is Tue 2026-03-10; day 56 is 2026-03-10 + 55 days = Mar 31 (+21), Apr 30 (+51),
    # May 4 (+55) -> 24:00 of May 4
    assert cn.add(sh(2026, 3, 9, 10), calendar_days(56)) == sh(2026, 5, 5)


# -- CN holidays and makeup days --------------------------------------------------------


def test_spring_festival_2024(cn: BusinessCalendar, plain: BusinessCalendar) -> None:
    # 2024: Feb 10-17 off, Sun Feb 4 and Sun Feb 18 working, Fri Feb 9 (除夕) a working day.
    # From Thu Feb 8: Fri 9 (1), Sun 18 (2), Mon 19 (3) -> 2024-02-20 00:00
    assert cn.add(sh(2024, 2, 8, 10), working_days(3)) == sh(2024, 2, 20)
    # From Fri Feb 2: Sat 3 off, Sun 4 (1), Mon 5 (2) -> 2024-02-06 00:00
    assert cn.add(sh(2024, 2, 2, 16), working_days(2)) == sh(2024, 2, 6)
    # a plain Mon-Fri calendar: Mon 5 (1), Tue 6 (2) -> 2024-02-07 00:00
    assert plain.add(sh(2024, 2, 2, 16), working_days(2)) == sh(2024, 2, 7)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (3, sh(2025, 10, 1)),  # Sun Sep 28 (1), Mon 29 (2), Tue 30 (3)
        (4, sh(2025, 10, 10)),  # Oct 1-8 off, Thu Oct 9 (4)
        (5, sh(2025, 10, 11)),  # Fri Oct 10 (5)
        (6, sh(2025, 10, 12)),  # Sat Oct 11 is a makeup working day (6)
        (7, sh(2025, 10, 14)),  # Sun Oct 12 off, Mon Oct 13 (7)
    ],
)
def test_national_day_2025(cn: BusinessCalendar, n: int, expected: datetime) -> None:
    # from Fri 2025-09-26 15:00 (not counted); Sat Sep 27 is a rest day
    assert cn.add(sh(2025, 9, 26, 15), working_days(n)) == expected


# -- DST ------------------------------------------------------------------------------


def test_hours_across_dst_london() -> None:
    cal = BusinessCalendar("Europe/London")
    # 2026-03-29 01:00 GMT -> 02:00 BST: 12:00 GMT + 24 real hours = 12:00 UTC = 13:00 BST
    spring = cal.add(lon(2026, 3, 28, 12), hours(24))
    assert spring == datetime(2026, 3, 29, 13, tzinfo=LON)
    assert spring.utcoffset() == timedelta(hours=1)
    # 2026-10-25 02:00 BST -> 01:00 GMT: 12:00 BST (11:00 UTC) + 24 h = 11:00 UTC = 11:00 GMT
    autumn = cal.add(lon(2026, 10, 24, 12), hours(24))
    assert autumn == datetime(2026, 10, 25, 11, tzinfo=UTC)
    assert autumn.utcoffset() == timedelta(0)


def test_business_hours_across_dst_london() -> None:
    cal = BusinessCalendar("Europe/London", "1111111", business_hours=(time(0, 30), time(4)))
    # Sun 2026-03-29: 00:30-01:00 GMT (0.5 h), the clock jumps to 02:00 BST, 02:00-04:00 (2 h):
    # 2.5 h that day; the last 0.5 h from Mon 00:30 BST -> 01:00 BST
    assert cal.add(lon(2026, 3, 29, 0, 30), business_hours(3)) == lon(2026, 3, 30, 1)
    # Sun 2026-10-25: 00:30-02:00 BST, the clock goes back to 01:00 GMT, 01:00-04:00 GMT:
    # 1.5 + 3 = 4.5 h, ending exactly at closing time 04:00 GMT
    end = cal.add(lon(2026, 10, 25, 0, 30), business_hours(4.5))
    assert end == datetime(2026, 10, 25, 4, tzinfo=UTC)
    assert cal.consumed(lon(2026, 10, 25), end, business_hours(1)) == timedelta(hours=4.5)


def test_business_hours_dst_gap_new_york() -> None:
    cal = BusinessCalendar("America/New_York", "1111111", business_hours=(time(1), time(5)))
    start = datetime(2026, 3, 8, 1, tzinfo=NY)
    # Sun 2026-03-08 02:00 EST -> 03:00 EDT: 01:00-02:00 EST (1 h) + 03:00-05:00 EDT (2 h);
    # 3 h end at closing time 05:00 EDT = 09:00 UTC
    assert cal.add(start, business_hours(3)) == datetime(2026, 3, 8, 9, tzinfo=UTC)


def test_calendar_day_of_23_hours_counts_one() -> None:
    cal = BusinessCalendar("Europe/London")
    # Sun 2026-03-29 lasts 23 h but is one day: from Sat 28 -> 24:00 of Sun 29
    assert cal.add(lon(2026, 3, 28, 10), calendar_days(1)) == lon(2026, 3, 30)
    # Fri 27 + 1.5 days: Sat 28 whole, half of Sun 29 = 11.5 real hours from 00:00 GMT
    # = 11:30 UTC = 12:30 BST
    assert cal.add(lon(2026, 3, 27, 10), calendar_days(1.5)) == lon(2026, 3, 29, 12, 30)
    # and back: half of the 23-hour day is half a day
    assert cal.consumed(lon(2026, 3, 28, 10), lon(2026, 3, 29, 12, 30), calendar_days(1)) == (
        timedelta(hours=12)
    )


# -- business hours -----------------------------------------------------------------------


def test_start_on_rest_day_or_outside_hours(office: BusinessCalendar) -> None:
    # Sat 2026-03-14 10:00 counts from Mon 16 09:00: 2 h -> 11:00
    assert office.add(sh(2026, 3, 14, 10), business_hours(2)) == sh(2026, 3, 16, 11)
    # Fri 2026-03-13 20:00 (after closing) counts from Mon 09:00: 1 h -> 10:00
    assert office.add(sh(2026, 3, 13, 20), business_hours(1)) == sh(2026, 3, 16, 10)
    # Mon 07:00 (before opening): 09:00 + 2 h -> 11:00
    assert office.add(sh(2026, 3, 16, 7), business_hours(2)) == sh(2026, 3, 16, 11)
    # Spring Festival 2024: Thu Feb 8 17:00 + 2 h: 1 h Thu, Fri 9 09:00 + 1 h -> 10:00;
    # + 10 h: 1 h Thu, 9 h Fri (18:00 closing), then Sun Feb 18 (makeup) 09:00 -> 10:00? no:
    # 1 + 9 = 10 h already at Fri 18:00
    assert office.add(sh(2024, 2, 8, 17), business_hours(2)) == sh(2024, 2, 9, 10)
    assert office.add(sh(2024, 2, 8, 17), business_hours(10)) == sh(2024, 2, 9, 18)
    # + 11 h: the 11th hour is on the makeup Sunday Feb 18, 09:00 -> 10:00
    assert office.add(sh(2024, 2, 8, 17), business_hours(11)) == sh(2024, 2, 18, 10)


def test_deadline_at_closing_time(office: BusinessCalendar, lunch: BusinessCalendar) -> None:
    # Fri 16:00 + 2 h = Fri 18:00 exactly: reported at closing, not Mon 09:00
    assert office.add(sh(2026, 3, 13, 16), business_hours(2)) == sh(2026, 3, 13, 18)
    # Mon 09:00 + 9 h = Mon 18:00
    assert office.add(sh(2026, 3, 16, 9), business_hours(9)) == sh(2026, 3, 16, 18)
    # lunch break: Mon 11:00 + 1 h = 12:00 (the morning's closing), not 13:30
    assert lunch.add(sh(2026, 3, 16, 11), business_hours(1)) == sh(2026, 3, 16, 12)
    # Mon 11:00 + 1.5 h: 1 h to 12:00, 0.5 h from 13:30 -> 14:00
    assert lunch.add(sh(2026, 3, 16, 11), business_hours(1.5)) == sh(2026, 3, 16, 14)


def test_makeup_day_keeps_weekday_hours(lunch: BusinessCalendar) -> None:
    # Sun 2024-02-04 is a makeup working day; Sunday has no hours, so it takes Monday's
    # (09:00-12:00, 13:30-18:00): from Sat Feb 3 10:00, 3 h -> Sun 12:00, 4 h -> Sun 14:30
    assert lunch.add(sh(2024, 2, 3, 10), business_hours(3)) == sh(2024, 2, 4, 12)
    assert lunch.add(sh(2024, 2, 3, 10), business_hours(4)) == sh(2024, 2, 4, 14, 30)


def test_business_hours_per_weekday_with_closed_weekday() -> None:
    # open only Monday 09:00-11:00 and Wednesday 14:00-15:00 (Tue/Thu/Fri working but closed)
    cal = BusinessCalendar(
        "Asia/Shanghai",
        business_hours={0: [(time(9), time(11))], 2: [(time(14), time(15))]},
    )
    # Mon 2026-03-16 10:00 + 2 h: 1 h Mon, 1 h Wed 14:00-15:00 -> Wed 15:00
    assert cal.add(sh(2026, 3, 16, 10), business_hours(2)) == sh(2026, 3, 18, 15)
    assert cal.business_hours == {0: [(time(9), time(11))], 2: [(time(14), time(15))]}


def test_business_hours_list_form_and_adjacent_intervals() -> None:
    cal = BusinessCalendar(
        "Asia/Shanghai", business_hours=[(time(13), time(18)), (time(9), time(13))]
    )
    # adjacent intervals merge into 09:00-18:00
    assert cal.business_hours == {wd: [(time(9), time(18))] for wd in range(7)}
    assert cal.add(sh(2026, 3, 16, 9), business_hours(9)) == sh(2026, 3, 16, 18)


# -- pauses ---------------------------------------------------------------------------------


def test_pause_extends_hours_by_its_length(cn: BusinessCalendar) -> None:
    start = sh(2026, 3, 9, 10)
    # 24 h + a 3.5 h pause -> 2026-03-10 13:30
    assert cn.add(start, hours(24), [(sh(2026, 3, 9, 12), sh(2026, 3, 9, 15, 30))]) == sh(
        2026, 3, 10, 13, 30
    )
    # overlapping pauses are merged: 12:00-14:00 and 13:00-15:30 are the same 3.5 h
    overlapping = [
        (sh(2026, 3, 9, 12), sh(2026, 3, 9, 14)),
        (sh(2026, 3, 9, 13), sh(2026, 3, 9, 15, 30)),
    ]
    assert cn.add(start, hours(24), overlapping) == sh(2026, 3, 10, 13, 30)
    # a pause before the start, or after the deadline, changes nothing
    assert cn.add(start, hours(24), [(sh(2026, 3, 8), sh(2026, 3, 9, 10))]) == sh(2026, 3, 10, 10)
    assert cn.add(start, hours(24), [(sh(2026, 3, 10, 10), sh(2026, 3, 11))]) == sh(2026, 3, 10, 10)


def test_pause_in_business_hours(office: BusinessCalendar) -> None:
    mon = sh(2026, 3, 16, 9)
    # Mon 09:00 + 4 h = 13:00; a 1.5 h pause inside business hours -> 14:30
    assert office.add(mon, business_hours(4)) == sh(2026, 3, 16, 13)
    assert office.add(mon, business_hours(4), [(sh(2026, 3, 16, 10), sh(2026, 3, 16, 11, 30))]) == (
        sh(2026, 3, 16, 14, 30)
    )
    # 16 h: Mon 9 h + Tue 7 h -> Tue 16:00; a pause over the night (18:00-09:00) adds nothing
    night = [(sh(2026, 3, 16, 18), sh(2026, 3, 17, 9))]
    assert office.add(mon, business_hours(16)) == sh(2026, 3, 17, 16)
    assert office.add(mon, business_hours(16), night) == sh(2026, 3, 17, 16)
    # a pause 17:00-10:00 removes 1 h Monday and 1 h Tuesday: Tue 16:00 + 2 h = 18:00 closing
    evening = [(sh(2026, 3, 16, 17), sh(2026, 3, 17, 10))]
    assert office.add(mon, business_hours(16), evening) == sh(2026, 3, 17, 18)


def test_pause_of_half_a_working_day(cn: BusinessCalendar) -> None:
    start = sh(2026, 3, 12, 10)
    # 7 working days -> 2026-03-24 00:00; a pause over Mon 16 00:00-12:00 removes half a
    # working day: the 7th day completes at noon of the next working day, Tue 24 12:00
    half = [(sh(2026, 3, 16), sh(2026, 3, 16, 12))]
    assert cn.add(start, working_days(7), half) == sh(2026, 3, 24, 12)
    # a pause on a rest day (Sat 14) or on the start day (not counted) removes nothing
    assert cn.add(start, working_days(7), [(sh(2026, 3, 14), sh(2026, 3, 15))]) == sh(2026, 3, 24)
    assert cn.add(start, working_days(7), [(sh(2026, 3, 12, 11), sh(2026, 3, 13))]) == sh(
        2026, 3, 24
    )
    # a pause spanning Fri 20 18:00 to Mon 23 06:00: 6 h of Fri and 6 h of Mon are 0.5 day
    weekend = [(sh(2026, 3, 20, 18), sh(2026, 3, 23, 6))]
    assert cn.add(start, working_days(7), weekend) == sh(2026, 3, 24, 12)


def test_open_pause(cn: BusinessCalendar) -> None:
    start = sh(2026, 3, 9, 10)
    still_open = [(sh(2026, 3, 9, 12), None)]
    # no deadline while the clock waits
    assert cn.deadline(start, hours(24), still_open) is None
    with pytest.raises(InvalidInput, match=r"still open"):
        cn.add(start, hours(24), still_open)
    # the remaining time is frozen at what was left when the pause began: 24 - 2 = 22 h
    assert cn.consumed(start, sh(2026, 3, 12), hours(24), still_open) == timedelta(hours=2)
    assert cn.remaining(start, sh(2026, 3, 12), hours(24), still_open) == timedelta(hours=22)
    # an open pause that began after the deadline leaves the deadline as it was
    late = [(sh(2026, 3, 10, 11), None)]
    assert cn.deadline(start, hours(24), late) == sh(2026, 3, 10, 10)
    assert cn.add(start, hours(24), late) == sh(2026, 3, 10, 10)
    # an open pause absorbs the pauses after it
    both = [(sh(2026, 3, 9, 12), None), (sh(2026, 3, 9, 13), sh(2026, 3, 9, 14))]
    assert cn.deadline(start, working_days(1), both) is None
    # closed pause then open one: 1 h paused, then open from 14:00: consumed 3 h by 20:00
    mixed = [(sh(2026, 3, 9, 11), sh(2026, 3, 9, 12)), (sh(2026, 3, 9, 14), None)]
    assert cn.consumed(start, sh(2026, 3, 9, 20), hours(24), mixed) == timedelta(hours=3)


# -- the clock --------------------------------------------------------------------------------


def test_consumed_and_remaining(cn: BusinessCalendar, office: BusinessCalendar) -> None:
    start = sh(2026, 3, 9, 10)
    # working days: the anchor is Tue 10 00:00; by Wed 11 12:00 one and a half days ran
    assert cn.consumed(start, sh(2026, 3, 11, 12), working_days(7)) == timedelta(days=1.5)
    assert cn.remaining(start, sh(2026, 3, 11, 12), working_days(7)) == timedelta(days=5.5)
    # before the anchor nothing ran; an `until` before the start gives zero too
    assert cn.consumed(start, sh(2026, 3, 9, 23), working_days(7)) == timedelta(0)
    assert cn.consumed(start, sh(2026, 3, 8), hours(24)) == timedelta(0)
    # past the deadline the remaining time is floored at zero
    assert cn.remaining(start, sh(2026, 4, 1), working_days(7)) == timedelta(0)
    # a weekend adds nothing: Fri 13 09:00 to Mon 16 09:00 in business hours is 9 h
    assert office.consumed(sh(2026, 3, 13, 9), sh(2026, 3, 16, 9), business_hours(16)) == (
        timedelta(hours=9)
    )
    # calendar days run on rest days: Sat 14 00:00 to Sun 15 06:00 is 1.25 days
    assert cn.consumed(sh(2026, 3, 13, 20), sh(2026, 3, 15, 6), calendar_days(3)) == timedelta(
        days=1.25
    )


def test_zero_duration_is_the_anchor(cn: BusinessCalendar, office: BusinessCalendar) -> None:
    start = sh(2026, 3, 14, 10)  # a Saturday
    assert cn.add(start, hours(0)) == start
    assert office.add(start, business_hours(0)) == start
    assert cn.add(start, working_days(0)) == sh(2026, 3, 15)
    assert cn.add(start, calendar_days(0)) == sh(2026, 3, 15)


def test_fractional_working_days(cn: BusinessCalendar) -> None:
    # from Fri 13: Mon 16 whole, then a quarter of Tue 17 -> Tue 06:00
    assert cn.add(sh(2026, 3, 13, 9), working_days(1.25)) == sh(2026, 3, 17, 6)
    # 0.5 from Fri 13 lands in Mon 16 (the weekend does not count) at noon
    assert cn.add(sh(2026, 3, 13, 9), working_days(0.5)) == sh(2026, 3, 16, 12)


def test_is_working_day_and_introspection(cn: BusinessCalendar) -> None:
    assert cn.tz is SH
    assert cn.weekmask == "1111100"
    assert cn.valid_from == date(2020, 1, 1)
    assert cn.is_working_day(date(2024, 2, 4))  # makeup Sunday
    assert not cn.is_working_day(date(2024, 2, 12))  # Spring Festival Monday
    assert not cn.is_working_day(date(2024, 2, 3))  # plain Saturday
    assert date(2024, 2, 12) in cn.holidays
    assert date(2024, 2, 4) in cn.workdays
    assert cn.business_hours is None
    assert "valid_from=2020-01-01" in repr(cn)
    named = BusinessCalendar(ZoneInfo("UTC"), weekmask="Mon Tue Wed Thu", business_hours=None)
    assert named.weekmask == "1111000"
    assert named.valid_from is None
    assert named.valid_until is None
    assert BusinessCalendar("UTC", weekmask=[1, 1, 1, 1, 1, 1, 0]).weekmask == "1111110"
    assert "business_hours" in repr(BusinessCalendar("UTC", business_hours=(time(9), time(17))))


def test_unbounded_calendar_extends_its_index_both_ways() -> None:
    cal = BusinessCalendar("Europe/London")
    # far in the future and the past, and a long span: plain Mon-Fri arithmetic
    # Thu 2100-01-07 + 1 working day -> Fri 8 (1) -> 2100-01-09 00:00 GMT
    assert cal.add(lon(2100, 1, 7, 12), working_days(1)) == lon(2100, 1, 9)
    # Fri 1950-01-06 + 1 -> Mon 9 (1) -> 1950-01-10 00:00
    assert cal.add(lon(1950, 1, 6, 12), working_days(1)) == lon(1950, 1, 10)
    # 2026-01-05 is a Monday; 5200 working days are 1040 weeks = 7280 days later,
    # 5200th working day = Mon + 7280 - 3 days (a Friday) -> the next midnight is a Saturday
    end = cal.add(lon(2026, 1, 4, 12), working_days(5200))
    assert end.date() == date(2026, 1, 4) + timedelta(days=7280 - 1)
    assert end.time() == time(0)


def test_from_holidays_gb() -> None:
    pytest.importorskip("holidays", reason="the optional holidays package is not installed")
    cal = BusinessCalendar.from_holidays("GB", subdiv="ENG", years=range(2024, 2028))
    assert cal.tz == LON
    assert cal.valid_from == date(2024, 1, 1)
    assert cal.valid_until == date(2027, 12, 31)
    # Easter 2026: Good Friday Apr 3 and Easter Monday Apr 6. From Thu Apr 2:
    # Fri 3 off, weekend, Mon 6 off, Tue 7 (1) -> 2026-04-08 00:00 BST
    assert cal.add(lon(2026, 4, 2, 15), working_days(1)) == lon(2026, 4, 8)
    one_year = BusinessCalendar.from_holidays("DE", years=2026, business_hours=(time(8), time(16)))
    assert one_year.tz == ZoneInfo("Europe/Berlin")
    assert one_year.business_hours is not None


def test_from_holidays_cn_has_makeup_days() -> None:
    holidays = pytest.importorskip(
        "holidays", reason="the optional holidays package is not installed"
    )
    cal = BusinessCalendar.from_holidays("CN", years=2024)
    # where the holidays package knows the 调休 days, Sun Feb 4 2024 is a working day
    knows_makeup = hasattr(holidays.country_holidays("CN", years=2024), "weekend_workdays")
    assert cal.is_working_day(date(2024, 2, 4)) == knows_makeup
    assert not cal.is_working_day(date(2024, 2, 12))


# -- errors ----------------------------------------------------------------------------------


def test_error_naive_datetimes(cn: BusinessCalendar) -> None:
    naive = datetime(2026, 3, 9, 10)
    with pytest.raises(InvalidInput, match=r"^start: must be timezone-aware") as e:
        cn.add(naive, hours(1))
    assert e.value.errors == [{"field": "start", "reason": "must be timezone-aware"}]
    with pytest.raises(InvalidInput, match=r"^start: must be timezone-aware"):
        cn.add(naive, working_days(1))
    with pytest.raises(InvalidInput, match=r"^start: must be a datetime"):
        cn.add(date(2026, 3, 9), working_days(1))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"^until: must be timezone-aware"):
        cn.consumed(sh(2026, 3, 9), naive, hours(1))
    pauses = [(sh(2026, 3, 9, 11), sh(2026, 3, 9, 12)), (naive, sh(2026, 3, 9, 12))]
    with pytest.raises(InvalidInput, match=r"^pauses\[1\]: start must be a timezone-aware"):
        cn.add(sh(2026, 3, 9), hours(1), pauses)
    with pytest.raises(InvalidInput, match=r"^pauses\[0\]: end must be a timezone-aware"):
        cn.add(sh(2026, 3, 9), hours(1), [(sh(2026, 3, 9, 11), naive)])
    with pytest.raises(InvalidInput, match=r"^pauses\[0\]: must be a \(start, end\) pair"):
        cn.add(sh(2026, 3, 9), hours(1), [(sh(2026, 3, 9, 11),)])  # type: ignore[list-item]


@pytest.mark.parametrize("amount", [-1, -0.5, math.nan, math.inf, -math.inf])
def test_error_negative_or_non_finite_duration(amount: float) -> None:
    with pytest.raises(InvalidInput, match=r"^amount: must (not be negative|be finite)"):
        working_days(amount)
    with pytest.raises(InvalidInput, match=r"^amount:"):
        hours(amount)


def test_error_bad_duration_values() -> None:
    with pytest.raises(InvalidInput, match=r"^amount: must be an int or a float"):
        hours(True)
    with pytest.raises(InvalidInput, match=r"^amount: must be an int or a float"):
        hours("3")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"^amount: is too large"):
        calendar_days(1e10)
    with pytest.raises(InvalidInput, match=r"^kind: must be one of"):
        Duration("weeks", 1)  # type: ignore[arg-type]


def test_error_duration_argument(cn: BusinessCalendar) -> None:
    with pytest.raises(InvalidInput, match=r"^duration: must be a Duration"):
        cn.add(sh(2026, 3, 9), timedelta(hours=1))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"^duration: business_hours\(\) needs a calendar"):
        cn.add(sh(2026, 3, 9), business_hours(1))


def test_error_pause_ends_before_it_starts(cn: BusinessCalendar) -> None:
    backwards = [(sh(2026, 3, 9, 12), sh(2026, 3, 9, 11))]
    with pytest.raises(InvalidInput, match=r"^pauses\[0\]: ends before it starts"):
        cn.add(sh(2026, 3, 9), hours(24), backwards)
    with pytest.raises(InvalidInput, match=r"^pauses\[0\]: ends before it starts"):
        cn.consumed(sh(2026, 3, 9), sh(2026, 3, 10), hours(24), backwards)


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "", "../etc/passwd", 8])
def test_error_unknown_timezone(tz: object) -> None:
    with pytest.raises(InvalidInput, match=r"^tz: "):
        BusinessCalendar(tz)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "weekmask", ["111110", "1111102", "0000000", "Mon Funday", "Mon Mon", "", [1, 1, 1], [2] * 7, 5]
)
def test_error_bad_weekmask(weekmask: object) -> None:
    with pytest.raises(InvalidInput, match=r"^weekmask: "):
        BusinessCalendar("UTC", weekmask=weekmask)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ((time(18), time(9)), r"business_hours\[0\]: closes \(09:00:00\) at or before it opens"),
        ((time(9), time(9)), r"business_hours\[0\]: closes"),
        ([(time(9), time(13)), (time(12), time(18))], "business_hours: intervals overlap"),
        (
            {0: [(time(9), time(12)), (time(11), time(14))]},
            r"business_hours\[0\]: intervals overlap",
        ),
        ({7: [(time(9), time(12))]}, "business_hours: weekday 7"),
        ({0: "9-5"}, r"business_hours\[0\]: must be a list"),
        ([(time(9),)], r"business_hours\[0\]: must be an \(open, close\) pair"),
        ([(9, 17)], r"business_hours\[0\]: must be an \(open, close\) pair of datetime.time"),
        ([(time(9, tzinfo=UTC), time(17))], r"business_hours\[0\]: times are wall-clock"),
        ({5: [(time(9), time(12))]}, "business_hours: no working weekday has opening hours"),
    ],
)
def test_error_bad_business_hours(spec: object, field: str) -> None:
    with pytest.raises(InvalidInput, match=f"^{field}"):
        BusinessCalendar("UTC", business_hours=spec)  # type: ignore[arg-type]


def test_error_bad_dates() -> None:
    with pytest.raises(InvalidInput, match=r"^holidays\[1\]: must be a date"):
        BusinessCalendar("UTC", holidays=[date(2026, 1, 1), datetime(2026, 1, 2)])
    with pytest.raises(InvalidInput, match=r"^holidays: must be an iterable"):
        BusinessCalendar("UTC", holidays=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"^workdays: 2026-01-03 is also listed as a holiday"):
        BusinessCalendar("UTC", holidays=[date(2026, 1, 3)], workdays=[date(2026, 1, 3)])
    with pytest.raises(InvalidInput, match=r"^valid_until: is before valid_from"):
        BusinessCalendar("UTC", valid_from=date(2026, 1, 2), valid_until=date(2026, 1, 1))
    with pytest.raises(InvalidInput, match=r"^valid_from: must be a date"):
        BusinessCalendar("UTC", valid_from="2026-01-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"^d: must be a date"):
        BusinessCalendar("UTC").is_working_day(datetime(2026, 1, 1))


def test_error_outside_valid_range(cn: BusinessCalendar, office: BusinessCalendar) -> None:
    expected = (
        r"2027-01-01 is outside the range this calendar's data covers \(2020-01-01 to 2026-12-31\)"
    )
    # the 5th working day after 2026-12-28 is in 2027, which the CN data does not cover
    with pytest.raises(CalendarRangeError, match=expected):
        cn.add(sh(2026, 12, 28, 10), working_days(5))
    with pytest.raises(CalendarRangeError, match=expected):
        office.add(sh(2026, 12, 31, 10), business_hours(9))
    with pytest.raises(CalendarRangeError, match=expected):
        cn.add(sh(2026, 12, 31, 10), calendar_days(2))
    with pytest.raises(CalendarRangeError, match=r"2019-12-31 is outside"):
        cn.add(sh(2019, 12, 31, 10), working_days(1))
    with pytest.raises(CalendarRangeError, match=r"2027-01-01 is outside"):
        cn.is_working_day(date(2027, 1, 1))
    with pytest.raises(CalendarRangeError, match=r"2027-01-02 is outside"):
        cn.consumed(sh(2026, 12, 28), sh(2027, 1, 2, 10), working_days(5))
    # the error is a ComplaintFlowError and a ValueError; a deadline at 24:00 of the last
    # covered day is fine, and so are elapsed hours, which need no calendar data
    assert issubclass(CalendarRangeError, ComplaintFlowError | ValueError)
    assert cn.add(sh(2026, 12, 30, 10), working_days(1)) == sh(2027, 1, 1)
    assert cn.add(sh(2026, 12, 31, 10), hours(48)) == sh(2027, 1, 2, 10)
    one_sided = BusinessCalendar("UTC", valid_until=date(2026, 1, 1))
    with pytest.raises(CalendarRangeError, match=r"\(the beginning to 2026-01-01\)"):
        one_sided.is_working_day(date(2026, 1, 2))


def test_error_unknown_preset_and_country() -> None:
    with pytest.raises(InvalidInput, match=r"^name: unknown preset 'XX'; available: CN"):
        BusinessCalendar.preset("XX")
    pytest.importorskip("holidays", reason="the optional holidays package is not installed")
    with pytest.raises(InvalidInput, match=r"^tz: required: no default time zone for 'BR'"):
        BusinessCalendar.from_holidays("BR", years=2026)
    with pytest.raises(InvalidInput, match=r"^country: "):
        BusinessCalendar.from_holidays("XX", years=2026, tz="UTC")
    with pytest.raises(InvalidInput, match=r"^years: "):
        BusinessCalendar.from_holidays("GB", years=[])


def test_error_holidays_package_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from complaintflow.sla import MissingDependency

    monkeypatch.setitem(sys.modules, "holidays", None)
    with pytest.raises(MissingDependency, match=r"pip install 'complaintflow\[holidays\]'"):
        BusinessCalendar.from_holidays("GB", years=2026)
    assert issubclass(MissingDependency, ComplaintFlowError)


# -- zones whose DST changes happen at midnight -----------------------------------------------

SCL = ZoneInfo("America/Santiago")


def test_day_starting_after_a_midnight_gap() -> None:
    cal = BusinessCalendar("America/Santiago", "1111111")
    # 2026-09-06: at 00:00 (-04) the clock jumps to 01:00 (-03); the day begins at 01:00 -03
    # the first instant its clock reads 00:00 or later, and lasts 23 hours
    # (04:00 UTC). From Sep 4, one day ends at 24:00 of Sep 5, which is that instant
    day_start = datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert cal.add(datetime(2026, 9, 4, 10, tzinfo=SCL), calendar_days(1)) == day_start
    assert cal.add(datetime(2026, 9, 4, 10, tzinfo=SCL), working_days(1)) == day_start
    assert cal.add(datetime(2026, 9, 5, 10, tzinfo=SCL), working_days(0)) == day_start
    # 1.5 days from Sep 4: Sep 5 whole, then half of the 23-hour Sep 6: 04:00 UTC + 11.5 h
    result = cal.add(datetime(2026, 9, 4, 10, tzinfo=SCL), calendar_days(1.5))
    assert result == datetime(2026, 9, 6, 15, 30, tzinfo=UTC)
    assert result.utcoffset() == timedelta(hours=-3)
    # business hours 00:00-02:00: on Sep 6 only 01:00-02:00 exists (1 h); from Sat Sep 5
    # 23:00: 1 h on Sep 6, then 0.5 h from Mon Sep 7 00:00 -> 00:30
    opened = BusinessCalendar("America/Santiago", "1111111", business_hours=(time(0), time(2)))
    start = datetime(2026, 9, 5, 23, tzinfo=SCL)
    assert opened.add(start, business_hours(1.5)) == datetime(2026, 9, 7, 0, 30, tzinfo=SCL)
    assert opened.add(start, business_hours(1)) == datetime(2026, 9, 6, 2, tzinfo=SCL)


def test_day_before_a_fold_at_midnight() -> None:
    cal = BusinessCalendar("America/Santiago", "1111111")
    # 2026-04-05 03:00 UTC: the clock reads Apr 4 24:00 (-03) and goes back to Apr 4 23:00
    # (-04); Apr 4 (from 03:00 UTC) lasts 25 hours, and Apr 5 begins at 04:00 UTC.
    # From Apr 3: day 1 is Apr 4 (ends at Apr 5's start), day 2 is Apr 5
    start = datetime(2026, 4, 3, 10, tzinfo=SCL)
    assert cal.add(start, calendar_days(1)) == datetime(2026, 4, 5, 4, tzinfo=UTC)
    assert cal.add(start, calendar_days(2)) == datetime(2026, 4, 6, 4, tzinfo=UTC)
    # half of the 25-hour day is 12.5 real hours: Apr 4 03:00 UTC + 12:30 = 15:30 UTC
    assert cal.add(start, calendar_days(0.5)) == datetime(2026, 4, 4, 15, 30, tzinfo=UTC)


def test_fast_path_answers_like_the_general_path() -> None:
    cal = BusinessCalendar("Europe/London", "1111111", business_hours=(time(0, 30), time(4)))
    start = lon(2026, 3, 28, 10)
    # the first call builds the index (general path), the second takes the fast path, which
    # must hand over to a slow conversion on the DST day: Sat 28 is closed after 04:00, so
    # Sun 29 00:30-01:00 GMT + 0.5 h from 02:00 BST -> 02:30 BST
    first = cal.add(start, business_hours(1))
    assert first == cal.add(start, business_hours(1)) == lon(2026, 3, 29, 2, 30)
    # a business deadline beyond the indexed days makes the fast path hand over too.
    # 3000 days of 3.5 h from Sun 2026-03-29 (Mar 29 + 2999 days): among them 9 spring
    # days of 2.5 h (2026-2034) and 8 autumn days of 4.5 h (2026-2033), net 1 h short, so
    # the last hour is on the next day, Mar 29 + 3000 days = 2034-06-15, 00:30 -> 01:30
    far = cal.add(start, business_hours(3.5 * 3000))
    assert far == datetime(2034, 6, 15, 1, 30, tzinfo=LON)


def test_before_the_first_opening_of_a_bounded_calendar() -> None:
    cal = BusinessCalendar(
        "UTC",
        business_hours=(time(9), time(17)),
        valid_from=date(2026, 1, 3),
        valid_until=date(2026, 3, 31),
    )
    utc = ZoneInfo("UTC")
    # Sat Jan 3 and Sun Jan 4 are closed: from Sun 10:00, 1 h -> Mon Jan 5 10:00 (twice:
    # the general path, then the fast one)
    for _ in range(2):
        assert cal.add(datetime(2026, 1, 4, 10, tzinfo=utc), business_hours(1)) == datetime(
            2026, 1, 5, 10, tzinfo=utc
        )
    assert cal.add(datetime(2026, 1, 3, 10, tzinfo=utc), business_hours(1)) == datetime(
        2026, 1, 5, 10, tzinfo=utc
    )


def test_calendar_days_far_away() -> None:
    cal = BusinessCalendar("Asia/Shanghai")
    # 2026-03-09 + 2000 days: day 2000 is 2026-03-10 + 1999 days -> its next midnight
    assert cal.add(sh(2026, 3, 9, 10), calendar_days(2000)).date() == date(2026, 3, 10) + (
        timedelta(days=2000)
    )
    with pytest.raises(CalendarRangeError, match=r"a date beyond year 9999"):
        cal.add(sh(2026, 3, 9, 10), calendar_days(3_000_000))
