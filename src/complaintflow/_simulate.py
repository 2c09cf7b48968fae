"""What-if: stored complaints replayed under a draft policy and/or calendar.

Nothing is written. Complaints are read from the store a page at a time
(``Store.find``), so memory stays bounded whatever the store holds. A
target whose draft counts the same events (same start, stop and pauses)
is recomputed from its kept facts (start, pauses, stop, extensions); a
complaint whose draft targets differ in what they count from is replayed
from its audit trail with the draft in place of the policy it recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Final

from pydantic import Field

from complaintflow._base import Model, utc
from complaintflow._reducer import apply_event
from complaintflow._sla_state import TargetRecord, TargetStateName
from complaintflow.errors import InvalidInput
from complaintflow.models import Complaint, Event
from complaintflow.sla import BusinessCalendar, SlaPolicy
from complaintflow.sla._tracker import SlaTracker

__all__ = ["OutcomeChange", "Simulation", "TargetCounts", "iter_complaints", "simulate"]

BATCH: Final = 500
"""Complaints read from the store at a time."""


class TargetCounts(Model):
    """How many of one target's clocks are in each state."""

    met: int = 0
    breached: int = 0
    running: int = 0
    """Running or paused."""
    other: int = 0
    """Pending, cancelled, undetermined (or not in the policy)."""


_COLUMN: Final = {"met": 0, "breached": 1, "running": 2, "paused": 2}


def _count(table: dict[str, list[int]], name: str, state: str) -> None:
    table.setdefault(name, [0, 0, 0, 0])[_COLUMN.get(state, 3)] += 1


def _counts(table: dict[str, list[int]]) -> dict[str, TargetCounts]:
    return {
        n: TargetCounts(met=v[0], breached=v[1], running=v[2], other=v[3])
        for n, v in sorted(table.items())
    }


class OutcomeChange(Model):
    """One target whose state as of ``now`` the draft changes."""

    complaint_id: str
    target: str
    cycle: int
    before: str
    after: str
    deadline_before: datetime | None
    deadline_after: datetime | None


class Simulation(Model):
    """What a draft policy and/or calendar would change (``Engine.simulate``)."""

    since: datetime | None
    until: datetime | None
    now: datetime
    policy: str | None
    """The draft policy's name (None: the recorded policies)."""
    calendar: str | None
    """The draft calendar's version (None: the engine's)."""
    complaints: int = 0
    replayed: int = 0
    """Complaints replayed from their audit trail (the draft counts differently)."""
    before: dict[str, TargetCounts] = Field(default_factory=dict)
    after: dict[str, TargetCounts] = Field(default_factory=dict)
    changes: list[OutcomeChange] = Field(default_factory=list)

    def table(self) -> str:
        """Per target: met, breached and running before -> after."""
        rows = [f"{'target':<26} {'met':>15} {'breached':>15} {'running':>15}"]
        for name in sorted(set(self.before) | set(self.after)):
            b = self.before.get(name, TargetCounts())
            a = self.after.get(name, TargetCounts())
            cells = [f"{x} -> {y}" for x, y in ((b.met, a.met), (b.breached, a.breached))]
            cells.append(f"{b.running} -> {a.running}")
            rows.append(f"{name:<26} " + " ".join(f"{c:>15}" for c in cells))
        rows.append(f"{self.complaints} complaints, {len(self.changes)} outcomes change")
        return "\n".join(rows) + "\n"


def iter_complaints(
    store: Any, since: datetime | None, until: datetime | None, batch: int = BATCH
) -> Iterator[Complaint]:
    """Every stored complaint received in ``[since, until)``, a page at a time."""
    offset = 0
    while True:
        page: list[Complaint] = store.find(limit=batch, offset=offset)
        for c in page:
            t = utc(c.received_at)
            if (since is None or t >= utc(since)) and (until is None or t < utc(until)):
                yield c
        if len(page) < batch:
            return
        offset += batch


def _shape(t: dict[str, Any]) -> tuple[Any, ...]:
    return (t["start"], t["stop"], tuple(t.get("pause_in", ())))


def _same_shape(recorded: dict[str, Any], draft: dict[str, Any]) -> bool:
    old = {t["name"]: _shape(t) for t in recorded.get("targets", ())}
    new = {t["name"]: _shape(t) for t in draft.get("targets", ())}
    return old == new


