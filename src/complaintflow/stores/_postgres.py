"""The PostgreSQL store, on psycopg 3 (``pip install 'complaintflow[postgres]'``).

The same contract and schema ideas as the SQLite store: complaints, events
and notifications kept as JSONB documents of their models beside the columns
the queries need; one transaction per ``save``; optimistic versions. Several
workers may share a database: the due query and the outbox claim use
``SELECT ... FOR UPDATE SKIP LOCKED``, so workers sweeping or delivering at
the same time take disjoint rows, and a version check lets only one of two
writers of a complaint win.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

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

if TYPE_CHECKING:
    import psycopg

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "PostgresStore"]

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # 1: complaints, the audit trail, the outbox
    (
        """CREATE TABLE complaints (
            id text PRIMARY KEY,
            version integer NOT NULL,
            status text NOT NULL,
            is_open boolean NOT NULL,
            complainant text NOT NULL,
            respondent text,
            category text,
            handler text,
            received_at timestamptz NOT NULL,
            next_check timestamptz,
            doc jsonb NOT NULL
        )""",
        """CREATE TABLE events (
            complaint_id text NOT NULL REFERENCES complaints (id),
            seq integer NOT NULL,
            doc jsonb NOT NULL,
            PRIMARY KEY (complaint_id, seq)
        )""",
        """CREATE TABLE notifications (
            n bigserial PRIMARY KEY,
            id text NOT NULL UNIQUE,
            complaint_id text NOT NULL REFERENCES complaints (id),
            status text NOT NULL,
            next_attempt_at timestamptz,
            doc jsonb NOT NULL
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
"""Forward migrations: ``MIGRATIONS[i]`` takes a schema from version ``i``
to ``i + 1``."""

SCHEMA_VERSION: Final = len(MIGRATIONS)
"""The schema version this library writes."""

_LOCK_KEY: Final = 0x0C0F_F10E
"""The advisory lock that serializes migrations of concurrent openers."""


_INSERT: Final = (
    b"INSERT INTO complaints VALUES (%(id)s, %(version)s, %(status)s, %(is_open)s, "
    b"%(complainant)s, %(respondent)s, %(category)s, %(handler)s, %(received_at)s, "
    b"%(next_check)s, %(doc)s::jsonb)"
)
_UPDATE: Final = (
    b"UPDATE complaints SET version = %(version)s, status = %(status)s, "
    b"is_open = %(is_open)s, category = %(category)s, handler = %(handler)s, "
    b"next_check = %(next_check)s, doc = %(doc)s::jsonb "
    b"WHERE id = %(id)s AND version = %(expected)s"
)


def _check_seqs(expected_version: int, events: Sequence[Event]) -> None:
    for i, event in enumerate(events, start=expected_version + 1):
        if event.seq != i:
            raise ConcurrencyError(f"event seq {event.seq} does not follow {i - 1}")


def _psycopg() -> ModuleType:
    try:
        import psycopg
    except ImportError as e:
        raise StoreError(
            "PostgresStore needs psycopg 3: pip install 'complaintflow[postgres]'"
        ) from e
    return psycopg


def _c_params(c: Complaint) -> dict[str, Any]:
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
        "doc": c.model_dump_json(),
    }


