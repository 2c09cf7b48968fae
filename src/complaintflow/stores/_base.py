"""The store contract every store implements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from complaintflow.models import Complaint, Event, Notification


@runtime_checkable
class Store(Protocol):
    """Where complaints, their events and their notifications are kept.

    ``save`` writes the complaint, its new events and its new notifications
    together, or nothing: a failure leaves the complaint as it was."""

    def load(self, complaint_id: str) -> Complaint | None:
        """The complaint, or ``None``."""
        ...

    def save(
        self,
        complaint: Complaint,
        *,
        expected_version: int,
        events: Sequence[Event],
        notifications: Sequence[Notification] = (),
    ) -> None:
        """Save atomically if the stored version is ``expected_version``
        (0 for a new complaint); otherwise raise ``ConcurrencyError``."""
        ...

    def events(self, complaint_id: str) -> list[Event]:
        """The complaint's audit trail, in ``seq`` order."""
        ...

    def pending_notifications(
        self, *, now: datetime | None = None, limit: int = 100
    ) -> list[Notification]:
        """Notifications not yet delivered whose next attempt is due by ``now``
        (every pending one when ``now`` is ``None``), oldest first."""
        ...

    def mark_delivered(self, notification_id: str, *, at: datetime) -> bool:
        """Mark delivered; ``False`` if it already was (never deliver twice)."""
        ...

    def mark_failed(self, notification_id: str, *, error: str, next_attempt_at: datetime) -> None:
        """Record a failed attempt and when to try again."""
        ...

    def due(self, before: datetime, *, limit: int = 1000) -> list[Complaint]:
        """Open complaints with an SLA check (warning or deadline) due before
        ``before``, earliest first."""
        ...

    def find(
        self,
        *,
        complainant: str | None = None,
        respondent: str | None = None,
        open_only: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Complaint]:
        """Complaints matching the filters, oldest received first."""
        ...
