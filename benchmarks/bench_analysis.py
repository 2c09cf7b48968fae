"""Complaint analysis over many stored complaints: ``engine.analysis`` on SQLite.

Run: ``python benchmarks/bench_analysis.py [--total 100000]``.

``--total`` complaints (seeded random: 12 weeks, five categories, three
channels, 200 respondents, 20,000 complainants, a third decided, short
Chinese or English texts) are written with ``save_many`` in batches of
1,000. Timed side by side: reading every page of ``store.find`` alone
(the anchor: what paging costs) and one ``engine.analysis`` over the whole
window. Peak memory is ``tracemalloc``'s peak during each call and the
process's maximum resident size (``resource``).
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import complaintflow as cf
from complaintflow.stores import Save

T0 = datetime(2026, 1, 5, tzinfo=UTC)
CATEGORIES = ("service", "goods", "after_sales", "transaction_dispute", "violation")
TEXTS = (
    "退款一直没有到账，客服不回复",
    "the parcel never arrived and the seller ignores me",
    "商品与描述不符，质量很差",
    "refund refused after the return was delivered",
    "平台扣了保证金但是没有说明理由",
)
OUTCOMES = ("upheld", "partially_upheld", "not_upheld")


def complaint(i: int, rnd: random.Random) -> cf.Complaint:
    at = T0 + timedelta(seconds=rnd.randrange(12 * 7 * 86400))
    decision = None
    if rnd.random() < 0.33:
        decision = cf.Decision(
            outcome=rnd.choice(OUTCOMES), basis="b", decided_at=at, effective_at=at,
            decided_by="h-1",
        )  # fmt: skip
    return cf.Complaint(
        id=f"c{i:09d}", channel=rnd.choice(("web", "app", "phone")),
        category=rnd.choice(CATEGORIES), complainant=cf.Party(id=f"u-{rnd.randrange(20000)}"),
        respondent=cf.Party(id=f"m-{rnd.randrange(200)}"), subject=f"order {i}",
        description=rnd.choice(TEXTS), evidence=(), order_id=None, received_at=at,
        status=cf.Status.closed if decision else cf.Status.received, version=1,
        updated_at=at, decision=decision,
    )  # fmt: skip


def build(path: Path, total: int) -> None:
    rnd = random.Random(17)
    with cf.stores.SQLiteStore(path, synchronous="NORMAL") as store:
        for start in range(0, total, 1000):
            batch = [complaint(i, rnd) for i in range(start, min(total, start + 1000))]
            store.save_many([Save(c, 0, ()) for c in batch])


def measured(work: Callable[[], Any]) -> tuple[Any, float, float]:
    tracemalloc.start()
    t0 = time.perf_counter()
    out = work()
    secs = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, secs, peak / 2**20


def pages(store: cf.Store) -> int:
    n, offset = 0, 0
    while batch := store.find(limit=1000, offset=offset):
        n += len(batch)
        offset += len(batch)
    return n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--total", type=int, default=100_000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        build(path, args.total)
        built = time.perf_counter() - t0
        engine = cf.Engine(store=cf.stores.SQLiteStore(path), load_entry_points=False)
        read, page_s, page_mb = measured(lambda: pages(engine.store))
        result, secs, peak = measured(lambda: engine.analysis(T0, T0 + timedelta(weeks=12)))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        engine.close()
    print(f"{'anchor':<44} {'seconds':>10} {'peak MB':>10}")
    print(f"{'anchor: find() pages alone':<44} {page_s:>10.2f} {page_mb:>10.1f}")
    print(f"{'engine.analysis (12 weeks)':<44} {secs:>10.2f} {peak:>10.1f}")
    print()
    print(f"{'complaints stored / read by find':<44} {args.total:>10,} {read:>10,}")
    print(f"{'complaints analysed':<44} {result.total:>10,}")
    print(f"{'complaints per second (analysis)':<44} {result.total / secs:>10,.0f}")
    print(f"{'store built (s, not timed)':<44} {built:>10.1f}")
    print(f"{'max RSS of the process (MB)':<44} {rss:>10.1f}")
    print(f"{'spikes found / repeat complainants listed':<44} {len(result.spikes):>10} "
          f"{len(result.repeat_complainants):>10}")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
