"""A bounded load test of the FastAPI example on loopback, printed as one table.

Run: ``python benchmarks/bench_http.py [--clients 8] [--seconds 20]``
(needs ``pip install -e "examples/fastapi_app[serve]"``).

Starts the example (``AsyncEngine`` on SQLite, the worker as a lifespan
task) under uvicorn on 127.0.0.1 with one process, then runs ``--clients``
client threads for ``--seconds``. Each client repeats one conversation:
submit a complaint, acknowledge it, read it back, read its deadlines, and
classify it (five requests, three of them writes). Afterwards the server is
stopped with SIGTERM and the database is opened directly: every write the
clients saw succeed must be in the audit trails (one event each), and the
trails must hold nothing else: zero lost events, zero extra.

The anchor runs the same clients for the same time against
``GET /openapi.json`` of the same server (a cached document: FastAPI and
uvicorn alone, no complaintflow).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from complaintflow.stores import SQLiteStore

COMPLAINANT = {"X-Actor-Id": "u-1", "X-Actor-Roles": "complainant"}
HANDLER = {"X-Actor-Id": "agent-li", "X-Actor-Roles": "handler"}
BODY = {
    "channel": "web",
    "category": "goods",
    "complainant": {"id": "u-1", "name": "Zhang San", "contact": "+86 138 0000 0000"},
    "respondent": {"id": "shop-9", "kind": "merchant"},
    "subject": "Kettle arrived broken",
    "description": "The base is cracked.",
    "order_id": "o-1001",
}


@dataclass
class Tally:
    """What one client saw."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    writes: dict[str, int] = field(default_factory=dict)  # complaint id -> events written


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COMPLAINTFLOW_DB": str(db),
        "COMPLAINTFLOW_CALENDAR": "CN",
        "COMPLAINTFLOW_WORKER_INTERVAL": "1",
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "complaintflow_fastapi_example:app_from_env",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def timed(tally: Tally, call: Callable[[], httpx.Response], expect: int) -> httpx.Response | None:
    t = time.perf_counter()
    try:
        r = call()
    except httpx.HTTPError as e:
        tally.errors.append(f"{type(e).__name__}: {e}")
        return None
    tally.latencies.append(time.perf_counter() - t)
    if r.status_code != expect:
        tally.errors.append(f"{r.status_code}: {r.text[:200]}")
        return None
    return r


def conversation(client: httpx.Client, tally: Tally) -> None:
    r = timed(tally, lambda: client.post("/complaints", json=BODY, headers=COMPLAINANT), 201)
    if r is None:
        return
    cid = r.json()["id"]
    tally.writes[cid] = 1
    url = f"/complaints/{cid}"

    def command(kind: str) -> None:
        body = {"type": kind}
        r = timed(tally, lambda: client.post(url + "/commands", json=body, headers=HANDLER), 200)
        if r is not None:
            tally.writes[cid] += 1

    command("acknowledge")
    timed(tally, lambda: client.get(url, headers=HANDLER), 200)
    timed(tally, lambda: client.get(url + "/sla", headers=HANDLER), 200)
    command("classify")


def anchor(client: httpx.Client, tally: Tally) -> None:
    timed(tally, lambda: client.get("/openapi.json"), 200)


def load(
    port: int, clients: int, seconds: float, job: Callable[..., None]
) -> tuple[list[Tally], float]:
    stop = time.monotonic() + seconds
    tallies = [Tally() for _ in range(clients)]

    def run(tally: Tally) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while time.monotonic() < stop:
                job(client, tally)

    threads = [threading.Thread(target=run, args=(t,)) for t in tallies]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return tallies, time.monotonic() - began


def summary(tallies: list[Tally], elapsed: float) -> tuple[int, float, float, float, int]:
    lat = sorted(x for t in tallies for x in t.latencies)
    n = len(lat)
    p95 = lat[min(n - 1, int(0.95 * n))] if n else float("nan")
    med = statistics.median(lat) if n else float("nan")
    return n, n / elapsed, med * 1000, p95 * 1000, sum(len(t.errors) for t in tallies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "load.sqlite3"
        port = free_port()
        server = start_server(db, port)
        try:
            runs = {
                "complaintflow conversation": load(port, args.clients, args.seconds, conversation),
                "anchor: GET /openapi.json": load(port, args.clients, args.seconds / 2, anchor),
            }
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
        expected = {
            cid: n
            for t, _ in [runs["complaintflow conversation"]]
            for x in t
            for cid, n in x.writes.items()
        }
        store = SQLiteStore(db)
        try:
            stored = {cid: len(store.events(cid)) for cid in expected}
            total = len(store.find(limit=10**9))
        finally:
            store.close()
    lost = sum(max(0, n - stored[cid]) for cid, n in expected.items())
    extra = sum(max(0, stored[cid] - n) for cid, n in expected.items()) + (total - len(expected))
    print(f"{args.clients} clients, {args.seconds:g} s, uvicorn 1 process on 127.0.0.1, SQLite")
    print()
    head = ("run", "requests", "req/s", "median ms", "p95 ms", "errors")
    print(f"| {head[0]:<28} | " + " | ".join(f"{h:>9}" for h in head[1:]) + " |")
    print(f"|{'-' * 30}|" + "|".join("-" * 11 for _ in head[1:]) + "|")
    for name, (tallies, elapsed) in runs.items():
        n, rps, med, p95, errors = summary(tallies, elapsed)
        cells = (f"{n:>9}", f"{rps:>9.1f}", f"{med:>9.1f}", f"{p95:>9.1f}", f"{errors:>9}")
        print(f"| {name:<28} | " + " | ".join(cells) + " |")
    print()
    writes = sum(expected.values())
    print(f"complaints submitted: {len(expected)}; events the clients saw written: {writes}")
    print(f"events in the store for them: {sum(stored.values())}; lost: {lost}; extra: {extra}")
    for t in runs["complaintflow conversation"][0]:
        for e in t.errors[:3]:
            print("error:", e)


if __name__ == "__main__":
    main()
