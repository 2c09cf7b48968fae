"""The SLA state kept on a complaint, and the reports and alerts built from it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Final, Literal, NamedTuple

from pydantic import Field

from complaintflow._base import Model, utc

TargetStateName = Literal[
    "pending", "running", "paused", "met", "breached", "cancelled", "undetermined"
]
"""The states a target is reported in (``TargetReport.state``);
``undetermined``: stopped while the deadline was provisional (a later
calendar may settle it either way; recomputation does)."""


class TargetRecord(NamedTuple):
    """The facts of one started target in one cycle; the rest is derived.

    A target of the policy without a record in the current cycle has not
    started (pending). Compact on purpose: one is kept per started target."""

    name: str
    cycle: int
    kind: str
    """The duration's kind (``hours``, ``working_days``, ...)."""
    amount: float
    warn_at: tuple[float, ...]
    pause_in: tuple[str, ...]
    stop: str
    started_at: datetime
    stopped_at: datetime | None = None
    cancelled_at: datetime | None = None
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()
    deadline: datetime | None = None
    """Computed when the facts change; ``None`` while a pause is open."""
    met: bool | None = None
    """Set when stopped: whether the stop came at or before the deadline."""
    sent: tuple[str, ...] = ()
    """Alerts already emitted: ``warning:0.5``, ``breach``."""
    next_alert_at: datetime | None = None
    """When the next alert not yet emitted is due (see :meth:`next_alert`)."""
    problem: str | None = None
    """Why the deadline could not be computed (e.g. no calendar data)."""
    calendar: str | None = None
    """The id (name) of the calendar the deadline was computed on."""
    calendar_version: str | None = None
    """That calendar's version id (``BusinessCalendar.version``)."""
    provisional: str | None = None
    """Why the deadline is provisional (counted past the calendar's data on
    the weekly pattern); ``None`` when final. A stop is not judged met or
    breached while it is: ``met`` stays ``None`` until recomputed."""
    promised: datetime | None = None
    """The deadline first told to the parties, kept when a calendar change
    recomputed it (``None`` when no change did). With the default binding
    policy, ``deadline`` is the later of the recomputed one and this."""

    @property
    def live(self) -> bool:
        """Not stopped, not cancelled."""
        return self.stopped_at is None and self.cancelled_at is None

    @property
    def open_pause(self) -> bool:
        """Paused right now (the last pause has no end)."""
        return bool(self.pauses) and self.pauses[-1][1] is None

    def state_at(self, now: datetime) -> TargetStateName:
        """The state this target is reported in as of ``now``
        (``TargetReport.state``; never ``pending`` for a started one unless it
        starts after ``now``)."""
        if self.cancelled_at is not None:
            return "cancelled"
        if utc(self.started_at) > utc(now):
            return "pending"
        if self.stopped_at is not None:
            return "undetermined" if self.met is None else "met" if self.met else "breached"
        if self.open_pause and utc(self.pauses[-1][0]) <= utc(now):
            return "paused"
        if self.deadline is not None and utc(now) > utc(self.deadline):
            return "breached"
        return "running"

    def next_alert(self) -> str | None:
        """The key of the next alert not yet emitted: a warning threshold in
        order, then ``breach``; ``None`` when all were emitted."""
        for w in self.warn_at:
            key = f"warning:{w:g}"
            if key not in self.sent:
                return key
        return None if "breach" in self.sent else "breach"


class SlaState(NamedTuple):
    """The started targets of a complaint, every cycle, and the policy in force."""

    policy: dict[str, Any]
    cycle_started_at: datetime
    targets: tuple[TargetRecord, ...] = ()
    next_check: datetime | None = None
    """The earliest alert due: what ``Store.due`` queries."""
    calendar: str | None = None
    """The name of the calendar chosen for this complaint (the engine's
    default when ``None``): see ``Engine(calendars=...)``."""


def _time(v: str | None) -> datetime | None:
    return None if v is None else datetime.fromisoformat(v)


def _pauses(v: list[list[str | None]]) -> tuple[tuple[datetime, datetime | None], ...]:
    return tuple((datetime.fromisoformat(p0), _time(p1)) for p0, p1 in v)  # type: ignore[arg-type]


