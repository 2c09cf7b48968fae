"""Store throughput and sweep latency, printed as one table.

Run: ``python benchmarks/bench_store.py [--quick] [--dsn postgresql://...]``.

1. Full lifecycles per second through the engine (submit, acknowledge, two
   procedure steps, classify, decide, execute, follow_up: 8 commands, each
   one committed transaction) on the memory store, on SQLite with
   ``synchronous=FULL`` (every commit fsynced: survives a power loss) and
   with ``synchronous=NORMAL`` in WAL mode (survives a crash of the process;
   a power loss may lose the last commits), and on PostgreSQL (server
   defaults: ``synchronous_commit=on``).
2. On PostgreSQL, side by side with raw psycopg doing the same work on
   tables of the same shape (the store's own, created by its migrations),
   with the documents of a real lifecycle (so rows of the same size): per
   lifecycle one transaction inserting the complaint's row and its first
   event (the submit), then seven commands, each one transaction with a
   ``SELECT ... FOR UPDATE`` of the row, an event insert and the row's
   update. Both on one connection, then with ``--threads`` (8) threads:
   raw with a connection each, the store with one engine and one store
   (its pool of ``--threads`` connections) shared by the threads, each
   thread running its own complaints. The ratio column is the store's rate
   over raw's; rounds alternate raw and store (``--rounds``), the median
   of each is shown.
3. The time of one ``engine.sweep()`` over a store holding ``--total``
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
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import complaintflow as cf
from complaintflow.stores import MemoryStore, PostgresStore, SQLiteStore
from complaintflow.stores._index import index_row

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


def bench_lifecycles(store: Any, n: int, first: int = 0) -> float:
    """Full lifecycles per second (complainants ``first`` on)."""
    engine = cf.Engine(**REPLAY, store=store, load_entry_points=False, clock=lambda: T0)
    commands = _commands(T0)
    news = [_new(i, T0) for i in range(first, first + n)]
    t = time.perf_counter()
    for new in news:
        cid = engine.submit(new, actor=HANDLER).id
        for cmd in commands:
            engine.handle(cid, cmd)
    return n / (time.perf_counter() - t)


def _in_threads(threads: int, n: int, run: Callable[[int, int, int], None]) -> float:
    """Lifecycles per second of ``run(thread, first, count)`` in ``threads``
    threads, ``n`` lifecycles in all, started together."""
    share = [n // threads + (t < n % threads) for t in range(threads)]
    firsts = [sum(share[:t]) for t in range(threads)]
    start = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def body(t: int) -> None:
        start.wait()
        try:
            run(t, firsts[t], share[t])
        except BaseException as e:  # reported below, not lost in the thread
            errors.append(e)

    workers = [threading.Thread(target=body, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    t0 = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return n / elapsed


def bench_store_threads(store: Any, n: int, threads: int, first: int = 0) -> float:
    """Full lifecycles per second through one engine on ``store``, shared by
    ``threads`` threads each running its own complaints."""
    engine = cf.Engine(**REPLAY, store=store, load_entry_points=False, clock=lambda: T0)
    commands = _commands(T0)

    def run(_: int, start: int, count: int) -> None:
        for i in range(first + start, first + start + count):
            cid = engine.submit(_new(i, T0), actor=HANDLER).id
            for cmd in commands:
                engine.handle(cid, cmd)

    return _in_threads(threads, n, run)


# -- raw psycopg, the same work -------------------------------------------------------

_RAW_COLUMNS = (
    "id, version, status, is_open, complainant, respondent, category, handler, "
    "received_at, next_check, needs_triage, doc"
)
_RAW_INSERT = f"INSERT INTO complaints ({_RAW_COLUMNS}) VALUES ({', '.join(['%s'] * 12)})"
_RAW_LOCK = "SELECT version FROM complaints WHERE id = %s FOR UPDATE"
_RAW_EVENT = "INSERT INTO events (complaint_id, seq, doc) VALUES (%s, %s, %s)"
_RAW_UPDATE = (
    "UPDATE complaints SET version = %s, status = %s, is_open = %s, category = %s, "
    "handler = %s, next_check = %s, needs_triage = %s, doc = %s WHERE id = %s"
)
_TEMPLATE_ID = "c0000000"


def _raw_script() -> list[tuple[tuple[Any, ...], list[tuple[int, str]]]]:
    """One real lifecycle, step by step (submit, then the seven commands):
    the complaint's row after the step (its index columns and document) and
    the events of the step, written as JSON by the engine on a memory store."""
    store = MemoryStore()
    engine = cf.Engine(**REPLAY, store=store, load_entry_points=False, clock=lambda: T0)
    c = engine.submit(_new(0, T0, _TEMPLATE_ID), actor=HANDLER)
    steps = [c] + [engine.handle(c.id, cmd) for cmd in _commands(T0)]
    events = store.events(c.id)
    out, before = [], 0
    for step in steps:
        row = (*index_row(step), step.model_dump_json())
        evs = [(e.seq, e.model_dump_json()) for e in events if before < e.seq <= step.version]
        out.append((row, evs))
        before = step.version
    return out


def _raw_lifecycles(conn: Any, script: list[Any], first: int, count: int) -> None:
    """``count`` lifecycles of raw psycopg on ``conn`` (autocommit, each
    transaction opened and committed by ``conn.transaction()``)."""
    for i in range(first, first + count):
        cid = f"r{i:07d}"
        for k, (row, evs) in enumerate(script):
            doc = row[-1].replace(_TEMPLATE_ID, cid)
            with conn.transaction():
                if k == 0:
                    conn.execute(_RAW_INSERT, (cid, *row[1:4], f"u-{i}", *row[5:-1], doc))
                else:
                    conn.execute(_RAW_LOCK, (cid,)).fetchone()
                for seq, edoc in evs:
                    conn.execute(_RAW_EVENT, (cid, seq, edoc.replace(_TEMPLATE_ID, cid)))
                if k:
                    _, version, status, is_open, _, _, category, handler, _, due, triage = row[:-1]
                    conn.execute(
                        _RAW_UPDATE,
                        (version, status, is_open, category, handler, due, triage, doc, cid),
                    )


def bench_raw(dsn: str, schema: str, n: int, threads: int, first: int) -> float:
    """Lifecycles per second of raw psycopg in ``threads`` threads, a
    connection each, on the store's tables in ``schema``."""
    import psycopg

    script = _raw_script()
    conns = [psycopg.connect(dsn, autocommit=True) for _ in range(threads)]
    try:
        for conn in conns:
            conn.execute(f"SET search_path TO {schema}".encode())
        return _in_threads(
            threads, n, lambda t, f, c: _raw_lifecycles(conns[t], script, first + f, c)
        )
    finally:
        for conn in conns:
            conn.close()


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

    conn.executemany(
        "INSERT INTO complaints (id, version, status, is_open, complainant, respondent, "
        "category, handler, received_at, next_check, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        complaints(),
    )
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


