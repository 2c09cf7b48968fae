"""The in-memory store: the default, and the reference for the contract."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, Final

from complaintflow._base import fast_from_dict, utc
from complaintflow._status import OPEN_STATUSES, Status
from complaintflow.errors import ConcurrencyError, NotFound
from complaintflow.models import Complaint, Event, Notification
from complaintflow.stores._base import (
    DEFAULT_LEASE,
    Save,
    dead,
    delivered,
    failed,
    save_each,
    status_filter,
)

_FIELDS: Final = tuple(Complaint.model_fields)
_VERSION: Final = _FIELDS.index("version")
_I: Final = {f: i for i, f in enumerate(_FIELDS)}
_OPEN: Final = frozenset(OPEN_STATUSES)


_GET: Final = itemgetter(*_FIELDS)


def _row(c: Complaint) -> tuple[Any, ...]:
    return _GET(c.__dict__)  # type: ignore[no-any-return]


def _complaint(row: tuple[Any, ...]) -> Complaint:
    return fast_from_dict(Complaint, dict(zip(_FIELDS, row, strict=True)))


class MemoryStore:
    """Keeps everything in memory, behind one lock: complaints as compact
    rows, events and notifications as the immutable models they are."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._complaints: dict[str, tuple[Any, ...]] = {}
        self._events: dict[str, list[Event]] = {}
        self._outbox: dict[str, Notification] = {}
        # party id -> complaint ids (parties never change after submit)
        self._by_complainant: dict[str, list[str]] = {}
        self._by_respondent: dict[str, list[str]] = {}

    def load(self, complaint_id: str) -> Complaint | None:
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
            current = self._complaints.get(complaint.id)
            version = current[_VERSION] if current is not None else 0
            if version != expected_version:
                raise ConcurrencyError(
                    f"complaint {complaint.id!r} is at version {version}, "
                    f"not {expected_version}: reload and try again"
                )
            trail = self._events.get(complaint.id, [])
            for i, event in enumerate(events, start=len(trail) + 1):
                if event.seq != i:
                    raise ConcurrencyError(f"event seq {event.seq} does not follow {i - 1}")
            for n in notifications:
                if n.id in self._outbox:
                    raise ConcurrencyError(f"notification {n.id!r} exists already")
            if current is None:
                self._by_complainant.setdefault(complaint.complainant.id, []).append(complaint.id)
                if complaint.respondent is not None:
                    self._by_respondent.setdefault(complaint.respondent.id, []).append(complaint.id)
            self._complaints[complaint.id] = _row(complaint)
            self._events[complaint.id] = [*trail, *events]
            for n in notifications:
                self._outbox[n.id] = n

    def save_many(self, saves: Sequence[Save]) -> list[bool]:
        return save_each(self, saves)

    def events(self, complaint_id: str) -> list[Event]:
        return list(self._events.get(complaint_id, ()))

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
        i = _I["sla"]
        out = []
        for row in list(self._complaints.values()):
            sla = row[i]
            nxt = None if sla is None else sla.next_check
            if nxt is not None and utc(nxt) <= utc(before):
                out.append((utc(nxt), row))
        out.sort(key=lambda p: p[0])
        return [_complaint(row) for _, row in out[:limit]]

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
        statuses = status_filter(status)
        if complainant is not None or respondent is not None:
            ids: list[str] | None = None
            for index, key in (
                (self._by_complainant, complainant),
                (self._by_respondent, respondent),
            ):
                if key is not None:
                    found = index.get(key, [])
                    keep = set(found)
                    ids = found if ids is None else [x for x in ids if x in keep]
            rows = [self._complaints[x] for x in ids or ()]
        else:
            rows = list(self._complaints.values())
        st, cat, hd = _I["status"], _I["category"], _I["handler"]
        out = [
            _complaint(row)
            for row in rows
            if (not open_only or row[st] in _OPEN)
            and (statuses is None or row[st] in statuses)
            and (category is None or row[cat] == category)
            and (handler is None or row[hd] == handler)
        ]
        out.sort(key=lambda c: (utc(c.received_at), c.id))
        return out[offset : offset + limit]
