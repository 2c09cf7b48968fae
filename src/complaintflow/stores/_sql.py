"""The SQL store core, shared by the SQLite and PostgreSQL stores.

Both keep complaints, events and notifications as the JSON of their models
beside the columns the queries need (built by
:func:`~complaintflow.stores._index.index_row`), with the same tables,
migrations and queries. What differs between the databases in SQL text
(placeholders, column types, JSON casts, row locks) is a :class:`Dialect`;
what differs in behaviour (connections, transactions, which driver errors
mean what, bulk inserts) is left to each backend's subclass of
:class:`SQLStore`.

Queries are written once, psycopg-style (``%s``, ``%(name)s``) with format
fields for the dialect: ``{doc}`` reads a JSON column as text, ``{json}``
casts a parameter to the JSON type, ``{lock}`` and ``{skip}`` lock the rows
read (``FOR UPDATE``, ``... SKIP LOCKED``) where the database has row locks.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final, Self, TypeVar

from complaintflow.errors import ConcurrencyError, NotFound, StoreError
from complaintflow.models import Complaint, Event, Notification
from complaintflow.states import Status
from complaintflow.stores._base import (
    DEFAULT_LEASE,
    ParsedCache,
    Save,
    SlaRow,
    check_seqs,
    dead,
    delivered,
    failed,
    save_each,
)
from complaintflow.stores._find import FIND_FILTERS, check_find
from complaintflow.stores._index import (
    from_db_time,
    index_row,
    match_keys,
    needs_triage,
    order_key,
)
from complaintflow.stores._vault import VAULT_MIGRATION, SQLVault

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Dialect", "SQLStore"]
# the queries below are shared with complaintflow.aio's PostgreSQL store, which
# runs them (awaited) on the same schema

MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    # 1: complaints, the audit trail, the outbox
    (
        """CREATE TABLE complaints (
            id {text} PRIMARY KEY,
            version {int} NOT NULL,
            status {text} NOT NULL,
            is_open {bool} NOT NULL,
            complainant {text} NOT NULL,
            respondent {text},
            category {text},
            handler {text},
            received_at {time} NOT NULL,
            next_check {time},
            doc {document} NOT NULL
        )""",
        """CREATE TABLE events (
            complaint_id {text} NOT NULL REFERENCES complaints (id),
            seq {int} NOT NULL,
            doc {document} NOT NULL,
            PRIMARY KEY (complaint_id, seq)
        ){without_rowid}""",
        """CREATE TABLE notifications (
            n {serial} PRIMARY KEY,
            id {text} NOT NULL UNIQUE,
            complaint_id {text} NOT NULL REFERENCES complaints (id),
            status {text} NOT NULL,
            next_attempt_at {time},
            doc {document} NOT NULL
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
    # 3: the duplicate screen's look-up: each complaint under its order and
    # text-fingerprint keys (filled for older rows when migrating)
    (
        """CREATE TABLE complaint_keys (
            complainant {text} NOT NULL,
            key {text} NOT NULL,
            complaint_id {text} NOT NULL REFERENCES complaints (id),
            PRIMARY KEY (complainant, key, complaint_id)
        ){without_rowid}""",
    ),
    # 4: the triage queue: complaints the classifier left to a handler
    # (filled for older rows when migrating)
    (
        "ALTER TABLE complaints ADD COLUMN needs_triage {bool} NOT NULL DEFAULT FALSE",
        "CREATE INDEX complaints_triage ON complaints (received_at, id) WHERE needs_triage",
    ),
    # 5: the personal-data vault (complaintflow.stores._vault)
    VAULT_MIGRATION,
)
"""Forward migrations, as templates a :class:`Dialect` renders:
``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``."""

SCHEMA_VERSION: Final = len(MIGRATIONS)
"""The schema version this library writes."""

_KEYS_SINCE: Final = 3
"""The schema version that introduced ``complaint_keys``."""

_TRIAGE_SINCE: Final = 4
"""The schema version that introduced ``complaints.needs_triage``."""