def _redrafted(r: TargetRecord, recorded: dict[str, Any], draft: dict[str, Any]) -> TargetRecord:
    """``r`` with the draft's duration (keeping extensions in the same unit)."""
    old = next(t for t in recorded["targets"] if t["name"] == r.name)
    new = next(t for t in draft["targets"] if t["name"] == r.name)
    od, nd = old["duration"], new["duration"]
    ext = r.amount - od["amount"] if od["kind"] == r.kind else 0.0
    return r._replace(
        kind=nd["kind"],
        amount=nd["amount"] + (ext if nd["kind"] == r.kind else 0.0),
        warn_at=tuple(new.get("warn_at", ())),
    )


def _replayed(events: list[Event], tracker: SlaTracker, draft: dict[str, Any]) -> Complaint | None:
    c: Complaint | None = None
    for e in events:
        if e.type in ("submit", "policy_changed"):
            e = e.model_copy(update={"data": {**e.data, "policy": draft}})
        c = tracker.on_event(c, apply_event(c, e), e)
    return c


class _Run:
    def __init__(
        self, store: Any, old: SlaTracker, new: SlaTracker, draft: SlaPolicy | None, now: datetime
    ) -> None:
        self.store, self.old, self.new, self.now = store, old, new, now
        self.draft = None if draft is None else draft.to_data()
        self.complaints = self.replayed = 0
        self.before: dict[str, list[int]] = {}
        self.after: dict[str, list[int]] = {}
        self.changes: list[OutcomeChange] = []

    def after_records(self, c: Complaint) -> list[TargetRecord]:
        state = c.sla
        assert state is not None
        draft = self.draft
        if draft is None:
            return [self.new._recompute(r) for r in state.targets]
        if not _same_shape(state.policy, draft):
            replay = _replayed(self.store.events(c.id), self.new, draft)
            return [] if replay is None or replay.sla is None else list(replay.sla.targets)
        return [self.new._recompute(_redrafted(r, state.policy, draft)) for r in state.targets]

    def one(self, c: Complaint) -> None:
        state = c.sla
        if state is None:
            return
        self.complaints += 1
        if self.draft is not None and not _same_shape(state.policy, self.draft):
            self.replayed += 1
        before = {(r.name, r.cycle): r for r in state.targets}
        after = {(r.name, r.cycle): r for r in self.after_records(c)}
        for key in sorted(set(before) | set(after)):
            b, a = before.get(key), after.get(key)
            bs = self._state(self.old, b)
            as_ = self._state(self.new, a)
            _count(self.before, key[0], bs)
            _count(self.after, key[0], as_)
            if bs != as_:
                self.changes.append(
                    OutcomeChange(
                        complaint_id=c.id,
                        target=key[0],
                        cycle=key[1],
                        before=bs,
                        after=as_,
                        deadline_before=None if b is None else b.deadline,
                        deadline_after=None if a is None else a.deadline,
                    )
                )

    def _state(self, tracker: SlaTracker, r: TargetRecord | None) -> TargetStateName | str:
        return "absent" if r is None else tracker.report(r, self.now).state


def simulate(
    store: Any,
    tracker: SlaTracker,
    *,
    policy: SlaPolicy | None,
    calendar: BusinessCalendar | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    batch: int = BATCH,
) -> Simulation:
    """Replay the stored complaints received in ``[since, until)`` under
    ``policy`` and/or ``calendar`` (None: as recorded / the engine's) and
    compare each target's state as of ``now``. Writes nothing."""
    if policy is not None and not isinstance(policy, SlaPolicy):
        raise InvalidInput.field("policy", "must be an SlaPolicy or None")
    if calendar is not None and not isinstance(calendar, BusinessCalendar):
        raise InvalidInput.field("calendar", "must be a BusinessCalendar or None")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise InvalidInput.field("batch", "must be a positive integer")
    new = SlaTracker(calendar or tracker.calendar, binding=tracker.binding)
    run = _Run(store, tracker, new, policy, now)
    for c in iter_complaints(store, since, until, batch):
        run.one(c)
    return Simulation(
        since=since,
        until=until,
        now=now,
        policy=None if policy is None else policy.name,
        calendar=None if calendar is None else calendar.version,
        complaints=run.complaints,
        replayed=run.replayed,
        before=_counts(run.before),
        after=_counts(run.after),
        changes=run.changes,
    )
