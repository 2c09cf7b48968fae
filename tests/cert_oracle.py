"""An independent recomputation of SLA deadlines for the certificate and
what-if tests: it walks the days one by one with the standard library only
(no calendar index, no prefix sums), from the calendar's raw data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Span = tuple[datetime, datetime]


def midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, time(), tz).astimezone(UTC)


def is_working(d: date, holidays: frozenset[date], workdays: frozenset[date], mask: str) -> bool:
    if d in workdays:
        return True
    return mask[d.weekday()] == "1" and d not in holidays


def merged(pauses: list[Span]) -> list[Span]:
    out: list[Span] = []
    for a, b in sorted(pauses):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def walk(spans: Iterator[Span], pauses: list[Span], need: timedelta) -> datetime:
    """The instant at which ``need`` of time inside ``spans`` (in order),
    outside ``pauses``, has accumulated."""
    ps = merged(pauses)
    for lo, hi in spans:
        cuts = [(max(a, lo), min(b, hi)) for a, b in ps if a < hi and b > lo]
        t = lo
        for a, b in [*cuts, (hi, hi)]:
            if a > t:
                if a - t >= need:
                    return t + need
                need -= a - t
            t = max(t, b)
    raise AssertionError("ran out of spans")


def deadline(
    start: datetime,
    kind: str,
    amount: float,
    pauses: list[Span],
    tz: ZoneInfo,
    holidays: frozenset[date],
    workdays: frozenset[date],
    mask: str,
) -> datetime:
    """The deadline of ``amount`` ``kind`` from ``start`` (UTC result).
    Day-counted kinds assume days of 24 hours (checked)."""
    s = start.astimezone(UTC)
    ps = [(a.astimezone(UTC), b.astimezone(UTC)) for a, b in pauses]
    if kind == "hours":
        return walk(iter([(s, s + timedelta(days=10_000))]), ps, timedelta(hours=amount))
    assert kind in ("working_days", "calendar_days"), kind

    def days() -> Iterator[Span]:
        d = start.astimezone(tz).date() + timedelta(days=1)
        while True:
            lo, hi = midnight(d, tz), midnight(d + timedelta(days=1), tz)
            assert hi - lo == timedelta(days=1), "the oracle counts 24-hour days only"
            if kind == "calendar_days" or is_working(d, holidays, workdays, mask):
                yield lo, hi
            d += timedelta(days=1)

    return walk(days(), ps, timedelta(days=amount))
