"""The worker: sweeps deadlines and delivers notifications in a loop.

A host runs it in a process of its own (``complaintflow worker``) or in a
thread beside its web server. Every round it calls the engine's
:meth:`~complaintflow.Engine.sweep` (SLA warnings and breaches, guide §3.3)
and :meth:`~complaintflow.Engine.deliver_pending` (notifications whose
delivery failed or whose process died), then gives up on notifications
that failed ``max_attempts`` times: they become ``dead``, are never
claimed again, and are listed by the store's ``dead_notifications()``.
Several workers may share one PostgreSQL database: the sweep saves with
optimistic concurrency and the outbox is claimed with row locks, so each
alert and each notification is handled once.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Literal, Protocol, Self, runtime_checkable

from complaintflow.errors import InvalidInput
from complaintflow.models import Notification

__all__ = ["Worker", "WorkerHealth", "run_worker"]

log = logging.getLogger("complaintflow.worker")


@runtime_checkable
class DeadLetters(Protocol):
    """What a store offers for dead-lettering (the built-in stores do)."""

    def dead_letter(self, *, max_attempts: int, limit: int = 100) -> list[Notification]: ...

    def dead_notifications(self, *, limit: int = 100) -> list[Notification]: ...


class _Engine(Protocol):
    """The engine's public methods the worker uses."""

    @property
    def store(self) -> Any: ...

    def sweep(self, *, now: datetime | None = None, limit: int = 1000) -> list[Any]: ...

    def deliver_pending(self, *, now: datetime | None = None, limit: int = 100) -> int: ...


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    """A snapshot of a worker: what it did and whether its rounds succeed."""

    state: Literal["starting", "running", "backing_off", "stopped"]
    started_at: datetime
    rounds: int = 0
    """Rounds finished, successful or not."""
    alerts: int = 0
    """SLA warnings and breaches emitted."""
    delivered: int = 0
    """Notifications delivered by ``deliver_pending`` (retries and orphans;
    alert notifications are delivered as the sweep saves them)."""
    dead: int = 0
    """Notifications given up on after ``max_attempts`` failed attempts."""
    failed_rounds: int = 0
    consecutive_failures: int = 0
    last_round_at: datetime | None = None
    last_error: str | None = None

    @property
    def healthy(self) -> bool:
        """Whether the last round succeeded (or none ran yet) and the worker runs."""
        return self.state != "stopped" and self.consecutive_failures == 0

    def line(self) -> str:
        """One line for logs and health checks."""
        last = "-" if self.last_round_at is None else self.last_round_at.isoformat()
        text = (
            f"worker {self.state}: {self.rounds} rounds, {self.alerts} alerts, "
            f"{self.delivered} delivered, {self.dead} dead, {self.failed_rounds} failed rounds"
            f" ({self.consecutive_failures} in a row), last round {last}"
        )
        return text if self.last_error is None else f"{text}; last error: {self.last_error}"


@dataclass(frozen=True, slots=True)
class RoundResult:
    """What one round did."""

    alerts: int
    delivered: int
    dead: int


