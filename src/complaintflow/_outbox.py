"""The outbox: builds notifications, leases them to this process, delivers
them through the ``complaintflow_notify`` hook and backs off on failure."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pluggy

from complaintflow._base import fast_copy, fast_from_dict, utc
from complaintflow.errors import StoreError
from complaintflow.models import Complaint, Event, Notification
from complaintflow.stores import Store

log = logging.getLogger("complaintflow")


def error_text(e: BaseException) -> str:
    """What a notification keeps of a failed delivery (``last_error``): the
    exception's type, never its message, which could quote the recipient's
    contact that an erasure could not reach (docs/privacy.md). The message
    is logged at ``DEBUG`` level only.

    >>> error_text(ConnectionError("SMS to +86 139 0000 7777 refused"))
    'ConnectionError'
    """
    return type(e).__name__


def notification(
    c: Complaint,
    seq: int,
    kind: str,
    recipient: str,
    role: str,
    at: datetime,
    data: Mapping[str, Any],
) -> Notification:
    """One pending notification; its id (also its idempotency key) is one
    per event, kind and recipient role."""
    return fast_from_dict(
        Notification,
        {
            "id": f"{c.id}:{seq}:{kind}:{role}",
            "complaint_id": c.id,
            "event_seq": seq,
            "kind": kind,
            "recipient": recipient,
            "recipient_role": role,
            "created_at": at.astimezone(UTC),  # storage is UTC (docs/concepts.md, "Times")
            "data": {"subject": c.subject, "status": c.status._value_, **data},
            "status": "pending",
            "attempts": 0,
            "last_error": None,
            "next_attempt_at": None,
            "delivered_at": None,
        },
    )


class Outbox:
    """Delivery of notifications for one engine."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        store: Store,
        clock: Callable[[], datetime],
        *,
        lease: timedelta,
        backoff: timedelta,
    ) -> None:
        self._store = store
        self._clock = clock
        self._event_hook = pm.hook.complaintflow_event
        self._has_event_hooks = bool(self._event_hook.get_hookimpls())
        self.lease = lease
        self.backoff = backoff
        hook = pm.hook.complaintflow_notify
        impls = hook.get_hookimpls()
        self.active = bool(impls)
        plain = [i.plugin for i in impls if not (i.wrapper or i.hookwrapper)]
        # Each plain notifier is called through pluggy on its own (so that a
        # failing one does not starve the others), with every wrapper around
        # it; with only wrappers, the hook is called once.
        self._callers: list[Callable[..., Any]] = (
            [pm.subset_hook_caller(hook.name, [o for o in plain if o is not p]) for p in plain]
            if plain
            else [hook]
        )

    def leased(self, notes: list[Notification], at: datetime) -> list[Notification]:
        """With notifiers, the notifications this engine delivers right after
        the save are saved already claimed by it, so that a concurrent
        ``deliver_pending`` elsewhere does not deliver them too; if this
        process dies before delivering, they are due again after the lease."""
        if not notes or not self.active:
            return notes
        until = utc(max(at, self._clock(), key=utc)) + self.lease
        return [fast_copy(n, next_attempt_at=until) for n in notes]

    def deliver_due(self, now: datetime, limit: int) -> int:
        """Claim the notifications due by ``now`` and deliver them."""
        if not self.active:
            return 0
        claimed = self._store.claim_notifications(now=now, limit=limit, lease=self.lease)
        return sum(self.deliver(n, now) for n in claimed)

    def after_save(
        self, events: Sequence[Event], complaint: Complaint, notes: Iterable[Notification]
    ) -> None:
        """After a save: the ``complaintflow_event`` hooks, then delivery;
        a failure of either is logged and never undoes the save."""
        if self._has_event_hooks:
            for e in events:
                try:
                    self._event_hook(event=e, complaint=complaint)
                except Exception:
                    log.exception("a complaintflow_event hook failed for event %s", e.seq)
        if self.active:
            for n in notes:
                self.deliver(n, events[0].at)

    def _notify(self, n: Notification) -> None:
        """Every notifier, even after one fails, then the first failure."""
        first: Exception | None = None
        for call in self._callers:
            try:
                call(notification=n)
            except Exception as e:
                first = first or e
        if first is not None:
            raise first

    def deliver(self, n: Notification, now: datetime) -> bool:
        """Deliver one notification; a failure is recorded with the next
        attempt's time (exponential back-off), never raised."""
        if not self.active:
            return False
        try:
            self._notify(n)
        except Exception as e:
            delay = self.backoff * (2 ** min(n.attempts, 10))
            error = error_text(e)
            log.warning("notification %s failed (attempt %d): %s", n.id, n.attempts + 1, error)
            log.debug("notification %s failed", n.id, exc_info=e)
            try:
                self._store.mark_failed(n.id, error=error, next_attempt_at=utc(now) + delay)
            except StoreError:
                log.exception("could not record the failure of notification %s", n.id)
            return False
        try:
            return self._store.mark_delivered(n.id, at=now)
        except StoreError:
            # the command stays applied; the notification stays pending and is
            # delivered again when its lease runs out (same idempotency key)
            log.exception("could not mark notification %s delivered", n.id)
            return False
