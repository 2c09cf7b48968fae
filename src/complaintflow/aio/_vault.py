"""The vault methods of the async stores and of the bridges between async
and blocking stores (see :mod:`complaintflow.stores._vault`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from complaintflow.stores import Store
from complaintflow.stores import _vault as v
from complaintflow.stores._postgres import POSTGRES

__all__ = ["AsyncSQLVault", "AsyncVault", "BlockingVault", "ThreadedVault"]

T = TypeVar("T")


@runtime_checkable
class AsyncVault(Protocol):
    """The vault methods of :class:`~complaintflow.aio.AsyncStore`."""

    async def vault_put(self, entries: Sequence[v.VaultEntry]) -> None:
        """Add personal-data vault entries (existing ones are kept)."""
        ...

    async def vault_read(self, complaint_ids: Sequence[str]) -> list[v.VaultEntry]:
        """The vault entries of these complaints."""
        ...

    async def vault_of(self, party_id: str) -> list[v.VaultEntry]:
        """Every vault entry of one party."""
        ...

    async def vault_erase(
        self, *, party_id: str | None = None, complaint_id: str | None = None
    ) -> int:
        """Delete the vault entries of a party or of a complaint."""
        ...


class AsyncSQLVault:
    """The vault of :class:`~complaintflow.aio.AsyncPostgresStore`: the
    blocking SQL store's queries, awaited."""

    def _tx(self) -> Any:  # pragma: no cover - the store's
        raise NotImplementedError

    async def _rows(self, template: str, params: Sequence[Any] = ()) -> list[Any]:
        raise NotImplementedError  # pragma: no cover - the store's

    async def vault_put(self, entries: Sequence[v.VaultEntry]) -> None:
        """As :meth:`Store.vault_put <complaintflow.stores.Store.vault_put>`."""
        rows = [tuple(e) for e in entries]
        if rows:
            async with self._tx() as conn:
                await conn.cursor().executemany(POSTGRES.q(v.PUT), rows)

    async def vault_read(self, complaint_ids: Sequence[str]) -> list[v.VaultEntry]:
        """As :meth:`Store.vault_read <complaintflow.stores.Store.vault_read>`."""
        ids = list(complaint_ids)
        return v.entries(await self._rows(v.read_sql(ids), ids)) if ids else []

    async def vault_of(self, party_id: str) -> list[v.VaultEntry]:
        """As :meth:`Store.vault_of <complaintflow.stores.Store.vault_of>`."""
        return v.entries(await self._rows(v.OF_PARTY, (party_id,)))

    async def vault_erase(
        self, *, party_id: str | None = None, complaint_id: str | None = None
    ) -> int:
        """As :meth:`Store.vault_erase <complaintflow.stores.Store.vault_erase>`."""
        kind, value = v.erase_target(party_id, complaint_id)
        counts = []
        async with self._tx() as conn:
            for sql, params in zip(v.ERASE[kind], v.erase_params(kind, value), strict=True):
                counts.append((await conn.execute(POSTGRES.q(sql), params)).rowcount)
        return int(counts[0])


class ThreadedVault:
    """The vault of :class:`~complaintflow.aio.ThreadedStore`: the blocking
    store's, each call in a thread."""

    store: Store

    async def vault_put(self, entries: Sequence[v.VaultEntry]) -> None:
        """As :meth:`Store.vault_put <complaintflow.stores.Store.vault_put>`."""
        await asyncio.to_thread(self.store.vault_put, entries)

    async def vault_read(self, complaint_ids: Sequence[str]) -> list[v.VaultEntry]:
        """As :meth:`Store.vault_read <complaintflow.stores.Store.vault_read>`."""
        return await asyncio.to_thread(self.store.vault_read, complaint_ids)

    async def vault_of(self, party_id: str) -> list[v.VaultEntry]:
        """As :meth:`Store.vault_of <complaintflow.stores.Store.vault_of>`."""
        return await asyncio.to_thread(self.store.vault_of, party_id)

    async def vault_erase(self, **target: Any) -> int:
        """As :meth:`Store.vault_erase <complaintflow.stores.Store.vault_erase>`."""
        return await asyncio.to_thread(lambda: self.store.vault_erase(**target))


class BlockingVault:
    """The vault of :class:`~complaintflow.aio.BlockingStore`: the async
    store's, run on its loop."""

    store: AsyncVault

    def _run(self, make: Awaitable[T]) -> T:  # pragma: no cover - the bridge's
        raise NotImplementedError

    def vault_put(self, entries: Sequence[v.VaultEntry]) -> None:
        """As :meth:`Store.vault_put <complaintflow.stores.Store.vault_put>`."""
        self._run(self.store.vault_put(entries))

    def vault_read(self, complaint_ids: Sequence[str]) -> list[v.VaultEntry]:
        """As :meth:`Store.vault_read <complaintflow.stores.Store.vault_read>`."""
        return self._run(self.store.vault_read(complaint_ids))

    def vault_of(self, party_id: str) -> list[v.VaultEntry]:
        """As :meth:`Store.vault_of <complaintflow.stores.Store.vault_of>`."""
        return self._run(self.store.vault_of(party_id))

    def vault_erase(self, **target: Any) -> int:
        """As :meth:`Store.vault_erase <complaintflow.stores.Store.vault_erase>`."""
        return self._run(self.store.vault_erase(**target))
