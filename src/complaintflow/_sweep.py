"""SLA sweeps: the warnings and breaches due on a complaint, as events and
notifications to save, with the alerts to announce."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from complaintflow._base import fast_new, utc
from complaintflow._outbox import Outbox, notification
from complaintflow._sla_state import TargetRecord
from complaintflow.models import Complaint, Event, Notification
from complaintflow.sla import SlaAlert
from complaintflow.stores import Save, Store

log = logging.getLogger("complaintflow")


@dataclass(slots=True)
class SweepPlan:
    """What a sweep saves for one complaint."""

    before: Complaint
    """The complaint as loaded (its version is the expected one)."""
    after: Complaint
    events: list[Event] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    alerts: list[SlaAlert] = field(default_factory=list)


def _alert_due(key: str, due: datetime, now: datetime) -> bool:
    """Whether an alert is due by ``now``: a breach only once the deadline
    has passed (a stop exactly at the deadline is met)."""
    if key == "breach":
        return utc(due) < utc(now)
    return utc(due) <= utc(now)


def _iso(t: datetime, like: datetime | None) -> str:
    """``t`` in the zone of ``like`` (the deadline's: the calendar's)."""
    return (t if like is None else t.astimezone(like.tzinfo)).isoformat()


def _alert_event(
    after: Complaint,
    r: TargetRecord,
    key: str,
    due: datetime,
    alert: SlaAlert,
    at: datetime,
    recorded_at: datetime,
) -> Event:
    """The ``sla_breach`` or ``sla_warning`` event recording ``alert`` (of
    target ``r``, due at ``due``) on ``after``."""
    return fast_new(
        Event,
        complaint_id=after.id,
        seq=after.version + 1,
        type="sla_breach" if key == "breach" else "sla_warning",
        at=at,
        actor="system",
        from_status=after.status,
        to_status=after.status,
        cycle=after.cycle,
        data={
            "target": r.name,
            "key": key,
            "threshold": alert.threshold,
            "due_at": _iso(due, r.deadline),
            "deadline": None if r.deadline is None else r.deadline.isoformat(),
            **({"provisional": r.provisional} if r.provisional else {}),
        },
        recorded_at=recorded_at,
        time_basis="clock",
    )


MakeAlert = Callable[[Complaint, TargetRecord, str, datetime, datetime], SlaAlert]
"""``(complaint, record, key, due, now) -> alert``: ``SlaTracker.alert``."""


def plan(
    c: Complaint,
    now: datetime,
    apply: Callable[[Complaint, Event], Complaint],
    make_alert: MakeAlert,
    recorded_at: datetime | None = None,
) -> SweepPlan | None:
    """The alerts due on ``c`` by ``now``; ``None`` when nothing is due.
    ``apply`` applies an event (reducer and SLA tracker), ``make_alert``
    builds each alert; ``recorded_at`` is the engine clock's time (``now``
    when omitted)."""
    if c.sla is None:
        return None
    at = max(now, c.updated_at, key=utc)
    p = SweepPlan(before=c, after=c)
    names = [r.name for r in c.sla.targets if r.cycle == c.cycle and r.live]
    for name in names:
        while True:
            assert p.after.sla is not None
            r = next(x for x in p.after.sla.targets if x.cycle == c.cycle and x.name == name)
            key, due = r.next_alert(), r.next_alert_at
            if key is None or due is None or not _alert_due(key, due, now):
                break
            alert = make_alert(c, r, key, due, now)
            event = _alert_event(p.after, r, key, due, alert, at, recorded_at or now)
            p.after = apply(p.after, event)
            p.events.append(event)
            p.alerts.append(alert)
    if not p.events:
        return None
    # to the handler, or to whoever watches the "handlers" queue
    p.notifications = [
        notification(c, e.seq, e.type, c.handler or "handlers", "handler", at, e.data)
        for e in p.events
    ]
    return p


class Sweeper:
    """Runs sweeps for one engine: plans, saves in one batch, announces."""

    def __init__(
        self,
        store: Store,
        outbox: Outbox,
        apply: Callable[[Complaint, Event], Complaint],
        make_alert: MakeAlert,
        alert_hook: Callable[..., object],
        after: Callable[[list[Event], Complaint, list[Notification]], None],
    ) -> None:
        self._store = store
        self._outbox = outbox
        self._apply = apply
        self._make_alert = make_alert
        self._alert_hook = alert_hook
        self._after = after

    def run(self, now: datetime, limit: int, recorded_at: datetime) -> list[SlaAlert]:
        """The alerts due by ``now`` on up to ``limit`` due complaints, each
        emitted once; a complaint another writer changed meanwhile is left
        for the next sweep."""
        due = self._store.due(now, limit=limit)
        plans = [p for c in due if (p := plan(c, now, self._apply, self._make_alert, recorded_at))]
        for p in plans:
            p.notifications = self._outbox.leased(p.notifications, p.events[0].at)
        # one batch, one transaction where the store can
        saved = self._store.save_many(
            [Save(p.after, p.before.version, p.events, p.notifications) for p in plans]
        )
        return [a for p, ok in zip(plans, saved, strict=True) for a in self._announce(p, ok)]

    def _announce(self, p: SweepPlan, saved: bool) -> list[SlaAlert]:
        if not saved:
            log.info("complaint %s changed during the sweep; left for the next one", p.before.id)
            return []
        for alert in p.alerts:
            try:
                self._alert_hook(alert=alert)
            except Exception:
                log.exception("a complaintflow_sla_alert hook failed for %s", p.before.id)
        self._after(p.events, p.after, p.notifications)
        return p.alerts