Row = tuple[str, str, str, str]


def postgres_rows(dsn: str, schema: str, n: int, threads: int, rounds: int) -> list[Row]:
    """The PostgreSQL lifecycle rows: raw psycopg and the store, on one
    connection and in ``threads`` threads, rounds alternating."""
    raw_schema, life = schema + "_raw", schema + "_life"
    PostgresStore(dsn, schema=raw_schema).close()  # the store's tables, for raw
    runs: dict[str, list[float]] = {"raw 1": [], "store 1": [], "raw t": [], "store t": []}
    # the pool opened at its full size, as raw opens its connections, untimed
    with PostgresStore(dsn, schema=life, min_size=threads, max_size=threads) as s:
        try:
            for r in range(rounds):
                base = 2 * n * r
                runs["raw 1"].append(bench_raw(dsn, raw_schema, n, 1, base))
                runs["store 1"].append(bench_lifecycles(s, n, base))
                runs["raw t"].append(bench_raw(dsn, raw_schema, n, threads, base + n))
                runs["store t"].append(bench_store_threads(s, n, threads, base + n))
                each = ", ".join(f"{k} {v[-1]:,.0f}" for k, v in runs.items())
                print(f"  (round {r + 1}: {each})", file=sys.stderr)
        finally:
            for name in (life, raw_schema):
                s.connection.execute(f"DROP SCHEMA {name} CASCADE".encode())
    rate = {k: statistics.median(v) for k, v in runs.items()}
    return [
        (
            "lifecycles/s, 1 connection",
            "raw psycopg (synchronous_commit=on)",
            f"{rate['raw 1']:,.0f}",
            "",
        ),
        (
            "lifecycles/s, 1 connection",
            "PostgreSQL store",
            f"{rate['store 1']:,.0f}",
            f"{rate['store 1'] / rate['raw 1']:.0%}",
        ),
        (
            f"lifecycles/s, {threads} threads",
            f"raw psycopg, {threads} connections",
            f"{rate['raw t']:,.0f}",
            "",
        ),
        (
            f"lifecycles/s, {threads} threads",
            f"PostgreSQL store, pool of {threads}",
            f"{rate['store t']:,.0f}",
            f"{rate['store t'] / rate['raw t']:.0%}",
        ),
    ]


