"""Zone arithmetic and the day index behind :class:`BusinessCalendar`.

Instants are integers: microseconds since 1970-01-01 UTC. A local day starts
at the first instant its clock reads 00:00 or later (a DST gap at midnight
moves the start to the transition) and ends where the next day starts. The
index holds, for a contiguous range of days, each day's start instant, a
prefix sum of working days and the business intervals flattened with a
prefix sum of their real length, so that a measure and its inverse are a
bisect away (DESIGN "SLA math — the contract", "Cost").
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Final, final

__all__ = ["DAY_US", "DayIndex", "NeedMore", "from_us", "local_ordinal", "to_us"]

DAY_US: Final = 86_400_000_000
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE: Final = datetime(1970, 1, 1)
EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_US: Final = timedelta(microseconds=1)

Interval = tuple[int, int]


class NeedMore(Exception):
    """Internal: the index does not cover ``ordinal``; extend and retry."""

    def __init__(self, ordinal: int) -> None:
        super().__init__(ordinal)
        self.ordinal = ordinal


def to_us(dt: datetime) -> int:
    """The instant of an aware datetime, in microseconds since the epoch."""
    return (dt - EPOCH) // _US


def from_us(u: int, tz: tzinfo) -> datetime:
    """The aware datetime in ``tz`` of an instant (fold set where the clock repeats)."""
    return (EPOCH + timedelta(microseconds=u)).astimezone(tz)


def local_ordinal(u: int, tz: tzinfo) -> int:
    """The local date (as an ordinal) of an instant, by plain conversion."""
    return from_us(u, tz).toordinal()


def _td_us(value: timedelta | None) -> int:
    assert value is not None
    return value // _US


def offset_at(tz: tzinfo, u: int) -> int:
    """The zone's UTC offset at instant ``u``, in microseconds."""
    local = (_EPOCH_NAIVE + timedelta(microseconds=u)).replace(tzinfo=tz)
    return _td_us(tz.fromutc(local).utcoffset())


def first_instant(tz: tzinfo, wall: int) -> int:
    """The first instant at which the local clock reads ``wall`` or later.

    ``wall`` is a local wall-clock time in microseconds since 1970-01-01 00:00
    (naive). An ambiguous wall time gives its first occurrence; one skipped by
    a DST gap gives the transition instant.
    """
    naive = _EPOCH_NAIVE + timedelta(microseconds=wall)
    u0 = wall - _td_us(tz.utcoffset(naive))
    u1 = wall - _td_us(tz.utcoffset(naive.replace(fold=1)))
    if u0 <= u1:
        return u0
    lo, hi = u1, u0  # the clock reads < wall at lo and >= wall at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if mid + offset_at(tz, mid) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def _transition(tz: tzinfo, s: int, e: int) -> tuple[int, int, int | None]:
    """(offset before s, offset at e - 1, first instant of the second offset or None).

    A transition exactly at ``s`` (a DST gap at midnight) counts as the day's.
    Assumes at most one transition in a day, which holds for every zone in the
    IANA database.
    """
    oa = offset_at(tz, s - 1)
    ob = offset_at(tz, e - 1)
    if oa == ob:
        return oa, ob, None
    lo, hi = s - 1, e - 1  # offset oa at lo, something else at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if offset_at(tz, mid) == oa:
            lo = mid
        else:
            hi = mid
    return oa, ob, hi


@final
class _Days:
    """Raw per-day data for ordinals [lo, hi) (``s`` and ``mid`` have one more entry)."""

    __slots__ = ("hi", "ivals", "lo", "mid", "notrans", "s", "work")

    def __init__(
        self,
        lo: int,
        hi: int,
        s: list[int],
        mid: list[datetime],
        work: list[bool],
        notrans: list[bool],
        ivals: list[list[Interval]],
    ) -> None:
        self.lo, self.hi, self.s, self.mid = lo, hi, s, mid
        self.work, self.notrans, self.ivals = work, notrans, ivals


def _compute_days(
    tz: tzinfo,
    lo: int,
    hi: int,
    is_working: Callable[[int], bool],
    hours_for: Callable[[int], Sequence[Interval]],
) -> _Days:
    s = [first_instant(tz, (o - EPOCH_ORDINAL) * DAY_US) for o in range(lo, hi + 1)]
    mid = [from_us(u, tz) for u in s]
    work: list[bool] = []
    notrans: list[bool] = []
    ivals: list[list[Interval]] = []
    for i, o in enumerate(range(lo, hi)):
        start, end = s[i], s[i + 1]
        oa, ob, t = _transition(tz, start, end)
        working = is_working(o)
        work.append(working)
        notrans.append(t is None)
        day: list[Interval] = []
        if working:
            wm = (o - EPOCH_ORDINAL) * DAY_US
            pieces: list[Interval] = []
            for ws, we in hours_for(o):
                if t is None:
                    parts = [(wm + ws - oa, wm + we - oa, start, end)]
                else:
                    parts = [
                        (wm + ws - oa, wm + we - oa, start, t),
                        (wm + ws - ob, wm + we - ob, t, end),
                    ]
                for a, b, clip_a, clip_b in parts:
                    a, b = max(a, clip_a), min(b, clip_b)
                    if a < b:
                        pieces.append((a, b))
            pieces.sort()
            for a, b in pieces:
                if day and a <= day[-1][1]:
                    day[-1] = (day[-1][0], max(b, day[-1][1]))
                else:
                    day.append((a, b))
        ivals.append(day)
    return _Days(lo, hi, s, mid, work, notrans, ivals)


