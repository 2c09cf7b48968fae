"""The worker: rounds, back-off, dead letters, shutdown, and the
``complaintflow worker`` process against SQLite and PostgreSQL."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow._cli_worker import load_object, open_store
from complaintflow._worker import Worker, WorkerHealth, run_worker
from complaintflow.stores import SQLiteStore
from complaintflow.testing import FakeClock

HERE = Path(__file__).resolve().parent
PG_DSN = os.environ.get("COMPLAINTFLOW_TEST_POSTGRES_DSN")
PG_SKIP = "COMPLAINTFLOW_TEST_POSTGRES_DSN is not set: PostgreSQL worker tests skipped"
T0 = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)

# guide §3.3: from receipt, preliminary verification within 24 h and
# verification within 48 h; GUIDE_POLICY warns at 50 % and 80 % of each.
# A complaint left untouched far past both: 2 targets x (2 warnings + 1 breach).
ALERTS_PER_UNTOUCHED = 6


class Failing:
    """A notifier that always fails."""

    def __init__(self) -> None:
        self.calls = 0

    @cf.hookimpl
    def complaintflow_notify(self, notification: cf.Notification) -> None:
        self.calls += 1
        raise ConnectionError("gateway down")


def _new(i: int, received: datetime) -> cf.NewComplaint:
    return cf.NewComplaint(
        channel="web",
        category="goods",
        complainant=cf.Party(id=f"u-{i}", name="Zhang San", contact="+86 138 0000 0000"),
        respondent=cf.Party(id="shop-9", kind="merchant"),
        subject=f"Broken kettle {i}",
        received_at=received,
    )


# -- dead letters, in-process, on the stores ----------------------------------


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield cf.MemoryStore()
    elif request.param == "sqlite":
        s = SQLiteStore(tmp_path / "w.sqlite3")
        yield s
        s.close()
    else:
        if not PG_DSN:
            pytest.skip(PG_SKIP)
        schema = _schema()
        s = open_store(PG_DSN, schema=schema)
        yield s
        s.close()
        _drop(schema)


def test_a_notification_is_dead_after_max_attempts_and_never_claimed_again(store: Any) -> None:
    clock = FakeClock(T0)
    failing = Failing()
    engine = cf.Engine(
        store=store,
        plugins=[failing],
        clock=clock,
        load_entry_points=False,
        retry_backoff=timedelta(seconds=1),
    )
    c = engine.submit(_new(1, T0), actor=cf.Actor.system())
    engine.handle(c.id, cf.Acknowledge(actor=cf.Actor(id="agent-li", roles={"handler"})))
    assert failing.calls == 1  # delivered right after the save: attempt 1
    worker = Worker(engine, max_attempts=3, interval=0)
    results = []
    for _ in range(6):
        clock.advance(timedelta(hours=1))  # past any back-off and lease
        results.append(worker.run_round())
    # attempts 2 and 3 in the first two rounds, then it is dead: 3 calls in all
    assert failing.calls == 3
    assert [r.dead for r in results] == [0, 1, 0, 0, 0, 0]
    [gone] = store.dead_notifications()
    assert (gone.kind, gone.status, gone.attempts) == ("acknowledgement", "dead", 3)
    assert gone.last_error == "ConnectionError"
    assert store.claim_notifications(now=clock() + timedelta(days=30)) == []
    assert store.pending_notifications() == []
    assert store.dead_letter(max_attempts=1) == []  # already dead: not again


def test_dead_letter_leaves_notifications_below_the_limit(store: Any) -> None:
    clock = FakeClock(T0)
    engine = cf.Engine(store=store, plugins=[Failing()], clock=clock, load_entry_points=False)
    c = engine.submit(_new(1, T0), actor=cf.Actor.system())
    engine.handle(c.id, cf.Acknowledge(actor=cf.Actor(id="agent-li", roles={"handler"})))
    assert store.dead_letter(max_attempts=2) == []
    assert [n.attempts for n in store.pending_notifications()] == [1]
    assert store.dead_notifications() == []


# -- back-off and health -------------------------------------------------------------


@given(
    failures=st.integers(1, 40),
    interval=st.floats(0.01, 100),
    jitter=st.floats(0, 1),
    cap=st.floats(0.01, 1000),
    seed=st.integers(0, 2**32),
)
def test_backoff_doubles_up_to_the_cap_and_jitter_only_shortens(
    failures: int, interval: float, jitter: float, cap: float, seed: int
) -> None:
    w = Worker(
        cf.Engine(load_entry_points=False),
        interval=interval,
        jitter=jitter,
        max_backoff=cap,
        rng=random.Random(seed),
    )
    full = min(cap, interval * 2 ** (failures - 1))
    wait = w.backoff(failures)
    assert full * (1 - jitter) - 1e-9 <= wait <= full + 1e-9


def test_backoff_examples_without_jitter() -> None:
    w = Worker(cf.Engine(load_entry_points=False), interval=2, jitter=0, max_backoff=30)
    assert [w.backoff(n) for n in (1, 2, 3, 4, 5, 6)] == [2, 4, 8, 16, 30, 30]


class Flaky:
    """An engine stand-in whose first rounds fail (a database outage)."""

    def __init__(self, failures: int) -> None:
        self.left = failures
        self.store = cf.MemoryStore()
        self.rounds = 0
        self.done = threading.Event()

    def sweep(self, *, now: datetime | None = None, limit: int = 1000) -> list[Any]:
        self.rounds += 1
        if self.left:
            self.left -= 1
            raise cf.StoreError("database is down")
        if self.rounds >= 5:
            self.done.set()
        return []

    def deliver_pending(self, *, now: datetime | None = None, limit: int = 100) -> int:
        return 0


def test_failed_rounds_back_off_then_recover_and_health_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = Flaky(failures=2)
    worker = Worker(engine, interval=0.01, jitter=0.5, report_every=0)
    stop = threading.Event()
    seen: list[WorkerHealth] = []

    def watch() -> None:
        while not stop.is_set():
            seen.append(worker.health())
            if engine.done.is_set():
                stop.set()
            time.sleep(0.001)

    t = threading.Thread(target=watch)
    t.start()
    with caplog.at_level("INFO", logger="complaintflow.worker"):
        final = worker.run(stop)
    t.join()
    assert any(h.state == "backing_off" and not h.healthy for h in seen)
    assert final.state == "stopped"
    assert not final.healthy
    assert final.failed_rounds == 2
    assert final.consecutive_failures == 0
    assert final.last_error == "StoreError: database is down"
    assert final.rounds >= 5
    assert "worker round 1 failed" in caplog.text
    assert "worker stopped: " in caplog.text
    assert "2 failed rounds" in caplog.text


def test_run_worker_once_sweeps_and_delivers(tmp_path: Path) -> None:
    sent: list[str] = []

    class Sink:
        @cf.hookimpl
        def complaintflow_notify(self, notification: cf.Notification) -> None:
            sent.append(notification.id)

    store = SQLiteStore(tmp_path / "once.sqlite3")
    quiet = cf.Engine(store=store, load_entry_points=False)
    c = quiet.submit(_new(1, datetime.now(UTC) - timedelta(days=10)), actor=cf.Actor.system())
    engine = cf.Engine(store=store, plugins=[Sink()], load_entry_points=False)
    health = run_worker(engine, once=True)
    assert health.alerts == ALERTS_PER_UNTOUCHED
    assert len(sent) == ALERTS_PER_UNTOUCHED == len(set(sent))
    assert {n.status for n in store.notifications(c.id)} == {"delivered"}
    assert run_worker(engine, once=True).alerts == 0  # nothing twice
    assert len(sent) == ALERTS_PER_UNTOUCHED
    store.close()


def test_a_stop_event_ends_a_worker_in_a_thread() -> None:
    stop = threading.Event()
    worker = Worker(cf.Engine(load_entry_points=False), interval=60)
    t = threading.Thread(target=worker.run, args=(stop,))
    t.start()
    while worker.health().rounds == 0:
        time.sleep(0.01)
    stop.set()
    t.join(timeout=10)
    assert not t.is_alive()
    assert worker.health().state == "stopped"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"interval": -1}, "interval"),
        ({"jitter": 1.5}, "jitter"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"batch": True}, "batch"),
        ({"max_backoff": "1"}, "max_backoff"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(cf.InvalidInput) as e:
        Worker(cf.Engine(load_entry_points=False), **kwargs)
    assert e.value.errors[0]["field"] == field


def test_store_urls_and_plugin_specs(tmp_path: Path) -> None:
    assert isinstance(open_store("memory:"), cf.MemoryStore)
    for url in (str(tmp_path / "a.db"), f"sqlite:{tmp_path / 'b.db'}", f"sqlite://{tmp_path}/c.db"):
        s = open_store(url)
        assert isinstance(s, SQLiteStore)
        s.close()
    for bad in ("", "sqlite://relative.db", "mysql://x"):
        with pytest.raises(cf.InvalidInput):
            open_store(bad)
    assert type(load_object("worker_plugin:FileNotifier")).__name__ == "FileNotifier"
    assert load_object("worker_plugin").__name__ == "worker_plugin"  # type: ignore[attr-defined]
    for bad in ("no_such_module_x:y", "worker_plugin:Nope"):
        with pytest.raises(cf.InvalidInput):
            load_object(bad)


# -- the worker process ----------------------------------------------------------------


def _schema() -> str:
    return f"cfw_{uuid.uuid4().hex[:12]}"


def _drop(schema: str) -> None:
    import psycopg

    assert PG_DSN is not None
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())


def _seed(store: Any, untouched: int, acknowledged: int) -> list[str]:
    """Complaints received ten days ago (their deadlines long due), saved by
    an engine without notifiers: every notification waits for the worker."""
    engine = cf.Engine(store=store, load_entry_points=False)
    received = datetime.now(UTC) - timedelta(days=10)
    # history recorded after the fact comes in through the importer role
    handler = cf.Actor(id="agent-li", roles={"importer"})
    ids = []
    for i in range(untouched + acknowledged):
        c = engine.submit(_new(i, received), actor=cf.Actor.system())
        if i >= untouched:
            engine.handle(c.id, cf.Acknowledge(actor=handler, at=received + timedelta(minutes=5)))
        ids.append(c.id)
    return ids


def _start(url: str, notify: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CF_TEST_NOTIFY_FILE": str(notify)}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "complaintflow",
            "worker",
            "--store",
            url,
            "--plugin",
            "worker_plugin:FileNotifier",
            "--interval",
            "0.2",
            "--no-entry-points",
            *extra,
        ],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _lines(notify: Path) -> list[tuple[str, str]]:
    if not notify.exists():
        return []
    return [tuple(line.split(" ", 1)) for line in notify.read_text().splitlines()]  # type: ignore[misc]


def _wait_until_all_delivered(store: Any, notify: Path, expected: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        notes = store.notifications()
        if len(notes) >= expected and all(n.status == "delivered" for n in notes):
            return
        time.sleep(0.2)
    raise AssertionError(f"not all delivered: {Counter(n.status for n in store.notifications())}")


def _check_exactly_once(store: Any, ids: list[str], notify: Path, untouched: int) -> Counter[str]:
    lines = _lines(notify)
    delivered = Counter(nid for _, nid in lines)
    notes = store.notifications()
    assert sorted(delivered) == sorted(n.id for n in notes)
    assert set(delivered.values()) == {1}, "a notification was delivered twice"
    assert {n.status for n in notes} == {"delivered"}
    for i, cid in enumerate(ids):
        events = store.events(cid)
        alerts = [(e.type, e.data["key"], e.data["target"]) for e in events if e.type[:4] == "sla_"]
        assert len(alerts) == len(set(alerts)), "an alert was emitted twice"
        if i < untouched:
            assert len(alerts) == ALERTS_PER_UNTOUCHED
        # one notification per alert, delivered once
        kinds = Counter(n.kind for n in store.notifications(cid))
        assert kinds["sla_warning"] + kinds["sla_breach"] == len(alerts)
        assert kinds["acknowledgement"] == (0 if i < untouched else 1)
    return Counter(pid for pid, _ in lines)


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "SIGTERM received" in err
    assert "worker stopped: " in err
    return err


def test_worker_process_on_sqlite_delivers_everything_once(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite3"
    notify = tmp_path / "sent.txt"
    store = SQLiteStore(db)
    ids = _seed(store, untouched=4, acknowledged=3)
    expected = 4 * ALERTS_PER_UNTOUCHED + 3  # at least: the acknowledged ones alert too
    proc = _start(f"sqlite://{db}", notify)
    try:
        _wait_until_all_delivered(store, notify, expected)
    finally:
        err = _stop(proc)
    _check_exactly_once(store, ids, notify, untouched=4)
    assert "alerts" in err
    assert "delivered" in err
    # another run finds nothing left to do
    before = len(_lines(notify))
    again = _start(str(db), notify, "--once")
    assert again.wait(timeout=60) == 0
    assert len(_lines(notify)) == before
    store.close()


@pytest.mark.skipif(not PG_DSN, reason=PG_SKIP)
def test_worker_process_on_postgres_delivers_everything_once(tmp_path: Path) -> None:
    assert PG_DSN is not None
    schema = _schema()
    notify = tmp_path / "sent.txt"
    store = open_store(PG_DSN, schema=schema)
    try:
        ids = _seed(store, untouched=4, acknowledged=3)
        proc = _start(PG_DSN, notify, "--schema", schema)
        try:
            _wait_until_all_delivered(store, notify, 4 * ALERTS_PER_UNTOUCHED + 3)
        finally:
            _stop(proc)
        _check_exactly_once(store, ids, notify, untouched=4)
    finally:
        store.close()
        _drop(schema)


@pytest.mark.skipif(not PG_DSN, reason=PG_SKIP)
def test_several_workers_on_postgres_share_the_work_without_duplicates(tmp_path: Path) -> None:
    assert PG_DSN is not None
    schema = _schema()
    notify = tmp_path / "sent.txt"
    store = open_store(PG_DSN, schema=schema)
    untouched, acknowledged = 60, 60
    try:
        ids = _seed(store, untouched=untouched, acknowledged=acknowledged)
        procs = [_start(PG_DSN, notify, "--schema", schema, "--quiet") for _ in range(3)]
        try:
            _wait_until_all_delivered(
                store, notify, untouched * ALERTS_PER_UNTOUCHED + acknowledged
            )
        finally:
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.communicate(timeout=60)
                assert p.returncode == 0
        by_worker = _check_exactly_once(store, ids, notify, untouched=untouched)
        print(f"deliveries per worker process: {sorted(by_worker.values())}")
        assert sum(by_worker.values()) == len(store.notifications())
    finally:
        store.close()
        _drop(schema)


# -- the command in-process ----------------------------------------------------------


def test_worker_command_once_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from complaintflow.cli import main

    db = tmp_path / "w.sqlite3"
    notify = tmp_path / "sent.txt"
    monkeypatch.setenv("CF_TEST_NOTIFY_FILE", str(notify))
    store = SQLiteStore(db)
    _seed(store, untouched=1, acknowledged=1)
    args = ["worker", "--store", f"sqlite:{db}", "--once", "--no-entry-points", "--quiet"]
    assert main([*args, "--plugin", "worker_plugin:FileNotifier", "--calendar", "CN"]) == 0
    assert len(_lines(notify)) == len(store.notifications())
    assert main([*args, "--calendar", "Asia/Shanghai", "--max-attempts", "2"]) == 0
    store.close()


@pytest.mark.parametrize(
    "bad",
    [
        ["--store", "mysql://x"],
        ["--store", "w.db", "--plugin", "no_such_module_x"],
        ["--store", "w.db", "--calendar", "Mars/Olympus"],
    ],
)
def test_worker_command_bad_input_exits_2(
    bad: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from complaintflow.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["worker", "--once", "--no-entry-points", *bad]) == 2
    assert "complaintflow worker: " in capsys.readouterr().err


@pytest.mark.parametrize(
    "bad", [["--interval", "-1"], ["--max-attempts", "0"], ["--interval", "x"]]
)
def test_worker_command_bad_numbers_are_usage_errors(bad: list[str]) -> None:
    from complaintflow.cli import main

    with pytest.raises(SystemExit) as e:
        main(["worker", "--store", "memory:", *bad])
    assert e.value.code == 2


def test_a_failed_round_with_once_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from complaintflow import _cli_worker
    from complaintflow.cli import main

    class Broken(cf.MemoryStore):
        def due(self, before: datetime, *, limit: int = 1000) -> list[cf.Complaint]:
            raise cf.StoreError("database is down")

    monkeypatch.setattr(_cli_worker, "open_store", lambda url, schema: Broken())
    assert main(["worker", "--store", "memory:", "--once", "--no-entry-points"]) == 1
