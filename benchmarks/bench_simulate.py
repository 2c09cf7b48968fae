"""What-if over many stored complaints: ``engine.simulate`` on SQLite.

Run: ``python benchmarks/bench_simulate.py [--n 100000] [--distinct 200]``.

``--distinct`` complaints are taken through the guide's flow by the engine
(seeded random gaps, so some follow-ups are late), then copied with SQL,
with new ids (their audit trails too), until the store holds ``--n``
complaints. The store file is kept under the system's temporary directory
and reused by later runs with the same ``--n`` and ``--distinct``
(``--rebuild`` makes it again); simulate writes nothing to it.

Timed: one ``engine.simulate`` tightening the follow-up target from 7 to 5
working days (every complaint is read, recomputed and compared), and
``engine.sla_report`` of 2026, month by month, without certificates (the
same read, counted), beside anchors in the same run: reading the same rows back with a plain
``sqlite3`` cursor (the documents alone, then each parsed with
``json.loads``), and (``--find``) reading them as complaints with
``Store.find`` pages. Memory is measured two ways: the process's maximum
resident set size (``resource.getrusage(...).ru_maxrss``) before and after
the timed run, which has tracemalloc off; and ``tracemalloc``'s traced
peak in a second, untimed run of the same simulation.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import complaintflow as cf
from complaintflow.stores._sql import SCHEMA_VERSION

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 1, 1, tzinfo=SH)
SINCE = datetime(2026, 1, 1, tzinfo=SH)

# a recorded timeline replayed at full speed: the engine believes its times
# (the checks still run)
REPLAY: dict[str, Any] = {
    "clock_skew": timedelta(days=36500),
    "intake_window": timedelta(days=36500),
}
COLUMNS = (
    "id, version, status, is_open, complainant, respondent, category, handler, "
    "received_at, next_check, needs_triage, doc"
)


def _engine(path: Path, **kw: Any) -> cf.Engine:
    return cf.Engine(
        **REPLAY,
        calendar=cf.BusinessCalendar.preset("CN"),
        store=cf.stores.SQLiteStore(path, **kw),
        load_entry_points=False,
    )


def _drive(engine: cf.Engine, rnd: random.Random, i: int) -> None:
    """One complaint through the guide's flow, with seeded random gaps."""
    staff = cf.Actor(id="h-1", roles={"handler"})
    t = datetime(2026, 1, 5, 9, tzinfo=SH) + timedelta(hours=rnd.randint(0, 24 * 200))
    c = engine.submit(
        cf.NewComplaint(channel="app", category="service", complainant=cf.Party(id="u-1"),
                        subject=f"c{i}", received_at=t),
        actor=cf.Actor(id="u-1", roles={"complainant"}),
    )  # fmt: skip

    def at() -> datetime:
        nonlocal t
        t += timedelta(hours=rnd.randint(1, 30))
        return t

    engine.handle(c.id, cf.Acknowledge(actor=staff, at=at()))
    engine.handle(c.id, cf.Classify(actor=staff, at=at(), category="service"))
    for s in sorted(engine.categories["service"].required_steps):
        engine.handle(c.id, cf.RecordStep(actor=staff, at=at(), step=s))
    if rnd.random() < 0.1:
        return  # left open: its later targets are still running
    engine.handle(c.id, cf.Decide(actor=staff, at=at(), outcome="upheld", basis="b"))
    engine.handle(c.id, cf.Execute(actor=staff, at=at()))
    t += timedelta(days=rnd.randint(0, 12))
    engine.handle(c.id, cf.FollowUp(actor=staff, at=at(), satisfied=True))


def build(path: Path, total: int, distinct: int) -> None:
    """``distinct`` complaints through the engine, then bulk copies (with
    their events) up to ``total``, in one transaction."""
    rnd = random.Random(13)
    engine = _engine(path, synchronous="NORMAL")
    for i in range(distinct):
        _drive(engine, rnd, i)
    engine.close()
    conn = sqlite3.connect(path)
    rows = conn.execute(f"SELECT {COLUMNS} FROM complaints").fetchall()
    trails: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for cid, seq, doc in conn.execute("SELECT complaint_id, seq, doc FROM events"):
        trails[cid].append((seq, doc))
    conn.execute("BEGIN")
    marks = ", ".join("?" * 12)
    for start in range(0, total - distinct, 5000):
        copies, events = [], []
        for k in range(start, min(start + 5000, total - distinct)):
            row = rows[k % len(rows)]
            old, cid = row[0], f"x{k:031d}"
            copies.append((cid, *row[1:11], row[11].replace(old, cid)))
            events.extend((cid, seq, doc.replace(old, cid)) for seq, doc in trails[old])
        conn.executemany(f"INSERT INTO complaints ({COLUMNS}) VALUES ({marks})", copies)
        conn.executemany("INSERT INTO events (complaint_id, seq, doc) VALUES (?, ?, ?)", events)
    conn.execute("COMMIT")
    conn.close()


