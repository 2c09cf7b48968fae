"""What-if over many stored complaints: ``engine.simulate`` on SQLite.

Run: ``python benchmarks/bench_simulate.py [--total 100000] [--distinct 200]``.

``--distinct`` complaints are taken through the guide's flow by the engine
(seeded random gaps, so some follow-ups are late), then copied with SQL,
with new ids, until the store holds ``--total`` complaints. Timed: one
``engine.simulate`` tightening the follow-up target from 7 to 5 working
days (every complaint is read, recomputed and compared). Peak memory is
``tracemalloc``'s peak during the simulation and the process's maximum
resident size (``resource``).
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import complaintflow as cf

SH = ZoneInfo("Asia/Shanghai")

# a recorded timeline replayed at full speed: the engine believes its times
# (the checks still run)
REPLAY: dict[str, Any] = {
    "clock_skew": timedelta(days=36500),
    "intake_window": timedelta(days=36500),
}


def build(path: Path, total: int, distinct: int) -> None:
    rnd = random.Random(13)
    engine = cf.Engine(
        **REPLAY,
        calendar=cf.BusinessCalendar.preset("CN"),
        store=cf.stores.SQLiteStore(path, synchronous="NORMAL"),
        load_entry_points=False,
    )
    staff = cf.Actor(id="h-1", roles={"handler"})
    user = cf.Actor(id="u-1", roles={"complainant"})
    steps = sorted(engine.categories["service"].required_steps)
    for i in range(distinct):
        t = datetime(2026, 1, 5, 9, tzinfo=SH) + timedelta(hours=rnd.randint(0, 24 * 200))
        c = engine.submit(
            cf.NewComplaint(channel="app", category="service", complainant=cf.Party(id="u-1"),
                            subject=f"c{i}", received_at=t),
            actor=user,
        )  # fmt: skip

        def at() -> datetime:
            nonlocal t
            t += timedelta(hours=rnd.randint(1, 30))
            return t

        engine.handle(c.id, cf.Acknowledge(actor=staff, at=at()))
        engine.handle(c.id, cf.Classify(actor=staff, at=at(), category="service"))
        for s in steps:
            engine.handle(c.id, cf.RecordStep(actor=staff, at=at(), step=s))
        engine.handle(c.id, cf.Decide(actor=staff, at=at(), outcome="upheld", basis="b"))
        engine.handle(c.id, cf.Execute(actor=staff, at=at()))
        t += timedelta(days=rnd.randint(0, 12))
        engine.handle(c.id, cf.FollowUp(actor=staff, at=at(), satisfied=True))
    engine.close()
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT * FROM complaints").fetchall()
    conn.execute("BEGIN")
    copies = []
    for k in range(total - distinct):
        row = rows[k % len(rows)]
        cid = f"x{k:09d}"
        copies.append((cid, *row[1:10], row[10].replace(row[0], cid)))
    conn.executemany("INSERT INTO complaints VALUES (?,?,?,?,?,?,?,?,?,?,?)", copies)
    conn.execute("COMMIT")
    conn.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--total", type=int, default=100_000)
    p.add_argument("--distinct", type=int, default=200)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        build(path, args.total, args.distinct)
        built = time.perf_counter() - t0
        engine = cf.Engine(
            **REPLAY,
            calendar=cf.BusinessCalendar.preset("CN"),
            store=cf.stores.SQLiteStore(path),
            load_entry_points=False,
        )
        draft = cf.GUIDE_POLICY.with_durations({"follow_up": cf.working_days(5)})
        tracemalloc.start()
        t0 = time.perf_counter()
        sim = engine.simulate(policy=draft, now=datetime(2027, 1, 1, tzinfo=SH))
        secs = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        engine.close()
    print(f"{'anchor':<44} {'value':>12}")
    print(f"{'complaints stored':<44} {sim.complaints:>12,}")
    print(f"{'store built (s, not the anchor)':<44} {built:>12.1f}")
    print(f"{'simulate (s)  [target < 30]':<44} {secs:>12.2f}")
    print(f"{'complaints per second':<44} {sim.complaints / secs:>12,.0f}")
    print(f"{'tracemalloc peak (MB)  [target < 200]':<44} {peak / 2**20:>12.1f}")
    print(f"{'max RSS of the process (MB)':<44} {rss:>12.1f}")
    print(f"{'outcomes changed':<44} {len(sim.changes):>12,}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
