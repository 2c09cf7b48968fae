"""The in-memory store: the default, and the reference for the contract."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from complaintflow._base import fast_new
from complaintflow.errors import ConcurrencyError, NotFound
from complaintflow.models import Complaint, Event, Notification
from complaintflow.states import Status
from complaintflow.stores._base import DEFAULT_LEASE, Save, save_each, status_filter

_FIELDS: Final = tuple(Complaint.model_fields)
_VERSION: Final = _FIELDS.index("version")


def _row(c: Complaint) -> tuple[Any, ...]:
    d = c.__dict__
    return tuple(d[f] for f in _FIELDS)


def _complaint(row: tuple[Any, ...]) -> Complaint:
    return fast_new(Complaint, **dict(zip(_FIELDS, row, strict=True)))


class MemoryStore:
    """Keeps everything in memory, behind one lock: complaints as compact
    rows, events and notifications as the immutable models they are."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._complaints: dict[str, tuple[Any, ...]] = {}
        self._events: dict[str, list[Event]] = {}
        self._outbox: dict[str, Notification] = {}

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
                n = n.model_copy(update={"next_attempt_at": now + lease})
                self._outbox[n.id] = n
                out.append(n)
            return out

    def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        with self._lock:
            n = self._get(notification_id)
            if n.status == "delivered":
                return False
            self._outbox[notification_id] = n.model_copy(
                update={"status": "delivered", "delivered_at": at, "attempts": n.attempts + 1}
            )
            return True

    def mark_failed(self, notification_id: str, *, error: str, next_attempt_at: datetime) -> None:
        with self._lock:
            n = self._get(notification_id)
            self._outbox[notification_id] = n.model_copy(
                update={
                    "attempts": n.attempts + 1,
                    "last_error": error,
                    "next_attempt_at": next_attempt_at,
                }
            )

    def _get(self, notification_id: str) -> Notification:
        try:
            return self._outbox[notification_id]
        except KeyError:
            raise NotFound(f"no notification {notification_id!r}") from None

    def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        out = []
        for c in map(_complaint, list(self._complaints.values())):
            nxt = None if c.sla is None else c.sla.next_check
            if nxt is not None and nxt <= before:
                out.append((nxt, c))
        out.sort(key=lambda p: p[0])
        return [c for _, c in out[:limit]]

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
        out = [
            c
            for c in map(_complaint, list(self._complaints.values()))
            if (complainant is None or c.complainant.id == complainant)
            and (respondent is None or (c.respondent is not None and c.respondent.id == respondent))
            and (not open_only or c.is_open)
            and (statuses is None or c.status in statuses)
            and (category is None or c.category == category)
            and (handler is None or c.handler == handler)
        ]
        out.sort(key=lambda c: (c.received_at, c.id))
        return out[offset : offset + limit]