class Worker:
    """Runs rounds of sweep, delivery and dead-lettering until stopped.

    :param engine: the engine (only its public ``sweep``, ``deliver_pending``
        and ``store`` are used).
    :param interval: seconds between rounds when the last one succeeded.
    :param max_attempts: failed delivery attempts after which a notification
        is ``dead``.
    :param jitter: after a failed round the worker waits
        ``interval * 2**(failures - 1)`` seconds (at most ``max_backoff``),
        shortened by a random fraction of up to ``jitter`` so that workers
        that failed together do not retry together.
    :param max_backoff: the longest wait after failed rounds, in seconds.
    :param batch: notifications per delivery call; a full batch is followed
        at once by another round.
    :param report_every: seconds between health lines in the log.
    :param rng: the random source of the jitter (seeded in tests).

    >>> import complaintflow as cf
    >>> w = Worker(cf.Engine(load_entry_points=False), interval=1)
    >>> w.run_round()
    RoundResult(alerts=0, delivered=0, dead=0)
    >>> w.health().healthy
    True
    """

    def __init__(
        self,
        engine: _Engine,
        *,
        interval: float = 5.0,
        max_attempts: int = 8,
        jitter: float = 0.5,
        max_backoff: float = 300.0,
        batch: int = 100,
        report_every: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        for name, value, low in (
            ("interval", interval, 0.0),
            ("max_backoff", max_backoff, 0.0),
            ("report_every", report_every, 0.0),
        ):
            if not isinstance(value, int | float) or isinstance(value, bool) or value < low:
                raise InvalidInput.field(name, f"must be a number of seconds >= {low}")
        if not isinstance(jitter, int | float) or isinstance(jitter, bool) or not 0 <= jitter <= 1:
            raise InvalidInput.field("jitter", "must be a fraction between 0 and 1")
        for name, n in (("max_attempts", max_attempts), ("batch", batch)):
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise InvalidInput.field(name, "must be a whole number >= 1")
        self.engine = engine
        self.interval = float(interval)
        self.max_attempts = max_attempts
        self.jitter = float(jitter)
        self.max_backoff = float(max_backoff)
        self.batch = batch
        self.report_every = float(report_every)
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._health = WorkerHealth(state="starting", started_at=datetime.now(UTC))
        self._stop = threading.Event()
        self.retention_every = 3600.0
        """Seconds between two runs of ``Engine.apply_retention`` (the first
        round runs it)."""
        self._retained_at = -float("inf")

    # -- health -------------------------------------------------------------

    def health(self) -> WorkerHealth:
        """The current health snapshot (safe to call from another thread)."""
        with self._lock:
            return self._health

    def _update(self, **changes: Any) -> WorkerHealth:
        with self._lock:
            self._health = replace(self._health, **changes)
            return self._health

    # -- one round ------------------------------------------------------------

    def run_round(self) -> RoundResult:
        """Sweep, deliver, dead-letter once (and apply the retention policy
        when ``retention_every`` seconds have passed); exceptions propagate."""
        alerts = len(self.engine.sweep())
        self._retention()
        dead = self._dead_letter()
        delivered = self.engine.deliver_pending(limit=self.batch)
        dead += self._dead_letter()
        return RoundResult(alerts=alerts, delivered=delivered, dead=dead)

    def _retention(self) -> None:
        apply = getattr(self.engine, "apply_retention", None)
        now = time.monotonic()
        if apply is None or now - self._retained_at < self.retention_every:
            return
        erased = apply()
        self._retained_at = now
        if erased:
            log.info("worker: retention erased the personal data of %d complaints", len(erased))

    def _dead_letter(self) -> int:
        store = self.engine.store
        if not isinstance(store, DeadLetters):
            return 0
        gone = store.dead_letter(max_attempts=self.max_attempts, limit=self.batch)
        for n in gone:
            log.warning(
                "notification %s (%s to %s) is dead after %d attempts: %s",
                n.id,
                n.kind,
                n.recipient_role,
                n.attempts,
                n.last_error,
            )
        return len(gone)

    def backoff(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failed rounds in a row."""
        base = min(self.max_backoff, max(self.interval, 0.001) * 2.0 ** min(failures - 1, 30))
        return base * (1 - self.jitter * self._rng.random())

    # -- the loop ---------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to stop after the current round."""
        self._stop.set()

    def run(self, stop: threading.Event | None = None, *, once: bool = False) -> WorkerHealth:
        """Run rounds until ``stop`` is set, :meth:`stop` is called, or (in the
        main thread) SIGTERM or SIGINT arrives; with ``once``, one round.
        Returns the final health."""
        events = [self._stop] if stop is None else [self._stop, stop]
        self._update(state="running")
        last_report = time.monotonic()
        with _signals(self._stop):
            while not any(e.is_set() for e in events):
                wait = self.interval
                try:
                    result = self.run_round()
                except Exception as e:
                    h = self.health()
                    failures = h.consecutive_failures + 1
                    wait = self.backoff(failures)
                    h = self._update(
                        state="backing_off",
                        rounds=h.rounds + 1,
                        failed_rounds=h.failed_rounds + 1,
                        consecutive_failures=failures,
                        last_round_at=datetime.now(UTC),
                        last_error=f"{type(e).__name__}: {e}",
                    )
                    log.exception("worker round %d failed; next try in %.1f s", h.rounds, wait)
                else:
                    h = self.health()
                    h = self._update(
                        state="running",
                        rounds=h.rounds + 1,
                        alerts=h.alerts + result.alerts,
                        delivered=h.delivered + result.delivered,
                        dead=h.dead + result.dead,
                        consecutive_failures=0,
                        last_round_at=datetime.now(UTC),
                    )
                    if result.alerts or result.delivered or result.dead:
                        log.info(
                            "worker round %d: %d alerts, %d delivered, %d dead",
                            h.rounds,
                            result.alerts,
                            result.delivered,
                            result.dead,
                        )
                    if result.delivered >= self.batch:
                        wait = 0.0  # more may be waiting: drain before sleeping
                if once:
                    break
                if time.monotonic() - last_report >= self.report_every:
                    last_report = time.monotonic()
                    log.info("%s", h.line())
                _wait(events, wait)
        h = self._update(state="stopped")
        log.info("%s", h.line())
        return h


def _wait(events: list[threading.Event], seconds: float) -> None:
    """Sleep ``seconds`` or until one of ``events`` is set."""
    deadline = time.monotonic() + seconds
    while not any(e.is_set() for e in events):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        events[0].wait(min(left, 0.2) if len(events) > 1 else left)


@contextmanager
def _signals(stop: threading.Event) -> Iterator[None]:
    """In the main thread, SIGTERM and SIGINT set ``stop`` (the round under
    way finishes); the previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("worker: %s received, stopping after this round", signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run_worker(
    engine: _Engine,
    *,
    stop: threading.Event | None = None,
    once: bool = False,
    interval: float = 5.0,
    max_attempts: int = 8,
    jitter: float = 0.5,
    max_backoff: float = 300.0,
    batch: int = 100,
    report_every: float = 60.0,
) -> WorkerHealth:
    """Sweep deadlines and deliver notifications until stopped; returns the
    final :class:`WorkerHealth`. See :class:`Worker` for the parameters;
    ``stop`` is a :class:`threading.Event` that ends the loop (SIGTERM and
    SIGINT do too when called from the main thread), ``once`` runs one round.
    For a health snapshot while it runs, build a :class:`Worker` and call
    its ``health()``."""
    worker = Worker(
        engine,
        interval=interval,
        max_attempts=max_attempts,
        jitter=jitter,
        max_backoff=max_backoff,
        batch=batch,
        report_every=report_every,
    )
    return worker.run(stop, once=once)


class Running:
    """The engine's running side: a worker loop, and closing its store."""

    store: Any

    def sweep(self, *, now: datetime | None = None, limit: int = 1000) -> list[Any]:
        raise NotImplementedError  # pragma: no cover - the engine's

    def deliver_pending(self, *, now: datetime | None = None, limit: int = 100) -> int:
        raise NotImplementedError  # pragma: no cover - the engine's

    def run_worker(self, **options: Any) -> WorkerHealth:
        """Sweep deadlines and deliver notifications until stopped (SIGTERM,
        SIGINT or ``stop``); the options are :func:`complaintflow.run_worker`'s."""
        return run_worker(self, **options)

    def close(self) -> None:
        """Close the store (its connections); the engine is not used after."""
        close = getattr(self.store, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