class PostgresStore:
    """Keeps complaints in a PostgreSQL database.

    :param dsn: a libpq connection string or URI.
    :param schema: the schema holding the tables, created when missing; one
        database may hold several stores under different schemas.
    :param connect_timeout: seconds to wait for the server.

    Each store object holds one connection, shared by its threads behind a
    lock; open one store per process.
    """

    def __init__(
        self, dsn: str, *, schema: str = "complaintflow", connect_timeout: float = 10.0
    ) -> None:
        self._pg = _psycopg()
        self.schema = schema
        self._lock = threading.RLock()
        self._cache = ParsedCache()
        try:
            self._conn: psycopg.Connection[tuple[Any, ...]] = self._pg.connect(
                dsn, autocommit=True, connect_timeout=max(1, int(connect_timeout))
            )
        except self._pg.Error as e:
            raise StoreError(f"cannot connect to PostgreSQL: {e}") from e
        try:
            self._migrate()
        except BaseException:
            self._conn.close()
            raise

    # -- lifecycle ------------------------------------------------------------

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresStore(schema={self.schema!r})"

    @property
    def connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        """The store's connection, for bulk imports and administration."""
        return self._conn

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        return int(self._rows("SELECT version FROM schema_version")[0][0])

    def _migrate(self) -> None:
        ident = self._pg.sql.Identifier(self.schema)
        with self._tx() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            conn.execute(self._pg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
            conn.execute(self._pg.sql.SQL("SET search_path TO {}").format(ident))
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (0)")
                current = 0
            else:
                current = int(row[0])
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"schema {self.schema!r} has version {current}, newer than this "
                    f"complaintflow writes ({SCHEMA_VERSION}): upgrade complaintflow"
                )
            for version in range(current, SCHEMA_VERSION):
                for statement in MIGRATIONS[version]:
                    conn.execute(statement.encode())
            if current != SCHEMA_VERSION:
                conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION,))
        # SET inside the transaction lasts for the session once committed
        self._conn.execute(self._pg.sql.SQL("SET search_path TO {}").format(ident))

    # -- transactions -----------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """One transaction: committed on success, rolled back on any error;
        the driver's errors surface as :class:`StoreError`."""
        with self._lock:
            try:
                with self._conn.transaction():
                    yield self._conn
            except self._pg.errors.UniqueViolation as e:
                raise ConcurrencyError(f"PostgreSQL store: {e}") from None
            except self._pg.Error as e:
                raise StoreError(f"PostgreSQL store: {e}") from e

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._conn.execute(sql.encode(), params).fetchall()
            except self._pg.Error as e:
                raise StoreError(f"PostgreSQL store: {e}") from e

    # -- complaints -----------------------------------------------------------------

    def load(self, complaint_id: str) -> Complaint | None:
        rows = self._rows(
            "SELECT version, doc::text FROM complaints WHERE id = %s", (complaint_id,)
        )
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
        with self._tx() as conn:
            self._write_complaint(conn, row, expected_version)
            self._write_events(conn, events)
            self._write_notifications(conn, notifications)
        self._cache.put(complaint)

    def save_many(self, saves: Sequence[Save]) -> list[bool]:
        """One transaction: the complaints' rows are locked and their versions
        checked first, then every complaint that may go is written: the rows
        in one batch, the events and notifications with ``COPY``."""
        ok: list[bool] = []
        for s in saves:
            try:
                _check_seqs(s.expected_version, s.events)
            except ConcurrencyError:
                ok.append(False)
            else:
                ok.append(True)
        ids = [s.complaint.id for s in saves]
        try:
            with self._tx() as conn:
                found = dict(
                    conn.execute(
                        b"SELECT id, version FROM complaints WHERE id = ANY(%s) "
                        b"ORDER BY id FOR UPDATE",
                        (ids,),
                    ).fetchall()
                )
                seen: set[str] = set()
                for i, s in enumerate(saves):
                    cid = s.complaint.id
                    if found.get(cid, 0) != s.expected_version or cid in seen:
                        ok[i] = False
                    seen.add(cid)
                go = [s for s, yes in zip(saves, ok, strict=True) if yes]
                cur = conn.cursor()
                new = [_c_params(s.complaint) for s in go if s.expected_version == 0]
                if new:
                    cur.executemany(_INSERT, new)
                old = [
                    {**_c_params(s.complaint), "expected": s.expected_version}
                    for s in go
                    if s.expected_version != 0
                ]
                if old:
                    cur.executemany(_UPDATE, old)
                with cur.copy(b"COPY events (complaint_id, seq, doc) FROM STDIN") as copy:
                    for s in go:
                        for e in s.events:
                            copy.write_row((e.complaint_id, e.seq, e.model_dump_json()))
                with cur.copy(
                    b"COPY notifications (id, complaint_id, status, next_attempt_at, doc) "
                    b"FROM STDIN"
                ) as copy:
                    for s in go:
                        for n in s.notifications:
                            copy.write_row(
                                (
                                    n.id,
                                    n.complaint_id,
                                    n.status,
                                    n.next_attempt_at,
                                    n.model_dump_json(),
                                )
                            )
        except ConcurrencyError:
            # an event or notification that exists already: one by one, so
            # that only the offending complaint is skipped
            return save_each(self, saves)
        for s, yes in zip(saves, ok, strict=True):
            if yes:
                self._cache.put(s.complaint)
        return ok

    def _write_complaint(
        self, conn: psycopg.Connection[tuple[Any, ...]], row: dict[str, Any], expected: int
    ) -> None:
        if expected == 0:
            cur = conn.execute(_INSERT + b" ON CONFLICT (id) DO NOTHING", row)
        else:
            cur = conn.execute(_UPDATE, {**row, "expected": expected})
        if cur.rowcount != 1:
            found = conn.execute(
                b"SELECT version FROM complaints WHERE id = %s", (row["id"],)
            ).fetchone()
            version = 0 if found is None else found[0]
            raise ConcurrencyError(
                f"complaint {row['id']!r} is at version {version}, not {expected}: "
                "reload and try again"
            )

    @staticmethod
    def _write_events(conn: psycopg.Connection[tuple[Any, ...]], events: Sequence[Event]) -> None:
        if events:
            conn.cursor().executemany(
                b"INSERT INTO events VALUES (%s, %s, %s::jsonb)",
                [(e.complaint_id, e.seq, e.model_dump_json()) for e in events],
            )

    @staticmethod
    def _write_notifications(
        conn: psycopg.Connection[tuple[Any, ...]], notes: Sequence[Notification]
    ) -> None:
        if notes:
            conn.cursor().executemany(
                b"INSERT INTO notifications (id, complaint_id, status, next_attempt_at, doc) "
                b"VALUES (%s, %s, %s, %s, %s::jsonb)",
                [
                    (n.id, n.complaint_id, n.status, n.next_attempt_at, n.model_dump_json())
                    for n in notes
                ],
            )

    def events(self, complaint_id: str) -> list[Event]:
        rows = self._rows(
            "SELECT doc::text FROM events WHERE complaint_id = %s ORDER BY seq", (complaint_id,)
        )
        return [Event.model_validate_json(r[0]) for r in rows]

    def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        # SKIP LOCKED: a complaint another worker is writing right now is
        # left for the next sweep instead of being waited for.
        with self._tx() as conn:
            rows = conn.execute(
                b"SELECT doc::text FROM complaints WHERE next_check <= %s "
                b"ORDER BY next_check LIMIT %s FOR UPDATE SKIP LOCKED",
                (before, limit),
            ).fetchall()
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
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("complainant", complainant),
            ("respondent", respondent),
            ("category", category),
            ("handler", handler),
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
        rows = self._rows(
            f"SELECT doc::text FROM complaints{where} ORDER BY received_at, id LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [Complaint.model_validate_json(r[0]) for r in rows]

    # -- the outbox -----------------------------------------------------------------

    def notifications(self, complaint_id: str | None = None) -> list[Notification]:
        """Every notification (of one complaint), delivered or not."""
        if complaint_id is None:
            rows = self._rows("SELECT doc::text FROM notifications ORDER BY n")
        else:
            rows = self._rows(
                "SELECT doc::text FROM notifications WHERE complaint_id = %s ORDER BY n",
                (complaint_id,),
            )
        return [Notification.model_validate_json(r[0]) for r in rows]

    def pending_notifications(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> list[Notification]:
        rows = self._rows(
            "SELECT doc::text FROM notifications WHERE status = 'pending' "
            "AND (%(now)s::timestamptz IS NULL OR next_attempt_at IS NULL "
            "OR next_attempt_at <= %(now)s) ORDER BY n LIMIT %(limit)s",
            {"now": now, "limit": limit},
        )
        return [Notification.model_validate_json(r[0]) for r in rows]

    def claim_notifications(
        self, *, now: datetime, limit: int = 100, lease: timedelta = DEFAULT_LEASE
    ) -> list[Notification]:
        until = now.astimezone(UTC) + lease  # real time, not wall-clock
        with self._tx() as conn:
            rows = conn.execute(
                b"WITH claimed AS ("
                b" SELECT n FROM notifications WHERE status = 'pending'"
                b" AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)"
                b" ORDER BY n LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
                b" UPDATE notifications t SET next_attempt_at = %(until)s,"
                b" doc = jsonb_set(t.doc, '{next_attempt_at}', to_jsonb(%(iso)s::text))"
                b" FROM claimed WHERE t.n = claimed.n RETURNING t.n, t.doc::text",
                {"now": now, "limit": limit, "until": until, "iso": until.isoformat()},
            ).fetchall()
        return [Notification.model_validate_json(doc) for _, doc in sorted(rows)]

    def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        with self._tx() as conn:
            n = self._get(conn, notification_id)
            if n.status == "delivered":
                return False
            self._update_notification(conn, delivered(n, at))
            return True

    def mark_failed(self, notification_id: str, *, error: str, next_attempt_at: datetime) -> None:
        with self._tx() as conn:
            n = self._get(conn, notification_id)
            self._update_notification(conn, failed(n, error, next_attempt_at))

    def dead_letter(self, *, max_attempts: int, limit: int = 100) -> list[Notification]:
        """Mark pending notifications with ``max_attempts`` failed attempts or
        more ``dead``, oldest first, up to ``limit``; returns them. Rows
        another worker holds are skipped, left for its next round."""
        out: list[Notification] = []
        with self._tx() as conn:
            rows = conn.execute(
                b"SELECT doc::text FROM notifications WHERE status = 'pending'"
                b" AND (doc->>'attempts')::int >= %s ORDER BY n LIMIT %s FOR UPDATE SKIP LOCKED",
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
            "SELECT doc::text FROM notifications WHERE status = 'dead' ORDER BY n LIMIT %s",
            (limit,),
        )
        return [Notification.model_validate_json(r[0]) for r in rows]

    @staticmethod
    def _get(conn: psycopg.Connection[tuple[Any, ...]], notification_id: str) -> Notification:
        row = conn.execute(
            b"SELECT doc::text FROM notifications WHERE id = %s FOR UPDATE", (notification_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no notification {notification_id!r}")
        return Notification.model_validate_json(row[0])

    @staticmethod
    def _update_notification(conn: psycopg.Connection[tuple[Any, ...]], n: Notification) -> None:
        conn.execute(
            b"UPDATE notifications SET status = %s, next_attempt_at = %s, doc = %s::jsonb "
            b"WHERE id = %s",
            (n.status, n.next_attempt_at, n.model_dump_json(), n.id),
        )
