"""The PostgreSQL store on psycopg's async connection pool
(``pip install 'complaintflow[postgres]'``, which brings ``psycopg-pool``).

The same schema, migrations and queries as
:class:`~complaintflow.stores.PostgresStore` (the two may share a
database), with every call a coroutine on a pooled connection: one
transaction per ``save``, optimistic versions, ``FOR UPDATE SKIP LOCKED``
for the due query and the outbox claim, so async and blocking workers may
share the work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from complaintflow.aio._vault import AsyncSQLVault
from complaintflow.errors import ConcurrencyError, InvalidInput, StoreError
from complaintflow.models import Complaint, Event, Notification
from complaintflow.stores import DEFAULT_LEASE, Save
from complaintflow.stores import _sql as sql
from complaintflow.stores._base import ParsedCache, check_seqs, dead, delivered, failed
from complaintflow.stores._pgwrite import SAVE, SAVE_NEW, save_params
from complaintflow.stores._postgres import _LOCK_KEY, POSTGRES

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

__all__ = ["AsyncPostgresStore"]

_q = POSTGRES.q
_t = POSTGRES.t


def _modules() -> tuple[Any, Any]:
    try:
        import psycopg
        import psycopg_pool
    except ImportError as e:
        raise StoreError(
            "AsyncPostgresStore needs psycopg 3 and psycopg-pool: "
            "pip install 'complaintflow[postgres]'"
        ) from e
    return psycopg, psycopg_pool


class AsyncPostgresStore(AsyncSQLVault):
    """Keeps complaints in a PostgreSQL database, through an
    :class:`psycopg_pool.AsyncConnectionPool`. Open it with
    :meth:`open` (it connects and migrates) and close it with
    :meth:`close`, or use it as an async context manager:

    .. code-block:: python

        async with await AsyncPostgresStore.open(dsn) as store:
            engine = AsyncEngine(store=store)

    Use it from the event loop that opened it.
    """

    def __init__(self, pool: AsyncConnectionPool[Any], *, schema: str) -> None:
        self._pg, _ = _modules()
        self._pool = pool
        self.schema = schema
        self._cache = ParsedCache()

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        schema: str = "complaintflow",
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 10.0,
    ) -> AsyncPostgresStore:
        """Open a pool of ``min_size`` to ``max_size`` connections to ``dsn``
        with the tables in ``schema`` (created or migrated as the blocking
        store does), waiting up to ``timeout`` seconds for the server."""
        pg, pool_mod = _modules()
        if not isinstance(schema, str) or not schema:
            raise InvalidInput.field("schema", "must be a non-empty name")
        if not (isinstance(min_size, int) and isinstance(max_size, int) and min_size >= 1):
            raise InvalidInput.field("min_size", "must be an integer of 1 or more")
        if max_size < min_size:
            raise InvalidInput.field("max_size", "must be at least min_size")
        ident = pg.sql.Identifier(schema)

        async def configure(conn: Any) -> None:
            await conn.execute(pg.sql.SQL("SET search_path TO {}").format(ident))

        pool = pool_mod.AsyncConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
            configure=configure,
            timeout=timeout,
            open=False,
        )
        store = cls(pool, schema=schema)
        try:
            await pool.open(wait=True, timeout=timeout)
            await store._migrate()
        except pool_mod.PoolTimeout as e:
            await pool.close()
            raise StoreError(f"cannot connect to PostgreSQL: {e}") from e
        except BaseException:
            await pool.close()
            raise
        return store

    async def close(self) -> None:
        """Close the pool; the store is unusable afterwards."""
        await self._pool.close()

    async def __aenter__(self) -> AsyncPostgresStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncPostgresStore(schema={self.schema!r})"

    @property
    def pool(self) -> AsyncConnectionPool[Any]:
        """The connection pool, for administration and statistics."""
        return self._pool

    async def _migrate(self) -> None:
        """Create or migrate the schema as the blocking store does, under its
        advisory lock."""
        async with self._tx() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            ident = self._pg.sql.Identifier(self.schema)
            await conn.execute(self._pg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
            await conn.execute(self._pg.sql.SQL("SET LOCAL search_path TO {}").format(ident))
            await conn.execute(_q(sql._SCHEMA_TABLE))
            row = await (await conn.execute(_q(sql._SCHEMA_READ))).fetchone()
            if row is None:
                await conn.execute(_q(sql._SCHEMA_START))
            current = 0 if row is None else int(row[0])
            if current > sql.SCHEMA_VERSION:
                raise sql._too_new(f"schema {self.schema!r}", current)
            for statements in POSTGRES.migrations[current:]:
                for statement in statements:
                    await conn.execute(_q(statement))
            if 0 < current < sql._KEYS_SINCE:
                for c in sql._docs(await (await conn.execute(_q(sql._ALL_DOCS))).fetchall()):
                    await self._insert_keys(conn, c)
            if current != sql.SCHEMA_VERSION:
                await conn.execute(_q(sql._SCHEMA_SET), (sql.SCHEMA_VERSION,))

    @property
    async def schema_version(self) -> int:
        """The schema version of the open database (await it)."""
        return int((await self._rows(sql._SCHEMA_READ))[0][0])

    # -- transactions ---------------------------------------------------------------

    @asynccontextmanager
    async def _tx(self, *, one_statement: bool = False) -> AsyncIterator[Any]:
        """One transaction on a pooled connection (for ``one_statement`` on
        an autocommit connection, the statement's own); the driver's errors
        surface as :class:`StoreError` (a unique violation as a conflict)."""
        try:
            async with self._pool.connection() as conn, AsyncExitStack() as stack:
                if not (one_statement and conn.autocommit):
                    await stack.enter_async_context(conn.transaction())
                yield conn
        except self._pg.errors.UniqueViolation as e:
            raise ConcurrencyError(f"PostgreSQL store: {e}") from None
        except self._pg.Error as e:
            raise StoreError(f"PostgreSQL store: {e}") from e

    async def _rows(self, template: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows of the query ``template`` (rendered by the dialect)."""
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(_q(template), params)
                return list(await cur.fetchall())
        except self._pg.Error as e:
            raise StoreError(f"PostgreSQL store: {e}") from e

    # -- complaints -------------------------------------------------------------------

    async def load(self, complaint_id: str) -> Complaint | None:
        held = self._cache.held(complaint_id)
        rows = await self._rows(sql._LOAD, sql._load_params(held, complaint_id))
        return sql._loaded(self._cache, held, complaint_id, rows)

    async def save(self, complaint: Complaint, **parts: Any) -> None:
        """As :meth:`Store.save <complaintflow.stores.Store.save>`: the
        keyword arguments ``expected_version``, ``events`` and
        ``notifications`` (none by default). One statement, as the blocking
        store writes a save (:mod:`~complaintflow.stores._pgwrite`)."""
        s = Save(complaint, **parts)
        expected = s.expected_version
        check_seqs(expected, s.events)
        params = save_params(POSTGRES, complaint, expected, s.events, s.notifications)
        async with self._tx(one_statement=True) as conn:
            cur = await conn.execute(_q(SAVE_NEW if expected == 0 else SAVE), params)
            if (await cur.fetchone())[0] != 1:
                found = await (await conn.execute(_q(sql._VERSION_OF), (complaint.id,))).fetchone()
                raise sql._conflict(complaint.id, found, expected)
        self._cache.put(complaint)

    async def save_many(self, saves: Sequence[Save]) -> list[bool]:
        """One transaction: the rows are locked and their versions checked
        first; each complaint is then written under a savepoint, so a
        conflict skips that complaint only."""
        ok: list[bool] = []
        for s in saves:
            try:
                check_seqs(s.expected_version, s.events)
                ok.append(True)
            except ConcurrencyError:
                ok.append(False)
        ids = sorted({s.complaint.id for s in saves})
        async with self._tx() as conn:
            found: dict[str, int] = {}
            if ids:
                cur = await conn.execute(_q(sql._versions_sql(ids)), ids)
                found = dict(await cur.fetchall())
            seen: set[str] = set()
            for i, s in enumerate(saves):
                cid = s.complaint.id
                if found.get(cid, 0) != s.expected_version or cid in seen:
                    ok[i] = False
                seen.add(cid)
                if ok[i]:
                    ok[i] = await self._write_saved(conn, s)
        for s, yes in zip(saves, ok, strict=True):
            if yes:
                self._cache.put(s.complaint)
        return ok

    async def _write_saved(self, conn: Any, s: Save) -> bool:
        """Write one save of :meth:`save_many` under a savepoint; ``False``
        when it conflicts."""
        try:
            async with conn.transaction():
                await self._write(conn, s)
        except (ConcurrencyError, self._pg.errors.UniqueViolation):
            return False
        return True

    async def _write(self, conn: Any, s: Save) -> None:
        """The complaint's row (its index columns and, when new, its match
        keys), its events and its notifications, as the blocking store
        writes them."""
        complaint, expected = s.complaint, s.expected_version
        row = sql._row(POSTGRES, complaint)
        if expected == 0:
            cur = await conn.execute(_q(sql._INSERT + " ON CONFLICT (id) DO NOTHING"), row)
        else:
            cur = await conn.execute(_q(sql._UPDATE), {**row, "expected": expected})
        if cur.rowcount != 1:
            found = await (await conn.execute(_q(sql._VERSION_OF), (complaint.id,))).fetchone()
            raise sql._conflict(complaint.id, found, expected)
        if expected == 0:
            await self._insert_keys(conn, complaint)
        await self._insert(conn, "events", sql._EVENT_COLUMNS, sql._event_rows(s.events))
        rows = sql._notification_rows(POSTGRES, s.notifications)
        await self._insert(conn, "notifications", sql._NOTIFICATION_COLUMNS, rows)

    @staticmethod
    async def _insert_keys(conn: Any, c: Complaint) -> None:
        await conn.cursor().executemany(_q(sql._KEYS), sql._key_rows(c))

    @staticmethod
    async def _insert(conn: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            await conn.cursor().executemany(_q(sql._insert(table, columns, len(rows[0]))), rows)

    async def events(self, complaint_id: str) -> list[Event]:
        rows = await self._rows(sql._EVENTS, (complaint_id,))
        return [Event.model_validate_json(r[0]) for r in rows]

    async def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        async with self._tx() as conn:
            rows = await (await conn.execute(_q(sql._DUE), (_t(before), limit))).fetchall()
        return sql._docs(rows)

    async def find(self, **filters: Any) -> list[Complaint]:
        """As :meth:`Store.find <complaintflow.stores.Store.find>`."""
        return sql._docs(await self._rows(*sql._find_sql(filters)))

    # -- the screens' look-ups ----------------------------------------------------------

    async def count_from(self, complainant: str, *, since: datetime, until: datetime) -> int:
        """As :meth:`Store.count_from <complaintflow.stores.Store.count_from>`."""
        rows = await self._rows(sql._COUNT, sql._window(POSTGRES, complainant, since, until))
        return int(rows[0][0])

    async def recent_from(
        self, complainant: str, *, since: datetime, until: datetime, limit: int = 100
    ) -> list[Complaint]:
        """As :meth:`Store.recent_from <complaintflow.stores.Store.recent_from>`."""
        params = sql._window(POSTGRES, complainant, since, until)
        return await self._complaints(reversed(await self._rows(sql._RECENT, [*params, limit])))

    async def find_like(
        self, complaint: Complaint, *, same_order: bool = True, limit: int = 20
    ) -> list[Complaint]:
        """As :meth:`Store.find_like <complaintflow.stores.Store.find_like>`."""
        return await self._complaints(
            await self._rows(*sql._like_sql(complaint, same_order, limit))
        )

    async def _complaints(self, found: Iterable[Sequence[Any]]) -> list[Complaint]:
        ids, got = sql._cached(self._cache, found)
        template, missing = sql._missing_sql(got)
        rows = await self._rows(template, missing) if missing else []
        return sql._in_order(self._cache, ids, got, rows)

    # -- the outbox ---------------------------------------------------------------------

    async def notifications(self, complaint_id: str | None = None) -> list[Notification]:
        """Every notification (of one complaint), delivered or not."""
        return sql._notes(await self._rows(*sql._notifications_sql(complaint_id)))

    async def pending_notifications(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> list[Notification]:
        return sql._notes(await self._rows(*sql._pending_sql(POSTGRES, now, limit)))

    async def claim_notifications(
        self, *, now: datetime, limit: int = 100, lease: timedelta = DEFAULT_LEASE
    ) -> list[Notification]:
        until = now.astimezone(UTC) + lease
        async with self._tx() as conn:
            docs = await (await conn.execute(_q(sql._CLAIM), (_t(now), limit))).fetchall()
            out = sql._leased(docs, until)
            if out:
                await conn.cursor().executemany(_q(sql._LEASE), sql._lease_rows(POSTGRES, out))
        return out

    async def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        async with self._tx() as conn:
            n = await self._get(conn, notification_id)
            if n.status == "delivered":
                return False
            await self._update_notification(conn, delivered(n, at))
            return True

    async def mark_failed(
        self, notification_id: str, *, error: str, next_attempt_at: datetime
    ) -> None:
        async with self._tx() as conn:
            n = await self._get(conn, notification_id)
            await self._update_notification(conn, failed(n, error, next_attempt_at))

    async def dead_letter(self, *, max_attempts: int, limit: int = 100) -> list[Notification]:
        """Mark pending notifications with ``max_attempts`` failed attempts or
        more ``dead`` (rows another worker holds are skipped); returns them."""
        async with self._tx() as conn:
            rows = await (await conn.execute(_q(sql._DEAD_DUE), (max_attempts, limit))).fetchall()
            out = [dead(n) for n in sql._notes(rows)]
            for n in out:
                await self._update_notification(conn, n)
        return out

    async def dead_notifications(self, *, limit: int = 100) -> list[Notification]:
        """Dead-lettered notifications, oldest first."""
        return sql._notes(await self._rows(sql._DEAD, (limit,)))

    @staticmethod
    async def _get(conn: Any, notification_id: str) -> Notification:
        cur = await conn.execute(_q(sql._NOTIFICATION), (notification_id,))
        return sql._notification_of(notification_id, await cur.fetchone())

    @staticmethod
    async def _update_notification(conn: Any, n: Notification) -> None:
        await conn.execute(_q(sql._NOTIFICATION_UPDATE), sql._notification_update(POSTGRES, n))
