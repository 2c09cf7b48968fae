"""The PostgreSQL store, on psycopg 3 (``pip install 'complaintflow[postgres]'``).

The SQL store core's tables, queries and migrations
(:mod:`complaintflow.stores._sql`), with documents as JSONB and instants as
``timestamptz``; one transaction per ``save``; optimistic versions. Several
workers may share a database: the due query and the outbox claim use
``SELECT ... FOR UPDATE SKIP LOCKED``, so workers sweeping or delivering at
the same time take disjoint rows, and a version check lets only one of two
writers of a complaint win.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

from complaintflow.errors import ConcurrencyError, StoreError
from complaintflow.stores._sql import SCHEMA_VERSION, Dialect, SQLStore

if TYPE_CHECKING:
    import psycopg

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


def _psycopg() -> ModuleType:
    try:
        import psycopg
    except ImportError as e:
        raise StoreError(
            "PostgresStore needs psycopg 3: pip install 'complaintflow[postgres]'"
        ) from e
    return psycopg


class PostgresStore(SQLStore):
    """Keeps complaints in a PostgreSQL database.

    :param dsn: a libpq connection string or URI.
    :param schema: the schema holding the tables, created when missing; one
        database may hold several stores under different schemas.
    :param connect_timeout: seconds to wait for the server.

    Each store object holds one connection, shared by its threads behind a
    lock; open one store per process.
    """

    dialect = POSTGRES
    _name = "PostgreSQL store"

    def __init__(
        self, dsn: str, *, schema: str = "complaintflow", connect_timeout: float = 10.0
    ) -> None:
        self._pg = _psycopg()
        super().__init__()
        self._driver_error = self._pg.Error
        self.schema = schema
        self._what = f"schema {schema!r}"
        try:
            self._conn: psycopg.Connection[tuple[Any, ...]] = self._pg.connect(
                dsn, autocommit=True, connect_timeout=max(1, int(connect_timeout))
            )
        except self._pg.Error as e:
            raise StoreError(f"cannot connect to PostgreSQL: {e}") from e
        self._start()

    def __repr__(self) -> str:
        return f"PostgresStore(schema={self.schema!r})"

    @property
    def connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        """The store's connection, for bulk imports and administration."""
        return self._conn

    def _search_path(self) -> Any:
        sql = self._pg.sql
        return sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema))

    def _prepare_migration(self, conn: Any) -> None:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        ident = self._pg.sql.Identifier(self.schema)
        conn.execute(self._pg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
        conn.execute(self._search_path())

    def _after_migration(self) -> None:
        # SET inside the transaction lasts for the session once committed
        self._conn.execute(self._search_path())

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """One transaction: committed on success, rolled back on any error;
        a unique-key violation surfaces as :class:`ConcurrencyError`, the
        driver's other errors as :class:`StoreError`."""
        with self._lock:
            try:
                with self._conn.transaction():
                    yield self._conn
            except self._pg.errors.UniqueViolation as e:
                raise ConcurrencyError(f"{self._name}: {e}") from None
            except self._pg.Error as e:
                raise StoreError(f"{self._name}: {e}") from e

    def _insert_rows(
        self, conn: Any, table: str, columns: str, rows: list[tuple[Any, ...]]
    ) -> None:
        if len(rows) < _COPY_FROM:
            super()._insert_rows(conn, table, columns, rows)
            return
        with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN".encode()) as copy:
            for row in rows:
                copy.write_row(row)
