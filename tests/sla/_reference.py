"""A slow, obviously correct oracle for the SLA clock, independent of the library.

It knows nothing of prefix sums or bisects: hour-counted clocks walk time in
fixed steps (``STEP``; inputs, opening hours and DST transitions of the zones
tested are all multiples of it) and count each step that is open and not
paused; day-counted clocks walk day by day and take the unpaused fraction of
each counted day, in exact fractions.

Assumption, checked: every local midnight of the zones tested exists once
(their DST transitions happen at 01:00-03:00).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

STEP = timedelta(minutes=15)
_US = timedelta(microseconds=1)

RefPause = tuple[datetime, datetime | None]


@dataclass(frozen=True)
class RefCalendar:
    """A calendar as plain data: what a day is, and when it is open."""

    tz: ZoneInfo
    weekmask: str = "1111100"
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    hours: Mapping[int, Sequence[tuple[time, time]]] = field(default_factory=dict)

    def working(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return self.weekmask[d.weekday()] == "1" and d not in self.holidays

    def opening(self, d: date) -> Sequence[tuple[time, time]]:
        own = self.hours.get(d.weekday(), ())
        if own or d not in self.workdays:
            return own
        # a makeup day on a closed weekday keeps the first weekday's hours that exist
        return next(self.hours[wd] for wd in range(7) if self.hours.get(wd))

    def is_open(self, instant: datetime) -> bool:
        """Whether the local wall clock at ``instant`` shows an opening hour of a working day."""
        local = instant.astimezone(self.tz)
        d = local.date()
        if not self.working(d):
            return False
        wall = local.time().replace(tzinfo=None, fold=0)
        return any(a <= wall < b for a, b in self.opening(d))

    def midnight(self, d: date) -> datetime:
        """The instant (UTC) at which local date ``d`` begins."""
        m = datetime.combine(d, time(0), tzinfo=self.tz)
        back = m.astimezone(UTC).astimezone(self.tz)
        assert back.replace(tzinfo=None) == m.replace(tzinfo=None), f"{d}: midnight skipped"
        assert m.replace(fold=1).utcoffset() == m.utcoffset(), f"{d}: midnight repeated"
        return m.astimezone(UTC)


def _paused(t: datetime, pauses: Sequence[RefPause]) -> bool:
    return any(p0 <= t and (p1 is None or t < p1) for p0, p1 in pauses)


def _open_pause_start(pauses: Sequence[RefPause]) -> datetime | None:
    starts = [p0 for p0, p1 in pauses if p1 is None]
    return min(starts) if starts else None


def walk_hours(
    cal: RefCalendar,
    start: datetime,
    amount: timedelta,
    pauses: Sequence[RefPause] = (),
    *,
    business: bool,
) -> datetime | None:
    """Deadline of ``amount`` of real (or business) time, step by step."""
    t = start.astimezone(UTC)
    if amount == timedelta(0):
        return t
    steps = amount / STEP
    assert steps == int(steps), "amount must be a multiple of STEP"
    open_from = _open_pause_start(pauses)
    count = 0
    while True:
        if open_from is not None and t >= open_from:
            return None
        if not _paused(t, pauses) and (not business or cal.is_open(t)):
            count += 1
            if count == steps:
                return t + STEP
        t += STEP


def _unpaused(
    s: datetime, e: datetime, pauses: Sequence[RefPause]
) -> list[tuple[datetime, datetime]]:
    """[s, e) minus the pauses, as ordered segments."""
    segments = [(s, e)]
    for p0, p1 in pauses:
        end = e if p1 is None else p1
        out = []
        for a, b in segments:
            if end <= a or p0 >= b:
                out.append((a, b))
                continue
            if a < p0:
                out.append((a, p0))
            if end < b:
                out.append((end, b))
        segments = out
    return segments


def walk_days(
    cal: RefCalendar,
    start: datetime,
    days: Fraction,
    pauses: Sequence[RefPause] = (),
    *,
    every_day: bool,
) -> datetime | None:
    """Deadline of ``days`` counted days (working days, or every day), day by day."""
    d = start.astimezone(cal.tz).date() + timedelta(days=1)
    if days == 0:
        return cal.midnight(d)
    open_from = _open_pause_start(pauses)
    left = Fraction(days)
    while True:
        s, e = cal.midnight(d), cal.midnight(d + timedelta(days=1))
        if open_from is not None and s >= open_from:
            return None
        if every_day or cal.working(d):
            length = (e - s) // _US
            for a, b in _unpaused(s, e, pauses):
                share = Fraction((b - a) // _US, length)
                if share >= left:
                    return a + timedelta(microseconds=math.ceil(left * length))
                left -= share
        d += timedelta(days=1)
