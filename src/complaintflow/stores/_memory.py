"""The in-memory store: the default, and the reference for the contract."""

from __future__ import annotations

import threading
from bisect import bisect_right, insort
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, Final

from complaintflow._base import fast_from_dict, utc
from complaintflow._status import Status
from complaintflow.errors import ConcurrencyError, NotFound
from complaintflow.models import Complaint, Event, Notification
from complaintflow.stores._base import (
    DEFAULT_LEASE,
    Save,
    check_seqs,
    dead,
    delivered,
    failed,
    save_each,
)
from complaintflow.stores._compact import EventPacker, KeyIndex, PackedEvent
from complaintflow.stores._find import check_find
from complaintflow.stores._index import (
    IndexRow,
    index_row,
    match_key_parts,
    match_keys,
    micros,
    order_key,
    reindex,
)
from complaintflow.stores._vault import Held, MemoryVault

_FIELDS: Final = tuple(Complaint.model_fields)
_VERSION: Final = _FIELDS.index("version")
_GET: Final = itemgetter(*_FIELDS)
_FIRST: Final = itemgetter(0)

_RECENT: Final = 64
"""How many of the complaints saved last are kept as the objects they are: a
command on one of them neither builds it from its row nor writes its row and
index row, which are brought up to date when it leaves them, or before a
query reads the index."""

Order = list[tuple[int, str]]
"""(received instant in microseconds, complaint id), kept sorted."""


def _row(c: Complaint) -> tuple[Any, ...]:
    return _GET(c.__dict__)  # type: ignore[no-any-return]


def _place(order: Order, entry: tuple[int, str]) -> None:
    """Put ``entry`` in its place in ``order``: most often the end (complaints
    mostly come in the order they were received)."""
    if not order or order[-1] < entry:
        order.append(entry)
    else:
        insort(order, entry)


def _complaint(row: tuple[Any, ...]) -> Complaint:
    return fast_from_dict(Complaint, dict(zip(_FIELDS, row, strict=True)))