_FIELDS: Final = TargetRecord._fields
_TIMES: Final = tuple(
    _FIELDS.index(f)
    for f in ("started_at", "stopped_at", "cancelled_at", "deadline", "next_alert_at", "promised")
)
_TUPLES: Final = tuple(_FIELDS.index(f) for f in ("warn_at", "pause_in", "sent"))
_AMOUNT: Final = _FIELDS.index("amount")
_PAUSES: Final = _FIELDS.index("pauses")


def _record(v: list[Any]) -> TargetRecord:
    """A :class:`TargetRecord` from its JSON array (shorter when written
    before a field was added: the rest keep their defaults)."""
    n = len(v)
    for i in _TIMES:
        if i < n and v[i] is not None:
            v[i] = datetime.fromisoformat(v[i])
    for i in _TUPLES:
        if i < n:
            v[i] = tuple(v[i])
    v[_AMOUNT] = float(v[_AMOUNT])
    if n > _PAUSES:
        v[_PAUSES] = _pauses(v[_PAUSES])
    return TargetRecord(*v)


def state_from_data(data: list[Any] | None) -> SlaState | None:
    """An :class:`SlaState` from its JSON form (the array a stored complaint
    holds; ``json.loads`` of it), built without validating the whole
    complaint: what what-if and the SLA report read a page of complaints
    with. Equal to the state of the complaint parsed in full."""
    if data is None:
        return None
    policy, started, records, next_check, *rest = data
    targets = tuple(_record(r) for r in records)
    return SlaState(policy, datetime.fromisoformat(started), targets, _time(next_check), *rest)


class TargetReport(Model):
    """One target as of a moment (``Engine.sla(id, now=...)``)."""

    name: str
    cycle: int
    state: TargetStateName
    duration: str
    """E.g. ``"24 hours"``, ``"7 working days"``."""
    started_at: datetime | None
    deadline: datetime | None
    completed_at: datetime | None
    remaining: timedelta | None
    """What is left of the duration's measure (frozen while paused); ``None``
    when pending or cancelled. Zero once the deadline has passed."""
    consumed: timedelta | None
    at_risk: bool = False
    """Running (or paused) past a warning threshold."""
    problem: str | None = None
    provisional: str | None = None
    """Why the deadline is provisional; ``None`` when it is final."""
    promised: datetime | None = None
    """The deadline first told, when a calendar change recomputed it."""
    calendar_version: str | None = None
    """The version of the calendar the deadline was computed on."""


class SlaReport(Mapping[str, TargetReport]):
    """The current cycle's targets by name; earlier cycles in :attr:`history`."""

    def __init__(self, complaint_id: str, cycle: int, reports: list[TargetReport]) -> None:
        self.complaint_id = complaint_id
        self.cycle = cycle
        self.history: list[TargetReport] = reports
        self._current = {r.name: r for r in reports if r.cycle == cycle}

    def __getitem__(self, name: str) -> TargetReport:
        return self._current[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current)

    def __len__(self) -> int:
        return len(self._current)

    def cycle_reports(self, cycle: int) -> dict[str, TargetReport]:
        """The targets of an earlier (or the current) cycle."""
        return {r.name: r for r in self.history if r.cycle == cycle}

    def __repr__(self) -> str:
        rows = ", ".join(f"{n}={r.state}" for n, r in self._current.items())
        return f"SlaReport({self.complaint_id!r}, cycle={self.cycle}, {rows})"


class SlaAlert(Model):
    """A warning or a breach found by ``Engine.sweep``; emitted once."""

    complaint_id: str
    target: str
    cycle: int
    kind: Literal["warning", "breach"]
    threshold: float | None = None
    """For a warning: the fraction of the duration that has run."""
    due_at: datetime
    """When the alert became due (the warning time, or the deadline)."""
    deadline: datetime | None
    detected_at: datetime
    handler: str | None = None
    provisional: str | None = None
    """Why the deadline alerted on is provisional; ``None`` when final."""
    data: dict[str, Any] = Field(default_factory=dict)
