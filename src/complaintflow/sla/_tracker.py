"""The SLA tracker: keeps a complaint's targets up to date as events apply.

It is part of applying an event, so replaying the audit trail rebuilds the
SLA state too. It reads only the event and the complaint, plus the engine's
calendar; the policy in force is itself kept in the trail (``submit`` and
``policy_changed`` events carry it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

from complaintflow._base import fast_copy, utc
from complaintflow._sla_state import (
    SlaAlert,
    SlaState,
    TargetRecord,
    TargetReport,
)
from complaintflow._status import TERMINAL_STATUSES
from complaintflow.errors import ComplaintFlowError, InvalidInput
from complaintflow.sla._durations import Duration
from complaintflow.sla._policy import SlaPolicy, SlaTarget

if TYPE_CHECKING:
    from complaintflow.models import Complaint, Event
    from complaintflow.sla._calendar import BusinessCalendar

_MET_BY_REOPEN: Final = frozenset({"acknowledge"})
"""Stops a reopened complaint has already passed: it reopens into
``verifying``, past preliminary verification, so that target is met at once."""

_CANCELLING: Final = frozenset({"reject", "withdraw"})
_SPECIAL: Final = frozenset(
    {"reopen", "policy_changed", "calendar_changed", "sla_warning", "sla_breach"}
)
"""Events the tracker handles otherwise than as a status move."""
_ENDED: Final = TERMINAL_STATUSES

Binding = Literal["later", "recomputed"]
"""Which deadline binds once a calendar change recomputed it: ``later`` (the
default) the later of the promised and the recomputed one, so no one is held
to a deadline that moved earlier without notice; ``recomputed`` the new one."""
BINDINGS: Final = ("later", "recomputed")


class DeadlineChange(NamedTuple):
    """One target whose deadline a calendar change moves (:func:`recalculate`)."""

    target: str
    cycle: int
    old: datetime | None
    """The deadline in force before (the binding one)."""
    new: datetime | None
    """The binding deadline after."""
    recomputed: datetime | None
    """The deadline on the new calendar (``new`` unless the promise binds)."""
    was_provisional: str | None
    provisional: str | None
    """Why the new deadline is still provisional; ``None`` when final."""


def _closed(
    pauses: tuple[tuple[datetime, datetime | None], ...], until: datetime
) -> list[tuple[datetime, datetime]]:
    return [(p0, until if p1 is None else p1) for p0, p1 in pauses]


class SlaTracker:
    """Applies events to :class:`SlaState`; builds reports."""

    def __init__(self, calendar: BusinessCalendar, *, binding: Binding = "later") -> None:
        if binding not in BINDINGS:
            raise InvalidInput.field("binding", f"must be one of {', '.join(BINDINGS)}")
        self.calendar = calendar
        """The default calendar (and the one ``calendar_changed`` switches)."""
        self.calendars: dict[str, BusinessCalendar] = {}
        """Other calendars a complaint may be counted on, by name."""
        self.binding: Binding = binding
        self._policies: dict[int, tuple[dict[str, Any], SlaPolicy]] = {}
        self._by_value: dict[Any, list[tuple[dict[str, Any], SlaPolicy]]] = {}

    def calendar_for(self, name: str | None) -> BusinessCalendar:
        """The calendar named ``name``: one of :attr:`calendars`, else the default."""
        return self.calendars.get(name, self.calendar) if name else self.calendar

    def policy(self, data: dict[str, Any]) -> SlaPolicy:
        """The policy kept in a state, parsed once per distinct policy: by
        identity for the shared dicts of this process, by value for copies
        loaded from a database (compared, not parsed again)."""
        hit = self._policies.get(id(data))
        if hit is not None and hit[0] is data:
            return hit[1]
        for known, policy in self._by_value.get(data.get("name"), ()):
            if known == data:
                return policy
        policy = SlaPolicy.from_data(data)
        if len(self._policies) < 256:
            self._policies[id(data)] = (data, policy)
            self._by_value.setdefault(data.get("name"), []).append((data, policy))
        return policy

    # -- applying events -------------------------------------------------

    def on_event(self, before: Complaint | None, after: Complaint, event: Event) -> Complaint:
        """``after`` with its SLA state brought up to ``event``."""
        if event.type == "submit":
            return fast_copy(after, sla=self.submit_state(event))
        state = self.state_after(before, after.cycle, event)
        return after if state is None else fast_copy(after, sla=state)

    def state_after(self, before: Complaint | None, cycle: int, event: Event) -> SlaState | None:
        """The SLA state of ``before`` brought up to ``event`` (not a
        submit), the complaint being in ``cycle`` after it; ``None`` when it
        stays as it was."""
        kind = event.type
        if before is None or before.sla is None:
            return None
        state = before.sla
        records = list(state.targets)
        current: Sequence[int]
        if cycle == 1:
            current = range(len(records))  # no cycle comes before the first
        else:
            current = [i for i, r in enumerate(records) if r.cycle == cycle]
        if kind not in _SPECIAL:
            ext = event.data.get("sla_extension")
            if ext is None:
                return self._on_status_move(cycle, state, records, current, event)
            # a justified extension: the target's duration grows
            return self._on_extension(state, records, current, ext)
        if kind == "reopen":
            state = state._replace(cycle_started_at=event.at)
            return self._start_cycle(state, records, self.policy(state.policy), cycle, event.at)
        if kind == "policy_changed":
            return self._on_policy_changed(cycle, state, records, current, event)
        if kind == "calendar_changed":
            return self._on_calendar_changed(state, records, event)
        return self._on_alert(state, records, current, event)  # sla_warning, sla_breach

    def submit_state(self, event: Event) -> SlaState:
        """The SLA state of a new complaint after its ``submit`` event: its
        first cycle starts under the policy the event carries."""
        t = event.at
        data = event.data["policy"]
        calendar = event.data.get("calendar")
        targets = _starts(self.policy(data)).get("receipt", ())
        records = tuple(self._started(target, t, calendar) for target in targets)
        return _new_state((data, t, records, _earliest_alert(records), calendar))

    def _started(
        self, target: SlaTarget, start: datetime, calendar: str | None, cycle: int = 1
    ) -> TargetRecord:
        """The record of ``target`` started at ``start`` in ``cycle``,
        recomputed as :meth:`_done` would (on the complaint's ``calendar``):
        nothing sent, stopped, paused or promised yet, so an ``hours``
        target's deadline is its start plus its duration and its first alert
        the first warning's share of it."""
        values: list[Any] = list(_template(target))
        values[_CYCLE] = cycle
        values[_STARTED] = start
        if values[_CALENDAR] is None and calendar is not None:
            values[_CALENDAR] = calendar
        if values[_KIND] != "hours" or start.__class__ is not datetime or start.utcoffset() is None:
            return self._recompute(_new_record(values))
        cal = self.calendar_for(values[_CALENDAR])
        tz = cal.tz
        try:
            measure, first = _fresh_hours(values[_AMOUNT], values[_WARN_AT])
            u = start.astimezone(UTC)
            deadline = (u + measure).astimezone(tz)
            nxt = deadline if first is None else (u + first).astimezone(tz)
        except (ComplaintFlowError, OverflowError, ValueError):
            return self._recompute(_new_record(values))  # the general path reports it
        values[_DEADLINE] = deadline
        values[_NEXT_ALERT_AT] = nxt
        values[_CALENDAR] = cal.name
        values[_CALENDAR_VERSION] = cal.version
        return _new_record(values)

    def _on_policy_changed(
        self,
        cycle: int,
        state: SlaState,
        records: list[TargetRecord],
        current: Sequence[int],
        event: Event,
    ) -> SlaState:
        """The policy in force changed: update, add or cancel this cycle's targets."""
        t = event.at
        changed: set[int] = set()
        data = event.data["policy"]
        policy = self.policy(data)
        state = state._replace(policy=data)
        have = {records[i].name: i for i in current}
        for target in policy:
            i = have.pop(target.name, None)
            if i is None:
                if target.start == "receipt":
                    records.append(self._record(target, cycle, state.cycle_started_at))
                    changed.add(len(records) - 1)
            elif records[i].live:
                records[i] = records[i]._replace(**_target_fields(target))
                changed.add(i)
        for i in have.values():  # targets the new policy no longer has
            if records[i].live:
                records[i] = records[i]._replace(cancelled_at=t)
                changed.add(i)
        return self._done(state, records, changed)

    def _on_calendar_changed(
        self, state: SlaState, records: list[TargetRecord], event: Event
    ) -> SlaState:
        """The calendar changed: recompute the targets the event lists."""
        t = event.at
        changed: set[int] = set()
        # the engine switched to the new calendar before applying this
        # event: recompute the targets it lists, keeping the promise
        for ch in event.data.get("changes", ()):
            for i, r in enumerate(records):
                if r.name == ch["target"] and r.cycle == ch["cycle"]:
                    old = ch.get("old")
                    promised = r.promised or (None if old is None else _dt(old))
                    r = self._recompute(r._replace(promised=promised))
                    if r.live and r.deadline is not None and utc(r.deadline) > utc(t):
                        # a breach alerted on the old deadline is not one
                        # yet: it is alerted again when the new one passes
                        r = r._replace(sent=tuple(k for k in r.sent if k != "breach"))
                    records[i] = r
                    changed.add(i)
        return self._done(state, records, changed)

    def _on_alert(
        self,
        state: SlaState,
        records: list[TargetRecord],
        current: Sequence[int],
        event: Event,
    ) -> SlaState:
        """An SLA warning or breach went out: remember its key on the target."""
        changed: set[int] = set()
        key = event.data["key"]
        for i in current:
            r = records[i]
            if r.name == event.data["target"] and key not in r.sent:
                records[i] = r._replace(sent=(*r.sent, key))
                changed.add(i)
        return self._done(state, records, changed)

    def _on_extension(
        self,
        state: SlaState,
        records: list[TargetRecord],
        current: Sequence[int],
        ext: Any,
    ) -> SlaState:
        """A justified extension: the live target's duration grows."""
        changed: set[int] = set()
        for i in current:
            r = records[i]
            if r.name == ext["target"] and r.live:
                records[i] = r._replace(amount=r.amount + ext["amount"])
                changed.add(i)
        return self._done(state, records, changed)

    def _on_status_move(
        self,
        cycle: int,
        state: SlaState,
        records: list[TargetRecord],
        current: Sequence[int],
        event: Event,
    ) -> SlaState | None:
        """A status move: pause, resume, stop or cancel targets, start new ones."""
        changed, touched = _move_targets(records, current, event)
        starting = _starts(self.policy(state.policy)).get(event.type)
        if starting and self._start_targets(cycle, records, current, event, starting, state):
            touched = True
        if not changed and not touched:
            return None
        return self._done(state, records, changed)

    def _start_targets(
        self,
        cycle: int,
        records: list[TargetRecord],
        current: Sequence[int],
        event: Event,
        starting: list[SlaTarget],
        state: SlaState,
    ) -> bool:
        """Append the targets of this cycle that begin with ``event``
        (``starting``, the policy's targets it starts), their deadlines
        worked out; whether any began."""
        t = event.at
        began = False
        started = {records[i].name for i in current}
        for target in starting:
            if target.name in started:
                continue
            begin = t
            if target.start == "decision_effective":
                begin = datetime.fromisoformat(event.data["effective_at"])
            records.append(self._started(target, begin, state.calendar, cycle))
            began = True
        return began

    def _start_cycle(
        self,
        state: SlaState,
        records: list[TargetRecord],
        policy: SlaPolicy,
        cycle: int,
        t: datetime,
    ) -> SlaState:
        changed: set[int] = set()
        for target in policy:
            if target.start != "receipt":
                continue
            rec = self._record(target, cycle, t)
            if cycle > 1 and target.stop in _MET_BY_REOPEN:
                rec = _set(rec, stopped_at=t)
            records.append(rec)
            changed.add(len(records) - 1)
        return self._done(state, records, changed)

    @staticmethod
    def _record(target: SlaTarget, cycle: int, start: datetime) -> TargetRecord:
        values: list[Any] = list(_template(target))
        values[_CYCLE] = cycle
        values[_STARTED] = start
        return _new_record(values)

    def _done(self, state: SlaState, records: list[TargetRecord], changed: set[int]) -> SlaState:
        for i in changed:
            r = records[i]
            if r.calendar is None and state.calendar is not None:
                r = _set(r, calendar=state.calendar)  # the complaint's calendar
            records[i] = self._recompute(r)
        targets = tuple(records)
        nxt = _earliest_alert(targets)
        return _new_state((state.policy, state.cycle_started_at, targets, nxt, state.calendar))

    def _recompute(self, r: TargetRecord) -> TargetRecord:
        """Deadline, outcome and the next alert's time from the facts.

        Past the calendar's data the deadline is provisional (counted on the
        weekly pattern) and alerted on like any other; a stop on it is not
        judged until a recomputation makes it final."""
        if r.cancelled_at is not None:
            return _set(r, next_alert_at=None)
        cal = self.calendars.get(r.calendar, self.calendar) if r.calendar else self.calendar
        pauses_so_far = r.pauses
        if pauses_so_far and pauses_so_far[-1][1] is None:  # no deadline until the party answers
            return _set(
                r,
                deadline=None,
                next_alert_at=None,
                calendar=cal.name,
                calendar_version=cal.version,
                provisional=None,
            )
        if r.kind == "hours" and not pauses_so_far:
            fast = self._recompute_hours(r, cal)
            if fast is not None:
                return fast
        duration = _duration(r.kind, r.amount)
        pauses = _closed(pauses_so_far, r.started_at) if pauses_so_far else None  # all closed
        try:
            info = cal.deadline_info(r.started_at, duration, pauses=pauses)
            computed = info.deadline
            assert computed is not None  # every pause is closed
            deadline, nxt = self._bind(
                r,
                computed,
                lambda w: (
                    cal.deadline_info(
                        r.started_at, _duration(r.kind, r.amount * w), pauses=pauses
                    ).deadline
                ),
            )
        except ComplaintFlowError as e:
            return _set(r, deadline=None, next_alert_at=None, problem=str(e))
        met = None
        if r.stopped_at is not None and info.provisional is None:
            met = utc(r.stopped_at) <= utc(deadline)
        values = list(r)
        values[_DEADLINE] = deadline
        values[_MET] = met
        values[_NEXT_ALERT_AT] = nxt
        values[_PROBLEM] = None
        values[_CALENDAR] = info.calendar
        values[_CALENDAR_VERSION] = info.version
        values[_PROVISIONAL] = info.provisional
        return _new_record(values)

    def _bind(
        self, r: TargetRecord, computed: datetime, at: Callable[[float], datetime | None]
    ) -> tuple[datetime, datetime | None]:
        """The deadline that binds (``computed``, or the promise when later
        and the binding says so) and the next alert's time, ``at(w)`` giving
        the time fraction ``w`` of the duration has run."""
        deadline = computed
        if r.promised is not None and self.binding == "later":
            deadline = max(computed, r.promised, key=utc)
        if r.stopped_at is not None:
            return deadline, None
        key, w = _next_alert(r)
        if key == "breach":
            return deadline, deadline
        return deadline, None if w is None else at(w)

    def _recompute_hours(self, r: TargetRecord, cal: BusinessCalendar) -> TargetRecord | None:
        """:meth:`_recompute` of an ``hours`` target without pauses: real
        elapsed time from an aware start, counted as the calendar's
        ``deadline_info`` counts it (never provisional), without building a
        ``DeadlineInfo`` per deadline; ``None`` where that does not apply
        (the general path then decides, errors included)."""
        start = r.started_at
        if start.__class__ is not datetime or start.utcoffset() is None:
            return None
        tz = cal.tz
        try:
            u = start.astimezone(UTC)
            deadline, nxt = self._bind(
                r,
                (u + _duration("hours", r.amount)._measure).astimezone(tz),
                lambda w: (u + _duration("hours", r.amount * w)._measure).astimezone(tz),
            )
        except (ComplaintFlowError, OverflowError):
            return None
        values = list(r)
        values[_DEADLINE] = deadline
        values[_MET] = None if r.stopped_at is None else utc(r.stopped_at) <= utc(deadline)
        values[_NEXT_ALERT_AT] = nxt
        values[_PROBLEM] = None
        values[_CALENDAR] = cal.name
        values[_CALENDAR_VERSION] = cal.version
        values[_PROVISIONAL] = None
        return _new_record(values)

    def alert(
        self, complaint: Complaint, r: TargetRecord, key: str, due: datetime, now: datetime
    ) -> SlaAlert:
        """The :class:`SlaAlert` for alert ``key`` of record ``r`` (due at
        ``due``), saying whether the deadline is provisional."""
        is_breach = key == "breach"
        return SlaAlert(
            complaint_id=complaint.id,
            target=r.name,
            cycle=r.cycle,
            kind="breach" if is_breach else "warning",
            threshold=None if is_breach else float(key.split(":", 1)[1]),
            due_at=due,
            deadline=r.deadline,
            detected_at=now,
            handler=complaint.handler,
            provisional=r.provisional,
        )

    # -- reporting -------------------------------------------------------

    def reports(self, complaint: Complaint, now: datetime) -> list[TargetReport]:
        """Every target of every cycle as of ``now``; targets of the current
        cycle that have not started are reported ``pending`` (or
        ``cancelled`` when the complaint was rejected or withdrawn)."""
        state = complaint.sla
        if state is None:
            return []
        out = [self.report(r, now) for r in state.targets]
        started = {r.name for r in state.targets if r.cycle == complaint.cycle}
        ended = complaint.status in _ENDED
        for target in self.policy(state.policy):
            if target.name not in started:
                out.append(
                    TargetReport(
                        name=target.name,
                        cycle=complaint.cycle,
                        state="cancelled" if ended else "pending",
                        duration=str(target.duration),
                        started_at=None,
                        deadline=None,
                        completed_at=None,
                        remaining=None,
                        consumed=None,
                    )
                )
        return out

    def report(self, r: TargetRecord, now: datetime) -> TargetReport:
        """One started target as of ``now``."""
        duration = _duration(r.kind, r.amount)
        state = r.state_at(now)
        remaining: timedelta | None = None
        consumed: timedelta | None = None
        at_risk = False
        if state in ("running", "paused", "met", "breached", "undetermined"):
            until = min(now, r.stopped_at, key=utc) if r.stopped_at is not None else now
            base = self.calendar_for(r.calendar)
            cal = base.projected() if r.provisional else base
            try:
                consumed = cal.consumed(
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
            provisional=r.provisional,
            promised=r.promised,
            calendar_version=r.calendar_version,
        )


def recalculate(
    state: SlaState,
    calendar: BusinessCalendar,
    *,
    binding: Binding = "later",
    skip: frozenset[str] = frozenset(),
) -> list[DeadlineChange]:
    """What a change to ``calendar`` does to a complaint's targets: every
    running target and every provisional one (stopped or not) is recomputed
    on it; those whose deadline or provisional mark changes are returned
    (nothing is modified). Feed :func:`calendar_changed_data` of the result
    to a ``calendar_changed`` event, applied through ``SlaTracker.on_event``
    with the tracker on the new calendar. Targets counted on a calendar
    named in ``skip`` (another of the engine's calendars) are left alone."""
    tracker = SlaTracker(calendar, binding=binding)
    out: list[DeadlineChange] = []
    for r in state.targets:
        if r.cancelled_at is not None or not (r.live or r.provisional) or r.calendar in skip:
            continue
        promised = r.promised if r.promised is not None else r.deadline
        new = tracker._recompute(r._replace(promised=promised))
        if new.deadline == r.deadline and new.provisional == r.provisional:
            continue
        recomputed = tracker._recompute(r._replace(promised=None)).deadline
        out.append(
            DeadlineChange(
                target=r.name,
                cycle=r.cycle,
                old=r.deadline,
                new=new.deadline,
                recomputed=recomputed,
                was_provisional=r.provisional,
                provisional=new.provisional,
            )
        )
    return out


def calendar_changed_data(
    calendar: BusinessCalendar,
    changes: list[DeadlineChange],
    *,
    previous: str | None = None,
    binding: Binding = "later",
) -> dict[str, Any]:
    """The data of a ``calendar_changed`` event recording ``changes``."""

    def iso(t: datetime | None) -> str | None:
        return None if t is None else t.isoformat()

    return {
        "calendar": calendar.name,
        "version": calendar.version,
        "previous": previous,
        "binding": binding,
        "changes": [
            {
                "target": c.target,
                "cycle": c.cycle,
                "old": iso(c.old),
                "new": iso(c.new),
                "recomputed": iso(c.recomputed),
                "was_provisional": c.was_provisional,
                "provisional": c.provisional,
            }
            for c in changes
        ],
    }


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


@lru_cache(maxsize=256)
def _duration(kind: str, amount: float) -> Duration:
    return Duration(kind, amount)  # type: ignore[arg-type]


def _target_fields(target: SlaTarget) -> dict[str, Any]:
    return target.record_fields


_FIELD_AT: Final = {name: i for i, name in enumerate(TargetRecord._fields)}
_new_record: Final = partial(tuple.__new__, TargetRecord)
_new_state: Final = partial(tuple.__new__, SlaState)


def _set(r: TargetRecord, **changes: Any) -> TargetRecord:
    """``r._replace(**changes)`` without its checks: the tracker names only
    fields the record has."""
    values = list(r)
    for name, value in changes.items():
        values[_FIELD_AT[name]] = value
    return _new_record(values)


_STOPPED, _DEADLINE, _MET, _NEXT_ALERT_AT, _PROBLEM, _CALENDAR, _CALENDAR_VERSION, _PROVISIONAL = (
    _FIELD_AT[name]
    for name in (
        "stopped_at",
        "deadline",
        "met",
        "next_alert_at",
        "problem",
        "calendar",
        "calendar_version",
        "provisional",
    )
)


_CYCLE, _STARTED = _FIELD_AT["cycle"], _FIELD_AT["started_at"]
_KIND, _AMOUNT, _WARN_AT = _FIELD_AT["kind"], _FIELD_AT["amount"], _FIELD_AT["warn_at"]


def _at_or_before(a: datetime, b: datetime) -> bool:
    """``utc(a) <= utc(b)``: Python compares two zones' datetimes as
    instants itself, and one zone's by wall time (then both go to UTC)."""
    if a.tzinfo is not b.tzinfo:
        return a <= b
    return a.astimezone(UTC) <= b.astimezone(UTC)


_TEMPLATES: Final[dict[int, tuple[SlaTarget, TargetRecord]]] = {}


def _template(target: SlaTarget) -> TargetRecord:
    """A record of ``target`` as it starts (its cycle and start set apart),
    worked out once per target."""
    hit = _TEMPLATES.get(id(target))
    if hit is not None and hit[0] is target:
        return hit[1]
    record = TargetRecord(
        name=target.name, cycle=1, stop=target.stop, started_at=datetime.min,
        **_target_fields(target),
    )  # fmt: skip
    if len(_TEMPLATES) >= 256:
        _TEMPLATES.clear()
    _TEMPLATES[id(target)] = (target, record)
    return record


def _earliest_alert(records: Sequence[TargetRecord]) -> datetime | None:
    """The earliest alert due among the live records (the state's ``next_check``)."""
    nxt = None
    for r in records:
        t = r.next_alert_at
        live = r.stopped_at is None and r.cancelled_at is None
        if t is not None and live and (nxt is None or t < nxt):
            nxt = t
    return nxt


@lru_cache(maxsize=256)
def _fresh_hours(amount: float, warn_at: tuple[float, ...]) -> tuple[timedelta, timedelta | None]:
    """An ``hours`` target's duration, and the time from its start to its
    first warning (``None``: no warning, the breach comes first)."""
    first = None if not warn_at else _duration("hours", amount * warn_at[0])._measure
    return _duration("hours", amount)._measure, first


@lru_cache(maxsize=256)
def _warnings(warn_at: tuple[float, ...]) -> tuple[tuple[str, float], ...]:
    return tuple((f"warning:{w:g}", w) for w in warn_at)


def _next_alert(r: TargetRecord) -> tuple[str | None, float | None]:
    """:meth:`TargetRecord.next_alert` with its warning's fraction (``None``
    for the breach)."""
    sent = r.sent
    for key, w in _warnings(r.warn_at):
        if key not in sent:
            return key, w
    return (None, None) if "breach" in sent else ("breach", None)


_STARTS: Final[dict[int, tuple[SlaPolicy, dict[str, list[SlaTarget]]]]] = {}


def _starts(policy: SlaPolicy) -> dict[str, list[SlaTarget]]:
    """The policy's targets by the event type that starts them (a decision
    starts those that start when it takes effect), in the policy's order;
    worked out once per policy."""
    hit = _STARTS.get(id(policy))
    if hit is not None and hit[0] is policy:
        return hit[1]
    by: dict[str, list[SlaTarget]] = {}
    for target in policy:
        kind = "decide" if target.start == "decision_effective" else target.start
        by.setdefault(kind, []).append(target)
    if len(_STARTS) >= 256:
        _STARTS.clear()
    _STARTS[id(policy)] = (policy, by)
    return by


def _move_targets(
    records: list[TargetRecord], current: Sequence[int], event: Event
) -> tuple[set[int], bool]:
    """Pause, resume, stop or cancel this cycle's live targets on a status move.

    Returns the indexes changed and whether a target was stopped with its
    deadline standing (``touched``: saved, but its deadline needs no recompute)."""
    t, kind = event.at, event.type
    was, now_status = event.from_status, event.to_status
    moved = was != now_status
    cancelling = kind in _CANCELLING
    changed: set[int] = set()
    touched = False
    for i in current:
        r = records[i]
        if r.stopped_at is not None or r.cancelled_at is not None:
            continue
        if not (
            cancelling
            or kind == r.stop
            or (moved and (was in r.pause_in or now_status in r.pause_in))
        ):
            continue  # neither paused, resumed, stopped nor cancelled
        pauses = r.pauses
        if now_status in r.pause_in and was not in r.pause_in:
            pauses = (*pauses, (t, None))
        elif was in r.pause_in and now_status not in r.pause_in and r.open_pause:
            pauses = (*pauses[:-1], (pauses[-1][0], t))
        stopped = t if kind == r.stop else None
        cancelled = t if cancelling else None
        if cancelled is not None and pauses and pauses[-1][1] is None:
            pauses = (*pauses[:-1], (pauses[-1][0], t))
        if pauses is r.pauses and stopped and r.deadline is not None and not cancelled:
            # a stop with the facts otherwise unchanged: the deadline stands
            # (a stop on a provisional deadline is not judged yet)
            values = list(r)
            values[_STOPPED] = stopped
            values[_MET] = None if r.provisional else _at_or_before(stopped, r.deadline)
            values[_NEXT_ALERT_AT] = None
            records[i] = _new_record(values)
            touched = True
        elif pauses is not r.pauses or stopped or cancelled:
            records[i] = _set(r, pauses=pauses, stopped_at=stopped, cancelled_at=cancelled)
            changed.add(i)
    return changed, touched
