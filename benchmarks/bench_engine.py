"""Engine cost per command and memory per complaint, beside ``transitions``.

Run: ``python benchmarks/bench_engine.py [--n 2000]``. Prints one table.

Anchors, measured in the same run:
- a raw ``transitions`` trigger on one shared machine (one model object,
  the same six steps), each transition with one condition and one
  after-callback: the floor for "a state machine checked a rule and moved a
  status"; the target is at most 3x it per command;
- a ``transitions`` model bound with ``add_model``: what binding a machine
  to each complaint would cost in memory.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

from transitions import Machine

import complaintflow as cf
from complaintflow.states import TRANSITIONS, Status

HANDLE_TARGET = 3.0
"""At most this many times the trigger anchor, median per command."""
MEMORY_TARGET = 4096
"""At most this many bytes per submitted complaint in the memory store,
its audit trail included."""

HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))
START = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)

# a recorded timeline replayed at full speed: the engine believes its times
# (the checks still run) and counts on a Monday-to-Friday UTC calendar, the
# one earlier figures were measured on
REPLAY: dict[str, Any] = {
    "clock_skew": timedelta(days=36500),
    "intake_window": timedelta(days=36500),
    "calendar": cf.BusinessCalendar("UTC"),
}


def _new(i: int) -> cf.NewComplaint:
    return cf.NewComplaint(
        channel="web",
        category="goods",
        complainant=cf.Party(id=f"u-{i}"),
        respondent=cf.Party(id="shop-9", kind="merchant"),
        subject="Broken kettle",
        description="The base is cracked.",
        order_id=f"o-{i}",
        received_at=START,
    )


def _lifecycle_commands(t0: datetime) -> list[Any]:
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


BLOCK = 5
"""Complaints per block: blocks of the engine and of the anchor alternate,
so that both see the same load on a shared machine."""


class _EngineRun:
    """Full lifecycles on the memory store, timed per command."""

    def __init__(self) -> None:
        self.engine = cf.Engine(**REPLAY, load_entry_points=False)
        self.actor = cf.Actor(id="x", roles=frozenset({"handler"}))
        self.commands = _lifecycle_commands(START)
        self.per_command: list[int] = []
        self.submits: list[int] = []

    def run(self, news: list[cf.NewComplaint]) -> None:
        engine, clock = self.engine, time.perf_counter_ns
        for new in news:
            t = clock()
            c = engine.submit(new, actor=self.actor)
            self.submits.append(clock() - t)
            cid = c.id
            for cmd in self.commands:
                t = clock()
                engine.handle(cid, cmd)
                self.per_command.append(clock() - t)


class _TriggerRun:
    """The anchor: a raw ``transitions`` trigger on one shared machine, each
    transition with one condition and one after-callback."""

    STEPS = ("acknowledge", "record_step", "classify", "decide", "execute", "follow_up")

    def __init__(self) -> None:
        class Model:
            moves = 0

            def allowed(self) -> bool:  # the one condition
                return True

            def moved(self) -> None:  # the one after-callback
                self.moves += 1

        self.model = Model()
        self.machine = Machine(
            model=self.model,
            states=[s.value for s in Status],
            transitions=[{**t, "conditions": "allowed", "after": "moved"} for t in TRANSITIONS],
            initial="received",
            auto_transitions=False,
        )
        self.per: list[int] = []

    def run(self, k: int) -> None:
        model, clock = self.model, time.perf_counter_ns
        for _ in range(k):
            self.machine.set_state("received", model)
            for s in self.STEPS:
                t = clock()
                model.trigger(s)  # type: ignore[attr-defined]
                self.per.append(clock() - t)


def bench_speed(n: int) -> tuple[dict[str, float], dict[str, float]]:
    """The engine's cost per command and per submit, and the anchor's per
    trigger, measured in alternating blocks of :data:`BLOCK` complaints."""
    eng, raw = _EngineRun(), _TriggerRun()
    news = [_new(i) for i in range(n)]
    for start in range(0, n, BLOCK):
        block = news[start : start + BLOCK]
        eng.run(block)
        raw.run(len(block))
    assert raw.model.moves == n * len(raw.STEPS)
    per = eng.per_command
    return (
        {
            "median_us": statistics.median(per) / 1000,
            "p90_us": statistics.quantiles(per, n=10)[-1] / 1000,
            "submit_us": statistics.median(eng.submits) / 1000,
        },
        {"median_us": statistics.median(raw.per) / 1000},
    )


def _measure(build: Any, n: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    keep = build(n)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    size = sum(s.size_diff for s in after.compare_to(before, "filename"))
    del keep
    return size / n


def memory_store(n: int) -> float:
    """Bytes the memory store grows by per submitted complaint: the record,
    its audit trail (the submit event) and its SLA state."""
    engine = cf.Engine(**REPLAY, load_entry_points=False)
    news = [_new(i) for i in range(n)]
    actor = cf.Actor(id="x", roles=frozenset({"handler"}))

    def build(k: int) -> Any:
        for new in news[:k]:
            engine.submit(new, actor=actor)
        return engine

    return _measure(build, n)


class _RecordsOnly(cf.MemoryStore):
    """A memory store that forgets the audit trail, to weigh records alone
    (only for submissions: the next command would find no trail)."""

    def save(self, complaint: Any, **kw: Any) -> None:
        super().save(complaint, **kw)
        del self._events[complaint.id]


def memory_records(n: int) -> tuple[float, float]:
    """Bytes the memory store grows by per complaint for its record (the
    current state, SLA state included), the audit trail left out."""
    engine = cf.Engine(**REPLAY, load_entry_points=False, store=_RecordsOnly())
    news = [_new(i) for i in range(n)]
    actor = cf.Actor(id="x", roles=frozenset({"handler"}))

    def build(k: int) -> Any:
        for new in news[:k]:
            engine.submit(new, actor=actor)
        return engine

    size = _measure(build, n)
    return size, text_bytes(engine, n)


def text_bytes(engine: cf.Engine, n: int) -> float:
    """Bytes of the complaint's own strings (its id, parties' ids and kinds,
    order id, subject, description) per complaint: the text it carries."""
    total = 0
    for c in engine.store.find(limit=n):
        parts = [c.id, c.subject, c.description, c.complainant.id, c.order_id or ""]
        if c.respondent is not None:
            parts += [c.respondent.id, c.respondent.kind]
        total += sum(sys.getsizeof(p) for p in parts if len(p) > 1)
    return total / n


def memory_add_model(n: int) -> float:
    machine = Machine(
        model=None,
        states=[s.value for s in Status],
        transitions=TRANSITIONS,
        initial="received",
        auto_transitions=False,
    )

    class Model:
        pass

    def build(k: int) -> Any:
        models = [Model() for _ in range(k)]
        for m in models:
            machine.add_model(m)
        return models

    return _measure(build, n)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=2000, help="complaints per measurement")
    args = p.parse_args(argv)
    n = args.n
    eng, raw = bench_speed(n)
    mem_record, text = memory_records(n)
    mem_all = memory_store(n)
    mem_bound = memory_add_model(min(n, 1000))
    print(f"complaintflow {cf.__version__}, Python {sys.version.split()[0]}, n={n}")
    print()
    trigger, bound = raw["median_us"], mem_bound
    rows = [
        ("engine.handle, median per command (memory store, SLA on)", eng["median_us"], "µs",
         trigger, f"<= {HANDLE_TARGET:g}x"),
        ("engine.handle, 90th percentile per command", eng["p90_us"], "µs", trigger, ""),
        ("engine.submit, median", eng["submit_us"], "µs", trigger, ""),
        ("anchor: transitions trigger, 1 condition + 1 after-callback", trigger, "µs", None, ""),
        ("complaint record + SLA state, bytes each", mem_record, "B", bound, ""),
        ("  of which its text (ids, subject, description)", text, "B", None, ""),
        ("  record beyond its text", mem_record - text, "B", bound, ""),
        ("memory store per complaint (record + audit trail)", mem_all, "B", bound,
         f"<= {MEMORY_TARGET:,} B"),
        ("anchor: transitions add_model, bytes per bound model", bound, "B", None, ""),
    ]  # fmt: skip
    print(f"| {'measure':<60} | {'value':>12} | {'vs anchor':>9} | {'target':>11} |")
    print(f"|{'-' * 62}|{'-' * 14}|{'-' * 11}|{'-' * 13}|")
    for name, value, unit, anchor, target in rows:
        ratio = f"{value / anchor:.2f}x" if anchor else ""
        print(f"| {name:<60} | {value:>9.1f} {unit:<2} | {ratio:>9} | {target:>11} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
