"""Async stores: the store contract as coroutines, and the bridges between
async and blocking code.

:class:`AsyncStore` is :class:`~complaintflow.stores.Store` with every
method a coroutine. :class:`ThreadedStore` gives a blocking store (memory,
SQLite) that shape by running each call in a thread; :class:`BlockingStore`
goes the other way, a blocking ``Store`` over an async one, which is how
:class:`~complaintflow.aio.AsyncEngine` runs the engine's unchanged logic on
an async store: the engine works in a thread, the store's I/O runs on the
event loop.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Coroutine, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar, runtime_checkable

from complaintflow._status import Status
from complaintflow.aio._vault import AsyncVault, BlockingVault, ThreadedVault
from complaintflow.errors import StoreError
from complaintflow.models import Complaint, Event, Notification
from complaintflow.stores import DEFAULT_LEASE, Save, Store

__all__ = ["AsyncStore", "BlockingStore", "ThreadedStore", "is_async_store"]

T = TypeVar("T")


def is_async_store(store: object) -> bool:
    """Whether ``store`` is an :class:`AsyncStore`: its methods are
    coroutines (a protocol check alone cannot tell, the names are the same)."""
    return isinstance(store, AsyncStore) and all(
        inspect.iscoroutinefunction(getattr(store, name))
        for name in ("load", "save", "save_many", "events", "claim_notifications", "due")
    )


@runtime_checkable
class AsyncStore(AsyncVault, Protocol):
    """:class:`~complaintflow.stores.Store` with coroutines: the same
    methods, arguments, results and guarantees, awaited."""

    async def load(self, complaint_id: str) -> Complaint | None:
        """The complaint, or ``None``."""
        ...

    async def save(
        self,
        complaint: Complaint,
        *,
        expected_version: int,
        events: Sequence[Event],
        notifications: Sequence[Notification] = (),
    ) -> None:
        """As :meth:`Store.save <complaintflow.stores.Store.save>`."""
        ...

    async def save_many(self, saves: Sequence[Save]) -> list[bool]:
        """As :meth:`Store.save_many <complaintflow.stores.Store.save_many>`."""
        ...

    async def events(self, complaint_id: str) -> list[Event]:
        """The complaint's audit trail, in ``seq`` order."""
        ...

    async def pending_notifications(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> list[Notification]:
        """As :meth:`Store.pending_notifications
        <complaintflow.stores.Store.pending_notifications>`."""
        ...

    async def claim_notifications(
        self, *, now: datetime, limit: int = 100, lease: timedelta = DEFAULT_LEASE
    ) -> list[Notification]:
        """As :meth:`Store.claim_notifications
        <complaintflow.stores.Store.claim_notifications>`."""
        ...

    async def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        """Mark delivered; ``False`` if it already was."""
        ...

    async def mark_failed(
        self, notification_id: str, *, error: str, next_attempt_at: datetime
    ) -> None:
        """Record a failed attempt and when to try again."""
        ...

    async def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        """Open complaints with an SLA check due before ``before``."""
        ...

    async def find(
        self,
        *,
        complainant: str | None = None,
        respondent: str | None = None,
        open_only: bool = False,
        status: Status | Iterable[Status] | None = None,
        category: str | None = None,
        handler: str | None = None,
        needs_triage: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Complaint]:
        """As :meth:`Store.find <complaintflow.stores.Store.find>`."""
        ...

    async def notifications(self, complaint_id: str | None = None) -> list[Notification]:
        """As :meth:`Store.notifications <complaintflow.stores.Store.notifications>`."""
        ...

    async def count_from(self, complainant: str, *, since: datetime, until: datetime) -> int:
        """As :meth:`Store.count_from <complaintflow.stores.Store.count_from>`."""
        ...

    async def recent_from(
        self, complainant: str, *, since: datetime, until: datetime, limit: int = 100
    ) -> list[Complaint]:
        """As :meth:`Store.recent_from <complaintflow.stores.Store.recent_from>`."""
        ...

    async def find_like(
        self, complaint: Complaint, *, same_order: bool = True, limit: int = 20
    ) -> list[Complaint]:
        """As :meth:`Store.find_like <complaintflow.stores.Store.find_like>`."""
        ...

    async def dead_letter(self, *, max_attempts: int, limit: int = 100) -> list[Notification]:
        """Mark pending notifications with ``max_attempts`` failed attempts or
        more ``dead``, oldest first, up to ``limit``; returns them."""
        ...

    async def dead_notifications(self, *, limit: int = 100) -> list[Notification]:
        """Dead-lettered notifications, oldest first."""
        ...

    async def close(self) -> None:
        """Release the store's connections."""
        ...


class ThreadedStore(ThreadedVault):
    """An :class:`AsyncStore` over a blocking store (memory, SQLite): each
    call runs in a thread (:func:`asyncio.to_thread`), so the event loop
    never waits on the store.

    :param store: the blocking store.
    """

    def __init__(self, store: Store) -> None:
        if not isinstance(store, Store) or is_async_store(store):
            raise StoreError("ThreadedStore: store must implement complaintflow.stores.Store")
        self.store = store
        """The blocking store the calls go to."""

    def __repr__(self) -> str:
        return f"ThreadedStore({self.store!r})"

    async def load(self, complaint_id: str) -> Complaint | None:
        return await asyncio.to_thread(self.store.load, complaint_id)

    async def save(
        self,
        complaint: Complaint,
        *,
        expected_version: int,
        events: Sequence[Event],
        notifications: Sequence[Notification] = (),
    ) -> None:
        await asyncio.to_thread(
            self.store.save,
            complaint,
            expected_version=expected_version,
            events=events,
            notifications=notifications,
        )

    async def save_many(self, saves: Sequence[Save]) -> list[bool]:
        return await asyncio.to_thread(self.store.save_many, saves)

    async def events(self, complaint_id: str) -> list[Event]:
        return await asyncio.to_thread(self.store.events, complaint_id)

    async def pending_notifications(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> list[Notification]:
        return await asyncio.to_thread(self.store.pending_notifications, now=now, limit=limit)

    async def claim_notifications(
        self, *, now: datetime, limit: int = 100, lease: timedelta = DEFAULT_LEASE
    ) -> list[Notification]:
        return await asyncio.to_thread(
            self.store.claim_notifications, now=now, limit=limit, lease=lease
        )

    async def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        return await asyncio.to_thread(self.store.mark_delivered, notification_id, at=at)

    async def mark_failed(
        self, notification_id: str, *, error: str, next_attempt_at: datetime
    ) -> None:
        await asyncio.to_thread(
            self.store.mark_failed, notification_id, error=error, next_attempt_at=next_attempt_at
        )

    async def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        return await asyncio.to_thread(self.store.due, before, limit=limit)

    async def find(self, **filters: Any) -> list[Complaint]:
        return await asyncio.to_thread(lambda: self.store.find(**filters))

    async def notifications(self, complaint_id: str | None = None) -> list[Notification]:
        """Every notification (of one complaint), delivered or not."""
        return await asyncio.to_thread(self.store.notifications, complaint_id)

    async def count_from(self, complainant: str, *, since: datetime, until: datetime) -> int:
        """As :meth:`Store.count_from <complaintflow.stores.Store.count_from>`."""
        return await asyncio.to_thread(
            lambda: self.store.count_from(complainant, since=since, until=until)
        )

    async def recent_from(self, complainant: str, **window: Any) -> list[Complaint]:
        """As :meth:`Store.recent_from <complaintflow.stores.Store.recent_from>`."""
        return await asyncio.to_thread(lambda: self.store.recent_from(complainant, **window))

    async def find_like(self, complaint: Complaint, **options: Any) -> list[Complaint]:
        """As :meth:`Store.find_like <complaintflow.stores.Store.find_like>`."""
        return await asyncio.to_thread(lambda: self.store.find_like(complaint, **options))

    async def dead_letter(self, *, max_attempts: int, limit: int = 100) -> list[Notification]:
        """Dead-letter as the blocking store does (see the worker)."""
        fn = self._optional("dead_letter")
        return await asyncio.to_thread(lambda: fn(max_attempts=max_attempts, limit=limit))

    async def dead_notifications(self, *, limit: int = 100) -> list[Notification]:
        """Dead-lettered notifications, oldest first."""
        fn = self._optional("dead_notifications")
        return await asyncio.to_thread(lambda: fn(limit=limit))

    async def close(self) -> None:
        await asyncio.to_thread(self.store.close)

    def _optional(self, name: str) -> Any:
        fn = getattr(self.store, name, None)
        if not callable(fn):
            raise StoreError(f"{type(self.store).__name__} has no {name}()")
        return fn


class BlockingStore(BlockingVault):
    """A blocking :class:`~complaintflow.stores.Store` over an
    :class:`AsyncStore`: each call runs the coroutine on ``loop`` and waits
    for it. Call it from any thread but the loop's own (from the loop it
    would wait on itself, and raises :class:`StoreError` instead).

    :param store: the async store.
    :param loop: the event loop the store's connections belong to; set
        :attr:`loop` later when it is not running yet.
    """

    store: AsyncStore

    def __init__(self, store: AsyncStore, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if not is_async_store(store):
            raise StoreError("BlockingStore: store must implement complaintflow.aio.AsyncStore")
        self.store = store
        """The async store the calls go to."""
        self.loop = loop
        """The event loop that runs the store's coroutines."""

    def __repr__(self) -> str:
        return f"BlockingStore({self.store!r})"

    def _run(self, make: Awaitable[T]) -> T:
        loop = self.loop
        if loop is None or loop.is_closed():
            _discard(make)
            raise StoreError("BlockingStore: no running event loop to run the store on")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            _discard(make)
            raise StoreError(
                "BlockingStore: called from its own event loop's thread; "
                "use the async store (or AsyncEngine) there"
            )
        return asyncio.run_coroutine_threadsafe(_coro(make), loop).result()

    def load(self, complaint_id: str) -> Complaint | None:
        return self._run(self.store.load(complaint_id))

    def save(
        self,
        complaint: Complaint,
        *,
        expected_version: int,
        events: Sequence[Event],
        notifications: Sequence[Notification] = (),
    ) -> None:
        self._run(
            self.store.save(
                complaint,
                expected_version=expected_version,
                events=events,
                notifications=notifications,
            )
        )

    def save_many(self, saves: Sequence[Save]) -> list[bool]:
        return self._run(self.store.save_many(saves))

    def events(self, complaint_id: str) -> list[Event]:
        return self._run(self.store.events(complaint_id))

    def pending_notifications(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> list[Notification]:
        return self._run(self.store.pending_notifications(now=now, limit=limit))

    def claim_notifications(
        self, *, now: datetime, limit: int = 100, lease: timedelta = DEFAULT_LEASE
    ) -> list[Notification]:
        return self._run(self.store.claim_notifications(now=now, limit=limit, lease=lease))

    def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        return self._run(self.store.mark_delivered(notification_id, at=at))

    def mark_failed(self, notification_id: str, *, error: str, next_attempt_at: datetime) -> None:
        self._run(
            self.store.mark_failed(notification_id, error=error, next_attempt_at=next_attempt_at)
        )

    def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        return self._run(self.store.due(before, limit=limit))

    def find(self, **filters: Any) -> list[Complaint]:
        return self._run(self.store.find(**filters))

    def notifications(self, complaint_id: str | None = None) -> list[Notification]:
        """Every notification (of one complaint), delivered or not."""
        return self._run(self.store.notifications(complaint_id))

    def count_from(self, complainant: str, *, since: datetime, until: datetime) -> int:
        """As :meth:`Store.count_from <complaintflow.stores.Store.count_from>`."""
        return self._run(self.store.count_from(complainant, since=since, until=until))

    def recent_from(self, complainant: str, **window: Any) -> list[Complaint]:
        """As :meth:`Store.recent_from <complaintflow.stores.Store.recent_from>`."""
        return self._run(self.store.recent_from(complainant, **window))

    def find_like(self, complaint: Complaint, **options: Any) -> list[Complaint]:
        """As :meth:`Store.find_like <complaintflow.stores.Store.find_like>`."""
        return self._run(self.store.find_like(complaint, **options))

    def dead_letter(self, *, max_attempts: int, limit: int = 100) -> list[Notification]:
        """Dead-letter as the async store does (see the worker)."""
        return self._run(self.store.dead_letter(max_attempts=max_attempts, limit=limit))

    def dead_notifications(self, *, limit: int = 100) -> list[Notification]:
        """Dead-lettered notifications, oldest first."""
        return self._run(self.store.dead_notifications(limit=limit))

    def close(self) -> None:
        """Close the async store."""
        self._run(self.store.close())


async def _coro(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _discard(awaitable: Awaitable[Any]) -> None:
    if isinstance(awaitable, Coroutine):
        awaitable.close()
