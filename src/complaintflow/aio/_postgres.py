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
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from complaintflow._status import Status
from complaintflow.errors import ConcurrencyError, InvalidInput, NotFound, StoreError
from complaintflow.models import Complaint, Event, Notification
from complaintflow.stores import DEFAULT_LEASE, Save
from complaintflow.stores._base import ParsedCache, dead, delivered, failed, status_filter
from complaintflow.stores._index import needs_triage
from complaintflow.stores._postgres import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool

__all__ = ["AsyncPostgresStore"]

_LOCK_KEY: Final = 0x0C0F_F10E
"""The advisory lock that serializes migrations (the blocking store's key)."""

_INSERT: Final = (
    b"INSERT INTO complaints (id, version, status, is_open, complainant, respondent, "
    b"category, handler, received_at, next_check, needs_triage, doc) "
    b"VALUES (%(id)s, %(version)s, %(status)s, %(is_open)s, "
    b"%(complainant)s, %(respondent)s, %(category)s, %(handler)s, %(received_at)s, "
    b"%(next_check)s, %(needs_triage)s, %(doc)s::jsonb)"
)
_UPDATE: Final = (
    b"UPDATE complaints SET version = %(version)s, status = %(status)s, "
    b"is_open = %(is_open)s, category = %(category)s, handler = %(handler)s, "
    b"next_check = %(next_check)s, needs_triage = %(needs_triage)s, doc = %(doc)s::jsonb "
    b"WHERE id = %(id)s AND version = %(expected)s"
)
_CLAIM: Final = (
    b"WITH claimed AS ("
    b" SELECT n FROM notifications WHERE status = 'pending'"
    b" AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)"
    b" ORDER BY n LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
    b" UPDATE notifications t SET next_attempt_at = %(until)s,"
    b" doc = jsonb_set(t.doc, '{next_attempt_at}', to_jsonb(%(iso)s::text))"
    b" FROM claimed WHERE t.n = claimed.n RETURNING t.n, t.doc::text"
)


def _check_seqs(expected_version: int, events: Sequence[Event]) -> None:
    for i, event in enumerate(events, start=expected_version + 1):
        if event.seq != i:
            raise ConcurrencyError(f"event seq {event.seq} does not follow {i - 1}")


def _params(c: Complaint) -> dict[str, Any]:
    return {
        "id": c.id,
        "version": c.version,
        "status": c.status.value,
        "is_open": c.is_open,
        "complainant": c.complainant.id,
        "respondent": None if c.respondent is None else c.respondent.id,
        "category": c.category,
        "handler": c.handler,
        "received_at": c.received_at,
        "next_check": None if c.sla is None else c.sla.next_check,
        "needs_triage": needs_triage(c),
        "doc": c.model_dump_json(),
    }


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


