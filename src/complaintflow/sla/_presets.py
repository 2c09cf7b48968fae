"""Calendar data: the bundled presets and the optional ``holidays`` package."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from functools import cache
from importlib import resources
from typing import Any, Final
from zoneinfo import ZoneInfo

from complaintflow.errors import ComplaintFlowError, InvalidInput

__all__ = ["MissingDependency", "holidays_arguments", "preset_arguments"]

PRESETS: Final = ("CN",)

#: the zone used when ``from_holidays`` is not given one (a country's capital
#: or most populous zone)
DEFAULT_TZ: Final = {
    "AU": "Australia/Sydney",
    "CA": "America/Toronto",
    "CN": "Asia/Shanghai",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "HK": "Asia/Hong_Kong",
    "IN": "Asia/Kolkata",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "NL": "Europe/Amsterdam",
    "SG": "Asia/Singapore",
    "TW": "Asia/Taipei",
    "US": "America/New_York",
}


class MissingDependency(ComplaintFlowError, ImportError):
    """An optional package a feature needs is not installed."""


@cache
def _load(name: str) -> dict[str, Any]:
    text = resources.files("complaintflow.sla").joinpath("data", f"{name.lower()}.json")
    data: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return data


def preset_arguments(name: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Constructor arguments of a bundled preset, with ``overrides`` applied."""
    if not isinstance(name, str) or name.upper() not in PRESETS:
        raise InvalidInput.field(
            "name", f"unknown preset {name!r}; available: {', '.join(PRESETS)}"
        )
    data = _load(name.upper())
    holidays = {date.fromisoformat(d): n for d, n in data["holidays"].items()}
    workdays = {date.fromisoformat(d): n for d, n in data["workdays"].items()}
    last = date(data["last_year"], 12, 31)
    source = data["source"]
    extra = _chinese_calendar_years(data["last_year"]) if name.upper() == "CN" else None
    if extra is not None:
        more_holidays, more_workdays, last, pkg = extra
        holidays.update(more_holidays)
        workdays.update(more_workdays)
        source = f"{source}; {pkg} (installed, through {last.year})"
    args: dict[str, Any] = {
        "tz": data["timezone"],
        "weekmask": data["weekmask"],
        "holidays": list(holidays),
        "workdays": list(workdays),
        "valid_from": date(data["first_year"], 1, 1),
        "valid_until": last,
        "name": data["country"],
        "source": source,
        "names": {**holidays, **workdays},
    }
    args.update(overrides)
    return args


def _chinese_calendar_years(
    bundled_last: int,
) -> tuple[dict[date, str], dict[date, str], date, str] | None:
    """Holidays and makeup days for the years after ``bundled_last`` that the
    installed ``chinese_calendar`` package covers (None when it covers none)."""
    try:
        import chinese_calendar
    except ImportError:
        return None
    year = bundled_last
    while True:
        try:
            chinese_calendar.is_workday(date(year + 1, 12, 31))
        except NotImplementedError:
            break
        year += 1
    if year == bundled_last:
        return None
    first, last = date(bundled_last + 1, 1, 1), date(year, 12, 31)
    holidays = {d: str(n) for d, n in chinese_calendar.holidays.items() if first <= d <= last}
    workdays = {d: str(n) for d, n in chinese_calendar.workdays.items() if first <= d <= last}
    version = getattr(chinese_calendar, "__version__", "")
    return holidays, workdays, last, f"chinese-calendar {version}".strip()


def holidays_arguments(
    country: str,
    subdiv: str | None,
    years: int | Iterable[int],
    tz: str | ZoneInfo | None,
    overrides: dict[str, Any],
) -> dict[str, Any]:
    """Constructor arguments from the ``holidays`` package's data for ``country``."""
    try:
        import holidays as holidays_pkg
    except ImportError as exc:
        raise MissingDependency(
            "BusinessCalendar.from_holidays needs the 'holidays' package: "
            "pip install 'complaintflow[holidays]'"
        ) from exc
    year_list = [years] if isinstance(years, int) else list(years)
    if not year_list or not all(isinstance(y, int) and not isinstance(y, bool) for y in year_list):
        raise InvalidInput.field("years", "must be a year or a non-empty iterable of years")
    if tz is None:
        if not isinstance(country, str) or country.upper() not in DEFAULT_TZ:
            raise InvalidInput.field("tz", f"required: no default time zone for {country!r}")
        tz = DEFAULT_TZ[country.upper()]
    try:
        data = holidays_pkg.country_holidays(country, subdiv=subdiv, years=year_list)
    except NotImplementedError as exc:
        raise InvalidInput.field(
            "country", f"the holidays package does not know it: {exc}"
        ) from None
    first, last = date(min(year_list), 1, 1), date(max(year_list), 12, 31)
    weekend = set(getattr(data, "weekend", {5, 6}))
    extra = getattr(data, "weekend_workdays", ())
    args: dict[str, Any] = {
        "tz": tz,
        "weekmask": "".join("0" if wd in weekend else "1" for wd in range(7)),
        "holidays": sorted(d for d in data if first <= d <= last),
        "workdays": sorted(d for d in extra if first <= d <= last and d not in data),
        "valid_from": first,
        "valid_until": last,
    }
    args.update(overrides)
    return args