class MemoryStore(MemoryVault):
    """Keeps everything in memory, behind one lock: complaints as compact
    rows beside their index rows, events as packed tuples (see
    :mod:`~complaintflow.stores._compact`), notifications as the immutable
    models they are; the complaints saved last as the objects they are
    (:data:`_RECENT`). Complaints are also kept in receipt order (all of
    them, and per party) and under their match keys, so that ``find`` pages
    and the screens' look-ups never sort or scan the whole store."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._complaints: dict[str, tuple[Any, ...]] = {}
        self._recent: OrderedDict[str, Complaint] = OrderedDict()
        self._dirty: set[str] = set()  # recent ones whose row and index row are behind
        self._index: dict[str, IndexRow] = {}
        self._events: dict[str, list[PackedEvent]] = {}
        self._packer = EventPacker()
        self._outbox: dict[str, Notification] = {}
        # parties never change after submit
        self._received: Order = []
        self._by_complainant: dict[str, Order] = {}
        self._by_respondent: dict[str, Order] = {}
        self._by_key = KeyIndex()
        self._vault: dict[str, Held] = {}
        self._vault_parties: dict[str, str | dict[str, None]] = {}

    def close(self) -> None:
        """Nothing to release."""

    def load(self, complaint_id: str) -> Complaint | None:
        c = self._recent.get(complaint_id)
        if c is not None:
            return c
        row = self._complaints.get(complaint_id)
        return None if row is None else _complaint(row)

    def save(
        self,
        complaint: Complaint,
        *,
        expected_version: int,
        events: Sequence[Event],
        notifications: Sequence[Notification] = (),
    ) -> None:
        with self._lock:
            cid = complaint.id
            last = self._recent.get(cid)
            row = self._complaints.get(cid) if last is None else None
            is_new = last is None and row is None
            version = last.version if last is not None else 0 if row is None else row[_VERSION]
            if version != expected_version:
                raise ConcurrencyError(
                    f"complaint {complaint.id!r} is at version {version}, "
                    f"not {expected_version}: reload and try again"
                )
            trail = self._events.get(complaint.id)
            seq = 0 if trail is None else len(trail)
            if len(events) != 1 or events[0].seq != seq + 1:
                check_seqs(seq, events)
            for n in notifications:
                if n.id in self._outbox:
                    raise ConcurrencyError(f"notification {n.id!r} exists already")
            packed = [self._packer.pack(e) for e in events]
            if is_new:
                ix = self._index[cid] = index_row(complaint)
                self._complaints[cid] = _row(complaint)
                self._file(complaint, ix)
            else:
                self._dirty.add(cid)
            self._remember(complaint)
            if trail is None:
                self._events[cid] = packed
            else:
                trail += packed
            for n in notifications:
                self._outbox[n.id] = n

    def _remember(self, c: Complaint) -> None:
        recent = self._recent
        if recent.pop(c.id, None) is None and len(recent) >= _RECENT:
            cid, old = recent.popitem(last=False)  # the one saved longest ago
            if cid in self._dirty:
                self._dirty.discard(cid)
                self._write_back(old)
        recent[c.id] = c

    def _write_back(self, c: Complaint) -> None:
        self._complaints[c.id] = _row(c)
        self._index[c.id] = reindex(self._index[c.id], c)

    def _flush(self) -> None:
        """Bring the rows and index rows of the recent complaints up to date
        (with the lock held)."""
        recent = self._recent
        for cid in self._dirty:
            self._write_back(recent[cid])
        self._dirty.clear()

    def _is_open(self, ix: IndexRow) -> bool:
        c = self._recent.get(ix.id)
        return ix.is_open if c is None else c.is_open

    def _current(self, complaint_id: str) -> Complaint:
        c = self._recent.get(complaint_id)
        return _complaint(self._complaints[complaint_id]) if c is None else c

    def _file(self, c: Complaint, ix: IndexRow) -> None:
        entry = (micros(ix.received_at), c.id)
        _place(self._received, entry)
        _place(self._by_complainant.setdefault(ix.complainant, []), entry)
        if ix.respondent is not None:
            _place(self._by_respondent.setdefault(ix.respondent, []), entry)
        self._by_key.add(ix.complainant, c.id, *match_key_parts(c))

    def _unfile_keys(self, complaint_id: str) -> None:
        """Take a complaint out of the duplicate screen's keys (the lock held)."""
        row = self._complaints.get(complaint_id)
        if row is None:
            return
        c = _complaint(row)
        self._by_key.remove(c.complainant.id, complaint_id, match_keys(c))

    def _complaints_of(self, party_id: str) -> list[str]:
        return [cid for _, cid in self._by_complainant.get(party_id, ())]

    def save_many(self, saves: Sequence[Save]) -> list[bool]:
        return save_each(self, saves)

    def events(self, complaint_id: str) -> list[Event]:
        unpack = self._packer.unpack
        return [unpack(complaint_id, row) for row in self._events.get(complaint_id, ())]

    def notifications(self, complaint_id: str | None = None) -> list[Notification]:
        """Every notification (of one complaint), delivered or not."""
        return [n for n in self._outbox.values() if complaint_id in (None, n.complaint_id)]

    def pending_notifications(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> list[Notification]:
        out = [
            n
            for n in self._outbox.values()
            if n.status == "pending"
            and (now is None or n.next_attempt_at is None or n.next_attempt_at <= now)
        ]
        return out[:limit]

    def claim_notifications(
        self, *, now: datetime, limit: int = 100, lease: timedelta = DEFAULT_LEASE
    ) -> list[Notification]:
        with self._lock:
            out = []
            for n in self.pending_notifications(now=now, limit=limit):
                n = n.model_copy(update={"next_attempt_at": utc(now) + lease})
                self._outbox[n.id] = n
                out.append(n)
            return out

    def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        with self._lock:
            n = self._get(notification_id)
            if n.status == "delivered":
                return False
            self._outbox[notification_id] = delivered(n, at)
            return True

    def mark_failed(self, notification_id: str, *, error: str, next_attempt_at: datetime) -> None:
        with self._lock:
            n = self._get(notification_id)
            self._outbox[notification_id] = failed(n, error, next_attempt_at)

    def dead_letter(self, *, max_attempts: int, limit: int = 100) -> list[Notification]:
        """Mark pending notifications with ``max_attempts`` failed attempts or
        more ``dead``, oldest first, up to ``limit``; returns them."""
        with self._lock:
            out: list[Notification] = []
            for n in list(self._outbox.values()):
                if len(out) >= limit:
                    break
                if n.status == "pending" and n.attempts >= max_attempts:
                    self._outbox[n.id] = n = dead(n)
                    out.append(n)
            return out

    def dead_notifications(self, *, limit: int = 100) -> list[Notification]:
        """Dead-lettered notifications, oldest first."""
        return [n for n in self._outbox.values() if n.status == "dead"][:limit]

    def _get(self, notification_id: str) -> Notification:
        try:
            return self._outbox[notification_id]
        except KeyError:
            raise NotFound(f"no notification {notification_id!r}") from None

    def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        by = utc(before)
        with self._lock:
            self._flush()
        out = [
            (ix.next_check, ix.id)
            for ix in list(self._index.values())
            if ix.next_check is not None and ix.next_check <= by
        ]
        out.sort(key=_FIRST)
        return [self._current(cid) for _, cid in out[:limit]]

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
        wanted: dict[str, object] = {
            "complainant": complainant,
            "respondent": respondent,
            "category": category,
            "handler": handler,
            "needs_triage": needs_triage,
        }
        statuses = check_find(
            {**wanted, "open_only": open_only, "status": status, "limit": limit, "offset": offset}
        )
        if complainant is not None:
            order = self._by_complainant.get(complainant, [])
        elif respondent is not None:
            order = self._by_respondent.get(respondent, [])
        else:
            order = self._received
        checks = [(f, v) for f, v in wanted.items() if v is not None]
        out: list[Complaint] = []
        skip = offset
        with self._lock:  # walks the order list in place: no writer meanwhile
            self._flush()
            rows = self._matching(order, open_only, statuses, checks)
            for ix in rows:
                if skip > 0:
                    skip -= 1
                    continue
                if len(out) >= limit:
                    break
                out.append(self._current(ix.id))
        return out

    def _matching(
        self,
        order: Order,
        open_only: bool,
        statuses: frozenset[str] | None,
        checks: list[tuple[str, object]],
    ) -> Iterator[IndexRow]:
        index = self._index
        for _, cid in order:
            ix = index[cid]
            if (
                (open_only and not ix.is_open)
                or (statuses is not None and ix.status not in statuses)
                or any(getattr(ix, f) != v for f, v in checks)
            ):
                continue
            yield ix

    def _window(self, complainant: str, since: datetime, until: datetime) -> tuple[Order, int, int]:
        order = self._by_complainant.get(complainant, [])
        if not order:
            return order, 0, 0
        lo = bisect_right(order, micros(utc(since)), key=_FIRST)
        hi = bisect_right(order, micros(utc(until)), key=_FIRST)
        return order, lo, max(lo, hi)

    def count_from(self, complainant: str, *, since: datetime, until: datetime) -> int:
        _, lo, hi = self._window(complainant, since, until)
        return hi - lo

    def recent_from(
        self, complainant: str, *, since: datetime, until: datetime, limit: int = 100
    ) -> list[Complaint]:
        order, lo, hi = self._window(complainant, since, until)
        picked = order[max(lo, hi - max(limit, 0)) : hi]
        return [self._current(cid) for _, cid in picked]

    def find_like(
        self, complaint: Complaint, *, same_order: bool = True, limit: int = 20
    ) -> list[Complaint]:
        who = complaint.complainant.id
        if who not in self._by_key:
            return []  # a complainant's first complaint
        them = None if complaint.respondent is None else complaint.respondent.id
        order = None if complaint.order_id is None else order_key(complaint.order_id)
        score: dict[str, int] = {}
        for key in match_keys(complaint, order=same_order):
            for cid in self._by_key.ids(who, key):
                score[cid] = score.get(cid, 0) + (1000 if key == order else 1)
        score.pop(complaint.id, None)
        if not score:
            return []
        # parties and receipt never change: only whether it is open may be
        # behind in the index row of a recent complaint
        rows = [
            ix
            for ix in map(self._index.__getitem__, score)
            if self._is_open(ix) and (them is None or ix.respondent in (None, them))
        ]
        rows.sort(key=lambda ix: (-score[ix.id], ix.received_at, ix.id))
        return [self._current(ix.id) for ix in rows[: max(limit, 0)]]
