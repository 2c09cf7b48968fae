"""Recalculation when the calendar changes (``Engine.calendar_changed``):
running and provisional targets are recomputed on the new calendar, and
each complaint whose deadlines move gets a ``calendar_changed`` event that
keeps the deadline first told (``promised``) beside the recomputed one."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Final

from complaintflow._base import fast_new
from complaintflow._reducer import apply_event
from complaintflow._status import OPEN_STATUSES, Status
from complaintflow.errors import InvalidInput
from complaintflow.models import Complaint, Event
from complaintflow.sla import BusinessCalendar
from complaintflow.sla._tracker import SlaTracker, calendar_changed_data, recalculate
from complaintflow.stores import Save, Store

log = logging.getLogger("complaintflow")

# complaints that can hold a running target (open) or a provisional one
# (closed: a stop judged while its deadline was provisional)
_STATUSES: Final = frozenset(OPEN_STATUSES | {Status.closed})


def calendars_by_name(
    calendars: Iterable[BusinessCalendar], default: BusinessCalendar
) -> dict[str, BusinessCalendar]:
    """The engine's other calendars by name (``Engine(calendars=...)``)."""
    out: dict[str, BusinessCalendar] = {}
    for i, c in enumerate(calendars):
        if not isinstance(c, BusinessCalendar):
            raise InvalidInput.field(f"calendars[{i}]", "must be a BusinessCalendar")
        if not c.name or c.name in out or c.name == default.name:
            why = f"a second calendar named {c.name!r}" if c.name else "needs a name"
            raise InvalidInput.field(f"calendars[{i}]", why)
        out[c.name] = c
    return out


def change_event(
    c: Complaint, tracker: SlaTracker, new: BusinessCalendar, previous: str, now: datetime
) -> Event | None:
    """The ``calendar_changed`` event for ``c``, or ``None`` when no deadline
    of it moves."""
    if c.sla is None:
        return None
    others = frozenset(tracker.calendars) - {new.name}
    changes = recalculate(c.sla, new, binding=tracker.binding, skip=others)
    if not changes:
        return None
    return fast_new(
        Event,
        complaint_id=c.id,
        seq=c.version + 1,
        type="calendar_changed",
        at=max(now, c.updated_at, key=lambda t: t.timestamp()),
        actor="system",
        from_status=c.status,
        to_status=c.status,
        cycle=c.cycle,
        data=calendar_changed_data(new, changes, previous=previous, binding=tracker.binding),
        recorded_at=now,
        time_basis="clock",
    )


def _install(tracker: SlaTracker, new: BusinessCalendar) -> str:
    """Put ``new`` in the place of the calendar of its name (one of the
    engine's other calendars, else the default); the replaced version."""
    if new.name in tracker.calendars and new.name != tracker.calendar.name:
        previous = tracker.calendars[new.name].version
        tracker.calendars[new.name] = new
    else:
        previous = tracker.calendar.version
        tracker.calendar = new
    return previous


def recalculate_store(
    store: Store,
    tracker: SlaTracker,
    new: BusinessCalendar,
    apply: Callable[[Complaint, Event], Complaint],
    now: datetime,
    batch: int,
) -> list[str]:
    """Switch ``tracker`` to ``new`` and record the change on every stored
    complaint whose deadlines move, ``batch`` complaints at a time (bounded
    memory). Returns the ids of the complaints changed; one changed by
    another writer meanwhile is recomputed again."""
    if not isinstance(new, BusinessCalendar):
        raise InvalidInput.field("calendar", "must be a BusinessCalendar")
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InvalidInput.field("batch", "must be a positive int")
    previous = _install(tracker, new)
    changed: list[str] = []
    offset = 0
    while page := store.find(status=_STATUSES, limit=batch, offset=offset):
        offset += len(page)
        retry = list(page)
        for _ in range(3):  # a complaint another writer changed is read again
            saves = []
            for c in retry:
                event = change_event(c, tracker, new, previous, now)
                if event is not None:
                    saves.append(Save(apply(c, event), c.version, [event], []))
            saved = store.save_many(saves)
            changed += [s.complaint.id for s, ok in zip(saves, saved, strict=True) if ok]
            lost = [s.complaint.id for s, ok in zip(saves, saved, strict=True) if not ok]
            reloaded = [store.load(cid) for cid in lost]
            retry = [c for c in reloaded if c is not None]
            if not retry:
                break
        else:
            log.warning("calendar change: %d complaints kept changing; left", len(retry))
    return changed


def replay(
    events: Sequence[Event],
    tracker: SlaTracker,
    calendars: Mapping[str, BusinessCalendar],
) -> Complaint | None:
    """Fold ``events`` into a complaint, counting each stretch of the trail
    on the calendar then in force: the one a ``calendar_changed`` event
    names from there on, and before the first, the one it replaced (when
    ``calendars`` knows it; else ``tracker``'s)."""
    switches = [e for e in events if e.type == "calendar_changed"]
    start = calendars.get(switches[0].data.get("previous") or "") if switches else None
    t = SlaTracker(tracker.calendar, binding=tracker.binding)
    t.calendars = dict(tracker.calendars)
    if start is not None:
        _install(t, start)
    complaint: Complaint | None = None
    for event in events:
        if event.type == "calendar_changed":
            known = calendars.get(event.data.get("version") or "")
            _install(t, known or tracker.calendar_for(event.data.get("calendar")))
        complaint = t.on_event(complaint, apply_event(complaint, event), event)
    return complaint