_T = TypeVar("_T")
_NAMED: Final = re.compile(r"%\((\w+)\)s")

_COLUMNS: Final = (
    "id, version, status, is_open, complainant, respondent, category, handler, "
    "received_at, next_check, needs_triage, doc"
)
_INSERT: Final = (
    f"INSERT INTO complaints ({_COLUMNS}) VALUES (%(id)s, %(version)s, %(status)s, "
    "%(is_open)s, %(complainant)s, %(respondent)s, %(category)s, %(handler)s, "
    "%(received_at)s, %(next_check)s, %(needs_triage)s, %(doc)s{json})"
)
# parties and receipt never change: leaving their columns out of the SET
# spares their indexes
_UPDATE: Final = (
    "UPDATE complaints SET version = %(version)s, status = %(status)s, "
    "is_open = %(is_open)s, category = %(category)s, handler = %(handler)s, "
    "next_check = %(next_check)s, needs_triage = %(needs_triage)s, doc = %(doc)s{json} "
    "WHERE id = %(id)s AND version = %(expected)s"
)
_PENDING: Final = "SELECT {doc} FROM notifications WHERE status = 'pending'"
_DUE_BY: Final = " AND (next_attempt_at IS NULL OR next_attempt_at <= %s)"
_VERSION_OF: Final = "SELECT version FROM complaints WHERE id = %s"
# the document only when the cached one is not of the row's version
_LOAD: Final = (
    "SELECT version, CASE WHEN version = %s THEN NULL ELSE {doc} END FROM complaints WHERE id = %s"
)
_EVENTS: Final = "SELECT {doc} FROM events WHERE complaint_id = %s ORDER BY seq"
_DUE: Final = (
    "SELECT {doc} FROM complaints WHERE next_check IS NOT NULL AND next_check <= %s "
    "ORDER BY next_check LIMIT %s{skip}"
)
_KEYS: Final = "INSERT INTO complaint_keys (complainant, key, complaint_id) VALUES (%s, %s, %s)"
_CLAIM: Final = _PENDING + _DUE_BY + " ORDER BY n LIMIT %s{skip}"
_LEASE: Final = "UPDATE notifications SET next_attempt_at = %s, doc = %s{json} WHERE id = %s"
_DEAD_DUE: Final = _PENDING + " AND {attempts} >= %s ORDER BY n LIMIT %s{skip}"
_DEAD: Final = "SELECT {doc} FROM notifications WHERE status = 'dead' ORDER BY n LIMIT %s"
_NOTIFICATION: Final = "SELECT {doc} FROM notifications WHERE id = %s{lock}"
_NOTIFICATION_UPDATE: Final = (
    "UPDATE notifications SET status = %s, next_attempt_at = %s, doc = %s{json} WHERE id = %s"
)
_SCHEMA_TABLE: Final = "CREATE TABLE IF NOT EXISTS schema_version (version {int} NOT NULL)"
_SCHEMA_READ: Final = "SELECT version FROM schema_version"
_SCHEMA_START: Final = "INSERT INTO schema_version VALUES (0)"
_SCHEMA_SET: Final = "UPDATE schema_version SET version = %s"
_ALL_DOCS: Final = "SELECT {doc} FROM complaints"
_EVENT_COLUMNS: Final = "complaint_id, seq, doc"
_SLA_COLUMNS: Final = "id, received_at, category, is_open, {sla}"
_NOTIFICATION_COLUMNS: Final = "id, complaint_id, status, next_attempt_at, doc"


