"""The cost of encrypting the personal-data vault, printed as one table.

Run: ``python benchmarks/bench_privacy.py [--n 1000]`` (needs the ``crypto``
extra: ``pip install -e ".[crypto]"``).

Per store (memory; SQLite with ``synchronous=NORMAL``), the same complaints
go through ``submit``, eight ``handle`` commands (acknowledge, two procedure
steps, classify, decide, execute, follow_up) and a ``view``, with the vault
in plain JSON and with AES-256-GCM (``Engine(encryption=cf.Encryption())``,
keys in the store's vault), the two engines taking turns complaint by
complaint: median µs per call, and the encrypted path's
ratio to the plain one. The anchor is one raw AES-GCM encryption (fresh
nonce, associated data) of the same bytes a vault entry holds, with
``cryptography`` directly.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import complaintflow as cf
from complaintflow.stores import MemoryStore, SQLiteStore
from complaintflow.testing.contract import LIFECYCLE

HANDLER = cf.Actor(id="h-1", roles=frozenset({"handler"}))
T0 = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
ENTRY = (
    '{"complainant.name":"Wang Xiaohong","complainant.contact":"+86 139 1234 5678",'
    '"description":"The kettle leaks from the base after two days.","evidence":["photo-1.jpg"]}'
)


def _new(i: int) -> cf.NewComplaint:
    return cf.NewComplaint(
        channel="web",
        category="goods",
        complainant=cf.Party(id=f"u-{i}", name="Wang Xiaohong", contact="+86 139 1234 5678"),
        respondent=cf.Party(id="shop-9", kind="merchant", name="Golden Kettle"),
        subject="Kettle arrived cracked",
        description=f"The kettle {i} leaks from the base after two days.",
        evidence=("photo-1.jpg",),
        order_id=f"o-{i}",
        received_at=T0,
    )


def _timed(fn: Callable[[], Any], into: list[float]) -> Any:
    t = time.perf_counter()
    out = fn()
    into.append((time.perf_counter() - t) * 1e6)
    return out


def _engine(store: Any, encrypted: bool) -> cf.Engine:
    return cf.Engine(
        store=store,
        load_entry_points=False,
        clock=lambda: T0 + timedelta(hours=1),
        clock_skew=timedelta(days=3650),
        calendar=cf.BusinessCalendar("UTC"),
        encryption=cf.Encryption() if encrypted else None,
    )


def _one(engine: cf.Engine, i: int, into: dict[str, list[float]]) -> None:
    """One complaint's submit, lifecycle and view, each call timed."""
    c = _timed(lambda: engine.submit(_new(i), actor=cf.Actor.system()), into["submit"])
    for k, (kind, payload) in enumerate(LIFECYCLE):
        cmd = {"type": kind, "actor": HANDLER, "at": T0 + timedelta(minutes=k + 1), **payload}
        _timed(lambda cmd=cmd: engine.handle(c.id, cmd), into["handle"])
    _timed(lambda: engine.view(c.id, actor=HANDLER), into["view"])


def run(make: Callable[[object], Any], n: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median µs of submit, handle and view over ``n`` complaints, plain and
    encrypted: the two engines take turns, complaint by complaint, so that a
    change of the machine's load meanwhile weighs on both alike."""
    engines = (_engine(make("plain"), False), _engine(make("sealed"), True))
    times: tuple[dict[str, list[float]], ...] = tuple(
        {"submit": [], "handle": [], "view": []} for _ in engines
    )
    for i in range(n):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for e in order:
            _one(engines[e], i, times[e])
    for engine in engines:
        engine.close()
    plain, sealed = ({k: statistics.median(v) for k, v in t.items()} for t in times)
    return plain, sealed


def anchor(n: int) -> float:
    """Median µs of one AES-GCM seal of a vault entry's bytes."""
    cipher = AESGCM(os.urandom(32))
    data, aad = ENTRY.encode(), b"complaint\x00u-1"
    out: list[float] = []
    for _ in range(n):
        _timed(lambda: cipher.encrypt(os.urandom(12), data, aad), out)
    return statistics.median(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    n = parser.parse_args().n
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        stores: list[tuple[str, Callable[[object], Any]]] = [
            ("memory", lambda _: MemoryStore()),
            ("sqlite", lambda e: SQLiteStore(Path(tmp) / f"{e}.db", synchronous="NORMAL")),
        ]
        for name, make in stores:
            run(lambda kind, make=make: make(f"warm-{kind}"), max(n // 10, 1))  # imports, caches
            plain, sealed = run(make, n)
            for op in ("submit", "handle", "view"):
                rows.append((f"{name}: {op}, plain vault", plain[op], ""))
                ratio = f"{sealed[op] / plain[op]:.2f}x"
                rows.append((f"{name}: {op}, AES-256-GCM vault", sealed[op], ratio))
                rows.append((f"{name}: {op}, added by encryption", sealed[op] - plain[op], ""))
    rows.append(("anchor: AESGCM.encrypt of one vault entry", anchor(n * 10), ""))
    print(f"complaintflow {cf.__version__}, Python {sys.version.split()[0]}, n={n}\n")
    print(f"| {'measure (median µs per call)':<44} | {'µs':>8} | vs plain |")
    print(f"|{'-' * 46}|{'-' * 10}|----------|")
    for label, value, ratio in rows:
        print(f"| {label:<44} | {value:>8.1f} | {ratio:>8} |")


if __name__ == "__main__":
    main()
