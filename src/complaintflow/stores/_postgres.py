"""The PostgreSQL store, on psycopg 3 (``pip install 'complaintflow[postgres]'``).

The SQL store core's tables, queries and migrations
(:mod:`complaintflow.stores._sql`), with documents as JSONB and instants as
``timestamptz``; one transaction per ``save``; optimistic versions. Several
workers may share a database: the due query and the outbox claim use
``SELECT ... FOR UPDATE SKIP LOCKED``, so workers sweeping or delivering at
the same time take disjoint rows, and a version check lets only one of two
writers of a complaint win.

Connections come from a ``psycopg_pool`` pool (the store's own, or the
host's), or from a function that opens one. A connection found lost before
a transaction commits is replaced and the transaction run again; one lost
while committing leaves the outcome unknown, and the store says so with a
:class:`~complaintflow.errors.StoreError`: the command can be retried
(optimistic versions refuse it if it had been applied).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, TypeVar

from complaintflow.errors import ConcurrencyError, InvalidInput, StoreError
from complaintflow.models import Complaint, Event, Notification
from complaintflow.stores._base import check_seqs
from complaintflow.stores._pgwrite import LANDED, SAVE, SAVE_NEW, landed, save_params
from complaintflow.stores._sql import _VERSION_OF, SCHEMA_VERSION, Dialect, SQLStore, _conflict
from complaintflow.stores._vault import VaultEntry, put_sql

if TYPE_CHECKING:
    import psycopg

_T = TypeVar("_T")
Conn = Any
"""A psycopg connection (typed loosely: psycopg is an optional dependency)."""

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStore"]


def _same(dt: datetime) -> datetime:
    return dt


POSTGRES: Final = Dialect(
    positional="%s",
    fields={
        "doc": "doc::text",
        "json": "::jsonb",
        "lock": " FOR UPDATE",
        "skip": " FOR UPDATE SKIP LOCKED",
        "attempts": "(doc->>'attempts')::int",
        "sla": "(doc->'sla')::text",
        "text": "text",
        "int": "integer",
        "bool": "boolean",
        "document": "jsonb",
        "time": "timestamptz",
        "serial": "bigserial",
        "without_rowid": "",
    },
    time=_same,
    encode=True,
)

MIGRATIONS: Final = POSTGRES.migrations
"""Forward migrations: ``MIGRATIONS[i]`` takes a schema from version ``i``
to ``i + 1``."""

_LOCK_KEY: Final = 0x0C0F_F10E
"""The advisory lock that serializes migrations of concurrent openers."""

_COPY_FROM: Final = 8
"""From this many rows on, an insert is a ``COPY``."""

_PUT_AT_ONCE: Final = 4
"""Up to this many vault entries are added by one statement (a complaint's
parties: one statement text per count, each prepared once)."""


def _psycopg() -> ModuleType:
    try:
        import psycopg
        import psycopg_pool  # noqa: F401
    except ImportError as e:
        raise StoreError(
            "PostgresStore needs psycopg 3: pip install 'complaintflow[postgres]'"
        ) from e
    return psycopg


def _cursor(conn: Conn) -> Any:
    """The connection's cursor for the store's statements, kept on it: one
    thread uses a borrowed connection at a time, and a cursor made once
    spares each statement making its own."""
    cur = conn.__dict__.get("_complaintflow_cursor")
    if cur is None or cur.closed:
        cur = conn.__dict__["_complaintflow_cursor"] = conn.cursor()
    return cur


class _Single:
    """A pool of one connection, opened by the host's function and opened
    again when lost; one borrower at a time."""

    def __init__(self, connect: Callable[[], Conn]) -> None:
        self._connect = connect
        self._conn: Conn | None = None
        self._lock = threading.Lock()

    def getconn(self) -> Conn:
        self._lock.acquire()
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
        except BaseException:
            self._lock.release()
            raise
        return self._conn

    def putconn(self, conn: Conn) -> None:
        if conn.broken or conn.closed:
            self._conn = None
        self._lock.release()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class PostgresStore(SQLStore):
    """Keeps complaints in a PostgreSQL database.

    :param dsn: a libpq connection string or URI: the store opens a pool of
        its own (``psycopg_pool.ConnectionPool``, up to ``max_size``
        connections, closed by :meth:`close`).
    :param pool: instead, the host's ``psycopg_pool.ConnectionPool``: the
        store borrows connections and sets their ``search_path`` each time;
        it never closes the pool.
    :param connect: instead, a function that opens a psycopg connection:
        the store keeps one, shared by its threads, and opens another when
        it is lost.
    :param schema: the schema holding the tables, created when missing; one
        database may hold several stores under different schemas.
    :param connect_timeout: seconds to wait for the server (and for a free
        connection of the store's own pool).
    :param max_size: the most connections the store's own pool opens (as
        many as the threads that use the store at once).
    :param min_size: the connections the store's own pool opens at once and
        keeps open.
    :param retries: how many times a transaction whose connection was lost
        before it committed is run again on another connection.

    Give exactly one of ``dsn``, ``pool`` and ``connect``. The store is safe
    to share between the threads of a threaded web host.
    """

    dialect = POSTGRES
    _name = "PostgreSQL store"

    def __init__(
        self,
        dsn: str | None = None,
        *,
        pool: Any = None,
        connect: Callable[[], Conn] | None = None,
        schema: str = "complaintflow",
        connect_timeout: float = 10.0,
        max_size: int = 8,
        min_size: int = 1,
        retries: int = 2,
    ) -> None:
        given = [name for name, v in (("dsn", dsn), ("pool", pool), ("connect", connect)) if v]
        if len(given) != 1:
            raise InvalidInput(
                f"PostgresStore: give exactly one of dsn, pool and connect, not {given or 'none'}"
            )
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise InvalidInput(f"max_size: a whole number of connections >= 1, not {max_size!r}")
        if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 1:
            raise InvalidInput(f"min_size: a whole number of connections >= 1, not {min_size!r}")
        if min_size > max_size:
            raise InvalidInput(f"min_size: at most max_size ({max_size}), not {min_size}")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidInput(f"retries: a whole number >= 0, not {retries!r}")
        self._pg = _psycopg()
        super().__init__()
        self._driver_error = self._pg.Error
        self.schema = schema
        self._what = f"schema {schema!r}"
        self._retries = retries
        self._admin: Conn | None = None
        self._staged = threading.local()  # vault entries for a thread's next new save
        self._own = pool is None
        self._set_path = pool is not None or connect is not None
        if pool is not None:
            self._pool: Any = pool
        elif connect is not None:
            self._pool = _Single(connect)
        else:
            self._pool = self._open_pool(str(dsn), connect_timeout, (min_size, max_size))
        self._start()

    def _open_pool(self, dsn: str, timeout: float, sizes: tuple[int, int]) -> Any:
        from psycopg_pool import ConnectionPool, PoolTimeout

        pool = ConnectionPool(
            dsn,
            min_size=sizes[0],
            max_size=sizes[1],
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
            configure=self._configure_connection,
            timeout=timeout,
            open=False,
        )
        try:
            pool.open(wait=True, timeout=timeout)
        except PoolTimeout as e:
            pool.close()
            raise StoreError(f"cannot connect to PostgreSQL within {timeout:g} s: {e}") from e
        return pool

    def _configure_connection(self, conn: Conn) -> None:
        conn.execute(self._search_path())

    def __repr__(self) -> str:
        return f"PostgresStore(schema={self.schema!r})"

    def close(self) -> None:
        """Return the administration connection and close the store's own
        pool (a host's pool stays open); the store is unusable afterwards."""
        with self._lock:
            if self._admin is not None:
                admin, self._admin = self._admin, None
                if isinstance(self._pool, _Single):
                    admin.close()
                else:
                    self._pool.putconn(admin)
            if self._own:
                self._pool.close()

    @property
    def connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        """A connection of the store's own, on its schema, for bulk imports
        and administration; kept until :meth:`close`."""
        with self._lock:
            if self._admin is None:
                if isinstance(self._pool, _Single):
                    self._admin = self._pool._connect()
                else:
                    self._admin = self._pool.getconn()
                self._admin.execute(self._search_path())
            return self._admin  # type: ignore[no-any-return]

    def _search_path(self) -> Any:
        sql = self._pg.sql
        return sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema))

    def _prepare_migration(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        ident = self._pg.sql.Identifier(self.schema)
        conn.execute(self._pg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
        conn.execute(self._search_path())

    # -- saves --------------------------------------------------------------------

    def save(
        self,
        complaint: Complaint,
        *,
        expected_version: int,
        events: Sequence[Event],
        notifications: Sequence[Notification] = (),
    ) -> None:
        """One statement (:mod:`~complaintflow.stores._pgwrite`), its own
        transaction: when the connection is lost while it runs, the store
        reads the row back on another connection and runs it again only if
        it did not commit."""
        check_seqs(expected_version, events)
        q = self.dialect.q
        statement = q(SAVE_NEW if expected_version == 0 else SAVE)
        vault = self._staged_for(complaint.id) if expected_version == 0 else ()
        params = save_params(
            self.dialect, complaint, expected_version, events, notifications, vault
        )

        def work(conn: Any) -> None:
            if _cursor(conn).execute(statement, params).fetchone()[0] != 1:
                found = conn.execute(q(_VERSION_OF), (complaint.id,)).fetchone()
                raise _conflict(complaint.id, found, expected_version)

        def check(conn: Any) -> bool:
            row = conn.execute(q(LANDED), (params["doc"], complaint.id)).fetchone()
            return landed(row, complaint, expected_version)

        self._attempt(work, tx=False, landed=check)
        self._cache.put(complaint)

    def stage_vault(self, complaint_id: str, entries: Sequence[VaultEntry]) -> None:
        """Have the next :meth:`save` of the new complaint ``complaint_id``,
        in this thread, write ``entries`` in its own statement (one commit
        for the complaint and its personal data; nothing of either when the
        save fails). Empty ``entries`` unstage."""
        self._staged.entries = (complaint_id, tuple(entries))

    def _staged_for(self, complaint_id: str) -> Sequence[VaultEntry]:
        staged: tuple[str, tuple[VaultEntry, ...]] | None = getattr(self._staged, "entries", None)
        return staged[1] if staged is not None and staged[0] == complaint_id else ()

    def vault_put(self, entries: Sequence[VaultEntry]) -> None:
        """Add vault entries; an entry that exists already is kept as it is.
        A complaint's few entries go as one statement, its own transaction
        (run again, when the connection is lost, without harm: an entry
        written already is kept)."""
        if not entries or len(entries) > _PUT_AT_ONCE:
            super().vault_put(entries)
            return
        sql = self.dialect.q(put_sql(len(entries)))
        params = [value for e in entries for value in e]
        self._attempt(lambda conn: _cursor(conn).execute(sql, params), tx=False)

    # -- connections, transactions, retries -----------------------------------------

    def _run(self, work: Callable[[Any], _T]) -> _T:
        return self._attempt(work, tx=True)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        q = self.dialect.q(sql)
        return self._attempt(lambda conn: _cursor(conn).execute(q, params).fetchall(), tx=False)

    def _attempt(
        self,
        work: Callable[[Any], _T],
        *,
        tx: bool,
        landed: Callable[[Any], bool] | None = None,
    ) -> _T:
        """``work(conn)`` on a borrowed connection, in a transaction (always
        when ``tx``, else when the connection does not autocommit), run
        again on another connection when the first is lost before the
        commit; a unique-key violation is a :class:`ConcurrencyError`.

        ``landed(conn)``, when given, tells whether a write whose outcome
        the lost connection left unknown (lost while committing, or while
        running ``work`` in autocommit) did commit: if so nothing is run
        again (the result is ``None``); without it, such a loss is a
        :class:`StoreError` asking to reload and retry."""
        unsure = False
        for attempt in range(self._retries + 1):
            conn = self._borrow()
            committing = False
            try:
                self._on_path(conn)
                if unsure and landed is not None and landed(conn):
                    return None  # type: ignore[return-value]
                if not tx and conn.autocommit:
                    committing = landed is not None
                    return work(conn)
                with conn.transaction():
                    result = work(conn)
                    committing = True
                return result
            except self._pg.errors.UniqueViolation as e:
                raise ConcurrencyError(f"{self._name}: {e}") from None
            except self._pg.Error as e:
                unsure = unsure or committing
                last = attempt == self._retries
                self._lost(conn, e, attempt, unsure and (landed is None or last))
            finally:
                self._pool.putconn(conn)
        raise AssertionError("unreachable")  # pragma: no cover

    def _borrow(self) -> Any:
        try:
            return self._pool.getconn()
        except self._pg.Error as e:
            raise StoreError(f"{self._name}: cannot connect: {e}") from e
        except Exception as e:  # the pool's own errors: a timeout
            raise StoreError(f"{self._name}: no connection: {e}") from e

    def _on_path(self, conn: Any) -> None:
        """Set a borrowed connection's ``search_path`` to the store's schema
        (the store's own pool sets it once per connection)."""
        if self._set_path:
            conn.execute(self._search_path())
            if not conn.autocommit:
                conn.commit()  # the SET, before the transaction proper

    def _lost(self, conn: Any, e: Exception, attempt: int, unknown: bool) -> None:
        """Raise the :class:`StoreError` of a failed attempt, unless its
        connection was lost and another attempt may follow."""
        if not (conn.broken or conn.closed):
            raise StoreError(f"{self._name}: {e}") from e
        if unknown:
            raise StoreError(
                f"{self._name}: the connection was lost while committing, so the "
                "change may or may not be saved: reload and try again"
            ) from e
        if attempt == self._retries:
            raise StoreError(
                f"{self._name}: the connection was lost {attempt + 1} times: try again"
            ) from e

    def _insert_rows(
        self, conn: Any, table: str, columns: str, rows: list[tuple[Any, ...]]
    ) -> None:
        if len(rows) < _COPY_FROM:
            super()._insert_rows(conn, table, columns, rows)
            return
        with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN".encode()) as copy:
            for row in rows:
                copy.write_row(row)
