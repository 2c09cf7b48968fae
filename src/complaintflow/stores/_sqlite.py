"""The SQLite store: the embedded default, on the standard library's ``sqlite3``.

One file, WAL journal, foreign keys on; each ``save`` is one ``BEGIN
IMMEDIATE`` transaction holding the complaint row, its new events and its new
notifications. Complaints, events and notifications are kept as the JSON of
their models, beside the columns the queries need (status, parties, the next
SLA check as integer microseconds since the epoch, ...). The schema carries a
version; opening a database applies the forward migrations it lacks and
refuses one made by a newer library.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from complaintflow._status import Status
from complaintflow.errors import ConcurrencyError, NotFound, StoreError
from complaintflow.models import Complaint, Event, Notification
from complaintflow.stores._base import (
    DEFAULT_LEASE,
    ParsedCache,
    Save,
    dead,
    delivered,
    failed,
    save_each,
    status_filter,
)

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SQLiteStore"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # 1: complaints, the audit trail, the outbox
    (
        """CREATE TABLE complaints (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            status TEXT NOT NULL,
            is_open INTEGER NOT NULL,
            complainant TEXT NOT NULL,
            respondent TEXT,
            category TEXT,
            handler TEXT,
            received_at INTEGER NOT NULL,
            next_check INTEGER,
            doc TEXT NOT NULL
        )""",
        """CREATE TABLE events (
            complaint_id TEXT NOT NULL REFERENCES complaints (id),
            seq INTEGER NOT NULL,
            doc TEXT NOT NULL,
            PRIMARY KEY (complaint_id, seq)
        ) WITHOUT ROWID""",
        """CREATE TABLE notifications (
            n INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            complaint_id TEXT NOT NULL REFERENCES complaints (id),
            status TEXT NOT NULL,
            next_attempt_at INTEGER,
            doc TEXT NOT NULL
        )""",
        "CREATE INDEX complaints_complainant ON complaints (complainant, received_at)",
        "CREATE INDEX complaints_respondent ON complaints (respondent, received_at)",
        "CREATE INDEX notifications_complaint ON notifications (complaint_id)",
    ),
    # 2: the queries of sweeps and delivery workers
    (
        "CREATE INDEX complaints_due ON complaints (next_check) WHERE next_check IS NOT NULL",
        "CREATE INDEX complaints_received ON complaints (received_at, id)",
        "CREATE INDEX notifications_pending ON notifications (n) WHERE status = 'pending'",
    ),
)
"""Forward migrations: ``MIGRATIONS[i]`` takes a database from version ``i``
to ``i + 1``."""

SCHEMA_VERSION: Final = len(MIGRATIONS)
"""The schema version this library writes."""


def _us(dt: datetime) -> int:
    return (dt - _EPOCH) // _US


def _n_params(n: Notification) -> tuple[Any, ...]:
    nxt = None if n.next_attempt_at is None else _us(n.next_attempt_at)
    return (n.id, n.complaint_id, n.status, nxt, n.model_dump_json())


def _c_params(c: Complaint) -> dict[str, Any]:
    nxt = None if c.sla is None or c.sla.next_check is None else _us(c.sla.next_check)
    return {
        "id": c.id,
        "version": c.version,
        "status": c.status.value,
        "is_open": int(c.is_open),
        "complainant": c.complainant.id,
        "respondent": None if c.respondent is None else c.respondent.id,
        "category": c.category,
        "handler": c.handler,
        "received_at": _us(c.received_at),
        "next_check": nxt,
        "doc": c.model_dump_json(),
    }


class SQLiteStore:
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

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        timeout: float = 30.0,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise StoreError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        self.path = os.fspath(path)
        self._lock = threading.RLock()
        self._cache = ParsedCache()
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as e:
            raise StoreError(f"cannot open SQLite database {self.path!r}: {e}") from e
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL").fetchone()
            self._conn.execute(f"PRAGMA synchronous = {synchronous}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA cache_size = -32768")  # 32 MiB of pages
            # checkpoint the WAL every ~16 MiB instead of ~4 MiB: fewer fsyncs
            # of the database file, same durability (commits sync the WAL)
            self._conn.execute("PRAGMA wal_autocheckpoint = 4000")
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    # -- lifecycle ------------------------------------------------------------

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        row = self._read("SELECT version FROM schema_version").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        with self._write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (0)")
                current = 0
            else:
                current = int(row[0])
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"database {self.path!r} has schema version {current}, newer than this "
                    f"complaintflow writes ({SCHEMA_VERSION}): upgrade complaintflow"
                )
            for version in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
            if current != SCHEMA_VERSION:
                conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    # -- transactions -----------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, holding the database's write lock from the
        start (``BEGIN IMMEDIATE``): committed on success, rolled back on any
        error; SQLite's own errors surface as :class:`StoreError`."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise StoreError(f"SQLite store {self.path!r}: {e}") from e
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as e:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(e, sqlite3.Error):
                    raise StoreError(f"SQLite store {self.path!r}: {e}") from e
                raise

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._conn.execute(sql, params)
            except sqlite3.Error as e:
                raise StoreError(f"SQLite store {self.path!r}: {e}") from e

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as e:
                raise StoreError(f"SQLite store {self.path!r}: {e}") from e

    # -- complaints -----------------------------------------------------------------

    def load(self, complaint_id: str) -> Complaint | None:
        rows = self._rows("SELECT version, doc FROM complaints WHERE id = ?", (complaint_id,))
        if not rows:
            return None
        version, doc = rows[0]
        return self._cache.parse(complaint_id, version, doc)

    def save(
        self,
        complaint: Complaint,
        *,
        expected_version: int,
        events: Sequence[Event],
        notifications: Sequence[Notification] = (),
    ) -> None:
        _check_seqs(expected_version, events)
        row = _c_params(complaint)
        with self._write() as conn:
            self._write_complaint(conn, row, expected_version)
            self._write_events(conn, events)
            self._write_notifications(conn, notifications)
        self._cache.put(complaint)

    def save_many(self, saves: Sequence[Save]) -> list[bool]:
        """One transaction: each complaint row is updated if its version
        matches, then the events and notifications of those that went are
        inserted in two batched statements."""
        ok: list[bool] = []
        try:
            with self._write() as conn:
                for s in saves:
                    try:
                        _check_seqs(s.expected_version, s.events)
                        self._write_complaint(conn, _c_params(s.complaint), s.expected_version)
                    except ConcurrencyError:
                        ok.append(False)
                    else:
                        ok.append(True)
                go = [s for s, yes in zip(saves, ok, strict=True) if yes]
                self._write_events(conn, [e for s in go for e in s.events])
                self._write_notifications(conn, [n for s in go for n in s.notifications])
        except ConcurrencyError:
            # an event or notification that exists already: one by one, so
            # that only the offending complaint is skipped
            return save_each(self, saves)
        for s, yes in zip(saves, ok, strict=True):
            if yes:
                self._cache.put(s.complaint)
        return ok

    def _write_complaint(
        self, conn: sqlite3.Connection, row: dict[str, Any], expected_version: int
    ) -> None:
        if expected_version == 0:
            try:
                conn.execute(
                    "INSERT INTO complaints VALUES (:id, :version, :status, :is_open, "
                    ":complainant, :respondent, :category, :handler, :received_at, "
                    ":next_check, :doc)",
                    row,
                )
            except sqlite3.IntegrityError:
                raise self._conflict(conn, row["id"], expected_version) from None
            return
        cur = conn.execute(
            # parties and receipt never change: leaving their columns out of
            # the SET spares their indexes
            "UPDATE complaints SET version = :version, status = :status, is_open = :is_open, "
            "category = :category, handler = :handler, next_check = :next_check, "
            "doc = :doc WHERE id = :id AND version = :expected",
            {**row, "expected": expected_version},
        )
        if cur.rowcount != 1:
            raise self._conflict(conn, row["id"], expected_version)

    @staticmethod
    def _write_events(conn: sqlite3.Connection, events: Sequence[Event]) -> None:
        try:
            conn.executemany(
                "INSERT INTO events VALUES (?, ?, ?)",
                [(e.complaint_id, e.seq, e.model_dump_json()) for e in events],
            )
        except sqlite3.IntegrityError as e:
            raise ConcurrencyError(f"events exist already: {e}") from None

    @staticmethod
    def _write_notifications(conn: sqlite3.Connection, notes: Sequence[Notification]) -> None:
        try:
            conn.executemany(
                "INSERT INTO notifications (id, complaint_id, status, next_attempt_at, doc) "
                "VALUES (?, ?, ?, ?, ?)",
                [_n_params(n) for n in notes],
            )
        except sqlite3.IntegrityError as e:
            raise ConcurrencyError(f"a notification exists already: {e}") from None

    @staticmethod
    def _conflict(conn: sqlite3.Connection, cid: str, expected: int) -> ConcurrencyError:
        row = conn.execute("SELECT version FROM complaints WHERE id = ?", (cid,)).fetchone()
        version = 0 if row is None else row[0]
        return ConcurrencyError(
            f"complaint {cid!r} is at version {version}, not {expected}: reload and try again"
        )

    def events(self, complaint_id: str) -> list[Event]:
        rows = self._rows(
            "SELECT doc FROM events WHERE complaint_id = ? ORDER BY seq", (complaint_id,)
        )
        return [Event.model_validate_json(r[0]) for r in rows]

    def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        rows = self._rows(
            "SELECT doc FROM complaints WHERE next_check IS NOT NULL AND next_check <= ? "
            "ORDER BY next_check LIMIT ?",
            (_us(before), limit),
        )
        return [Complaint.model_validate_json(r[0]) for r in rows]

    def find(
        self,
        *,
        complainant: str | None = None,
        respondent: str | None = None,
        open_only: bool = False,
        status: Status | Iterable[Status] | None = None,
        category: str | None = None,
        handler: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Complaint]:
        where, params = _where(complainant, respondent, open_only, status, category, handler)
        rows = self._rows(
            f"SELECT doc FROM complaints{where} ORDER BY received_at, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [Complaint.model_validate_json(r[0]) for r in rows]

    # -- the outbox -----------------------------------------------------------------

    def notifications(self, complaint_id: str | None = None) -> list[Notification]:
        """Every notification (of one complaint), delivered or not."""
        if complaint_id is None:
            rows = self._rows("SELECT doc FROM notifications ORDER BY n")
        else:
            rows = self._rows(
                "SELECT doc FROM notifications WHERE complaint_id = ? ORDER BY n", (complaint_id,)
            )
        return [Notification.model_validate_json(r[0]) for r in rows]

    def pending_notifications(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> list[Notification]:
        rows = self._rows(*_pending_query(now, limit))
        return [Notification.model_validate_json(r[0]) for r in rows]

    def claim_notifications(
        self, *, now: datetime, limit: int = 100, lease: timedelta = DEFAULT_LEASE
    ) -> list[Notification]:
        until = now.astimezone(UTC) + lease  # real time, not wall-clock
        out: list[Notification] = []
        with self._write() as conn:
            for (doc,) in conn.execute(*_pending_query(now, limit)).fetchall():
                n = Notification.model_validate_json(doc)
                n = n.model_copy(update={"next_attempt_at": until})
                self._update_notification(conn, n)
                out.append(n)
        return out

    def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        with self._write() as conn:
            n = self._get(conn, notification_id)
            if n.status == "delivered":
                return False
            self._update_notification(conn, delivered(n, at))
            return True

    def mark_failed(self, notification_id: str, *, error: str, next_attempt_at: datetime) -> None:
        with self._write() as conn:
            n = self._get(conn, notification_id)
            self._update_notification(conn, failed(n, error, next_attempt_at))

    def dead_letter(self, *, max_attempts: int, limit: int = 100) -> list[Notification]:
        """Mark pending notifications with ``max_attempts`` failed attempts or
        more ``dead``, oldest first, up to ``limit``; returns them."""
        out: list[Notification] = []
        with self._write() as conn:
            rows = conn.execute(
                "SELECT doc FROM notifications WHERE status = 'pending' "
                "AND json_extract(doc, '$.attempts') >= ? ORDER BY n LIMIT ?",
                (max_attempts, limit),
            ).fetchall()
            for (doc,) in rows:
                n = dead(Notification.model_validate_json(doc))
                self._update_notification(conn, n)
                out.append(n)
        return out

    def dead_notifications(self, *, limit: int = 100) -> list[Notification]:
        """Dead-lettered notifications, oldest first."""
        rows = self._rows(
            "SELECT doc FROM notifications WHERE status = 'dead' ORDER BY n LIMIT ?", (limit,)
        )
        return [Notification.model_validate_json(r[0]) for r in rows]

    @staticmethod
    def _get(conn: sqlite3.Connection, notification_id: str) -> Notification:
        row = conn.execute(
            "SELECT doc FROM notifications WHERE id = ?", (notification_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no notification {notification_id!r}")
        return Notification.model_validate_json(row[0])

    @staticmethod
    def _update_notification(conn: sqlite3.Connection, n: Notification) -> None:
        nid, _, status, nxt, doc = _n_params(n)
        conn.execute(
            "UPDATE notifications SET status = ?, next_attempt_at = ?, doc = ? WHERE id = ?",
            (status, nxt, doc, nid),
        )


def _check_seqs(expected_version: int, events: Sequence[Event]) -> None:
    for i, event in enumerate(events, start=expected_version + 1):
        if event.seq != i:
            raise ConcurrencyError(f"event seq {event.seq} does not follow {i - 1}")


def _pending_query(now: datetime | None, limit: int) -> tuple[str, list[Any]]:
    if now is None:
        return (
            "SELECT doc FROM notifications WHERE status = 'pending' ORDER BY n LIMIT ?",
            [limit],
        )
    return (
        "SELECT doc FROM notifications WHERE status = 'pending' "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY n LIMIT ?",
        [_us(now), limit],
    )


def _where(
    complainant: str | None,
    respondent: str | None,
    open_only: bool,
    status: Status | Iterable[Status] | None,
    category: str | None,
    handler: str | None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("complainant", complainant),
        ("respondent", respondent),
        ("category", category),
        ("handler", handler),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if open_only:
        clauses.append("is_open = 1")
    statuses = status_filter(status)
    if statuses is not None:
        clauses.append(f"status IN ({', '.join('?' * len(statuses)) or 'NULL'})")
        params.extend(sorted(statuses))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
