"""The cost of a submit's screens, against history and against long text.

Run: ``python benchmarks/bench_screening.py [--quick] [--dsn postgresql://...]``.

1. **History.** One complainant has filed 1, 100, 1,000 and 10,000 earlier
   complaints (``--quick``: up to 1,000), one an hour, all still open,
   against the same merchant, each with its own order and words (drawn
   from :data:`WORDS`, about 2,000 words). The
   figure is the median time of ``engine.submit`` for 60 more complaints of
   that complainant (all screens on: duplicate, incomplete, malicious), on
   each store; the loaded history is moved out of the garbage collector's
   way with ``gc.freeze()``, so that collections of it, which any large
   heap has, are not counted as screening. The last figure of a row should
   be at most twice the first.
2. **Long text.** The complainant has 100 open complaints whose
   descriptions are 100,000 characters long; the figure is the median time
   of submitting another with a 100,000-character description: unrelated
   to them (every screen runs to its end), and near-identical to one of
   them (the duplicate screen stops at it). It should stay under 50 ms.

The SQLite store runs with ``synchronous="NORMAL"`` and PostgreSQL with
``synchronous_commit=off`` (no fsync wait per commit: the screens' cost,
not the disk's, is measured). PostgreSQL rows need
``--dsn`` (or ``COMPLAINTFLOW_TEST_POSTGRES_DSN``); the benchmark works in
schemas of its own and drops them afterwards.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import complaintflow as cf
from complaintflow.stores import MemoryStore, PostgresStore, SQLiteStore
from complaintflow.testing import FakeClock

T0 = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
WHO = cf.Actor(id="u-1", roles=frozenset({"complainant"}))
SHOP = cf.Party(id="shop-9", kind="merchant")
COMMON = tuple(
    """kettle base leak refund order parcel courier late broken screen phone charger
    battery warranty repair store seller price double charge account locked app login
    password delivery address wrong colour size shoes jacket return label coupon
    discount invoice receipt missing item box damaged glass cracked lid handle switch
    plug cable noise smell heat water power button display""".split()  # noqa: SIM905
)
_SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]
_VOCAB_RNG = random.Random(0)
WORDS = COMMON + tuple(
    "".join(_VOCAB_RNG.choice(_SYLLABLES) for _ in range(_VOCAB_RNG.randint(2, 4)))
    for _ in range(2000)
)
"""A vocabulary of about 2,000 words: 56 common ones and made-up others."""
SAMPLES = 60

# a recorded timeline replayed at full speed: the engine believes its times
# (the checks still run)
REPLAY: dict[str, Any] = {
    "clock_skew": timedelta(days=36500),
    "intake_window": timedelta(days=36500),
}


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _new(i: int, rng: random.Random, description: str | None = None) -> cf.NewComplaint:
    return cf.NewComplaint(
        channel="web",
        category="goods",
        complainant=cf.Party(id="u-1", name="Wang Xiaohong", contact="+86 139 1234 5678"),
        respondent=SHOP,
        subject=f"Complaint {i}: {_words(rng, 4)}",
        description=description if description is not None else _words(rng, 30),
        order_id=f"o-{i}",
    )


@contextmanager
def _opened(kind: str, dsn: str | None) -> Iterator[Any]:
    if kind == "memory":
        yield MemoryStore()
    elif kind == "sqlite":
        with (
            tempfile.TemporaryDirectory() as d,
            SQLiteStore(Path(d) / "bench.db", synchronous="NORMAL") as s,
        ):
            yield s
    else:
        assert dsn is not None
        schema = f"bench_screening_{uuid.uuid4().hex[:8]}"
        # no fsync wait per commit either: the screens' cost, not the disk's
        sep = "&" if "?" in dsn else "?"
        fast = f"{dsn}{sep}options=-c%20synchronous_commit%3Doff"
        with PostgresStore(fast, schema=schema) as s:
            try:
                yield s
            finally:
                s.connection.execute(f"DROP SCHEMA {schema} CASCADE".encode())


def _median_ms(run: Callable[[int], object], n: int) -> float:
    times = []
    for i in range(n):
        t = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def history(kind: str, dsn: str | None, earlier: int) -> float:
    """Median ms per submit after ``earlier`` complaints of one complainant."""
    rng = random.Random(earlier)
    with _opened(kind, dsn) as store:
        clock = FakeClock(T0 - timedelta(hours=earlier))
        engine = cf.Engine(**REPLAY, store=store, clock=clock, load_entry_points=False)
        for i in range(earlier):
            engine.submit(_new(i, rng), actor=WHO)
            clock.advance(hours=1)

        if kind == "postgres":
            # settled statistics, as autovacuum would leave them: the plans
            # measured are not those of a table that has just grown 100-fold
            store.connection.execute("ANALYZE")
        gc.collect()
        gc.freeze()  # the loaded history is not the submit's garbage

        def submit(j: int) -> None:
            clock.advance(minutes=1)
            engine.submit(_new(earlier + j, rng), actor=WHO)

        try:
            return _median_ms(submit, SAMPLES)
        finally:
            gc.unfreeze()


def long_text(kind: str, dsn: str | None, duplicate: bool) -> tuple[float, list[str]]:
    """Median ms per submit of a 100,000-character description against 100
    open complaints with descriptions as long; the flags of the last one."""
    rng = random.Random(7)
    with _opened(kind, dsn) as store:
        clock = FakeClock(T0 - timedelta(days=30))
        engine = cf.Engine(**REPLAY, store=store, clock=clock, load_entry_points=False)
        texts = []
        for i in range(100):
            text = (_words(rng, 20) + " ") * 800
            texts.append(text[:100_000])
            engine.submit(_new(i, rng, texts[-1]), actor=WHO)
            clock.advance(hours=6)
        flags: list[str] = []

        def submit(j: int) -> None:
            clock.advance(hours=6)
            if duplicate:
                text = (texts[50][:-30] + _words(rng, 3))[:100_000]
            else:
                text = ((_words(rng, 20) + " ") * 800)[:100_000]
            c = engine.submit(_new(1000 + j, rng, text), actor=WHO)
            flags[:] = [f.kind for f in c.flags]

        return _median_ms(submit, SAMPLES), flags


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="histories up to 1,000 only")
    parser.add_argument("--stores", default="memory,sqlite,postgres", help="which stores")
    parser.add_argument("--dsn", default=os.environ.get("COMPLAINTFLOW_TEST_POSTGRES_DSN"))
    args = parser.parse_args(argv)
    sizes = [1, 100, 1000] if args.quick else [1, 100, 1000, 10_000]
    wanted = args.stores.split(",")
    kinds = [k for k in ("memory", "sqlite", "postgres") if k in wanted]
    if not args.dsn and "postgres" in kinds:
        kinds.remove("postgres")
    print(f"complaintflow {cf.__version__}, Python {sys.version.split()[0]}")
    print()
    print("1. median ms per submit against one complainant's earlier complaints")
    print()
    head = " | ".join(f"{n:>8,}" for n in sizes)
    print(f"| store    | {head} | last / first |")
    print(f"|----------|{'|'.join(['----------'] * len(sizes))}|--------------|")
    for kind in kinds:
        ms = [history(kind, args.dsn, n) for n in sizes]
        cells = " | ".join(f"{m:8.2f}" for m in ms)
        print(f"| {kind:<8} | {cells} | {ms[-1] / ms[0]:11.2f}x |", flush=True)
    print()
    print("2. median ms per submit of a 100,000-character description, 100 open complaints")
    print()
    print("| store    | unrelated text | flags          | near-identical | flags          |")
    print("|----------|----------------|----------------|----------------|----------------|")
    for kind in kinds:
        a, fa = long_text(kind, args.dsn, duplicate=False)
        b, fb = long_text(kind, args.dsn, duplicate=True)
        print(
            f"| {kind:<8} | {a:14.2f} | {','.join(fa) or '-':<14} "
            f"| {b:14.2f} | {','.join(fb) or '-':<14} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