@dataclass(frozen=True)
class Dialect:
    """What differs in SQL text between two databases.

    :param positional: the driver's positional placeholder (``?`` or ``%s``).
    :param fields: the format fields of query and DDL templates: ``doc``,
        ``json``, ``lock``, ``skip``, ``attempts`` (a notification's failed
        attempts, read from its document), ``sla`` (a complaint's SLA state
        as JSON text, read from its document) and the column types ``text``, ``int``,
        ``bool``, ``time``, ``document``, ``serial``, ``without_rowid``.
    :param time: an aware instant as the database's time column takes it.
    :param encode: hand the driver ``bytes`` (spares psycopg an encode).
    """

    positional: str
    fields: dict[str, str]
    time: Callable[[datetime], Any]
    encode: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def q(self, template: str) -> Any:
        """A query template rendered for this database (remembered)."""
        out = self._cache.get(template)
        if out is None:
            text = template.format(**self.fields)
            if self.positional != "%s":
                text = _NAMED.sub(r":\1", text).replace("%s", self.positional)
            out = text.encode() if self.encode else text
            self._cache[template] = out
        return out

    def t(self, dt: datetime | None) -> Any:
        """An optional instant as the database stores it."""
        return None if dt is None else self.time(dt)

    @property
    def migrations(self) -> tuple[tuple[str, ...], ...]:
        """:data:`MIGRATIONS` rendered for this database."""
        return tuple(tuple(s.format(**self.fields) for s in m) for m in MIGRATIONS)


def _in(values: Sequence[Any]) -> str:
    return f"({', '.join(['%s'] * len(values)) or 'NULL'})"


def _docs(rows: Iterable[Sequence[Any]]) -> list[Complaint]:
    return [Complaint.model_validate_json(r[0]) for r in rows]


def _notes(rows: Iterable[Sequence[Any]]) -> list[Notification]:
    return [Notification.model_validate_json(r[0]) for r in rows]


# -- what the blocking and the async SQL stores both run ---------------------------------


def _row(dialect: Dialect, c: Complaint) -> dict[str, Any]:
    """The parameters of :data:`_INSERT` and :data:`_UPDATE` for ``c``."""
    row = index_row(c)._asdict()
    row["received_at"] = dialect.t(row["received_at"])
    row["next_check"] = dialect.t(row["next_check"])
    row["doc"] = c.model_dump_json()
    return row


def _key_rows(c: Complaint) -> list[tuple[str, str, str]]:
    """The rows of :data:`_KEYS` filing ``c`` for ``find_like``."""
    return [(c.complainant.id, key, c.id) for key in match_keys(c)]


def _event_rows(events: Sequence[Event]) -> list[tuple[Any, ...]]:
    return [(e.complaint_id, e.seq, e.model_dump_json()) for e in events]


def _notification_rows(dialect: Dialect, notes: Sequence[Notification]) -> list[tuple[Any, ...]]:
    t = dialect.t
    return [
        (n.id, n.complaint_id, n.status, t(n.next_attempt_at), n.model_dump_json()) for n in notes
    ]


def _insert(table: str, columns: str, width: int) -> str:
    """``INSERT`` of ``width`` values (JSON last) into ``table``."""
    marks = ", ".join(["%s"] * (width - 1))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks}, %s{{json}})"


def _conflict(cid: str, found: Sequence[Any] | None, expected: int) -> ConcurrencyError:
    """The error of a save whose complaint is at ``found`` (a version row)."""
    version = 0 if found is None else found[0]
    return ConcurrencyError(
        f"complaint {cid!r} is at version {version}, not {expected}: reload and try again"
    )


def _too_new(what: str, current: int) -> StoreError:
    return StoreError(
        f"{what} has schema version {current}, newer than this "
        f"complaintflow writes ({SCHEMA_VERSION}): upgrade complaintflow"
    )


def _versions_sql(ids: Sequence[str]) -> str:
    return f"SELECT id, version FROM complaints WHERE id IN {_in(ids)} ORDER BY id{{lock}}"


