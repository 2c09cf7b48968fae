"""Calendar data files: the schedule of a :class:`BusinessCalendar` as data.

A data file (TOML or JSON) or an iCalendar feed gives holidays (with names),
make-up working days, optionally business hours, the dates it covers, its
source and a version label. :func:`load_schedule` reads one into a
:class:`Schedule`; ``BusinessCalendar.extended`` merges it into a calendar.
The format is documented in ``docs/sla.md`` ("Calendar data files").
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final

from complaintflow.errors import InvalidInput

__all__ = ["WORKDAY_MARKERS", "Schedule", "load_schedule", "parse_ics", "parse_schedule"]

_KEYS: Final = frozenset(
    {
        "format",
        "name",
        "country",
        "source",
        "version",
        "timezone",
        "weekmask",
        "valid_from",
        "valid_until",
        "first_year",
        "last_year",
        "holidays",
        "workdays",
        "business_hours",
    }
)
_DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

WORKDAY_MARKERS: Final = ("补班", "上班", "[workday]")
"""A VEVENT whose SUMMARY contains one of these (case-insensitive) is a
make-up working day; so is one with a CATEGORIES value ``workday`` (or
``补班``), or ``X-APPLE-SPECIAL-DAY:ALTERNATE-WORKDAY``."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """One calendar data file, parsed and checked."""

    valid_from: date
    valid_until: date
    holidays: dict[date, str] = field(default_factory=dict)
    workdays: dict[date, str] = field(default_factory=dict)
    name: str | None = None
    source: str | None = None
    version: str | None = None
    timezone: str | None = None
    weekmask: str | None = None
    business_hours: dict[int, list[tuple[time, time]]] | None = None


def _date(value: object, where: str) -> date:
    if isinstance(value, datetime):
        raise InvalidInput.field(where, "must be a date (YYYY-MM-DD), not a date-time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput.field(where, f"must be a date YYYY-MM-DD, got {value!r}")


def _year(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 9999:
        raise InvalidInput.field(where, "must be a year (an integer 1..9999)")
    return value


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput.field(key, "must be a string")
    return value


def _days(value: object, key: str) -> dict[date, str]:
    if value is None:
        return {}
    out: dict[date, str] = {}
    if isinstance(value, Mapping):
        for k, name in value.items():
            d = _date(k, f"{key}.{k}")
            if not isinstance(name, str):
                raise InvalidInput.field(f"{key}.{k}", "the name must be a string")
            out[d] = name
        return out
    if isinstance(value, list):
        for i, k in enumerate(value):
            out[_date(k, f"{key}[{i}]")] = ""
        return out
    raise InvalidInput.field(key, "must be a table date -> name, or a list of dates")


def _clock(value: object, where: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput.field(where, f"must be a time HH:MM, got {value!r}")


def _pairs(value: object, where: str) -> list[tuple[time, time]]:
    if not isinstance(value, list):
        raise InvalidInput.field(where, 'must be a list of ["HH:MM", "HH:MM"] pairs')
    out = []
    for i, pair in enumerate(value):
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise InvalidInput.field(f"{where}[{i}]", 'must be a pair ["HH:MM", "HH:MM"]')
        out.append((_clock(pair[0], f"{where}[{i}]"), _clock(pair[1], f"{where}[{i}]")))
    return out


def _hours(value: object) -> dict[int, list[tuple[time, time]]] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput.field("business_hours", "must be a table: weekday -> pairs")
    week: dict[int, list[tuple[time, time]]] = {}
    default = value.get("default")
    for k in value:
        if k != "default" and k not in _DAYS:
            raise InvalidInput.field(
                f"business_hours.{k}", f"unknown key; use default or {', '.join(_DAYS)}"
            )
    for wd, name in enumerate(_DAYS):
        raw = value.get(name, default if wd < 5 else None)
        if raw is not None:
            week[wd] = _pairs(raw, f"business_hours.{name if name in value else 'default'}")
    return week


def parse_schedule(data: Mapping[str, Any]) -> Schedule:
    """A :class:`Schedule` from parsed TOML/JSON data (see ``docs/sla.md``).

    >>> s = parse_schedule({"valid_from": "2027-01-01", "valid_until": "2027-12-31",
    ...                     "holidays": {"2027-01-01": "New Year's Day"}})
    >>> s.holidays
    {datetime.date(2027, 1, 1): "New Year's Day"}
    """
    if not isinstance(data, Mapping):
        raise InvalidInput.field("data", "must be a table (a mapping)")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise InvalidInput.field(unknown[0], f"unknown key; known: {', '.join(sorted(_KEYS))}")
    fmt = data.get("format", 1)
    if fmt != 1:
        raise InvalidInput.field("format", f"unsupported format {fmt!r}; this library reads 1")
    if "valid_from" in data or "valid_until" in data:
        if "valid_from" not in data or "valid_until" not in data:
            raise InvalidInput.field("valid_until", "valid_from and valid_until go together")
        lo = _date(data["valid_from"], "valid_from")
        hi = _date(data["valid_until"], "valid_until")
    elif "first_year" in data and "last_year" in data:
        lo = date(_year(data["first_year"], "first_year"), 1, 1)
        hi = date(_year(data["last_year"], "last_year"), 12, 31)
    else:
        raise InvalidInput.field(
            "valid_from", "missing: the dates the data covers (valid_from and valid_until)"
        )
    if hi < lo:
        raise InvalidInput.field("valid_until", "is before valid_from")
    holidays = _days(data.get("holidays"), "holidays")
    workdays = _days(data.get("workdays"), "workdays")
    for key, days in (("holidays", holidays), ("workdays", workdays)):
        outside = sorted(d for d in days if not lo <= d <= hi)
        if outside:
            raise InvalidInput.field(
                key, f"{outside[0]} is outside the range the data covers ({lo} to {hi})"
            )
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise InvalidInput.field("workdays", f"{both[0]} is also listed as a holiday")
    return Schedule(
        valid_from=lo,
        valid_until=hi,
        holidays=holidays,
        workdays=workdays,
        name=_text(data, "name") or _text(data, "country"),
        source=_text(data, "source"),
        version=_text(data, "version"),
        timezone=_text(data, "timezone"),
        weekmask=_text(data, "weekmask"),
        business_hours=_hours(data.get("business_hours")),
    )


def _is_workday(event: Any) -> bool:
    summary = str(event.get("SUMMARY", "")).casefold()
    if any(m.casefold() in summary for m in WORKDAY_MARKERS):
        return True
    if str(event.get("X-APPLE-SPECIAL-DAY", "")).upper() == "ALTERNATE-WORKDAY":
        return True
    raw = event.get("CATEGORIES")
    values: list[str] = []
    for item in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        values.extend(str(c) for c in getattr(item, "cats", [item]))
    return any(v.strip().casefold() in ("workday", "补班") for v in values)


def _read_ics(text: str | bytes) -> Any:
    """The parsed iCalendar feed (needs ``icalendar``)."""
    from complaintflow.sla._presets import MissingDependency

    try:
        import icalendar
    except ImportError as exc:
        raise MissingDependency(
            "reading .ics calendars needs the 'icalendar' package: pip install 'complaintflow[ics]'"
        ) from exc
    try:
        return icalendar.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        raise InvalidInput.field("ics", f"not an iCalendar feed: {exc}") from None


def _all_day_event(n: int, event: Any) -> tuple[str, date, date]:
    """The summary, first day and (exclusive) end of the ``n``-th VEVENT,
    which must be a single all-day event."""
    summary = str(event.get("SUMMARY", ""))
    where = f"VEVENT[{n}] ({summary or 'no summary'})"
    if "RRULE" in event:
        raise InvalidInput.field(where, "recurring events (RRULE) are not supported")
    if "DTSTART" not in event:
        raise InvalidInput.field(where, "has no DTSTART")
    start = event.decoded("DTSTART")
    if isinstance(start, datetime) or not isinstance(start, date):
        raise InvalidInput.field(where, "must be an all-day event (DTSTART;VALUE=DATE)")
    end = event.decoded("DTEND") if "DTEND" in event else start + timedelta(days=1)
    if isinstance(end, datetime) or not isinstance(end, date) or end <= start:
        raise InvalidInput.field(where, "DTEND must be a date after DTSTART")
    return summary, start, end


def parse_ics(
    text: str | bytes,
    *,
    valid_from: date | None = None,
    valid_until: date | None = None,
    source: str | None = None,
) -> Schedule:
    """A :class:`Schedule` from an iCalendar feed (needs ``complaintflow[ics]``).

    Every VEVENT must be all-day (``DTSTART;VALUE=DATE``); ``DTEND`` is
    exclusive, so a multi-day holiday is one event. An event is a make-up
    working day when marked (:data:`WORKDAY_MARKERS`), a holiday otherwise;
    its SUMMARY is its name. The data covers whole years, from 1 January of
    the first event's year to 31 December of the last's, unless
    ``valid_from``/``valid_until`` say otherwise. Recurring events (RRULE) are
    refused: a feed of official holidays lists each year's dates.
    """
    cal = _read_ics(text)
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    for n, event in enumerate(cal.walk("VEVENT")):
        summary, start, end = _all_day_event(n, event)
        target = workdays if _is_workday(event) else holidays
        d = start
        while d < end:
            target[d] = summary
            d += timedelta(days=1)
    days = sorted({*holidays, *workdays})
    if not days and (valid_from is None or valid_until is None):
        raise InvalidInput.field("ics", "the feed has no all-day events")
    lo = valid_from or date(days[0].year, 1, 1)
    hi = valid_until or date(days[-1].year, 12, 31)
    data: dict[str, Any] = {
        "valid_from": lo,
        "valid_until": hi,
        "holidays": holidays,
        "workdays": workdays,
    }
    name = cal.get("X-WR-CALNAME")
    if name is not None:
        data["name"] = str(name)
    if source is not None:
        data["source"] = source
    return parse_schedule(data)


def load_schedule(
    source: str | Path | Mapping[str, Any],
    *,
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> Schedule:
    """A :class:`Schedule` from a mapping, or a ``.toml``, ``.json`` or ``.ics`` file."""
    if isinstance(source, Mapping):
        return parse_schedule(source)
    if not isinstance(source, str | Path):
        raise InvalidInput.field("source", "must be a path or a mapping of calendar data")
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json", ".ics"):
        raise InvalidInput.field("source", f"{path.name}: expected a .toml, .json or .ics file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput.field("source", f"cannot read {path}: {exc.strerror}") from None
    try:
        if suffix == ".ics":
            return parse_ics(raw, valid_from=valid_from, valid_until=valid_until, source=path.name)
        data = tomllib.loads(raw.decode()) if suffix == ".toml" else json.loads(raw)
    except (
        UnicodeDecodeError,
        tomllib.TOMLDecodeError,
        json.JSONDecodeError,
        RecursionError,
    ) as exc:
        raise InvalidInput.field("source", f"{path.name}: not valid {suffix[1:]}: {exc}") from None
    except InvalidInput as exc:
        raise InvalidInput(f"{path.name}: {exc}", exc.errors) from None
    try:
        return parse_schedule(data)
    except InvalidInput as exc:
        raise InvalidInput(f"{path.name}: {exc}", exc.errors) from None
