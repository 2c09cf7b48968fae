"""What-if: stored complaints replayed under a draft policy and/or calendar.

Nothing is written. Complaints are read from the store a page at a time
as their SLA facts alone (:mod:`complaintflow._sla_scan`), so memory stays
bounded whatever the store holds. A target whose draft counts the same
events (same start, stop and pauses) is recomputed from its kept facts
(start, pauses, stop, extensions); a complaint whose draft targets differ
in what they count from is replayed from its audit trail with the draft in
place of the policy it recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import Field

from complaintflow._args import positive_int
from complaintflow._base import Model
from complaintflow._reducer import apply_event
from complaintflow._sla_scan import BATCH, sla_facts
from complaintflow._sla_state import SlaState, TargetRecord
from complaintflow.errors import InvalidInput
from complaintflow.models import Complaint, Event
from complaintflow.sla import BusinessCalendar, SlaPolicy
from complaintflow.sla._tracker import SlaTracker

__all__ = ["OutcomeChange", "Simulation", "TargetCounts", "simulate"]


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


def _shape(t: dict[str, Any]) -> tuple[Any, ...]:
    return (t["start"], t["stop"], tuple(t.get("pause_in", ())))


def _same_shape(recorded: dict[str, Any], draft: dict[str, Any]) -> bool:
    old = {t["name"]: _shape(t) for t in recorded.get("targets", ())}
    new = {t["name"]: _shape(t) for t in draft.get("targets", ())}
    return old == new


def _pair(
    name: str, recorded: dict[str, Any], draft: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Target ``name``'s data in the recorded policy and in the draft."""
    old = next(t for t in recorded["targets"] if t["name"] == name)
    return old, next(t for t in draft["targets"] if t["name"] == name)


def _redrafted(r: TargetRecord, old: dict[str, Any], new: dict[str, Any]) -> TargetRecord:
    """``r`` with the draft's duration (keeping extensions in the same unit)."""
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
        # per recorded policy (kept once by sla_facts): whether the draft
        # counts the same events, and each target's (recorded, draft) data
        self._shapes: dict[int, tuple[dict[str, Any], bool]] = {}
        self._pairs: dict[tuple[int, str], tuple[Any, dict[str, Any], dict[str, Any]]] = {}

    def same_shape(self, recorded: dict[str, Any]) -> bool:
        assert self.draft is not None
        hit = self._shapes.get(id(recorded))
        if hit is None or hit[0] is not recorded:
            hit = (recorded, _same_shape(recorded, self.draft))
            if len(self._shapes) < 256:
                self._shapes[id(recorded)] = hit
        return hit[1]

    def redrafted(self, r: TargetRecord, recorded: dict[str, Any]) -> TargetRecord:
        assert self.draft is not None
        key = (id(recorded), r.name)
        hit = self._pairs.get(key)
        if hit is None or hit[0] is not recorded:
            hit = (recorded, *_pair(r.name, recorded, self.draft))
            if len(self._pairs) < 1024:
                self._pairs[key] = hit
        return _redrafted(r, hit[1], hit[2])

    def after_records(self, cid: str, state: SlaState) -> list[TargetRecord]:
        draft = self.draft
        if draft is None:
            return [self.new._recompute(r) for r in state.targets]
        if not self.same_shape(state.policy):
            replay = _replayed(self.store.events(cid), self.new, draft)
            return [] if replay is None or replay.sla is None else list(replay.sla.targets)
        return [self.new._recompute(self.redrafted(r, state.policy)) for r in state.targets]

    def one(self, cid: str, state: SlaState | None) -> None:
        if state is None:
            return
        self.complaints += 1
        if self.draft is not None and not self.same_shape(state.policy):
            self.replayed += 1
        before = {(r.name, r.cycle): r for r in state.targets}
        after = {(r.name, r.cycle): r for r in self.after_records(cid, state)}
        now = self.now
        for key in sorted(before.keys() | after.keys()):
            b, a = before.get(key), after.get(key)
            bs = "absent" if b is None else b.state_at(now)
            as_ = "absent" if a is None else a.state_at(now)
            _count(self.before, key[0], bs)
            _count(self.after, key[0], as_)
            if bs != as_:
                self.changes.append(
                    OutcomeChange(
                        complaint_id=cid,
                        target=key[0],
                        cycle=key[1],
                        before=bs,
                        after=as_,
                        deadline_before=None if b is None else b.deadline,
                        deadline_after=None if a is None else a.deadline,
                    )
                )


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
    positive_int(batch, "batch")
    new = SlaTracker(calendar or tracker.calendar, binding=tracker.binding)
    run = _Run(store, tracker, new, policy, now)
    for facts in sla_facts(store, since, until, batch):
        run.one(facts.id, facts.sla)
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
