"""Store throughput and sweep latency, printed as one table.

Run: ``python benchmarks/bench_store.py [--quick] [--dsn postgresql://...]``.

1. Full lifecycles per second through the engine (submit, acknowledge, two
   procedure steps, classify, decide, execute, follow_up: 8 commands, each
   one committed transaction) on the memory store, on SQLite with
   ``synchronous=FULL`` (every commit fsynced: survives a power loss) and
   with ``synchronous=NORMAL`` in WAL mode (survives a crash of the process;
   a power loss may lose the last commits), and on PostgreSQL (server
   defaults: ``synchronous_commit=on``).
2. The time of one ``engine.sweep()`` over a store holding ``--total``
   complaints (1,000,000; ``--quick``: 50,000) of which ``--due`` (1,000)
   are due, on SQLite (FULL) and PostgreSQL. The rows are bulk-loaded with
   SQL from two real complaints (one due, one due a month later); only the
   due ones get their submit event. Only the sweep is timed: the due query,
   the SLA alerts of every due complaint and their saving, events and
   notifications included.

PostgreSQL rows need ``--dsn`` (or ``COMPLAINTFLOW_TEST_POSTGRES_DSN``); the
benchmark works in a schema of its own and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import complaintflow as cf
from complaintflow.stores import MemoryStore, PostgresStore, SQLiteStore

HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))
T0 = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# a recorded timeline replayed at full speed: the engine believes its times
# (the checks still run) and counts on a Monday-to-Friday UTC calendar, the
# one earlier figures were measured on
REPLAY: dict[str, Any] = {
    "clock_skew": timedelta(days=36500),
    "intake_window": timedelta(days=36500),
    "calendar": cf.BusinessCalendar("UTC"),
}


def _new(i: int, at: datetime, cid: str | None = None) -> cf.NewComplaint:
    return cf.NewComplaint(
        id=cid,
        channel="web",
        category="goods",
        complainant=cf.Party(id=f"u-{i}", name="Wang Xiaohong", contact="+86 139 1234 5678"),
        respondent=cf.Party(id=f"shop-{i % 97}", kind="merchant"),
        subject="Kettle arrived cracked",
        description="The kettle leaks from the base.",
        received_at=at,
    )


def _commands(t0: datetime) -> list[Any]:
    at = [t0 + timedelta(hours=h) for h in range(1, 9)]
    return [
        cf.Acknowledge(actor=HANDLER, at=at[0]),
        cf.RecordStep(actor=HANDLER, step="contact_complainant", at=at[1]),
        cf.RecordStep(actor=HANDLER, step="investigate", at=at[2]),
        cf.Classify(actor=HANDLER, at=at[3]),
        cf.Decide(actor=HANDLER, outcome="upheld", basis="rule 1", at=at[4]),
        cf.Execute(actor=HANDLER, at=at[5]),
        cf.FollowUp(actor=HANDLER, satisfied=True, at=at[6]),
    ]


def bench_lifecycles(store: Any, n: int) -> float:
    """Full lifecycles per second."""
    engine = cf.Engine(**REPLAY, store=store, load_entry_points=False, clock=lambda: T0)
    commands = _commands(T0)
    news = [_new(i, T0) for i in range(n)]
    t = time.perf_counter()
    for new in news:
        cid = engine.submit(new, actor=HANDLER).id
        for cmd in commands:
            engine.handle(cid, cmd)
    return n / (time.perf_counter() - t)


# -- the sweep over a big store -------------------------------------------------------


def _templates() -> tuple[cf.Complaint, cf.Event, cf.Complaint]:
    engine = cf.Engine(**REPLAY, load_entry_points=False, clock=lambda: T0)
    due = engine.submit(_new(1, T0, "c0000000"), actor=HANDLER)
    later = engine.submit(_new(2, T0 + timedelta(days=30), "c0000001"), actor=HANDLER)
    return due, engine.history(due.id)[0], later


def _us(dt: datetime) -> int:
    return (dt - EPOCH) // timedelta(microseconds=1)


def _plan(total: int, due: int) -> Iterator[tuple[str, bool]]:
    step = total // due
    for i in range(total):
        yield f"c{i:07d}", (i % step == 0 and i // step < due)


def load_sqlite(path: Path, total: int, due: int) -> None:
    SQLiteStore(path).close()  # the schema
    d, ev, later = _templates()
    docs = {True: d.model_dump_json(), False: later.model_dump_json()}
    base = {True: d, False: later}
    edoc = ev.model_dump_json()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")

    def complaints() -> Iterator[tuple[Any, ...]]:
        for cid, is_due in _plan(total, due):
            c = base[is_due]
            assert c.sla is not None
            assert c.sla.next_check is not None
            yield (
                cid,
                1,
                c.status.value,
                1,
                c.complainant.id,
                c.respondent.id if c.respondent else None,
                c.category,
                None,
                _us(c.received_at),
                _us(c.sla.next_check),
                docs[is_due].replace("c0000000", cid).replace("c0000001", cid),
            )

    conn.executemany("INSERT INTO complaints VALUES (?,?,?,?,?,?,?,?,?,?,?)", complaints())
    conn.executemany(
        "INSERT INTO events VALUES (?, 1, ?)",
        ((cid, edoc.replace("c0000000", cid)) for cid, is_due in _plan(total, due) if is_due),
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def load_postgres(store: PostgresStore, total: int, due: int) -> None:
    d, ev, later = _templates()
    docs = {True: d.model_dump_json(), False: later.model_dump_json()}
    base = {True: d, False: later}
    edoc = ev.model_dump_json()
    conn = store.connection
    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit = off")
        with conn.cursor().copy(
            "COPY complaints (id, version, status, is_open, complainant, respondent, "
            "category, handler, received_at, next_check, doc) FROM STDIN"
        ) as copy:
            for cid, is_due in _plan(total, due):
                c = base[is_due]
                assert c.sla is not None
                copy.write_row(
                    (
                        cid,
                        1,
                        c.status.value,
                        True,
                        c.complainant.id,
                        c.respondent.id if c.respondent else None,
                        c.category,
                        None,
                        c.received_at,
                        c.sla.next_check,
                        docs[is_due].replace("c0000000", cid).replace("c0000001", cid),
                    )
                )
        with conn.cursor().copy("COPY events (complaint_id, seq, doc) FROM STDIN") as copy:
            for cid, is_due in _plan(total, due):
                if is_due:
                    copy.write_row((cid, 1, edoc.replace("c0000000", cid)))
    conn.execute("ANALYZE")


def bench_sweep(store: Any, due: int) -> tuple[float, float, int]:
    """Seconds of the due query alone, of the whole sweep, and alerts emitted."""
    now = T0 + timedelta(hours=47)
    t = time.perf_counter()
    found = store.due(now, limit=due)
    query = time.perf_counter() - t
    assert len(found) == due, len(found)
    engine = cf.Engine(**REPLAY, store=store, load_entry_points=False, clock=lambda: now)
    t = time.perf_counter()
    alerts = engine.sweep(now=now, limit=due)
    sweep = time.perf_counter() - t
    assert len({a.complaint_id for a in alerts}) == due
    assert store.due(now, limit=due) == []
    return query, sweep, len(alerts)


# -- the table --------------------------------------------------------------------------


def _timed(label: str, fn: Callable[[], Any]) -> Any:
    t = time.perf_counter()
    out = fn()
    print(f"  ({label}: {time.perf_counter() - t:.1f} s)", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--n", type=int, help="lifecycles per store (default 500; quick 100)")
    parser.add_argument("--total", type=int, help="complaints in the sweep store (1,000,000)")
    parser.add_argument("--due", type=int, default=1000, help="of which due (1,000)")
    parser.add_argument("--dsn", default=os.environ.get("COMPLAINTFLOW_TEST_POSTGRES_DSN"))
    parser.add_argument("--no-sweep", action="store_true", help="only the lifecycle rows")
    parser.add_argument("--sweep-only", action="store_true", help="only the sweep rows")
    args = parser.parse_args(argv)
    n = args.n or (100 if args.quick else 500)
    total = args.total or (50_000 if args.quick else 1_000_000)
    rows: list[tuple[str, str, str]] = []
    schema = f"cf_bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="cf-bench-", dir=os.environ.get("TMPDIR")) as tmp:
        for sync in () if args.sweep_only else ("memory", "FULL", "NORMAL", "postgres"):
            if sync == "memory":
                rate = bench_lifecycles(MemoryStore(), n)
                rows.append(("lifecycles/s", "memory", f"{rate:,.0f}"))
                continue
            if sync == "postgres":
                if not args.dsn:
                    rows.append(("lifecycles/s", "PostgreSQL", "skipped: no --dsn"))
                    continue
                with PostgresStore(args.dsn, schema=schema + "_life") as s:
                    try:
                        rate = bench_lifecycles(s, n)
                    finally:
                        s.connection.execute(f"DROP SCHEMA {schema}_life CASCADE".encode())
                rows.append(("lifecycles/s", "PostgreSQL (synchronous_commit=on)", f"{rate:,.0f}"))
                continue
            with SQLiteStore(Path(tmp) / f"life-{sync}.db", synchronous=sync) as s:  # type: ignore[arg-type]
                rate = bench_lifecycles(s, n)
            rows.append(("lifecycles/s", f"SQLite WAL, synchronous={sync}", f"{rate:,.0f}"))
        if not args.no_sweep:
            label = f"sweep {args.due:,} due of {total:,}"
            path = Path(tmp) / "sweep.db"
            _timed("SQLite bulk load", lambda: load_sqlite(path, total, args.due))
            with SQLiteStore(path) as s:
                q, sw, k = bench_sweep(s, args.due)
            rows.append((label, "SQLite WAL, synchronous=FULL", f"{sw:.3f} s"))
            rows.append(("  the due query alone", "SQLite", f"{q * 1000:.1f} ms"))
            path.unlink()
            if args.dsn:
                with PostgresStore(args.dsn, schema=schema) as s:
                    try:
                        _timed("PostgreSQL bulk load", lambda: load_postgres(s, total, args.due))
                        q, sw, k = bench_sweep(s, args.due)
                    finally:
                        s.connection.execute(f"DROP SCHEMA {schema} CASCADE".encode())
                rows.append((label, "PostgreSQL", f"{sw:.3f} s"))
                rows.append(("  the due query alone", "PostgreSQL", f"{q * 1000:.1f} ms"))
            else:
                rows.append((label, "PostgreSQL", "skipped: no --dsn"))
            rows.append(("  alerts emitted per sweep", "both", f"{k:,}"))
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"{'measure':<{width[0]}}  {'store':<{width[1]}}  {'result':>{width[2]}}")
    print(f"{'-' * width[0]}  {'-' * width[1]}  {'-' * width[2]}")
    for a, b, c in rows:
        print(f"{a:<{width[0]}}  {b:<{width[1]}}  {c:>{width[2]}}")
    print(
        f"\n{n} lifecycles of 8 commands per store (when measured); "
        f"Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


if __name__ == "__main__":
    main()
