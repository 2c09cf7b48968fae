"""BusinessCalendar: working days, business hours and the SLA clock.

The contract is DESIGN "SLA math — the contract"; the default policy it serves
is the guide's §3.3 (投诉处理时效). Every computation maps instants to a
monotone cumulative *measure* ``M(t)`` of the duration's kind, in integer
microseconds (a counted day is 86 400 000 000 units), and inverts it by bisect
on a lazily extended :class:`~complaintflow.sla._index.DayIndex`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final, NamedTuple, TypeAlias, final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from complaintflow._base import aware
from complaintflow.errors import CalendarRangeError, InvalidInput
from complaintflow.sla._durations import Duration
from complaintflow.sla._index import (
    DAY_US,
    DayIndex,
    Interval,
    NeedMore,
    from_us,
    local_ordinal,
    to_us,
)

__all__ = ["BusinessCalendar", "BusinessHours", "DeadlineInfo", "Pause"]

log = logging.getLogger("complaintflow.sla")
_WARNED: set[str] = set()
"""Calendar versions a provisional deadline was already logged for."""

Pause: TypeAlias = tuple[datetime, datetime | None]
"""A pause of a target's clock: ``(start, end)``; ``end`` None while still open."""

BusinessHours: TypeAlias = (
    tuple[time, time] | Sequence[tuple[time, time]] | Mapping[int, Sequence[tuple[time, time]]]
)
"""Opening hours: one ``(open, close)`` pair or a list of pairs for every
weekday, or a mapping weekday (0 = Monday) -> list of pairs; a weekday
missing from the mapping is closed."""

_MIN_ORDINAL: Final = date(1, 1, 2).toordinal()
_MAX_ORDINAL: Final = date(9999, 12, 30).toordinal()
_CHUNK: Final = 4 * 366  # days indexed at a time when a calendar is unbounded
_WHOLE_RANGE: Final = 40 * 366  # a bounded range up to this long is indexed at once
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HOUR_KINDS: Final = frozenset({"hours", "business_hours"})


class DeadlineInfo(NamedTuple):
    """A deadline with what it rests on (:meth:`BusinessCalendar.deadline_info`)."""

    deadline: datetime | None
    """None while a pause is still open."""
    provisional: str | None
    """Why the deadline is provisional (it needs days past the calendar's
    data and was counted on the weekly pattern); None when final."""
    calendar: str | None
    """The calendar's name (its id)."""
    version: str
    """The calendar's version id (:attr:`BusinessCalendar.version`)."""


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _us_time(us: int) -> time:
    s, micro = divmod(us, 1_000_000)
    m, sec = divmod(s, 60)
    h, mi = divmod(m, 60)
    return time(h, mi, sec, micro)


def _parse_tz(tz: object) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    if not isinstance(tz, str):
        raise InvalidInput.field("tz", "must be an IANA time zone name or a ZoneInfo")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.field("tz", f"unknown time zone {tz!r}") from None


def _parse_weekmask(weekmask: object) -> tuple[bool, ...]:
    if isinstance(weekmask, str):
        if len(weekmask) == 7 and set(weekmask) <= {"0", "1"}:
            mask = tuple(c == "1" for c in weekmask)
        else:
            names = weekmask.split()
            if not names or not set(names) <= set(_WEEKDAYS) or len(set(names)) != len(names):
                raise InvalidInput.field(
                    "weekmask",
                    "must be 7 characters of 0/1 from Monday (e.g. '1111100') "
                    "or day names like 'Mon Tue Wed Thu Fri'",
                )
            mask = tuple(day in names for day in _WEEKDAYS)
    elif isinstance(weekmask, Sequence) and len(weekmask) == 7:
        if not all(isinstance(x, bool) or x in (0, 1) for x in weekmask):
            raise InvalidInput.field("weekmask", "entries must be booleans or 0/1")
        mask = tuple(bool(x) for x in weekmask)
    else:
        raise InvalidInput.field("weekmask", "must be a 7-character string or 7 booleans")
    if not any(mask):
        raise InvalidInput.field("weekmask", "must have at least one working weekday")
    return mask


def _parse_dates(values: Iterable[date], name: str) -> frozenset[date]:
    out: set[date] = set()
    try:
        items = list(values)
    except TypeError:
        raise InvalidInput.field(name, "must be an iterable of dates") from None
    for i, d in enumerate(items):
        if isinstance(d, datetime) or not isinstance(d, date):
            raise InvalidInput.field(f"{name}[{i}]", "must be a date (not a datetime)")
        out.add(d)
    return frozenset(out)