def _concat(parts: list[_Days]) -> _Days:
    first = parts[0]
    out = _Days(first.lo, parts[-1].hi, [], [], [], [], [])
    for p in parts:
        out.s.extend(p.s[:-1])
        out.mid.extend(p.mid[:-1])
        out.work.extend(p.work)
        out.notrans.extend(p.notrans)
        out.ivals.extend(p.ivals)
    out.s.append(parts[-1].s[-1])
    out.mid.append(parts[-1].mid[-1])
    return out


@final
class DayIndex:
    """An immutable snapshot of the indexed days [lo, lo + n).

    ``s[i]`` is day i's start instant (n + 1 entries), ``w[i]`` the number of
    working days before day i (n + 1 entries), ``bs``/``be`` the business
    intervals in order, ``bc[k]`` the business time before interval k and
    ``bce[k]`` the business time up to its end, ``wpos[k]`` the index of the day
    after the k-th working day.
    """

    __slots__ = (
        "bc",
        "bce",
        "bday",
        "be",
        "bs",
        "days",
        "lo",
        "mid",
        "n",
        "notrans",
        "s",
        "simple",
        "w",
        "wmid",
        "wnext",
        "work",
        "wpos",
    )

    def __init__(self, days: _Days) -> None:
        self.days = days
        self.lo = days.lo
        self.n = n = days.hi - days.lo
        self.s = days.s
        self.mid = days.mid
        self.work = days.work
        self.notrans = nt = days.notrans
        # a day whose wall times all map into it: no transition in it or next to it
        self.simple = [
            nt[i] and (i == 0 or nt[i - 1]) and (i == n - 1 or nt[i + 1]) for i in range(n)
        ]
        self.simple[0] = self.simple[-1] = False  # neighbours unknown (n >= 1 always)
        w = [0]
        bs: list[int] = []
        be: list[int] = []
        bc: list[int] = []
        bce: list[int] = []
        bday: list[int] = []
        total = 0
        for i in range(n):
            w.append(w[-1] + days.work[i])
            for a, b in days.ivals[i]:
                bs.append(a)
                be.append(b)
                bc.append(total)
                total += b - a
                bce.append(total)
                bday.append(i)
        self.w, self.bs, self.be, self.bc, self.bce, self.bday = w, bs, be, bc, bce, bday
        # the inverse of w: wpos[k] is the first day index j with w[j] >= k, i.e. the day
        # after the k-th working day (an O(1) bisect_left(w, k) for whole days)
        wpos = [0]
        for j in range(1, n + 1):
            if w[j] > w[j - 1]:
                wpos.append(j)
        self.wpos = wpos
        # wmid[k]: the midnight ending the k-th working day (mid[wpos[k]])
        self.wmid = [self.mid[j] for j in wpos]
        # for the fast path: local date ordinal -> w of the next day, on plain days only
        self.wnext = {self.lo + i: w[i + 1] for i in range(n) if self.simple[i]}

    @classmethod
    def build(
        cls,
        tz: tzinfo,
        lo: int,
        hi: int,
        is_working: Callable[[int], bool],
        hours_for: Callable[[int], Sequence[Interval]],
        old: DayIndex | None = None,
    ) -> DayIndex:
        """Index days [lo, hi), reusing what ``old`` (inside that range) already holds."""
        if old is None:
            return cls(_compute_days(tz, lo, hi, is_working, hours_for))
        parts: list[_Days] = []
        if lo < old.lo:
            parts.append(_compute_days(tz, lo, old.lo, is_working, hours_for))
        parts.append(old.days)
        old_hi = old.lo + old.n
        if hi > old_hi:
            parts.append(_compute_days(tz, old_hi, hi, is_working, hours_for))
        return cls(_concat(parts))

    def day_of(self, u: int, tz: tzinfo) -> int:
        """Index of the day holding instant ``u``; NeedMore if not indexed."""
        i = bisect_right(self.s, u) - 1
        if i < 0 or i >= self.n:
            raise NeedMore(local_ordinal(u, tz))
        return i

    def to_datetime(self, u: int, tz: tzinfo) -> datetime:
        """The aware local datetime of an indexed instant (fast on plain days)."""
        s = self.s
        i = bisect_right(s, u) - 1
        if 0 <= i <= self.n and s[i] == u:
            return self.mid[i]
        if 0 <= i < self.n and self.notrans[i]:
            return self.mid[i] + timedelta(0, 0, u - s[i])
        return from_us(u, tz)
