"""Deadline cost per ``add``, beside named anchors, in one run.

Run: ``python benchmarks/bench_sla.py [--quick]`` (needs the ``bench`` extra:
numpy, pandas, holidays). Prints an agreement check on shared random inputs,
then one table: operation, implementation, ns per deadline, ratio to ours.

Operations (DESIGN "SLA math": a deadline is a few bisects, never a walk):
- ``working_days(7)`` on the CN preset (guide §3.3.5), from random instants
  2020-2026. Anchors: numpy ``busday_offset`` (a scalar loop, and one
  vectorized call over the whole array), ``holidays``' ``get_nth_working_day``
  on its own China calendar. numpy cannot express makeup working days, so it
  gets a weekmask of every day and, as holidays, every non-working day of the
  CN data: the same answers.
- ``business_hours(16)``, 09:00-18:00 on CN working days. Anchor: pandas
  ``CustomBusinessHour`` (weekmask of every day, the same non-working days).

Representations differ: numpy and holidays give the date of the n-th working
day (our deadline is 24:00 of it, the next midnight); pandas rolls a deadline
that falls exactly at closing time to the next opening (ours reports closing
time, DESIGN "SLA math"); both are converted before comparing. Each timing
is the median of several repeats of a loop over the whole input list.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import random
import statistics
import sys
import timeit
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from pandas.tseries.offsets import CustomBusinessHour  # type: ignore[import-untyped]

from complaintflow.sla import BusinessCalendar, business_hours, working_days

SH = ZoneInfo("Asia/Shanghai")
N_DAYS = 7
N_HOURS = 16
US = timedelta(microseconds=1)


def per_op_ns(fn: Callable[[], Any], ops: int, repeat: int) -> float:
    """Median over ``repeat`` runs of ``fn`` (which does ``ops`` deadlines), per deadline."""
    fn()  # warm caches and lazy indexes outside the timing
    runs = timeit.repeat(fn, number=1, repeat=repeat)
    return statistics.median(runs) / ops * 1e9


def random_starts(rng: random.Random, n: int, first: date, last: date) -> list[datetime]:
    span = int((datetime.combine(last, time()) - datetime.combine(first, time())).total_seconds())
    base = datetime.combine(first, time(), tzinfo=SH)
    return [base + timedelta(seconds=rng.randrange(span)) for _ in range(n)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer inputs and repeats (< 10 s)")
    parser.add_argument("--seed", type=int, default=20260312)
    args = parser.parse_args()
    n_fast, n_slow, repeat = (2_000, 200, 5) if args.quick else (20_000, 1_000, 9)
    rng = random.Random(args.seed)

    cal = BusinessCalendar.preset("CN")
    office = BusinessCalendar.preset("CN", business_hours=(time(9), time(18)))
    assert cal.valid_from is not None
    assert cal.valid_until is not None
    first, last = cal.valid_from, cal.valid_until - timedelta(days=40)
    all_days = [
        cal.valid_from + timedelta(days=i)
        for i in range((cal.valid_until - cal.valid_from).days + 1)
    ]
    closed = [d for d in all_days if not cal.is_working_day(d)]

    # -- anchors' own representations of the same calendar --------------------------
    bdc = np.busdaycalendar(weekmask="1111111", holidays=np.array(closed, dtype="datetime64[D]"))
    china = holidays.country_holidays("CN", years=range(first.year, cal.valid_until.year + 1))
    cbh = CustomBusinessHour(
        n=N_HOURS,
        start="09:00",
        end="18:00",
        weekmask="Mon Tue Wed Thu Fri Sat Sun",
        holidays=closed,
    )

    starts = random_starts(rng, n_fast, first, last)
    slow_starts = starts[:n_slow]
    start_days = [s.date() for s in starts]
    np_days = np.array(start_days, dtype="datetime64[D]")
    np_scalars = [np.datetime64(d, "D") for d in start_days]
    pd_starts = [pd.Timestamp(s.replace(tzinfo=None)) for s in slow_starts]
    wd, bh = working_days(N_DAYS), business_hours(N_HOURS)

    # -- agreement on the same inputs ----------------------------------------------
    ours_wd = [cal.add(s, wd) for s in starts]
    ours_dates = [d.date() - timedelta(days=1) for d in ours_wd]  # the n-th working day
    assert all(d.time() == time(0) and d.tzinfo is SH for d in ours_wd)
    np_scalar_dates = [
        np.busday_offset(x, N_DAYS, roll="backward", busdaycal=bdc).astype(date) for x in np_scalars
    ]
    np_vector_dates = list(
        np.busday_offset(np_days, N_DAYS, roll="backward", busdaycal=bdc).astype(date)
    )
    hol_dates = [china.get_nth_working_day(s.date(), N_DAYS) for s in slow_starts]
    checks = [
        ("numpy busday_offset (scalar loop)", ours_dates, np_scalar_dates),
        ("numpy busday_offset (vectorized)", ours_dates, np_vector_dates),
        ("holidays get_nth_working_day", ours_dates[:n_slow], hol_dates),
    ]
    one_us = business_hours(1 / 3_600_000_000)  # one microsecond of business time

    def pandas_convention(t: datetime) -> datetime:
        # pandas moves a deadline that lands on closing time to the next opening
        return office.add(t, one_us) - US if t.time() == time(18) else t

    ours_bh = [office.add(s, bh) for s in slow_starts]
    pd_bh = [(t + cbh).to_pydatetime().replace(tzinfo=SH) for t in pd_starts]
    checks.append(("pandas CustomBusinessHour", [pandas_convention(t) for t in ours_bh], pd_bh))
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"holidays {importlib.metadata.version('holidays')}; "
        f"CN data {cal.valid_from}..{cal.valid_until}"
    )
    print("agreement with ours on the same random starts:")
    ok = True
    for name, ours, theirs in checks:
        same = sum(a == b for a, b in zip(ours, theirs, strict=True))
        ok &= same == len(ours)
        print(f"  {name:36} {same}/{len(ours)} {'agree' if same == len(ours) else 'DISAGREE'}")
    if not ok:
        print("anchors disagree: timings would compare different answers")
        return 1

    # -- timings -------------------------------------------------------------------
    add, add_bh = cal.add, office.add
    busday_offset = np.busday_offset
    nth = china.get_nth_working_day
    rows: list[tuple[str, str, float]] = []
    op = f"working_days({N_DAYS}), CN"
    ours_ns = per_op_ns(lambda: [add(s, wd) for s in starts], n_fast, repeat)
    rows.append((op, "complaintflow BusinessCalendar.add", ours_ns))
    rows.append(
        (
            op,
            "numpy busday_offset, scalar loop",
            per_op_ns(
                lambda: [
                    busday_offset(x, N_DAYS, roll="backward", busdaycal=bdc) for x in np_scalars
                ],
                n_fast,
                repeat,
            ),
        )
    )
    rows.append(
        (
            op,
            "numpy busday_offset, vectorized",
            per_op_ns(
                lambda: busday_offset(np_days, N_DAYS, roll="backward", busdaycal=bdc),
                n_fast,
                repeat,
            ),
        )
    )
    rows.append(
        (
            op,
            "holidays get_nth_working_day",
            per_op_ns(lambda: [nth(d, N_DAYS) for d in start_days[:n_slow]], n_slow, repeat),
        )
    )
    op = f"business_hours({N_HOURS}), 09-18 CN"
    rows.append(
        (
            op,
            "complaintflow BusinessCalendar.add",
            per_op_ns(lambda: [add_bh(s, bh) for s in starts], n_fast, repeat),
        )
    )
    rows.append(
        (
            op,
            "pandas CustomBusinessHour",
            per_op_ns(lambda: [t + cbh for t in pd_starts], n_slow, repeat),
        )
    )

    ours_by_op = {r[0]: r[2] for r in rows if r[1].startswith("complaintflow")}
    print(f"\n{'operation':28} {'implementation':36} {'ns/op':>10} {'vs ours':>9}")
    for op_name, impl, ns in rows:
        ratio = ns / ours_by_op[op_name]
        print(f"{op_name:28} {impl:36} {ns:10.0f} {ratio:8.2f}x")
    print("\n(vs ours: the implementation's time divided by ours; above 1 is slower than ours)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
