"""``complaintflow calendar show|check|import``: calendar data at the command line.

- ``show``: a calendar (the CN preset, extended by data files) with its
  version id, range, source and its holidays and makeup days.
- ``check``: load data files onto the calendar, report each one's effect and
  warn when the data ends within the horizon (exit 1 on bad data).
- ``import``: convert an ``.ics`` feed (or a data file) to the JSON data
  format, to review and commit.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from complaintflow.errors import ComplaintFlowError

__all__ = ["add_parser", "run"]

_PRESETS = ("CN",)


def add_parser(sub: Any) -> None:
    """Register ``calendar`` on the ``complaintflow`` subparsers ``sub``."""
    cal = sub.add_parser(
        "calendar",
        help="business calendars: show, check or import calendar data",
        description="Business calendars as data: show one, check data files, import .ics feeds.",
    )
    csub = cal.add_subparsers(dest="calendar_command", required=True)

    def base(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--calendar", default="CN", choices=_PRESETS, help="the preset (default: %(default)s)"
        )
        p.add_argument(
            "--data",
            action="append",
            default=[],
            metavar="FILE",
            help="extend the calendar with a .toml, .json or .ics data file (repeatable)",
        )

    show = csub.add_parser("show", help="a calendar's version, range, holidays and makeup days")
    base(show)
    show.add_argument("--year", type=int, help="list only this year's days")
    show.add_argument("--json", action="store_true", help="print the calendar as a data file")
    check = csub.add_parser("check", help="check data files and warn when the data ends soon")
    base(check)
    check.add_argument("files", nargs="*", metavar="FILE", help="data files to check, in order")
    check.add_argument(
        "--horizon",
        type=int,
        default=60,
        metavar="DAYS",
        help="warn when the data ends within DAYS of now (default: %(default)s)",
    )
    check.add_argument("--now", metavar="DATE", help="the date to check from (default: today)")
    imp = csub.add_parser("import", help="convert an .ics feed to the JSON data format")
    imp.add_argument("file", help="the .ics feed (or a .toml/.json data file)")
    imp.add_argument("-o", "--output", metavar="FILE.json", help="write here (default: stdout)")
    imp.add_argument("--from", dest="valid_from", metavar="DATE", help="first date covered")
    imp.add_argument("--until", dest="valid_until", metavar="DATE", help="last date covered")


def run(args: argparse.Namespace) -> int:
    """Run a ``calendar`` subcommand; 0 on success, 1 on bad data."""
    try:
        if args.calendar_command == "show":
            return _show(args)
        if args.calendar_command == "check":
            return _check(args)
        return _import(args)
    except ComplaintFlowError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def _calendar(name: str, files: list[str]) -> Any:
    from complaintflow.sla import BusinessCalendar

    cal = BusinessCalendar.preset(name)
    for f in files:
        cal = cal.extended(f)
    return cal


def _day(text: str | None, field: str) -> date | None:
    from complaintflow.errors import InvalidInput

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput.field(field, f"must be a date YYYY-MM-DD, got {text!r}") from None


def _summary(cal: Any) -> list[str]:
    return [
        f"calendar {cal.name or cal.tz.key}  version {cal.version}",
        f"zone {cal.tz.key}, working weekdays {cal.weekmask} (from Monday)",
        f"data covers {cal.valid_from} to {cal.data_ends}",
        f"source: {cal.source or '-'}" + (f"  (data version {cal.data_version})"
                                          if cal.data_version else ""),
    ]  # fmt: skip


def _show(args: argparse.Namespace) -> int:
    cal = _calendar(args.calendar, args.data)
    if args.json:
        print(json.dumps(cal.to_data(), ensure_ascii=False, indent=1))
        return 0
    for line in _summary(cal):
        print(line)
    names = cal.names
    rows = [(d, "holiday") for d in cal.holidays] + [
        (d, "makeup working day") for d in cal.workdays
    ]
    for d, kind in sorted(rows):
        if args.year is None or d.year == args.year:
            print(f"  {d.isoformat()} {d.strftime('%a')}  {kind:<18}  {names.get(d, '')}".rstrip())
    return 0


def _check(args: argparse.Namespace) -> int:
    from complaintflow.sla._expiry import expiry_message

    cal = _calendar(args.calendar, [])
    print(f"{cal.name}: version {cal.version}, data to {cal.data_ends}")
    for f in [*args.data, *args.files]:
        before = cal
        cal = cal.extended(f)
        added = len(cal.holidays - before.holidays) + len(cal.workdays - before.workdays)
        print(
            f"{Path(f).name}: ok, {added} days added; version {cal.version}, "
            f"data to {cal.data_ends}"
        )
    day = _day(args.now, "--now")
    now = (
        datetime.now(UTC)
        if day is None
        else datetime(day.year, day.month, day.day, 12, tzinfo=cal.tz)
    )
    message = expiry_message(cal, now, timedelta(days=args.horizon))
    print(f"WARNING: {message}" if message else f"data ends {cal.data_ends}: not within "
          f"{args.horizon} days")  # fmt: skip
    return 0


def _import(args: argparse.Namespace) -> int:
    from complaintflow.errors import InvalidInput
    from complaintflow.sla._data import load_schedule

    s = load_schedule(
        args.file,
        valid_from=_day(args.valid_from, "--from"),
        valid_until=_day(args.valid_until, "--until"),
    )
    data: dict[str, Any] = {"format": 1}
    for key in ("name", "source", "version", "timezone", "weekmask"):
        if getattr(s, key) is not None:
            data[key] = getattr(s, key)
    data["valid_from"] = s.valid_from.isoformat()
    data["valid_until"] = s.valid_until.isoformat()
    data["holidays"] = {d.isoformat(): n for d, n in sorted(s.holidays.items())}
    data["workdays"] = {d.isoformat(): n for d, n in sorted(s.workdays.items())}
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    if out.suffix.lower() != ".json":
        raise InvalidInput.field("--output", "must be a .json file")
    out.write_text(text, encoding="utf-8")
    print(
        f"wrote {out}: {len(s.holidays)} holidays, {len(s.workdays)} makeup working days, "
        f"{s.valid_from} to {s.valid_until}"
    )
    return 0