def lifecycle_rows(tmp: Path, n: int) -> list[Row]:
    """Full lifecycles per second on the memory and SQLite stores."""
    rows: list[Row] = [("lifecycles/s", "memory", f"{bench_lifecycles(MemoryStore(), n):,.0f}", "")]
    for sync in ("FULL", "NORMAL"):
        with SQLiteStore(tmp / f"life-{sync}.db", synchronous=sync) as s:
            rate = bench_lifecycles(s, n)
        rows.append(("lifecycles/s", f"SQLite WAL, synchronous={sync}", f"{rate:,.0f}", ""))
    return rows


def sweep_rows(tmp: Path, dsn: str | None, schema: str, total: int, due: int) -> list[Row]:
    """One sweep of ``due`` among ``total`` on each SQL store."""
    label = f"sweep {due:,} due of {total:,}"
    path = tmp / "sweep.db"
    _timed("SQLite bulk load", lambda: load_sqlite(path, total, due))
    with SQLiteStore(path) as s:
        q, sw, k = bench_sweep(s, due)
    rows: list[Row] = [
        (label, "SQLite WAL, synchronous=FULL", f"{sw:.3f} s", ""),
        ("  the due query alone", "SQLite", f"{q * 1000:.1f} ms", ""),
    ]
    path.unlink()
    if not dsn:
        return [*rows, (label, "PostgreSQL", "skipped: no --dsn", "")]
    with PostgresStore(dsn, schema=schema) as s:
        try:
            _timed("PostgreSQL bulk load", lambda: load_postgres(s, total, due))
            q, sw, k = bench_sweep(s, due)
        finally:
            s.connection.execute(f"DROP SCHEMA {schema} CASCADE".encode())
    return [
        *rows,
        (label, "PostgreSQL", f"{sw:.3f} s", ""),
        ("  the due query alone", "PostgreSQL", f"{q * 1000:.1f} ms", ""),
        ("  alerts emitted per sweep", "both", f"{k:,}", ""),
    ]


def print_table(rows: list[Row]) -> None:
    head: Row = ("measure", "store", "result", "of raw")
    width = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for a, b, c, d in [head, tuple("-" * w for w in width), *rows]:
        print(f"{a:<{width[0]}}  {b:<{width[1]}}  {c:>{width[2]}}  {d:>{width[3]}}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--n", type=int, help="lifecycles per run (default 500; quick 100)")
    parser.add_argument("--total", type=int, help="complaints in the sweep store (1,000,000)")
    parser.add_argument("--due", type=int, default=1000, help="of which due (1,000)")
    parser.add_argument("--dsn", default=os.environ.get("COMPLAINTFLOW_TEST_POSTGRES_DSN"))
    parser.add_argument("--threads", type=int, default=8, help="concurrent workers (8)")
    parser.add_argument("--rounds", type=int, help="PostgreSQL rounds (default 3; quick 1)")
    parser.add_argument("--no-sweep", action="store_true", help="only the lifecycle rows")
    parser.add_argument("--sweep-only", action="store_true", help="only the sweep rows")
    parser.add_argument(
        "--postgres-only", action="store_true", help="only the PostgreSQL lifecycles"
    )
    args = parser.parse_args(argv)
    n = args.n or (100 if args.quick else 500)
    total = args.total or (50_000 if args.quick else 1_000_000)
    rounds = args.rounds or (1 if args.quick else 3)
    rows: list[Row] = []
    schema = f"cf_bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="cf-bench-", dir=os.environ.get("TMPDIR")) as tmp:
        if not (args.sweep_only or args.postgres_only):
            rows += lifecycle_rows(Path(tmp), n)
        if not args.sweep_only and args.dsn:
            rows += postgres_rows(args.dsn, schema, n, args.threads, rounds)
        elif not args.sweep_only:
            rows.append(("lifecycles/s", "PostgreSQL", "skipped: no --dsn", ""))
        if not (args.no_sweep or args.postgres_only):
            rows += sweep_rows(Path(tmp), args.dsn, schema, total, args.due)
    print_table(rows)
    print(
        f"\n{n} lifecycles of 8 commands per run; PostgreSQL: median of {rounds} round(s); "
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}"
    )


if __name__ == "__main__":
    main()
