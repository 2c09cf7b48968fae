"""The async engine: :class:`~complaintflow.Engine`'s methods as coroutines.

The engine's logic (checks, transitions, deadlines, plugin hooks) is the
blocking :class:`~complaintflow.Engine`'s, unchanged: each call runs it in a
thread (:func:`asyncio.to_thread`), so the event loop never waits on a
rule, a hook or a blocking store. On an :class:`AsyncStore` (such as
:class:`AsyncPostgresStore`) the engine reaches the store through a
:class:`BlockingStore`: the store's I/O runs back on the event loop, on the
store's async connection pool.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from complaintflow._metrics import Metrics
from complaintflow._worker import Worker, WorkerHealth
from complaintflow.aio._stores import AsyncStore, BlockingStore, is_async_store
from complaintflow.categories import CategoryRegistry
from complaintflow.commands import Command
from complaintflow.engine import Engine
from complaintflow.errors import InvalidInput
from complaintflow.models import Actor, Complaint, Event, NewComplaint
from complaintflow.rules import RuleSet
from complaintflow.sla import BusinessCalendar, SlaAlert, SlaPolicy, SlaReport
from complaintflow.stores import Store

__all__ = ["AsyncEngine"]


class AsyncEngine:
    """Runs the guide's complaint process for async hosts.

    >>> import asyncio
    >>> import complaintflow as cf
    >>> from complaintflow.aio import AsyncEngine
    >>> async def main() -> str:
    ...     async with AsyncEngine(load_entry_points=False) as engine:
    ...         return type(engine.engine).__name__
    >>> asyncio.run(main())
    'Engine'

    :param store: an :class:`AsyncStore` (e.g. :class:`AsyncPostgresStore`),
        or a blocking :class:`~complaintflow.stores.Store` (memory, SQLite),
        whose calls then run in the engine's thread; an in-memory store when
        omitted.
    :param options: the other keyword arguments of :class:`~complaintflow.Engine`
        (``plugins``, ``calendar``, ``policy``, ``clock``, ...).

    Every method has :class:`~complaintflow.Engine`'s arguments, results and
    errors, awaited.
    """

    def __init__(self, *, store: AsyncStore | Store | None = None, **options: Any) -> None:
        self._bridge: BlockingStore | None = None
        sync_store: Store | None
        if is_async_store(store):
            assert isinstance(store, AsyncStore)
            self._bridge = BlockingStore(store)
            sync_store = self._bridge
        elif store is None or isinstance(store, Store):
            sync_store = store
        else:
            raise InvalidInput.field("store", "must be a Store or an AsyncStore")
        self.engine = Engine(store=sync_store, **options)
        """The blocking engine the calls run on (its calendar, policy, rules)."""
        self.store: AsyncStore | Store = store if store is not None else self.engine.store
        """The store given (or the engine's default one)."""

    async def _call(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        if self._bridge is not None:
            self._bridge.loop = asyncio.get_running_loop()
        return await asyncio.to_thread(fn, *args, **kwargs)

    @property
    def calendar(self) -> BusinessCalendar:
        """The business calendar of day-counted deadlines (the engine's)."""
        return self.engine.calendar

    @property
    def policy(self) -> SlaPolicy:
        """The SLA policy (the engine's)."""
        return self.engine.policy

    @property
    def rules(self) -> RuleSet:
        """The classification rules in force (the engine's)."""
        return self.engine.rules

    @property
    def categories(self) -> CategoryRegistry:
        """The complaint categories (the engine's)."""
        return self.engine.categories

    def now(self) -> datetime:
        """The engine clock's time (aware)."""
        return self.engine.now()

    async def get(self, complaint_id: str) -> Complaint:
        """As :meth:`Engine.get <complaintflow.Engine.get>`."""
        c: Complaint = await self._call(self.engine.get, complaint_id)
        return c

    async def history(self, complaint_id: str) -> list[Event]:
        """As :meth:`Engine.history <complaintflow.Engine.history>`."""
        events: list[Event] = await self._call(self.engine.history, complaint_id)
        return events

    async def replay(self, events: Sequence[Event]) -> Complaint:
        """As :meth:`Engine.replay <complaintflow.Engine.replay>`."""
        c: Complaint = await self._call(self.engine.replay, events)
        return c

    async def view(self, complaint_id: str, *, actor: Actor) -> Complaint:
        """As :meth:`Engine.view <complaintflow.Engine.view>`."""
        c: Complaint = await self._call(self.engine.view, complaint_id, actor=actor)
        return c

    async def allowed(self, complaint_id: str, *, actor: Actor) -> list[str]:
        """As :meth:`Engine.allowed <complaintflow.Engine.allowed>`."""
        names: list[str] = await self._call(self.engine.allowed, complaint_id, actor=actor)
        return names

    async def submit(self, complaint: NewComplaint | dict[str, Any], *, actor: Actor) -> Complaint:
        """As :meth:`Engine.submit <complaintflow.Engine.submit>`."""
        c: Complaint = await self._call(self.engine.submit, complaint, actor=actor)
        return c

    async def handle(self, complaint_id: str, command: Command | dict[str, Any]) -> Complaint:
        """As :meth:`Engine.handle <complaintflow.Engine.handle>`."""
        c: Complaint = await self._call(self.engine.handle, complaint_id, command)
        return c

    async def sla(self, complaint_id: str, *, now: datetime | None = None) -> SlaReport:
        """As :meth:`Engine.sla <complaintflow.Engine.sla>`."""
        report: SlaReport = await self._call(self.engine.sla, complaint_id, now=now)
        return report

    async def sweep(self, *, now: datetime | None = None, limit: int = 1000) -> list[SlaAlert]:
        """As :meth:`Engine.sweep <complaintflow.Engine.sweep>`."""
        alerts: list[SlaAlert] = await self._call(self.engine.sweep, now=now, limit=limit)
        return alerts

    async def metrics(
        self,
        *,
        since: datetime,
        until: datetime,
        category: str | None = None,
        now: datetime | None = None,
    ) -> Metrics:
        """As :meth:`Engine.metrics <complaintflow.Engine.metrics>`."""
        m: Metrics = await self._call(
            self.engine.metrics, since=since, until=until, category=category, now=now
        )
        return m

    async def erase(self, party_id: str, reason: str, **options: Any) -> list[str]:
        """As :meth:`Engine.erase <complaintflow.Engine.erase>`."""
        ids: list[str] = await self._call(self.engine.erase, party_id, reason, **options)
        return ids

    async def apply_retention(self, now: datetime | None = None, **options: Any) -> list[str]:
        """As :meth:`Engine.apply_retention <complaintflow.Engine.apply_retention>`."""
        ids: list[str] = await self._call(self.engine.apply_retention, now, **options)
        return ids

    async def export_person(self, party_id: str) -> str:
        """As :meth:`Engine.export_person <complaintflow.Engine.export_person>`."""
        out: str = await self._call(self.engine.export_person, party_id)
        return out

    async def deliver_pending(self, *, now: datetime | None = None, limit: int = 100) -> int:
        """As :meth:`Engine.deliver_pending <complaintflow.Engine.deliver_pending>`."""
        n: int = await self._call(self.engine.deliver_pending, now=now, limit=limit)
        return n

    async def run_worker(
        self, *, stop: asyncio.Event | None = None, **options: Any
    ) -> WorkerHealth:
        """Sweep deadlines and deliver notifications until ``stop`` is set or
        the task is cancelled (e.g. by a web server's lifespan at shutdown);
        the options are :func:`complaintflow.run_worker`'s (``interval``,
        ``max_attempts``, ``jitter``, ``once``, ...). The round under way
        finishes before it returns; a cancelled worker re-raises
        :class:`asyncio.CancelledError` after that. Signals are the host's
        (this runs no signal handlers)."""
        once = bool(options.pop("once", False))
        worker = Worker(self.engine, **options)
        halt = threading.Event()
        rounds = asyncio.ensure_future(self._call(worker.run, halt, once=once))
        waiter = asyncio.ensure_future(stop.wait()) if stop is not None else None
        try:
            pending = {rounds} if waiter is None else {rounds, waiter}
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        finally:
            halt.set()
            if waiter is not None:
                waiter.cancel()
            health: WorkerHealth = await asyncio.shield(rounds)
        return health

    async def close(self) -> None:
        """Close the store (its connections or pool)."""
        if self._bridge is not None:
            await self._bridge.store.close()
        else:
            await asyncio.to_thread(self.engine.close)

    async def __aenter__(self) -> AsyncEngine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
