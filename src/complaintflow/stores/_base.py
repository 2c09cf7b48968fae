"""The store contract every store implements."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final, NamedTuple, Protocol, runtime_checkable

from complaintflow._status import Status
from complaintflow.errors import ConcurrencyError
from complaintflow.models import Complaint, Event, Notification
from complaintflow.stores._vault import VaultEntry

DEFAULT_LEASE: Final = timedelta(minutes=5)
"""How long a claimed notification is left to the worker that claimed it."""


class Save(NamedTuple):
    """One complaint's save in :meth:`Store.save_many`."""

    complaint: Complaint
    expected_version: int
    events: Sequence[Event]
    notifications: Sequence[Notification] = ()


class SlaRow(NamedTuple):
    """One complaint as what-if and the SLA report read it (``sla_page`` of
    the SQL stores): the indexed columns they need and the SLA state as the
    JSON text it is stored as (``None`` when the complaint has none)."""

    id: str
    received_at: datetime
    """Aware, in UTC."""
    category: str | None
    is_open: bool
    sla: str | bytes | None


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

    def save_many(self, saves: Sequence[Save]) -> list[bool]:
        """Save several complaints, each as :meth:`save` would (complaint,
        events and notifications together or nothing), in one transaction
        where the store has them; a conflict skips that complaint (``False``
        in its place) instead of raising, and the others still apply. The
        sweep saves its alerts this way."""
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

    def claim_notifications(
        self, *, now: datetime, limit: int = 100, lease: timedelta = DEFAULT_LEASE
    ) -> list[Notification]:
        """Take up to ``limit`` pending notifications due by ``now``, oldest
        first, for one worker: each is returned with ``next_attempt_at`` moved
        to ``now + lease``, so that no other worker claims it before the lease
        runs out (a worker that dies mid-delivery delays it, never loses it).
        Workers that claim at the same time get disjoint sets."""
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
        status: Status | Iterable[Status] | None = None,
        category: str | None = None,
        handler: str | None = None,
        needs_triage: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Complaint]:
        """Complaints matching every filter given, oldest received first (then
        by id), ``limit`` of them after skipping ``offset``. ``status`` is one
        status or several; ``needs_triage=True`` keeps the complaints waiting
        for a handler to choose their category (the triage queue), ``False``
        the others. ``limit`` is from 1 to 1,000,000 and ``offset`` from 0; a
        filter of the wrong type or value is an
        :class:`~complaintflow.errors.InvalidInput` naming it, on every
        built-in store alike."""
        ...

    def notifications(self, complaint_id: str | None = None) -> list[Notification]:
        """Every notification (of one complaint), delivered or not, oldest
        first."""
        ...

    def count_from(self, complainant: str, *, since: datetime, until: datetime) -> int:
        """How many complaints from ``complainant`` were received after
        ``since`` and no later than ``until``; read from an index, so the
        cost follows the complaints inside the window, not the
        complainant's whole history."""
        ...

    def recent_from(
        self, complainant: str, *, since: datetime, until: datetime, limit: int = 100
    ) -> list[Complaint]:
        """The latest ``limit`` complaints from ``complainant`` received after
        ``since`` and no later than ``until``, oldest first (then by id)."""
        ...

    def find_like(
        self, complaint: Complaint, *, same_order: bool = True, limit: int = 20
    ) -> list[Complaint]:
        """Open complaints from ``complaint``'s complainant, other than it,
        against the same respondent (a complaint without one matches any),
        that share its order id (when ``same_order``) or a key of its text
        fingerprint (:mod:`complaintflow._fingerprint`): at most ``limit``,
        the most alike first (the same order, then more fingerprint keys
        shared), then the oldest received (then by id). The duplicate
        screen's candidates, found by index whatever the complainant's
        history."""
        ...

    def vault_put(self, entries: Sequence[VaultEntry]) -> None:
        """Add personal-data vault entries (see ``docs/privacy.md``); an
        entry whose complaint and party exist already is kept as it is."""
        ...

    def vault_read(self, complaint_ids: Sequence[str]) -> list[VaultEntry]:
        """The vault entries of these complaints, every party's (by index)."""
        ...

    def vault_of(self, party_id: str) -> list[VaultEntry]:
        """Every vault entry of one party (by index)."""
        ...

    def vault_erase(self, *, party_id: str | None = None, complaint_id: str | None = None) -> int:
        """Delete the vault entries of a party (all of them) or of a
        complaint (every party's), and the :meth:`find_like` keys of the
        texts they wrote; returns how many entries were deleted. Deleted
        data must not stay readable in the store's files where the store
        can prevent it (SQLite: ``secure_delete`` and a WAL checkpoint)."""
        ...

    def close(self) -> None:
        """Release the store's connections; a closed store is not used again."""
        ...


def check_seqs(version: int, events: Sequence[Event]) -> None:
    """Refuse events whose ``seq`` do not follow ``version`` one by one."""
    for i, event in enumerate(events, start=version + 1):
        if event.seq != i:
            raise ConcurrencyError(f"event seq {event.seq} does not follow {i - 1}")


def save_each(store: Store, saves: Sequence[Save]) -> list[bool]:
    """:meth:`Store.save_many` done with one :meth:`Store.save` per complaint."""
    out = []
    for s in saves:
        try:
            store.save(
                s.complaint,
                expected_version=s.expected_version,
                events=s.events,
                notifications=s.notifications,
            )
        except ConcurrencyError:
            out.append(False)
        else:
            out.append(True)
    return out


def delivered(n: Notification, at: datetime) -> Notification:
    """``n`` after a successful delivery attempt at ``at``."""
    return n.model_copy(
        update={"status": "delivered", "delivered_at": at, "attempts": n.attempts + 1}
    )


def failed(n: Notification, error: str, next_attempt_at: datetime) -> Notification:
    """``n`` after a failed delivery attempt, due again at ``next_attempt_at``."""
    return n.model_copy(
        update={"attempts": n.attempts + 1, "last_error": error, "next_attempt_at": next_attempt_at}
    )


def dead(n: Notification) -> Notification:
    """``n`` given up on: dead-lettered, never claimed again."""
    return n.model_copy(update={"status": "dead", "next_attempt_at": None})


class ParsedCache:
    """Complaints kept parsed, by id, most recently used first (bounded).

    A stored version is written once, by whoever wins it, so ``(id,
    version)`` names one content: a cached complaint of the version a
    database row holds is that row, whatever process wrote it."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Complaint] = OrderedDict()

    def get(self, complaint_id: str, version: int) -> Complaint | None:
        """The cached complaint if it is at ``version``."""
        c = self._items.get(complaint_id)
        return c if c is not None and c.version == version else None

    def parse(self, complaint_id: str, version: int, doc: str | bytes) -> Complaint:
        """The complaint a stored row holds: the cached one when it is at
        ``version``, else ``doc`` parsed (and remembered)."""
        complaint = self.get(complaint_id, version)
        if complaint is None:
            complaint = Complaint.model_validate_json(doc)
            self.put(complaint)
        return complaint

    def held(self, complaint_id: str) -> Complaint | None:
        """The cached complaint, of whatever version."""
        return self._items.get(complaint_id)

    def put(self, complaint: Complaint) -> None:
        """Remember a complaint just read or saved."""
        with self._lock:
            self._items[complaint.id] = complaint
            self._items.move_to_end(complaint.id)
            if len(self._items) > self._size:
                self._items.popitem(last=False)
