"""The SLA tracker: keeps a complaint's targets up to date as events apply.

It is part of applying an event, so replaying the audit trail rebuilds the
SLA state too. It reads only the event and the complaint, plus the engine's
calendar; the policy in force is itself kept in the trail (``submit`` and
``policy_changed`` events carry it)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from complaintflow.errors import ComplaintFlowError
from complaintflow.sla._durations import Duration
from complaintflow.sla._policy import SlaPolicy, SlaTarget
from complaintflow.sla._state import SlaState, TargetRecord, TargetReport, TargetStateName
from complaintflow.states import Status

if TYPE_CHECKING:
    from complaintflow.models import Complaint, Event
    from complaintflow.sla._calendar import BusinessCalendar

_MET_BY_REOPEN: Final = frozenset({"acknowledge"})
"""Stops a reopened complaint has already passed: it reopens into
``verifying``, past preliminary verification, so that target is met at once."""

_Pauses = tuple[tuple[datetime, datetime | None], ...]


def _closed(pauses: _Pauses, until: datetime) -> list[tuple[datetime, datetime]]:
    return [(p0, until if p1 is None else p1) for p0, p1 in pauses]


class SlaTracker:
    """Applies events to :class:`SlaState`; builds reports."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self._policies: dict[str, SlaPolicy] = {}

    # -- applying events -------------------------------------------------

    def on_event(self, before: Complaint | None, after: Complaint, event: Event) -> Complaint:
        """``after`` with its SLA state brought up to ``event``."""
        t = event.at
        kind = event.type
        if kind == "submit":
            policy = SlaPolicy.from_data(event.data["policy"])
            first = SlaState(policy=event.data["policy"], cycle_started_at=t)
            records = [self._record(target, 1, t) for target in policy]
            return self._done(after, first, records, changed=set(range(len(records))))
        if before is None or before.sla is None:
            return after
        state = before.sla
        records = list(state.targets)
        changed: set[int] = set()
        cycle = after.cycle
        current = [i for i, r in enumerate(records) if r.cycle == cycle]

        if kind == "reopen":
            policy = self.policy(state.policy)
            state = state.model_copy(update={"cycle_started_at": t})
            for target in policy:
                rec = self._record(target, cycle, t)
                if target.start == "receipt" and target.stop in _MET_BY_REOPEN:
                    rec = rec.model_copy(update={"stopped_at": t})
                records.append(rec)
                changed.add(len(records) - 1)
            return self._done(after, state, records, changed)

        if kind == "policy_changed":
            policy = SlaPolicy.from_data(event.data["policy"])
            state = state.model_copy(update={"policy": event.data["policy"]})
            by_name = {records[i].name: i for i in current}
            for target in policy:
                i = by_name.pop(target.name, None)
                if i is None:
                    records.append(self._record(target, cycle, state.cycle_started_at))
                    changed.add(len(records) - 1)
                elif records[i].stopped_at is None and records[i].cancelled_at is None:
                    records[i] = records[i].model_copy(update=_target_fields(target))
                    changed.add(i)
            for i in by_name.values():  # targets the new policy no longer has
                if records[i].stopped_at is None and records[i].cancelled_at is None:
                    records[i] = records[i].model_copy(update={"cancelled_at": t, "checks": ()})
            return self._done(after, state, records, changed)

        if kind in ("sla_warning", "sla_breach"):
            key = event.data["key"]
            for i in current:
                r = records[i]
                if r.name == event.data["target"]:
                    records[i] = r.model_copy(
                        update={
                            "sent": (*r.sent, key),
                            "checks": tuple(c for c in r.checks if c[0] != key),
                        }
                    )
            return self._done(after, state, records, changed)

        was, now_status = event.from_status, event.to_status
        for i in current:
            r = records[i]
            update: dict[str, Any] = {}
            # pauses: entering or leaving a status the target waits in
            if r.live:
                pause_in = r.pause_in
                if now_status in pause_in and was not in pause_in:
                    update["pauses"] = (*r.pauses, (t, None))
                elif was in pause_in and now_status not in pause_in and r.open_pause:
                    update["pauses"] = (*r.pauses[:-1], (r.pauses[-1][0], t))
            # stop
            if r.live and kind == r.stop:
                update["stopped_at"] = t
            # cancel
            if kind in ("reject", "withdraw") and r.stopped_at is None and r.cancelled_at is None:
                update["cancelled_at"] = t
                if r.open_pause:
                    update["pauses"] = (*r.pauses[:-1], (r.pauses[-1][0], t))
            if update:
                records[i] = r.model_copy(update=update)
                changed.add(i)
        # starts
        policy = self.policy(state.policy)
        for i in current:
            r = records[i]
            try:
                start = policy[r.name].start
            except KeyError:
                continue
            begin: datetime | None = None
            if start == kind:
                begin = t
            elif start == "decision_effective" and kind == "decide":
                begin = datetime.fromisoformat(event.data["effective_at"])
            if begin is not None and r.started_at is None:
                records[i] = r.model_copy(update={"started_at": begin})
                changed.add(i)
        return self._done(after, state, records, changed)

    def _record(self, target: SlaTarget, cycle: int, cycle_start: datetime) -> TargetRecord:
        return TargetRecord(
            name=target.name,
            cycle=cycle,
            stop=target.stop,
            started_at=cycle_start if target.start == "receipt" else None,
            **_target_fields(target),
        )

    def _done(
        self,
        after: Complaint,
        state: SlaState,
        records: list[TargetRecord],
        changed: set[int],
    ) -> Complaint:
        for i in changed:
            records[i] = self._recompute(records[i])
        nxt = min((c[1] for r in records if r.live for c in r.checks), default=None)
        state = state.model_copy(update={"targets": tuple(records), "next_check": nxt})
        return after.model_copy(update={"sla": state})

    def _recompute(self, r: TargetRecord) -> TargetRecord:
        """Deadline, outcome and pending alert times from the facts."""
        if r.started_at is None or r.cancelled_at is not None:
            return r.model_copy(update={"deadline": None, "checks": ()})
        if r.open_pause:  # no deadline until the party answers
            return r.model_copy(update={"deadline": None, "checks": ()})
        duration = Duration(r.kind, r.amount)  # type: ignore[arg-type]
        pauses = _closed(r.pauses, r.started_at)  # all closed here
        try:
            deadline = self.calendar.add(r.started_at, duration, pauses=pauses)
            checks: list[tuple[str, datetime]] = []
            if r.stopped_at is None:
                for w in r.warn_at:
                    key = f"warning:{w:g}"
                    if key not in r.sent:
                        part = Duration(r.kind, r.amount * w)  # type: ignore[arg-type]
                        checks.append((key, self.calendar.add(r.started_at, part, pauses=pauses)))
                if "breach" not in r.sent:
                    checks.append(("breach", deadline))
        except ComplaintFlowError as e:
            return r.model_copy(update={"deadline": None, "checks": (), "problem": str(e)})
        update: dict[str, Any] = {"deadline": deadline, "checks": tuple(checks), "problem": None}
        if r.stopped_at is not None:
            update["met"] = r.stopped_at <= deadline
        return r.model_copy(update=update)

    def policy(self, data: dict[str, Any]) -> SlaPolicy:
        """The policy kept in a state (parsed once per distinct policy)."""
        key = repr(data)
        p = self._policies.get(key)
        if p is None:
            p = self._policies[key] = SlaPolicy.from_data(data)
        return p

    # -- reporting -------------------------------------------------------

    def report(self, r: TargetRecord, now: datetime) -> TargetReport:
        """The target as of ``now``."""
        duration = Duration(r.kind, r.amount)  # type: ignore[arg-type]
        state: TargetStateName
        remaining: timedelta | None = None
        consumed: timedelta | None = None
        at_risk = False
        if r.cancelled_at is not None:
            state = "cancelled"
        elif r.started_at is None or r.started_at > now:
            state = "pending"
        elif r.stopped_at is not None:
            state = "met" if r.met else "breached"
        elif r.open_pause and r.pauses[-1][0] <= now:
            state = "paused"
        elif r.deadline is not None and now > r.deadline:
            state = "breached"
        else:
            state = "running"
        if state in ("running", "paused", "met", "breached") and r.started_at is not None:
            until = min(now, r.stopped_at) if r.stopped_at is not None else now
            try:
                consumed = self.calendar.consumed(
                    r.started_at, until, duration, pauses=_closed(r.pauses, until)
                )
                remaining = max(duration.measure - consumed, timedelta(0))
            except ComplaintFlowError:
                consumed = remaining = None
            if state in ("running", "paused") and r.warn_at and consumed is not None:
                at_risk = consumed >= duration.measure * r.warn_at[0]
        return TargetReport(
            name=r.name,
            cycle=r.cycle,
            state=state,
            duration=str(duration),
            started_at=r.started_at,
            deadline=r.deadline,
            completed_at=r.stopped_at,
            remaining=remaining,
            consumed=consumed,
            at_risk=at_risk,
            problem=r.problem,
        )


def _target_fields(target: SlaTarget) -> dict[str, Any]:
    return {
        "kind": target.duration.kind,
        "amount": float(target.duration.amount),
        "warn_at": target.warn_at,
        "pause_in": tuple(sorted(s.value for s in target.pause_in)),
    }


def paused_statuses(policy: SlaPolicy) -> frozenset[Status]:
    """Every status some target of ``policy`` pauses in."""
    return frozenset(s for t in policy for s in t.pause_in)