def _parse_intervals(value: object, field: str) -> tuple[Interval, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise InvalidInput.field(field, "must be a list of (open, close) time pairs")
    out: list[Interval] = []
    for j, pair in enumerate(value):
        f = f"{field}[{j}]"
        if not (isinstance(pair, Sequence) and len(pair) == 2):
            raise InvalidInput.field(f, "must be an (open, close) pair of times")
        a, b = pair
        if not (isinstance(a, time) and isinstance(b, time)):
            raise InvalidInput.field(f, "must be an (open, close) pair of datetime.time")
        if a.tzinfo is not None or b.tzinfo is not None:
            raise InvalidInput.field(f, "times are wall-clock times: no tzinfo")
        if b <= a:
            raise InvalidInput.field(f, f"closes ({b}) at or before it opens ({a})")
        out.append((_time_us(a), _time_us(b)))
    out.sort()
    merged: list[Interval] = []
    for a, b in out:
        if merged and a < merged[-1][1]:
            raise InvalidInput.field(field, "intervals overlap")
        if merged and a == merged[-1][1]:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return tuple(merged)


def _parse_business_hours(value: object) -> tuple[tuple[Interval, ...], ...] | None:
    if value is None:
        return None
    field = "business_hours"
    if isinstance(value, Mapping):
        week: list[tuple[Interval, ...]] = [()] * 7
        for key, intervals in value.items():
            if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key <= 6:
                raise InvalidInput.field(field, f"weekday {key!r} must be an int 0 (Monday)..6")
            week[key] = _parse_intervals(intervals, f"{field}[{key}]")
        return tuple(week)
    if isinstance(value, Sequence) and len(value) == 2 and isinstance(value[0], time):
        value = [value]
    return (_parse_intervals(value, field),) * 7


@final
class BusinessCalendar:
    """Which days are working days and when business is open, in one time zone.

    :param tz: an IANA zone name (``"Asia/Shanghai"``) or a ``ZoneInfo``.
    :param weekmask: working weekdays from Monday, ``"1111100"`` (or
        ``"Mon Tue Wed Thu Fri"``, or 7 booleans).
    :param holidays: dates that are not working days (a weekend date listed
        here changes nothing).
    :param workdays: dates that are working days whatever the weekmask: the
        weekend days officially made working days (调休 makeup days).
    :param business_hours: ``None`` (no business hours: ``business_hours()``
        durations are refused), ``(time(9), time(18))``, a list of such pairs,
        or ``{weekday: [pairs]}`` with 0 = Monday (a missing weekday is
        closed). A makeup working day on a weekday without hours in the mapping
        keeps the hours of the first weekday (from Monday) that has some.
    :param valid_from: first date the calendar's data covers (None: unbounded).
    :param valid_until: last date it covers (None: unbounded). A computation
        that needs a day outside raises :class:`CalendarRangeError`.

    Durations and the clock follow DESIGN "SLA math — the contract": a start,
    an optional list of pauses and a :class:`Duration` give a deadline
    (:meth:`add`, :meth:`deadline`), and a clock reading (:meth:`consumed`,
    :meth:`remaining`). Business hours are wall-clock times: on a DST day an
    interval lasts as long as the clock shows it (a gap inside shortens it,
    a repeated hour inside lengthens it, a wall time that occurs twice is open
    both times). Days begin at the first instant their clock reads 00:00.

    Results are aware datetimes in the calendar's zone, with ``fold=1`` on
    the second pass of a repeated hour: compare them as instants (e.g. after
    ``.astimezone(UTC)``), since Python compares datetimes that share a tzinfo
    by wall time, ignoring ``fold``. A day-counted deadline that falls inside
    a 23- or 25-hour day is the first microsecond at which the (rounded-down)
    share of that day reaches the amount, so ``consumed`` at it exceeds the
    duration by at most 1 µs; elsewhere the clock is exact.

    The calendar indexes its days once, lazily, and never walks day by day:
    a deadline costs a few bisects. Instances are immutable and thread-safe.
    """

    __slots__ = (
        "_bhours",
        "_hol",
        "_hol_ord",
        "_ix",
        "_label",
        "_lock",
        "_makeup_hours",
        "_mask",
        "_name",
        "_names",
        "_proj",
        "_source",
        "_tz",
        "_ver",
        "_vhi",
        "_vlo",
        "_wd",
        "_wd_ord",
        "_wfast",
    )

    def __init__(
        self,
        tz: str | ZoneInfo,
        weekmask: str | Sequence[int] = "1111100",
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        business_hours: BusinessHours | None = None,
        *,
        valid_from: date | None = None,
        valid_until: date | None = None,
        name: str | None = None,
        source: str | None = None,
        data_version: str | None = None,
        names: Mapping[date, str] | None = None,
    ) -> None:
        for field, text in (("name", name), ("source", source), ("data_version", data_version)):
            if text is not None and not isinstance(text, str):
                raise InvalidInput.field(field, "must be a string or None")
        if names is not None and not (
            isinstance(names, Mapping)
            and all(isinstance(k, date) and isinstance(v, str) for k, v in names.items())
        ):
            raise InvalidInput.field("names", "must map dates to names")
        self._name = name
        self._source = source
        self._label = data_version
        self._ver: str | None = None
        self._proj: BusinessCalendar | None = None
        self._tz = _parse_tz(tz)
        self._mask = _parse_weekmask(weekmask)
        self._hol = _parse_dates(holidays, "holidays")
        self._wd = _parse_dates(workdays, "workdays")
        both = sorted(self._hol & self._wd)
        if both:
            raise InvalidInput.field("workdays", f"{both[0]} is also listed as a holiday")
        self._bhours = _parse_business_hours(business_hours)
        self._makeup_hours: tuple[Interval, ...] = ()
        if self._bhours is not None:
            if not any(m and h for m, h in zip(self._mask, self._bhours, strict=True)):
                raise InvalidInput.field("business_hours", "no working weekday has opening hours")
            self._makeup_hours = next(h for h in self._bhours if h)
        for name, value in (("valid_from", valid_from), ("valid_until", valid_until)):
            if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
                raise InvalidInput.field(name, "must be a date or None")
        self._vlo = (
            _MIN_ORDINAL if valid_from is None else max(valid_from.toordinal(), _MIN_ORDINAL)
        )
        self._vhi = (
            _MAX_ORDINAL if valid_until is None else min(valid_until.toordinal(), _MAX_ORDINAL)
        )
        if self._vlo > self._vhi:
            raise InvalidInput.field("valid_until", "is before valid_from")
        self._hol_ord = frozenset(d.toordinal() for d in self._hol)
        self._wd_ord = frozenset(d.toordinal() for d in self._wd)
        self._names = {d: n for d, n in (names or {}).items() if d in self._hol or d in self._wd}
        self._ix: DayIndex | None = None
        self._wfast: tuple[ZoneInfo, dict[int, int], list[datetime]] = (self._tz, {}, [])
        self._lock = threading.Lock()

    # -- presets -----------------------------------------------------------------

    @classmethod
    def preset(cls, name: str, **kwargs: Any) -> BusinessCalendar:
        """A calendar shipped with the library; ``kwargs`` go to the constructor
        (e.g. ``business_hours=(time(9), time(18))``).

        ``"CN"``: mainland China (Asia/Shanghai, Monday to Friday), with the
        official public holidays and 调休 makeup working days for the years the
        bundled data covers (``valid_from``/``valid_until``); the working days
        of guide §3.3.5.
        """
        from complaintflow.sla._presets import preset_arguments

        return cls(**preset_arguments(name, kwargs))

    @classmethod
    def from_holidays(
        cls,
        country: str,
        subdiv: str | None = None,
        years: int | Iterable[int] = (),
        tz: str | ZoneInfo | None = None,
        **kwargs: Any,
    ) -> BusinessCalendar:
        """A calendar from the optional ``holidays`` package (``pip install
        complaintflow[holidays]``): its public holidays, its weekend and, where it
        has them, its weekend working days, for ``years``.

        ``tz`` defaults to the country's main zone for CN, GB, US (New York),
        DE, FR and a few others, and is required otherwise; the valid range is
        1 January of the first year to 31 December of the last. ``kwargs`` go
        to the constructor.
        """
        from complaintflow.sla._presets import holidays_arguments

        return cls(**holidays_arguments(country, subdiv, years, tz, kwargs))

    # -- introspection -----------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        """The calendar's time zone; results are aware datetimes in it."""
        return self._tz

    @property
    def weekmask(self) -> str:
        """Working weekdays from Monday, as ``"1111100"``."""
        return "".join("1" if m else "0" for m in self._mask)

    @property
    def holidays(self) -> frozenset[date]:
        """The dates given as holidays."""
        return self._hol

    @property
    def workdays(self) -> frozenset[date]:
        """The dates given as extra working days (makeup days)."""
        return self._wd

    @property
    def business_hours(self) -> dict[int, list[tuple[time, time]]] | None:
        """Opening hours per weekday (0 = Monday; closed weekdays left out), or None."""
        if self._bhours is None:
            return None
        return {
            wd: [(_us_time(a), _us_time(b)) for a, b in iv]
            for wd, iv in enumerate(self._bhours)
            if iv
        }

    @property
    def valid_from(self) -> date | None:
        """The first date the calendar covers, or None when unbounded."""
        return None if self._vlo == _MIN_ORDINAL else date.fromordinal(self._vlo)

    @property
    def valid_until(self) -> date | None:
        """The last date the calendar covers, or None when unbounded."""
        return None if self._vhi == _MAX_ORDINAL else date.fromordinal(self._vhi)

    @property
    def name(self) -> str | None:
        """The calendar's id (``"CN"`` for the preset), recorded with deadlines."""
        return self._name

    @property
    def source(self) -> str | None:
        """Where its data comes from (free text from the data files)."""
        return self._source

    @property
    def data_version(self) -> str | None:
        """The version label its data files give (free text), if any."""
        return self._label

    @property
    def names(self) -> dict[date, str]:
        """The names of holidays and makeup days, where the data gives them."""
        return dict(self._names)

    @property
    def data_ends(self) -> date | None:
        """The last date the data covers (``valid_until``); None when unbounded."""
        return self.valid_until

    @property
    def version(self) -> str:
        """A stable id of the calendar's effective data: 16 hex digits of the
        SHA-256 of its zone, weekmask, holidays, makeup days, business hours
        and range. Names, source and label do not count: two calendars with
        the same version give every deadline the same."""
        if self._ver is None:
            hours = None if self._bhours is None else [list(map(list, h)) for h in self._bhours]
            canonical = {
                "tz": self._tz.key,
                "weekmask": self.weekmask,
                "holidays": sorted(d.isoformat() for d in self._hol),
                "workdays": sorted(d.isoformat() for d in self._wd),
                "business_hours": hours,
                "from": self._vlo,
                "until": self._vhi,
            }
            text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
            self._ver = hashlib.sha256(text.encode()).hexdigest()[:16]
        return self._ver

    def expires_within(self, horizon: timedelta, now: datetime) -> bool:
        """Whether the data ends within ``horizon`` of ``now`` (or has ended):
        the end of :attr:`data_ends` (24:00, local) is at most ``horizon`` away.
        Always False for an unbounded calendar."""
        if not isinstance(horizon, timedelta) or horizon < timedelta(0):
            raise InvalidInput.field("horizon", "must be a non-negative timedelta")
        u = self._instant(now, "now")
        if self._vhi == _MAX_ORDINAL:
            return False
        end = datetime.combine(date.fromordinal(self._vhi) + timedelta(days=1), time(), self._tz)
        return to_us(end) - u <= horizon // timedelta(microseconds=1)

    def to_data(self) -> dict[str, Any]:
        """The calendar in the data-file format (``docs/sla.md``), JSON-ready."""
        if self._vlo == _MIN_ORDINAL or self._vhi == _MAX_ORDINAL:
            raise InvalidInput.field("calendar", "an unbounded calendar has no data range")
        out: dict[str, Any] = {"format": 1}
        for key, value in (
            ("name", self._name),
            ("source", self._source),
            ("version", self._label),
        ):
            if value is not None:
                out[key] = value
        out["timezone"] = self._tz.key
        out["weekmask"] = self.weekmask
        out["valid_from"] = date.fromordinal(self._vlo).isoformat()
        out["valid_until"] = date.fromordinal(self._vhi).isoformat()
        out["holidays"] = {d.isoformat(): self._names.get(d, "") for d in sorted(self._hol)}
        out["workdays"] = {d.isoformat(): self._names.get(d, "") for d in sorted(self._wd)}
        hours = self.business_hours
        if hours is not None:
            days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            out["business_hours"] = {
                days[wd]: [[a.isoformat("minutes"), b.isoformat("minutes")] for a, b in pairs]
                for wd, pairs in hours.items()
            }
        return out

    def extended(
        self,
        data: str | Path | Mapping[str, Any],
        *,
        valid_from: date | None = None,
        valid_until: date | None = None,
    ) -> BusinessCalendar:
        """A new calendar: this one with the schedule of ``data`` added.

        ``data`` is a ``.toml``, ``.json`` or ``.ics`` file, or the parsed
        mapping of a data file (format: ``docs/sla.md``). Inside the dates the
        new data covers, its holidays and makeup days replace this calendar's;
        outside, this calendar's stay. The range grows to include the new one,
        which must touch or overlap it (no gap). A zone or weekmask in the data
        must be this calendar's; business hours in the data replace these.
        ``valid_from``/``valid_until`` set the range of an ``.ics`` feed (whole
        years of its events by default).

        :raises InvalidInput: bad data, naming the field; nothing changes.
        """
        from complaintflow.sla._data import load_schedule

        s = load_schedule(data, valid_from=valid_from, valid_until=valid_until)
        if s.timezone is not None and s.timezone != self._tz.key:
            raise InvalidInput.field(
                "timezone", f"{s.timezone!r} is not the calendar's zone {self._tz.key!r}"
            )
        if s.weekmask is not None and _parse_weekmask(s.weekmask) != self._mask:
            raise InvalidInput.field(
                "weekmask", f"{s.weekmask!r} is not the calendar's weekmask {self.weekmask!r}"
            )
        lo, hi = s.valid_from.toordinal(), s.valid_until.toordinal()
        if lo > self._vhi + 1 or hi < self._vlo - 1:
            raise InvalidInput.field(
                "valid_from",
                f"the data ({s.valid_from} to {s.valid_until}) leaves a gap with the "
                f"calendar's ({self.valid_from} to {self.valid_until})",
            )

        def outside(d: date) -> bool:
            return not lo <= d.toordinal() <= hi

        holidays = {d for d in self._hol if outside(d)} | set(s.holidays)
        workdays = {d for d in self._wd if outside(d)} | set(s.workdays)
        names = {d: n for d, n in self._names.items() if outside(d)}
        names.update({d: n for d, n in {**s.holidays, **s.workdays}.items() if n})
        sources = [x for x in (self._source, s.source) if x]
        return BusinessCalendar(
            self._tz,
            self.weekmask,
            holidays,
            workdays,
            self.business_hours if s.business_hours is None else s.business_hours,
            valid_from=None if self._vlo == _MIN_ORDINAL else date.fromordinal(min(lo, self._vlo)),
            valid_until=None if self._vhi == _MAX_ORDINAL else date.fromordinal(max(hi, self._vhi)),
            name=self._name or s.name,
            source="; ".join(dict.fromkeys(sources)) or None,
            data_version=s.version or self._label,
            names=names,
        )

    def projected(self) -> BusinessCalendar:
        """This calendar without its range limits: past its data, days follow
        the weekly pattern (weekmask, no holidays). What provisional deadlines
        are counted on."""
        proj = self._proj
        if proj is None:
            proj = BusinessCalendar(
                self._tz,
                self.weekmask,
                self._hol,
                self._wd,
                self.business_hours,
                name=self._name,
                source=self._source,
                data_version=self._label,
            )
            self._proj = proj
        return proj

    def deadline_info(
        self, start: datetime, duration: Duration, pauses: Iterable[Pause] | None = None
    ) -> DeadlineInfo:
        """:meth:`deadline` that never raises :class:`CalendarRangeError`: where
        it needs days past the data it is counted on the weekly pattern
        (:meth:`projected`) and marked provisional, with the reason. The first
        provisional deadline of a calendar version is logged as a warning."""
        if (
            not pauses
            and duration.__class__ is Duration
            and duration.kind == "hours"
            and start.__class__ is datetime
            and start.utcoffset() is not None
        ):  # real elapsed time needs no days of the data: never provisional
            try:
                end = (start.astimezone(UTC) + duration._measure).astimezone(self._tz)
                return DeadlineInfo(end, None, self._name, self.version)
            except OverflowError:
                pass  # the checked path below names the bad start
        try:
            at = self.deadline(start, duration, pauses) if pauses else self.add(start, duration)
            return DeadlineInfo(at, None, self._name, self.version)
        except CalendarRangeError as exc:
            why = str(exc)
        reason = f"counted on the weekly pattern past the calendar's data: {why}"
        at = self.projected().deadline(start, duration, pauses)
        if self.version not in _WARNED:
            _WARNED.add(self.version)
            log.warning(
                "calendar %s (version %s): a deadline needs days past its data; "
                "counted provisionally on the weekly pattern (%s)",
                self._name or self._tz.key,
                self.version,
                why,
            )
        return DeadlineInfo(at, reason, self._name, self.version)

    def __repr__(self) -> str:
        parts = [repr(self._tz.key), f"weekmask={self.weekmask!r}"]
        if self._hol:
            parts.append(f"holidays=<{len(self._hol)} dates>")
        if self._wd:
            parts.append(f"workdays=<{len(self._wd)} dates>")
        if self._bhours is not None:
            parts.append(f"business_hours={self.business_hours!r}")
        if self.valid_from is not None:
            parts.append(f"valid_from={self.valid_from.isoformat()}")
        if self.valid_until is not None:
            parts.append(f"valid_until={self.valid_until.isoformat()}")
        return f"BusinessCalendar({', '.join(parts)})"

    # -- days --------------------------------------------------------------------

    def _range_error(self, ordinal: int) -> CalendarRangeError:
        lo = self.valid_from.isoformat() if self.valid_from else "the beginning"
        hi = self.valid_until.isoformat() if self.valid_until else "the end"
        try:
            day = date.fromordinal(ordinal).isoformat()
        except (ValueError, OverflowError):
            day = "a date beyond year 9999"
        return CalendarRangeError(
            f"{day} is outside the range this calendar's data covers ({lo} to {hi})"
        )

    def _working(self, o: int) -> bool:
        if o in self._wd_ord:
            return True
        return self._mask[(o + 6) % 7] and o not in self._hol_ord

    def _hours_for(self, o: int) -> tuple[Interval, ...]:
        if self._bhours is None:
            return ()
        hours = self._bhours[(o + 6) % 7]
        return hours if hours or o not in self._wd_ord else self._makeup_hours

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day (weekmask, holidays, makeup days).

        :raises CalendarRangeError: ``d`` is outside ``valid_from``..``valid_until``.
        """
        if isinstance(d, datetime) or not isinstance(d, date):
            raise InvalidInput.field("d", "must be a date (not a datetime)")
        o = d.toordinal()
        if not self._vlo <= o <= self._vhi:
            raise self._range_error(o)
        return self._working(o)

    def _extend(self, ordinal: int) -> None:
        """Index more days so that ``ordinal`` is covered (or raise out of range)."""
        if not self._vlo <= ordinal <= self._vhi:
            raise self._range_error(ordinal)
        with self._lock:
            old = self._ix
            if old is not None and old.lo <= ordinal < old.lo + old.n:  # pragma: no cover
                return  # another thread extended it meanwhile
            if self._vhi - self._vlo < _WHOLE_RANGE:
                lo, hi = self._vlo, self._vhi + 1
            elif old is None:
                lo, hi = ordinal - 366, ordinal + _CHUNK
            else:
                grow = max(_CHUNK, old.n)
                lo = min(old.lo, ordinal - grow) if ordinal < old.lo else old.lo
                hi = max(old.lo + old.n, ordinal + grow) if ordinal >= old.lo else old.lo + old.n
            lo, hi = max(lo, self._vlo), min(hi, self._vhi + 1)
            ix = DayIndex.build(self._tz, lo, hi, self._working, self._hours_for, old)
            # the working-days fast path reads both from one attribute, so that
            # it never pairs one index's numbering with another's days
            self._wfast = (self._tz, ix.wnext, ix.wmid)
            self._ix = ix

    def _index(self, u: int) -> DayIndex:
        """The current index, first built around the day of instant ``u``."""
        ix = self._ix
        if ix is None:
            self._extend(min(max(local_ordinal(u, self._tz), self._vlo), self._vhi))
            ix = self._ix
            assert ix is not None
        return ix

    # -- argument checks -----------------------------------------------------------

    @staticmethod
    def _instant(value: object, field: str) -> int:
        if not isinstance(value, datetime):
            raise InvalidInput.field(field, "must be a datetime")
        if value.utcoffset() is None:
            raise InvalidInput.field(field, "must be timezone-aware")
        return to_us(aware(value, field))  # in range: results never overflow

    def _check_duration(self, duration: object) -> Duration:
        if type(duration) is not Duration:
            raise InvalidInput.field(
                "duration",
                "must be a Duration: hours(), business_hours(), working_days() or calendar_days()",
            )
        if duration.kind == "business_hours" and self._bhours is None:
            raise InvalidInput.field(
                "duration", "business_hours() needs a calendar with business_hours"
            )
        return duration

    def _pauses(self, pauses: Iterable[Pause] | None) -> list[tuple[int, int | None]]:
        """Validated pauses as instants, merged into disjoint sorted intervals."""
        if not pauses:
            return []
        raw: list[tuple[int, int | None]] = []
        for i, pause in enumerate(pauses):
            field = f"pauses[{i}]"
            if not (isinstance(pause, Sequence) and len(pause) == 2):
                raise InvalidInput.field(field, "must be a (start, end) pair; end may be None")
            p0, p1 = pause
            if not isinstance(p0, datetime) or p0.utcoffset() is None:
                raise InvalidInput.field(field, "start must be a timezone-aware datetime")
            a = to_us(p0)
            if p1 is None:
                raw.append((a, None))
                continue
            if not isinstance(p1, datetime) or p1.utcoffset() is None:
                raise InvalidInput.field(field, "end must be a timezone-aware datetime or None")
            b = to_us(p1)
            if b < a:
                raise InvalidInput.field(field, "ends before it starts")
            raw.append((a, b))
        raw.sort(key=lambda p: p[0])
        merged: list[tuple[int, int | None]] = []
        for a, end in raw:
            if merged:
                ma, mb = merged[-1]
                if mb is None:
                    break
                if a <= mb:
                    merged[-1] = (ma, None if end is None else max(mb, end))
                    continue
            merged.append((a, end))
        return merged

    # -- the measure ---------------------------------------------------------------

    def _m(self, ix: DayIndex, kind: str, u: int) -> int:
        """The cumulative measure M(u) (index-relative for working days)."""
        if kind == "hours":
            return u
        i = ix.day_of(u, self._tz)
        if kind == "business_hours":
            k = bisect_right(ix.bs, u) - 1
            if k < 0:
                return 0
            return ix.bc[k] + min(u - ix.bs[k], ix.be[k] - ix.bs[k])
        s = ix.s[i]
        length = ix.s[i + 1] - s
        base = ix.w[i] * DAY_US if kind == "working_days" else (ix.lo + i) * DAY_US
        if kind == "working_days" and not ix.work[i]:
            return base
        # the fraction of a 23- or 25-hour day, rounded down to the unit
        return base + (u - s if length == DAY_US else (u - s) * DAY_US // length)

    def _inv(self, ix: DayIndex, kind: str, m: int) -> int:
        """The earliest instant t with M(t) >= m."""
        if kind == "hours":
            return m
        if kind == "business_hours":
            k = bisect_left(ix.bce, m)
            if k == len(ix.bce):
                raise NeedMore(ix.lo + ix.n)
            return ix.bs[k] + (m - ix.bc[k])
        q, r = divmod(m, DAY_US)
        if kind == "working_days":
            need = q if r == 0 else q + 1
            if need >= len(ix.wpos):
                raise NeedMore(ix.lo + ix.n)
            j = ix.wpos[need]  # the first day index with w[j] >= need
            i = j if r == 0 else j - 1
        else:
            i = q - ix.lo
            if not 0 <= i <= ix.n or (r and i == ix.n):
                raise NeedMore(q)
        s = ix.s[i]
        if r == 0:
            return s
        length = ix.s[i + 1] - s
        # the earliest microsecond whose rounded-down fraction reaches r
        return s + (r if length == DAY_US else -(-r * length // DAY_US))

    def _anchor(self, ix: DayIndex, kind: str, u: int) -> int:
        if kind in _HOUR_KINDS:
            return u
        return ix.s[ix.day_of(u, self._tz) + 1]

    def _solve(
        self, ix: DayIndex, kind: str, start: int, units: int, pauses: list[tuple[int, int | None]]
    ) -> int | None:
        anchor = self._anchor(ix, kind, start)
        if units == 0:
            return anchor
        base = self._m(ix, kind, anchor) + units
        acc = 0
        for a, b in pauses:
            if b is not None and b <= anchor:
                continue
            a = max(a, anchor)
            t = self._inv(ix, kind, base + acc)
            if t <= a:
                return t
            if b is None:
                return None
            acc += self._m(ix, kind, b) - self._m(ix, kind, a)
        return self._inv(ix, kind, base + acc)

    def _output(self, ix: DayIndex | None, kind: str, t: int) -> datetime:
        if kind == "hours" or ix is None:
            return from_us(t, self._tz)
        return ix.to_datetime(t, self._tz)

    # -- the clock -------------------------------------------------------------------

    def deadline(
        self, start: datetime, duration: Duration, pauses: Iterable[Pause] | None = None
    ) -> datetime | None:
        """The earliest instant at which the clock started at ``start`` has run
        ``duration``, net of ``pauses``; None if a pause still open (``end`` None)
        began before that, so there is no deadline yet (DESIGN "SLA math").

        Pauses may overlap (they are merged) and count in the duration's own
        measure, only after the clock's anchor: ``start`` for hours, the next
        local midnight for day-counted durations. ``hours(0)`` gives the anchor.
        """
        duration = self._check_duration(duration)
        u = self._instant(start, "start")
        merged = self._pauses(pauses)
        kind = duration.kind
        units = duration.units
        while True:
            ix = None if kind == "hours" else self._index(u)
            try:
                t = self._solve(ix, kind, u, units, merged)  # type: ignore[arg-type]
                return None if t is None else self._output(ix, kind, t)
            except NeedMore as more:
                self._extend(more.ordinal)

    def add(
        self, start: datetime, duration: Duration, pauses: Iterable[Pause] | None = None
    ) -> datetime:
        """The deadline of ``duration`` from ``start``: an aware datetime in the
        calendar's zone (DESIGN "SLA math"; the guide's §3.3 time limits).

        ``hours(n)`` is real elapsed time; ``business_hours(n)`` counts inside
        opening hours from the next opening and may end exactly at closing time;
        ``working_days(n)`` / ``calendar_days(n)`` end at 24:00 of the n-th day
        after the start date (guide §3.3.5). See :meth:`deadline` for pauses.

        :raises InvalidInput: bad arguments, or a still-open pause leaves no
            deadline yet (use :meth:`deadline`, which returns None then).
        :raises CalendarRangeError: a day needed is outside the calendar's data.
        """
        if not pauses:
            # the working-days fast path: a start in the calendar's zone (the
            # same object, so toordinal() is the local date) on an indexed day
            # without a clock change; anything else, including bad input, takes
            # the checked path below
            try:
                q = duration._wd_fast  # whole working days, else 0
                if q:
                    tz, wnext, wmid = self._wfast
                    local = start
                    if local.tzinfo is not tz and local.utcoffset() is not None:
                        local = local.astimezone(tz)  # the same instant, in the zone
                    if local.tzinfo is tz:
                        wn = wnext.get(local.toordinal())
                        if wn is not None:
                            return wmid[q + wn]
            except (AttributeError, IndexError, OverflowError):
                pass
        if not pauses and duration.__class__ is Duration:
            kind = duration.kind
            if kind == "business_hours":
                fast = self._add_business_fast(start, duration._units)
                if fast is not None:
                    return fast
            elif kind == "hours" and start.__class__ is datetime and start.utcoffset() is not None:
                try:
                    return (start.astimezone(UTC) + duration._measure).astimezone(self._tz)
                except OverflowError:
                    pass  # the checked path below names the bad start
        result = self.deadline(start, duration, pauses)
        if result is None:
            raise InvalidInput.field(
                "pauses", "a pause still open leaves no deadline yet (use deadline())"
            )
        return result

    def _add_business_fast(self, start: datetime, units: int) -> datetime | None:
        ix = self._ix
        if (
            ix is None
            or units == 0
            or start.__class__ is not datetime
            or start.tzinfo is not self._tz
            or self._bhours is None
        ):
            return None
        i = start.toordinal() - ix.lo
        if not (0 <= i < ix.n and ix.simple[i]):
            return None
        bs = ix.bs
        u = ix.s[i] + (
            ((start.hour * 60 + start.minute) * 60 + start.second) * 1_000_000 + start.microsecond
        )
        k = bisect_right(bs, u) - 1
        if k < 0:
            return None
        m = ix.bc[k] + min(u - bs[k], ix.be[k] - bs[k]) + units
        bce = ix.bce
        j = bisect_left(bce, m, k)
        if j == len(bce):
            return None
        t = bs[j] + (m - ix.bc[j])
        d = ix.bday[j]
        if ix.notrans[d]:
            return ix.mid[d] + timedelta(0, 0, t - ix.s[d])
        return from_us(t, self._tz)

    def consumed(
        self,
        start: datetime,
        until: datetime,
        duration: Duration,
        pauses: Iterable[Pause] | None = None,
    ) -> timedelta:
        """How much of ``duration``'s measure the clock started at ``start`` has
        run by ``until``, net of ``pauses`` (an open pause counts up to ``until``).

        Hours are real or business time; days are counted days (a timedelta of
        one day per day, fractions of a 23- or 25-hour day rounded down to the
        microsecond). Zero before the anchor. DESIGN "SLA math".
        """
        duration = self._check_duration(duration)
        u0 = self._instant(start, "start")
        u1 = self._instant(until, "until")
        merged = self._pauses(pauses)
        kind = duration.kind
        if u1 <= u0:
            return timedelta(0)
        while True:
            ix = self._index(u0) if kind != "hours" else None
            try:
                return timedelta(0, 0, self._consumed(ix, kind, u0, u1, merged))  # type: ignore[arg-type]
            except NeedMore as more:
                self._extend(more.ordinal)

    def _consumed(
        self, ix: DayIndex, kind: str, u0: int, u1: int, pauses: list[tuple[int, int | None]]
    ) -> int:
        anchor = self._anchor(ix, kind, u0)
        if u1 <= anchor:
            return 0
        if kind != "hours":
            ix.day_of(u1, self._tz)  # the whole window must be indexed before measuring
        m_anchor = self._m(ix, kind, anchor)
        total = self._m(ix, kind, u1) - m_anchor
        for a, b in pauses:
            a = max(a, anchor)
            b = u1 if b is None else min(b, u1)
            if a >= u1:
                break
            if b > a:
                total -= self._m(ix, kind, b) - self._m(ix, kind, a)
        return total

    def remaining(
        self,
        start: datetime,
        until: datetime,
        duration: Duration,
        pauses: Iterable[Pause] | None = None,
    ) -> timedelta:
        """``duration.measure`` minus :meth:`consumed`, floored at zero: what is
        left at ``until`` (frozen while a pause is open). For reports."""
        left = self._check_duration(duration).measure - self.consumed(
            start, until, duration, pauses
        )
        return max(left, timedelta(0))
