"""Generate ``src/complaintflow/sla/data/cn.json``: mainland China's working-day data.

The data comes from the independent ``chinese-calendar`` package (module
``chinese_calendar``), which transcribes the State Council's yearly notices:
official public holidays (放假) and the weekend days made working days
(调休上班). Every year from 2020 to the last year the package covers is
written; the output is sorted and deterministic, so a re-run with the same
package version changes nothing.

Usage: python scripts/gen_cn_calendar.py [--check]
  --check  exit 1 if the committed file differs from a fresh generation
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import sys
from pathlib import Path

import chinese_calendar

FIRST_YEAR = 2020
OUT = Path(__file__).resolve().parent.parent / "src" / "complaintflow" / "sla" / "data" / "cn.json"


def covered_years() -> list[int]:
    """Consecutive years from FIRST_YEAR that chinese_calendar has data for."""
    years = []
    year = FIRST_YEAR
    while True:
        try:
            chinese_calendar.is_workday(dt.date(year, 12, 31))
        except NotImplementedError:
            break
        years.append(year)
        year += 1
    if not years:
        sys.exit(f"chinese_calendar has no data for {FIRST_YEAR}")
    return years


def generate() -> str:
    years = covered_years()
    first, last = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    holidays = {d: str(n) for d, n in chinese_calendar.holidays.items() if first <= d <= last}
    workdays = {d: str(n) for d, n in chinese_calendar.workdays.items() if first <= d <= last}
    for d in workdays:
        assert d.weekday() >= 5, f"makeup working day {d} is not a weekend day"
    # self-check: the data gives exactly chinese_calendar's answer for every day
    day = first
    while day <= last:
        working = (day.weekday() < 5 and day not in holidays) or day in workdays
        assert working == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)
    version = importlib.metadata.version("chinese-calendar")
    data = {
        "country": "CN",
        "source": f"chinese-calendar {version} (PyPI package chinese-calendar)",
        "timezone": "Asia/Shanghai",
        "weekmask": "1111100",
        "first_year": years[0],
        "last_year": years[-1],
        "holidays": {d.isoformat(): n for d, n in sorted(holidays.items())},
        "workdays": {d.isoformat(): n for d, n in sorted(workdays.items())},
    }
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the file")
    args = parser.parse_args()
    text = generate()
    if args.check:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print(f"{OUT.name}: {'up to date' if same else 'OUT OF DATE'}")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
