"""The SQLite store: the embedded default, on the standard library's ``sqlite3``.

One file, WAL journal, foreign keys on; each ``save`` is one ``BEGIN
IMMEDIATE`` transaction holding the complaint row, its new events and its new
notifications. Tables, queries and migrations are the SQL store core's
(:mod:`complaintflow.stores._sql`); instants are kept as integer
microseconds since the epoch. The schema carries a version; opening a
database applies the forward migrations it lacks and refuses one made by a
newer library.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final, Literal

from complaintflow.errors import ConcurrencyError, InvalidInput, StoreError
from complaintflow.stores._index import micros
from complaintflow.stores._sql import SCHEMA_VERSION, Dialect, SQLStore

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SQLiteStore"]

SQLITE: Final = Dialect(
    positional="?",
    fields={
        "doc": "doc",
        "json": "",
        "lock": "",  # BEGIN IMMEDIATE holds the whole database
        "skip": "",
        "attempts": "json_extract(doc, '$.attempts')",
        "sla": "json_extract(doc, '$.sla')",
        "text": "TEXT",
        "int": "INTEGER",
        "bool": "INTEGER",
        "document": "TEXT",
        "time": "INTEGER",  # microseconds since the epoch
        "serial": "INTEGER",  # the rowid: increasing
        "without_rowid": " WITHOUT ROWID",
    },
    time=micros,
)

MIGRATIONS: Final = SQLITE.migrations
"""Forward migrations: ``MIGRATIONS[i]`` takes a database from version ``i``
to ``i + 1``."""


_DAY: Final = 86_400


def _check_args(path: object, timeout: object) -> None:
    """The path is a text or a path-like object, the timeout a number of
    seconds from 0 to a day (else InvalidInput naming it)."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(os.fspath(path), bytes):
        raise InvalidInput.field("path", f"must be a file path, not {type(path).__name__}")
    if not os.fspath(path).strip():
        # SQLite would open a temporary database that no other process sees
        raise InvalidInput.field(
            "path", 'must be a file path, not empty (":memory:" is a temporary one)'
        )
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise InvalidInput.field("timeout", f"must be a number, not {type(timeout).__name__}")
    if not 0 <= timeout <= _DAY:
        raise InvalidInput.field("timeout", f"must be from 0 to {_DAY} seconds")


class SQLiteStore(SQLStore):
    """Keeps complaints in one SQLite file (``":memory:"`` for a private,
    temporary one).

    :param path: the database file; created with the current schema when new.
    :param synchronous: ``"FULL"`` (the default) makes every committed command
        survive a power loss; ``"NORMAL"`` in WAL mode survives a crash of
        the process but may lose the last commits on a power loss, for
        speed.
    :param timeout: seconds to wait for another process's write lock before
        :class:`~complaintflow.errors.StoreError`.

    Each store object holds one connection, shared by its threads behind a
    lock; open one store per process (several processes may share a file).
    """

    dialect = SQLITE
    _driver_error = sqlite3.Error

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        timeout: float = 30.0,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise StoreError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        _check_args(path, timeout)
        super().__init__()
        self.path = os.fspath(path)
        self._name = f"SQLite store {self.path!r}"
        self._what = f"database {self.path!r}"
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, ValueError) as e:  # ValueError: a NUL in the path
            raise StoreError(f"cannot open SQLite database {self.path!r}: {e}") from e
        self._timeout, self._synchronous = timeout, synchronous
        try:
            self._start()
        except sqlite3.Error as e:  # a read-only file or folder, a corrupt file
            raise StoreError(f"cannot open SQLite database {self.path!r}: {e}") from e

    def _configure(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute(f"PRAGMA synchronous = {self._synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
        # deleted content (an erased person's vault entries) is overwritten
        # with zeros, not left in free pages (docs/privacy.md)
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA cache_size = -32768")  # 32 MiB of pages
        # checkpoint the WAL every ~16 MiB instead of ~4 MiB: fewer fsyncs
        # of the database file, same durability (commits sync the WAL)
        conn.execute("PRAGMA wal_autocheckpoint = 4000")

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def _after_erase(self) -> None:
        """Copy the erasure into the database file and empty the WAL, so that
        no frame of it still holds the deleted entries."""
        self._rows("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding the database's write lock from the
        start (``BEGIN IMMEDIATE``): committed on success, rolled back on any
        error; a constraint violation surfaces as :class:`ConcurrencyError`,
        SQLite's other errors as :class:`StoreError`."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise StoreError(f"{self._name}: {e}") from e
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as e:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(e, sqlite3.IntegrityError):
                    raise ConcurrencyError(f"{self._name}: {e}") from None
                if isinstance(e, sqlite3.Error):
                    raise StoreError(f"{self._name}: {e}") from e
                raise

    def _locked_rows(self, sql: str, params: Sequence[Any]) -> list[Any]:
        # a plain read: WAL readers see the last commit and block no writer
        return self._rows(sql, params)