def fixture(total: int, distinct: int, rebuild: bool) -> tuple[Path, float | None]:
    """The store file (kept between runs) and, when built now, the seconds."""
    name = f"complaintflow-bench-simulate-{total}-{distinct}-s{SCHEMA_VERSION}.sqlite3"
    path = Path(tempfile.gettempdir()) / name
    if path.exists() and not rebuild:
        return path, None
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    part = path.with_suffix(".part")
    part.unlink(missing_ok=True)
    t0 = time.perf_counter()
    build(part, total, distinct)
    part.rename(path)
    return path, time.perf_counter() - t0


def plain_read(path: Path, parse: bool) -> tuple[float, int]:
    """Seconds to read every document in received order with a plain cursor."""
    conn = sqlite3.connect(path)
    t0 = time.perf_counter()
    cur = conn.execute("SELECT doc FROM complaints ORDER BY received_at, id")
    n = 0
    while rows := cur.fetchmany(1000):
        n += len(rows)
        if parse:
            for (doc,) in rows:
                json.loads(doc)
    secs = time.perf_counter() - t0
    conn.close()
    return secs, n


def find_read(engine: cf.Engine) -> tuple[float, int]:
    """Seconds to read every complaint with ``Store.find`` pages of 500."""
    t0 = time.perf_counter()
    n = offset = 0
    while page := engine.store.find(limit=500, offset=offset):
        n += len(page)
        offset += 500
    return time.perf_counter() - t0, n


def _row(name: str, secs: float | None, mb: float | None = None, note: str = "") -> str:
    s = "" if secs is None else f"{secs:.2f}"
    m = "" if mb is None else f"{mb:.1f}"
    return f"| {name:<52} | {s:>9} | {m:>9} | {note}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000, help="stored complaints")
    p.add_argument("--distinct", type=int, default=200, help="complaints driven by the engine")
    p.add_argument("--rebuild", action="store_true", help="make the store file again")
    p.add_argument("--find", action="store_true", help="also time reading with Store.find")
    p.add_argument("--no-tracemalloc", action="store_true", help="skip the traced second run")
    args = p.parse_args()
    path, built = fixture(args.n, args.distinct, args.rebuild)
    draft = cf.GUIDE_POLICY.with_durations({"follow_up": cf.working_days(5)})
    plain_read(path, parse=False)  # warm the page cache: every row below reads it warm
    raw, n_raw = plain_read(path, parse=False)
    parsed, _ = plain_read(path, parse=True)
    engine = _engine(path)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    sim = engine.simulate(policy=draft, now=NOW)
    secs = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak = None
    if not args.no_tracemalloc:
        tracemalloc.start()
        again = engine.simulate(policy=draft, now=NOW)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        assert again == sim
    t0 = time.perf_counter()
    report = engine.sla_report(SINCE, NOW, now=NOW, certificates=False)
    report_secs = time.perf_counter() - t0
    assert report.complaints == sim.complaints
    found = find_read(engine) if args.find else None
    engine.close()
    print(
        f"complaintflow {cf.__version__}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, n={sim.complaints:,} "
        f"({args.distinct} driven by the engine, the rest copied)"
    )
    print("store file: " + ("reused" if built is None else f"built in {built:.1f} s"))
    print()
    print(f"| {'measure':<52} | {'seconds':>9} | {'peak MB':>9} | note")
    print(f"|{'-' * 54}|{'-' * 11}|{'-' * 11}|------")
    print(_row("engine.simulate (follow-up 7 -> 5 working days)", secs, peak,
               "target < 30 s, < 200 MB (MB: tracemalloc peak, second run)"))  # fmt: skip
    print(_row("  max RSS before -> after the timed run (ru_maxrss)", None, rss1,
               f"from {rss0:.1f} MB before it"))  # fmt: skip
    print(_row("anchor: plain sqlite3 cursor, SELECT doc", raw, None, f"{n_raw:,} rows"))
    print(_row("anchor: plain sqlite3 cursor + json.loads each doc", parsed, None, ""))
    print(_row("engine.sla_report, monthly, without certificates", report_secs, None,
               f"{len(report.breaches):,} breaches listed"))  # fmt: skip
    if found is not None:
        print(_row("anchor: Store.find pages of 500 (parsed complaints)", found[0], None,
                   f"{found[1]:,} complaints"))  # fmt: skip
    print()
    print(f"complaints per second (simulate): {sim.complaints / secs:,.0f}; "
          f"outcomes changed: {len(sim.changes):,}; replayed: {sim.replayed}")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