def _find_sql(filters: dict[str, Any]) -> tuple[str, list[Any]]:
    """The query of ``Store.find`` for its keyword arguments ``filters``, and
    its parameters."""
    unknown = sorted(set(filters) - FIND_FILTERS)
    if unknown:  # as a method with these keyword arguments says it
        raise TypeError(f"find() got an unexpected keyword argument {unknown[0]!r}")
    statuses = check_find(filters)
    clauses: list[str] = []
    params: list[Any] = []
    for column in ("complainant", "respondent", "category", "handler", "needs_triage"):
        if filters.get(column) is not None:
            clauses.append(f"{column} = %s")
            params.append(filters[column])
    if filters.get("open_only"):
        clauses.append("is_open = %s")
        params.append(True)
    if statuses is not None:
        clauses.append(f"status IN {_in(sorted(statuses))}")
        params.extend(sorted(statuses))
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    sql = f"SELECT {{doc}} FROM complaints{where} ORDER BY received_at, id LIMIT %s OFFSET %s"
    return sql, [*params, filters.get("limit", 100), filters.get("offset", 0)]


def _sla_page_sql(
    dialect: Dialect,
    since: datetime | None,
    until: datetime | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """The query of :meth:`SQLStore.sla_page` (a key range of the
    ``complaints_received`` index) and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if since is not None:
        clauses.append("received_at >= %s")
        params.append(dialect.t(since))
    if until is not None:
        clauses.append("received_at < %s")
        params.append(dialect.t(until))
    if after is not None:
        clauses.append("(received_at, id) > (%s, %s)")
        params.extend([dialect.t(after[0]), after[1]])
    where = " WHERE " + " AND ".join(clauses) if clauses else ""
    sql = f"SELECT {_SLA_COLUMNS} FROM complaints{where} ORDER BY received_at, id LIMIT %s"
    return sql, [*params, limit]


_WINDOW: Final = "FROM complaints WHERE complainant = %s AND received_at > %s AND received_at <= %s"
_COUNT: Final = "SELECT count(*) " + _WINDOW
_RECENT: Final = "SELECT id, version " + _WINDOW + " ORDER BY received_at DESC, id DESC LIMIT %s"


def _window(dialect: Dialect, complainant: str, since: datetime, until: datetime) -> list[Any]:
    """The parameters of :data:`_COUNT` (and the first of :data:`_RECENT`)."""
    return [complainant, dialect.t(since), dialect.t(until)]


def _like_sql(complaint: Complaint, same_order: bool, limit: int) -> tuple[str, list[Any]]:
    """The query of ``Store.find_like`` (``(id, version)`` rows) and its
    parameters."""
    keys = list(match_keys(complaint, order=same_order))
    order = "" if not same_order or complaint.order_id is None else order_key(complaint.order_id)
    params: list[Any] = [order, complaint.complainant.id, *keys, True, complaint.id]
    sql = (
        "SELECT id, version FROM complaints JOIN ("
        " SELECT complaint_id, sum(CASE WHEN key = %s THEN 1000 ELSE 1 END) AS score"
        f" FROM complaint_keys WHERE complainant = %s AND key IN {_in(keys)}"
        " GROUP BY complaint_id) k ON k.complaint_id = complaints.id"
        " WHERE is_open = %s AND id <> %s"
    )
    if complaint.respondent is not None:
        sql += " AND (respondent = %s OR respondent IS NULL)"
        params.append(complaint.respondent.id)
    return sql + " ORDER BY k.score DESC, received_at, id LIMIT %s", [*params, limit]


def _cached(
    cache: ParsedCache, found: Iterable[Sequence[Any]]
) -> tuple[list[str], dict[str, Complaint | None]]:
    """The ids of ``(id, version)`` rows in order, and each one's cached
    complaint (``None`` when it must be read: see :func:`_missing_sql`)."""
    pairs = [(cid, version) for cid, version in found]
    return [cid for cid, _ in pairs], {cid: cache.get(cid, v) for cid, v in pairs}


def _missing_sql(got: dict[str, Complaint | None]) -> tuple[str, list[str]]:
    missing = [cid for cid, c in got.items() if c is None]
    return f"SELECT id, version, {{doc}} FROM complaints WHERE id IN {_in(missing)}", missing


def _in_order(
    cache: ParsedCache, ids: list[str], got: dict[str, Complaint | None], rows: Iterable[Any]
) -> list[Complaint]:
    """The complaints of ``ids``: ``got``, completed by the ``rows`` of
    :func:`_missing_sql`."""
    for cid, version, doc in rows:
        got[cid] = cache.parse(cid, version, doc)
    return [c for c in (got[cid] for cid in ids) if c is not None]


def _notifications_sql(complaint_id: str | None) -> tuple[str, tuple[Any, ...]]:
    if complaint_id is None:
        return "SELECT {doc} FROM notifications ORDER BY n", ()
    return "SELECT {doc} FROM notifications WHERE complaint_id = %s ORDER BY n", (complaint_id,)


def _pending_sql(dialect: Dialect, now: datetime | None, limit: int) -> tuple[str, tuple[Any, ...]]:
    if now is None:
        return _PENDING + " ORDER BY n LIMIT %s", (limit,)
    return _PENDING + _DUE_BY + " ORDER BY n LIMIT %s", (dialect.t(now), limit)


def _leased(docs: Iterable[Sequence[Any]], until: datetime) -> list[Notification]:
    """Claimed notifications (rows of :data:`_CLAIM`), leased ``until``."""
    return [n.model_copy(update={"next_attempt_at": until}) for n in _notes(docs)]


def _lease_rows(dialect: Dialect, out: Sequence[Notification]) -> list[tuple[Any, ...]]:
    """The rows of :data:`_LEASE` for notifications claimed by :func:`_leased`."""
    return [(dialect.t(n.next_attempt_at), n.model_dump_json(), n.id) for n in out]


def _notification_update(dialect: Dialect, n: Notification) -> tuple[Any, ...]:
    """The parameters of :data:`_NOTIFICATION_UPDATE` for ``n``."""
    return (n.status, dialect.t(n.next_attempt_at), n.model_dump_json(), n.id)


def _load_params(held: Complaint | None, complaint_id: str) -> tuple[int, str]:
    """The parameters of :data:`_LOAD`, ``held`` the cached complaint."""
    return (0 if held is None else held.version), complaint_id


def _loaded(
    cache: ParsedCache, held: Complaint | None, complaint_id: str, rows: Sequence[Any]
) -> Complaint | None:
    """The complaint of a :data:`_LOAD` row: ``held`` when the row left its
    document out (it is of ``held``'s version), else the document parsed."""
    if not rows:
        return None
    version, doc = rows[0]
    if doc is None and held is not None:
        return held
    return cache.parse(complaint_id, version, doc)


def _notification_of(notification_id: str, row: Sequence[Any] | None) -> Notification:
    if row is None:
        raise NotFound(f"no notification {notification_id!r}")
    return Notification.model_validate_json(row[0])


class SQLStore(SQLVault):
    """The store contract on SQL, for a backend to complete.

    A backend sets :attr:`dialect`, opens ``_conn`` and sets ``_name`` (the
    prefix of its error messages) and ``_driver_error`` (its driver's base
    error); it provides :meth:`_tx` (one transaction, committed or rolled
    back, a unique-key violation raised as
    :class:`~complaintflow.errors.ConcurrencyError` and any other driver
    error as :class:`~complaintflow.errors.StoreError`) and sets ``_what``
    (the database, for messages: ``database 'x.db'``); it may override
    :meth:`_locked_rows`, :meth:`_insert_rows` and the connection and
    migration hooks."""

    dialect: ClassVar[Dialect]
    _conn: Any
    _name: str
    _what: str
    _driver_error: type[Exception]

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._cache = ParsedCache()

    # -- what a backend provides ------------------------------------------------

    def _tx(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _configure(self) -> None:
        """Set the new connection up, before the migration."""

    def _prepare_migration(self, conn: Any) -> None:
        """Run first in the migration's transaction."""

    def _locked_rows(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Rows read in a transaction of their own, locked where the query
        asks to (``{lock}``, ``{skip}``)."""
        q = self.dialect.q(sql)
        return self._run(lambda conn: list(conn.execute(q, params).fetchall()))

    def _run(self, work: Callable[[Any], _T]) -> _T:
        """``work(conn)`` in one transaction (:meth:`_tx`), its result. A
        backend may run ``work`` again on a new connection when the first
        was lost before the commit: ``work`` must only act on ``conn``."""
        with self._tx() as conn:
            return work(conn)

    def _insert_rows(
        self, conn: Any, table: str, columns: str, rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert ``rows`` (JSON last) into ``table`` in the transaction ``conn``."""
        if rows:
            conn.cursor().executemany(self.dialect.q(_insert(table, columns, len(rows[0]))), rows)

    # -- lifecycle ----------------------------------------------------------------

    def _start(self) -> None:
        """Configure the new connection and migrate; close the store on any
        failure."""
        try:
            self._configure()
            self._migrate()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the connection; the store is unusable afterwards."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        return int(self._rows(_SCHEMA_READ)[0][0])

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return list(self._conn.execute(self.dialect.q(sql), params).fetchall())
            except self._driver_error as e:
                raise StoreError(f"{self._name}: {e}") from e

    def _migrate(self) -> None:
        self._run(self._migrate_in)

    def _migrate_in(self, conn: Any) -> None:
        self._prepare_migration(conn)
        q = self.dialect.q
        conn.execute(q(_SCHEMA_TABLE))
        row = conn.execute(q(_SCHEMA_READ)).fetchone()
        if row is None:
            conn.execute(q(_SCHEMA_START))
        current = 0 if row is None else int(row[0])
        if current > SCHEMA_VERSION:
            raise _too_new(self._what, current)
        for statements in self.dialect.migrations[current:]:
            for statement in statements:
                conn.execute(self.dialect.q(statement))
        if 0 < current < _KEYS_SINCE:
            for c in _docs(conn.execute(q(_ALL_DOCS)).fetchall()):
                self._insert_keys(conn, c)
        if 0 < current < _TRIAGE_SINCE:
            self._backfill_triage(conn)
        if current != SCHEMA_VERSION:
            conn.execute(q(_SCHEMA_SET), (SCHEMA_VERSION,))

    def _backfill_triage(self, conn: Any) -> None:
        docs = conn.execute(
            self.dialect.q("SELECT {doc} FROM complaints WHERE category IS NULL")
        ).fetchall()
        ids = [(True, c.id) for c in _docs(docs) if needs_triage(c)]
        if ids:
            conn.cursor().executemany(
                self.dialect.q("UPDATE complaints SET needs_triage = %s WHERE id = %s"), ids
            )

    # -- complaints -------------------------------------------------------------

    def _params(self, c: Complaint) -> dict[str, Any]:
        return _row(self.dialect, c)

    def load(self, complaint_id: str) -> Complaint | None:
        held = self._cache.held(complaint_id)
        rows = self._rows(_LOAD, _load_params(held, complaint_id))
        return _loaded(self._cache, held, complaint_id, rows)

    def save(
        self,
        complaint: Complaint,
        *,
        expected_version: int,
        events: Sequence[Event],
        notifications: Sequence[Notification] = (),
    ) -> None:
        check_seqs(expected_version, events)
        row = self._params(complaint)

        def work(conn: Any) -> None:
            self._write_complaint(conn, row, expected_version)
            if expected_version == 0:
                self._insert_keys(conn, complaint)
            self._insert_events(conn, events)
            self._insert_notifications(conn, notifications)

        self._run(work)
        self._cache.put(complaint)

    def save_many(self, saves: Sequence[Save]) -> list[bool]:
        """One transaction: the complaints' rows are read (and locked, where
        the database has row locks) and their versions checked first, then
        every complaint that may go is written: the rows in two batches,
        events and notifications in one each."""
        valid: list[bool] = []
        for s in saves:
            try:
                check_seqs(s.expected_version, s.events)
            except ConcurrencyError:
                valid.append(False)
            else:
                valid.append(True)
        ids = sorted({s.complaint.id for s in saves})

        def work(conn: Any) -> list[bool]:
            found = self._versions(conn, ids)
            ok, seen = list(valid), set()
            for i, s in enumerate(saves):
                cid = s.complaint.id
                if found.get(cid, 0) != s.expected_version or cid in seen:
                    ok[i] = False
                seen.add(cid)
            self._write_batch(conn, [s for s, yes in zip(saves, ok, strict=True) if yes])
            return ok

        try:
            ok = self._run(work)
        except ConcurrencyError:
            # an event or notification that exists already: one by one, so
            # that only the offending complaint is skipped
            return save_each(self, saves)
        for s, yes in zip(saves, ok, strict=True):
            if yes:
                self._cache.put(s.complaint)
        return ok

    def _versions(self, conn: Any, ids: list[str]) -> dict[str, int]:
        if not ids:
            return {}
        return dict(conn.execute(self.dialect.q(_versions_sql(ids)), ids).fetchall())

    def _write_batch(self, conn: Any, go: list[Save]) -> None:
        new = [self._params(s.complaint) for s in go if s.expected_version == 0]
        if new:
            conn.cursor().executemany(self.dialect.q(_INSERT), new)
        old = [
            {**self._params(s.complaint), "expected": s.expected_version}
            for s in go
            if s.expected_version != 0
        ]
        if old:
            conn.cursor().executemany(self.dialect.q(_UPDATE), old)
        for s in go:
            if s.expected_version == 0:
                self._insert_keys(conn, s.complaint)
        self._insert_events(conn, [e for s in go for e in s.events])
        self._insert_notifications(conn, [n for s in go for n in s.notifications])

    def _write_complaint(self, conn: Any, row: dict[str, Any], expected: int) -> None:
        q = self.dialect.q
        if expected == 0:
            cur = conn.execute(q(_INSERT + " ON CONFLICT (id) DO NOTHING"), row)
        else:
            cur = conn.execute(q(_UPDATE), {**row, "expected": expected})
        if cur.rowcount != 1:
            found = conn.execute(q(_VERSION_OF), (row["id"],)).fetchone()
            raise _conflict(row["id"], found, expected)

    def _insert_keys(self, conn: Any, c: Complaint) -> None:
        conn.cursor().executemany(self.dialect.q(_KEYS), _key_rows(c))

    def _insert_events(self, conn: Any, events: Sequence[Event]) -> None:
        self._insert_rows(conn, "events", _EVENT_COLUMNS, _event_rows(events))

    def _insert_notifications(self, conn: Any, notes: Sequence[Notification]) -> None:
        rows = _notification_rows(self.dialect, notes)
        self._insert_rows(conn, "notifications", _NOTIFICATION_COLUMNS, rows)

    def events(self, complaint_id: str) -> list[Event]:
        rows = self._rows(_EVENTS, (complaint_id,))
        return [Event.model_validate_json(r[0]) for r in rows]

    def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        # SKIP LOCKED, where there are row locks: a complaint another worker
        # is writing right now is left for the next sweep, not waited for
        return _docs(self._locked_rows(_DUE, (self.dialect.t(before), limit)))

    def find(
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
        sql, params = _find_sql(
            {
                "complainant": complainant,
                "respondent": respondent,
                "open_only": open_only,
                "status": status,
                "category": category,
                "handler": handler,
                "needs_triage": needs_triage,
                "limit": limit,
                "offset": offset,
            }
        )
        return _docs(self._rows(sql, params))

    def sla_page(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 500,
    ) -> list[SlaRow]:
        """Up to ``limit`` complaints received in ``[since, until)`` (either
        bound optional), in receipt order (then id), starting after the
        ``(received_at, id)`` position ``after``: each as a light
        :class:`~complaintflow.stores._base.SlaRow` holding the SLA state as
        the JSON text it is stored as, not parsed. Read as a key range of the
        receipt index, so a page costs the same wherever it starts; what-if
        and the SLA report read a store this way."""
        sql, params = _sla_page_sql(self.dialect, since, until, after, limit)
        return [
            SlaRow(cid, from_db_time(at), category, bool(is_open), sla)
            for cid, at, category, is_open, sla in self._rows(sql, params)
        ]

    # -- the screens' look-ups --------------------------------------------------------

    def count_from(self, complainant: str, *, since: datetime, until: datetime) -> int:
        return int(self._rows(_COUNT, _window(self.dialect, complainant, since, until))[0][0])

    def recent_from(
        self, complainant: str, *, since: datetime, until: datetime, limit: int = 100
    ) -> list[Complaint]:
        params = _window(self.dialect, complainant, since, until)
        return self._complaints(reversed(self._rows(_RECENT, [*params, limit])))

    def _complaints(self, found: Iterable[Sequence[Any]]) -> list[Complaint]:
        """The complaints of ``(id, version)`` rows, in their order: cached,
        or read and parsed in one more query for those that are not."""
        ids, got = _cached(self._cache, found)
        sql, missing = _missing_sql(got)
        return _in_order(self._cache, ids, got, self._rows(sql, missing) if missing else [])

    def find_like(
        self, complaint: Complaint, *, same_order: bool = True, limit: int = 20
    ) -> list[Complaint]:
        return self._complaints(self._rows(*_like_sql(complaint, same_order, limit)))

    # -- the outbox ---------------------------------------------------------------

    def notifications(self, complaint_id: str | None = None) -> list[Notification]:
        """Every notification (of one complaint), delivered or not."""
        return _notes(self._rows(*_notifications_sql(complaint_id)))

    def pending_notifications(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> list[Notification]:
        return _notes(self._rows(*_pending_sql(self.dialect, now, limit)))

    def claim_notifications(
        self, *, now: datetime, limit: int = 100, lease: timedelta = DEFAULT_LEASE
    ) -> list[Notification]:
        until = now.astimezone(UTC) + lease  # real time, not wall-clock
        q, t = self.dialect.q, self.dialect.t

        def work(conn: Any) -> list[Notification]:
            out = _leased(conn.execute(q(_CLAIM), (t(now), limit)).fetchall(), until)
            if out:
                conn.cursor().executemany(q(_LEASE), _lease_rows(self.dialect, out))
            return out

        return self._run(work)

    def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        def work(conn: Any) -> bool:
            n = self._notification(conn, notification_id)
            if n.status == "delivered":
                return False
            self._update_notification(conn, delivered(n, at))
            return True

        return self._run(work)

    def mark_failed(self, notification_id: str, *, error: str, next_attempt_at: datetime) -> None:
        def work(conn: Any) -> None:
            n = self._notification(conn, notification_id)
            self._update_notification(conn, failed(n, error, next_attempt_at))

        self._run(work)

    def dead_letter(self, *, max_attempts: int, limit: int = 100) -> list[Notification]:
        """Mark pending notifications with ``max_attempts`` failed attempts or
        more ``dead``, oldest first, up to ``limit``; returns them. Rows
        another worker holds are skipped, left for its next round."""

        def work(conn: Any) -> list[Notification]:
            rows = conn.execute(self.dialect.q(_DEAD_DUE), (max_attempts, limit)).fetchall()
            out = [dead(n) for n in _notes(rows)]
            for n in out:
                self._update_notification(conn, n)
            return out

        return self._run(work)

    def dead_notifications(self, *, limit: int = 100) -> list[Notification]:
        """Dead-lettered notifications, oldest first."""
        return _notes(self._rows(_DEAD, (limit,)))

    def _notification(self, conn: Any, notification_id: str) -> Notification:
        row = conn.execute(self.dialect.q(_NOTIFICATION), (notification_id,)).fetchone()
        return _notification_of(notification_id, row)

    def _update_notification(self, conn: Any, n: Notification) -> None:
        conn.execute(self.dialect.q(_NOTIFICATION_UPDATE), _notification_update(self.dialect, n))
