"""Recomputing stored running targets after a calendar change, in seconds.

Run: ``python benchmarks/bench_calendar_change.py [--n 100000] [--quick]``.

The scenario of the year end: N complaints on the SQLite store, each with a
follow-up (guide §3.3.5, 7 working days) started in late December 2026 and
running, so its deadline is provisional on the CN preset (data to
2026-12-31). A 2027 schedule arrives; every complaint is read back, its
targets recomputed (``recalculate``), a ``calendar_changed`` event applied
through the tracker, and the complaint and event saved in batches.

Anchors beside it, in the same run: the raw calendar cost (N ``add`` calls
on the new calendar) and reading the N complaints back without changing them.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import complaintflow as cf
from complaintflow._base import fast_copy
from complaintflow.models import Complaint, Event
from complaintflow.sla import working_days
from complaintflow.sla._tracker import SlaTracker, calendar_changed_data, recalculate
from complaintflow.stores import SQLiteStore
from complaintflow.stores._base import Save
from complaintflow.testing import FakeClock

SH = ZoneInfo("Asia/Shanghai")
H = cf.Actor(id="agent-li", roles=frozenset({"handler"}))
U = cf.Actor(id="u-1", roles=frozenset({"complainant"}))
SCHEDULE_2027 = {
    "name": "CN",
    "source": "benchmark schedule",
    "valid_from": "2027-01-01",
    "valid_until": "2027-12-31",
    "holidays": {"2027-01-01": "New Year's Day"},
    "workdays": {"2027-02-20": "Spring Festival"},
}
PAGE = 2000

# a recorded timeline replayed at full speed: the engine believes its times
# (the checks still run)
REPLAY: dict[str, Any] = {
    "clock_skew": timedelta(days=36500),
    "intake_window": timedelta(days=36500),
}


def template(cal: cf.BusinessCalendar) -> Complaint:
    """One complaint executed on 2026-12-24, driven through the engine."""
    clock = FakeClock(datetime(2026, 12, 21, 9, tzinfo=SH))
    engine = cf.Engine(**REPLAY, calendar=cal, clock=clock, load_entry_points=False)
    c = engine.submit(
        cf.NewComplaint(
            channel="web",
            category="goods",
            complainant=cf.Party(id="u-1"),
            respondent=cf.Party(id="shop-9", kind="merchant"),
            subject="Broken kettle",
            received_at=clock(),
        ),
        actor=U,
    )
    clock.advance(hours=1)
    for cmd in (
        cf.Acknowledge(actor=H),
        cf.RecordStep(actor=H, step="contact_complainant"),
        cf.RecordStep(actor=H, step="investigate"),
        cf.Classify(actor=H),
        cf.Decide(actor=H, outcome="upheld", basis="refund"),
    ):
        engine.handle(c.id, cmd)
    clock.set(datetime(2026, 12, 24, 10, tzinfo=SH))
    return engine.handle(c.id, cf.Execute(actor=H))


def populate(store: SQLiteStore, base: Complaint, tracker: SlaTracker, n: int) -> None:
    """N copies of ``base``, follow-up started at spread times in late December."""
    assert base.sla is not None
    saves: list[Save] = []
    for i in range(n):
        start = datetime(2026, 12, 20, tzinfo=SH) + timedelta(minutes=(i * 7) % (11 * 24 * 60))
        targets = tuple(
            tracker._recompute(r._replace(started_at=start)) if r.name == "follow_up" else r
            for r in base.sla.targets
        )
        c = fast_copy(base, id=f"c-{i:06d}", version=1, sla=base.sla._replace(targets=targets))
        first = Event(
            complaint_id=c.id,
            seq=1,
            type="submit",
            at=c.received_at,
            actor="u-1",
            from_status=None,
            to_status=c.status,
            cycle=1,
            data={},
        )
        saves.append(Save(c, 0, [first]))
        if len(saves) == PAGE:
            store.save_many(saves)
            saves = []
    if saves:
        store.save_many(saves)


def read_all(store: SQLiteStore) -> list[Complaint]:
    out: list[Complaint] = []
    offset = 0
    while True:
        page = store.find(limit=PAGE, offset=offset)
        out.extend(page)
        if len(page) < PAGE:
            return out
        offset += PAGE


def recompute_all(store: SQLiteStore, new: cf.BusinessCalendar, at: datetime) -> int:
    tracker = SlaTracker(new)
    changed = 0
    saves: list[Save] = []
    for c in read_all(store):
        assert c.sla is not None
        changes = recalculate(c.sla, new)
        if not changes:
            continue
        event = Event(
            complaint_id=c.id,
            seq=c.version + 1,
            type="calendar_changed",
            at=at,
            actor="system",
            from_status=c.status,
            to_status=c.status,
            cycle=c.cycle,
            data=calendar_changed_data(new, changes),
        )
        after = tracker.on_event(c, fast_copy(c, version=c.version + 1, updated_at=at), event)
        saves.append(Save(after, c.version, [event]))
        changed += 1
        if len(saves) == PAGE:
            store.save_many(saves)
            saves = []
    if saves:
        store.save_many(saves)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="stored complaints")
    parser.add_argument("--quick", action="store_true", help="n = 5,000")
    args = parser.parse_args(argv)
    n = 5_000 if args.quick else args.n
    old = cf.BusinessCalendar.preset("CN")
    new = old.extended(SCHEDULE_2027)
    base = template(old)
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "bench.sqlite3")
        t = time.perf_counter()
        populate(store, base, SlaTracker(old), n)
        t_fill = time.perf_counter() - t

        starts = [c.sla.targets[-1].started_at for c in read_all(store) if c.sla is not None]
        t = time.perf_counter()
        for s in starts:
            new.add(s, working_days(7))
        t_add = time.perf_counter() - t

        t = time.perf_counter()
        read_all(store)
        t_read = time.perf_counter() - t

        t = time.perf_counter()
        changed = recompute_all(store, new, datetime(2027, 1, 2, 9, tzinfo=SH))
        t_change = time.perf_counter() - t

        follows = [
            r for c in read_all(store) if c.sla is not None for r in c.sla.targets
            if r.name == "follow_up"
        ]  # fmt: skip
        assert all(r.provisional is None for r in follows)
        assert sum(r.promised is not None for r in follows) == changed

    print(
        f"complaintflow {cf.__version__}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, n={n}, {changed} complaints changed"
    )
    print()
    rows = [
        ("recompute after a calendar change (read, recalculate, event, save)", t_change),
        ("anchor: read every complaint back (SQLite, no change)", t_read),
        ("anchor: the calendar alone (n working_days(7) deadlines)", t_add),
        ("setup: store n complaints (not part of the change)", t_fill),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'measure':<{width}} | {'seconds':>9} | {'µs each':>9} |")
    print(f"|{'-' * (width + 2)}|{'-' * 11}|{'-' * 11}|")
    for name, secs in rows:
        print(f"| {name:<{width}} | {secs:>9.2f} | {secs / n * 1e6:>9.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