class AsyncPostgresStore:
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
        async with self._tx() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            ident = self._pg.sql.Identifier(self.schema)
            await conn.execute(self._pg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
            await conn.execute(self._pg.sql.SQL("SET LOCAL search_path TO {}").format(ident))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"
            )
            row = await (await conn.execute("SELECT version FROM schema_version")).fetchone()
            if row is None:
                await conn.execute("INSERT INTO schema_version VALUES (0)")
            current = 0 if row is None else int(row[0])
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"schema {self.schema!r} has version {current}, newer than this "
                    f"complaintflow writes ({SCHEMA_VERSION}): upgrade complaintflow"
                )
            for version in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[version]:
                    await conn.execute(statement.encode())
            if current != SCHEMA_VERSION:
                await conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION,))

    @property
    async def schema_version(self) -> int:
        """The schema version of the open database (await it)."""
        return int((await self._rows("SELECT version FROM schema_version"))[0][0])

    # -- transactions ---------------------------------------------------------------

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[Any]:
        """One transaction on a pooled connection; the driver's errors
        surface as :class:`StoreError` (a unique violation as a conflict)."""
        try:
            async with self._pool.connection() as conn, conn.transaction():
                yield conn
        except self._pg.errors.UniqueViolation as e:
            raise ConcurrencyError(f"PostgreSQL store: {e}") from None
        except self._pg.Error as e:
            raise StoreError(f"PostgreSQL store: {e}") from e

    async def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        try:
            async with self._pool.connection() as conn:
                cur = await conn.execute(sql.encode(), params)
                return list(await cur.fetchall())
        except self._pg.Error as e:
            raise StoreError(f"PostgreSQL store: {e}") from e

    # -- complaints -------------------------------------------------------------------

    async def load(self, complaint_id: str) -> Complaint | None:
        rows = await self._rows(
            "SELECT version, doc::text FROM complaints WHERE id = %s", (complaint_id,)
        )
        if not rows:
            return None
        version, doc = rows[0]
        return self._cache.parse(complaint_id, version, doc)

    async def save(
        self,
        complaint: Complaint,
        *,
        expected_version: int,
        events: Sequence[Event],
        notifications: Sequence[Notification] = (),
    ) -> None:
        _check_seqs(expected_version, events)
        async with self._tx() as conn:
            await self._write(conn, complaint, expected_version, events, notifications)
        self._cache.put(complaint)

    async def save_many(self, saves: Sequence[Save]) -> list[bool]:
        """One transaction: the rows are locked and their versions checked
        first; each complaint is then written under a savepoint, so a
        conflict skips that complaint only."""
        ok: list[bool] = []
        for s in saves:
            try:
                _check_seqs(s.expected_version, s.events)
                ok.append(True)
            except ConcurrencyError:
                ok.append(False)
        async with self._tx() as conn:
            cur = await conn.execute(
                b"SELECT id, version FROM complaints WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                ([s.complaint.id for s in saves],),
            )
            found = dict(await cur.fetchall())
            seen: set[str] = set()
            for i, s in enumerate(saves):
                cid = s.complaint.id
                if found.get(cid, 0) != s.expected_version or cid in seen:
                    ok[i] = False
                seen.add(cid)
                if not ok[i]:
                    continue
                try:
                    async with conn.transaction():
                        await self._write(
                            conn, s.complaint, s.expected_version, s.events, s.notifications
                        )
                except (ConcurrencyError, self._pg.errors.UniqueViolation):
                    ok[i] = False
        for s, yes in zip(saves, ok, strict=True):
            if yes:
                self._cache.put(s.complaint)
        return ok

    async def _write(
        self,
        conn: Any,
        complaint: Complaint,
        expected: int,
        events: Sequence[Event],
        notes: Sequence[Notification],
    ) -> None:
        row = _params(complaint)
        if expected == 0:
            cur = await conn.execute(_INSERT + b" ON CONFLICT (id) DO NOTHING", row)
        else:
            cur = await conn.execute(_UPDATE, {**row, "expected": expected})
        if cur.rowcount != 1:
            cur = await conn.execute(b"SELECT version FROM complaints WHERE id = %s", (row["id"],))
            found = await cur.fetchone()
            version = 0 if found is None else found[0]
            raise ConcurrencyError(
                f"complaint {row['id']!r} is at version {version}, not {expected}: "
                "reload and try again"
            )
        if events:
            await conn.cursor().executemany(
                b"INSERT INTO events VALUES (%s, %s, %s::jsonb)",
                [(e.complaint_id, e.seq, e.model_dump_json()) for e in events],
            )
        if notes:
            await conn.cursor().executemany(
                b"INSERT INTO notifications (id, complaint_id, status, next_attempt_at, doc) "
                b"VALUES (%s, %s, %s, %s, %s::jsonb)",
                [
                    (n.id, n.complaint_id, n.status, n.next_attempt_at, n.model_dump_json())
                    for n in notes
                ],
            )

    async def events(self, complaint_id: str) -> list[Event]:
        rows = await self._rows(
            "SELECT doc::text FROM events WHERE complaint_id = %s ORDER BY seq", (complaint_id,)
        )
        return [Event.model_validate_json(r[0]) for r in rows]

    async def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        async with self._tx() as conn:
            cur = await conn.execute(
                b"SELECT doc::text FROM complaints WHERE next_check <= %s "
                b"ORDER BY next_check LIMIT %s FOR UPDATE SKIP LOCKED",
                (before, limit),
            )
            rows = await cur.fetchall()
        return [Complaint.model_validate_json(r[0]) for r in rows]

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
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("complainant", complainant),
            ("respondent", respondent),
            ("category", category),
            ("handler", handler),
            ("needs_triage", needs_triage),
        ):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        if open_only:
            clauses.append("is_open")
        statuses = status_filter(status)
        if statuses is not None:
            clauses.append("status = ANY(%s)")
            params.append(sorted(statuses))
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = await self._rows(
            f"SELECT doc::text FROM complaints{where} ORDER BY received_at, id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [Complaint.model_validate_json(r[0]) for r in rows]

    # -- the outbox ---------------------------------------------------------------------

    async def notifications(self, complaint_id: str | None = None) -> list[Notification]:
        """Every notification (of one complaint), delivered or not."""
        if complaint_id is None:
            rows = await self._rows("SELECT doc::text FROM notifications ORDER BY n")
        else:
            rows = await self._rows(
                "SELECT doc::text FROM notifications WHERE complaint_id = %s ORDER BY n",
                (complaint_id,),
            )
        return [Notification.model_validate_json(r[0]) for r in rows]

    async def pending_notifications(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> list[Notification]:
        rows = await self._rows(
            "SELECT doc::text FROM notifications WHERE status = 'pending' "
            "AND (%(now)s::timestamptz IS NULL OR next_attempt_at IS NULL "
            "OR next_attempt_at <= %(now)s) ORDER BY n LIMIT %(limit)s",
            {"now": now, "limit": limit},
        )
        return [Notification.model_validate_json(r[0]) for r in rows]

    async def claim_notifications(
        self, *, now: datetime, limit: int = 100, lease: timedelta = DEFAULT_LEASE
    ) -> list[Notification]:
        until = now.astimezone(UTC) + lease
        async with self._tx() as conn:
            cur = await conn.execute(
                _CLAIM, {"now": now, "limit": limit, "until": until, "iso": until.isoformat()}
            )
            rows = await cur.fetchall()
        return [Notification.model_validate_json(doc) for _, doc in sorted(rows)]

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
        out: list[Notification] = []
        async with self._tx() as conn:
            cur = await conn.execute(
                b"SELECT doc::text FROM notifications WHERE status = 'pending'"
                b" AND (doc->>'attempts')::int >= %s ORDER BY n LIMIT %s FOR UPDATE SKIP LOCKED",
                (max_attempts, limit),
            )
            for (doc,) in await cur.fetchall():
                n = dead(Notification.model_validate_json(doc))
                await self._update_notification(conn, n)
                out.append(n)
        return out

    async def dead_notifications(self, *, limit: int = 100) -> list[Notification]:
        """Dead-lettered notifications, oldest first."""
        rows = await self._rows(
            "SELECT doc::text FROM notifications WHERE status = 'dead' ORDER BY n LIMIT %s",
            (limit,),
        )
        return [Notification.model_validate_json(r[0]) for r in rows]

    @staticmethod
    async def _get(conn: Any, notification_id: str) -> Notification:
        cur = await conn.execute(
            b"SELECT doc::text FROM notifications WHERE id = %s FOR UPDATE", (notification_id,)
        )
        row = await cur.fetchone()
        if row is None:
            raise NotFound(f"no notification {notification_id!r}")
        return Notification.model_validate_json(row[0])

    @staticmethod
    async def _update_notification(conn: Any, n: Notification) -> None:
        await conn.execute(
            b"UPDATE notifications SET status = %s, next_attempt_at = %s, doc = %s::jsonb "
            b"WHERE id = %s",
            (n.status, n.next_attempt_at, n.model_dump_json(), n.id),
        )
