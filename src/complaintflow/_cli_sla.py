"""``complaintflow sla``: a complaint's deadlines, computed by a real engine.

The command builds an :class:`~complaintflow.engine.Engine` on a memory
store, submits one complaint received at ``--received``, replays the
``--event`` commands in time order as the system actor and reads
``Engine.sla``. This module computes; ``complaintflow.cli`` prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from complaintflow._sla_state import TargetReport
from complaintflow._specs import COMMAND_SPECS
from complaintflow.errors import ComplaintFlowError

if TYPE_CHECKING:
    from complaintflow.commands import Command
    from complaintflow.engine import Engine
    from complaintflow.models import Actor
    from complaintflow.sla import BusinessCalendar, SlaPolicy

__all__ = ["EVENT_TYPES", "SlaResult", "UsageError", "compute"]

EVENT_TYPES: Final = tuple(t for t, spec in COMMAND_SPECS.items() if spec.example is not None)
"""The command types ``--event`` takes."""

_EFFECTIVE: Final = ",effective="
_EXAMPLE: Final = "e.g. 2026-03-09T10:00+08:00, or 2026-03-09T10:00 in the calendar's zone"


class UsageError(Exception):
    """A bad command-line argument: ``arg`` names it (``--event``, ...)."""

    def __init__(self, arg: str, message: str) -> None:
        super().__init__(f"argument {arg}: {message}")
        self.arg = arg


@dataclass(frozen=True, slots=True)
class _Event:
    kind: str
    at: datetime
    effective: datetime | None
    text: str
    """As given on the command line, for messages."""


@dataclass(slots=True)
class SlaResult:
    """What ``complaintflow sla`` shows."""

    received: datetime
    now: datetime
    category: str
    policy: str
    calendar: str
    zone: ZoneInfo
    status: str
    cycle: int
    targets: list[TargetReport] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON document ``--json`` prints."""
        return {
            "received": self.received.isoformat(),
            "now": self.now.isoformat(),
            "category": self.category,
            "policy": self.policy,
            "calendar": self.calendar,
            "timezone": self.zone.key,
            "status": self.status,
            "cycle": self.cycle,
            "targets": [
                {
                    "name": t.name,
                    "duration": t.duration,
                    "started_at": _iso(t.started_at, self.zone),
                    "deadline": _iso(t.deadline, self.zone),
                    "completed_at": _iso(t.completed_at, self.zone),
                    "state": t.state,
                    "at_risk": t.at_risk,
                    "remaining_seconds": None
                    if t.remaining is None
                    else t.remaining.total_seconds(),
                    "problem": t.problem,
                }
                for t in self.targets
            ],
            "events": [{k: _jsonable(v) for k, v in e.items()} for e in self.events],
        }


def _jsonable(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _iso(t: datetime | None, zone: ZoneInfo) -> str | None:
    return None if t is None else t.astimezone(zone).isoformat()


def _parse_time(text: str, arg: str) -> datetime:
    """ISO 8601, with or without an offset (naive: attached later)."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(arg, f"{text!r} is not an ISO 8601 time ({_EXAMPLE})") from None


def _parse_event(text: str) -> _Event:
    kind, sep, rest = text.partition("=")
    kind = kind.strip()
    if not sep or not kind or not rest.strip():
        raise UsageError(
            "--event", f"expected TYPE=TIME (e.g. classify=2026-03-10T09:00+08:00), got {text!r}"
        )
    if kind not in EVENT_TYPES:
        raise UsageError("--event", f"unknown event {kind!r}; known: {', '.join(EVENT_TYPES)}")
    at_text, eff_sep, eff_text = rest.partition(_EFFECTIVE)
    if eff_sep and kind != "decide":
        raise UsageError("--event", f"{text!r}: only decide takes ',effective=TIME'")
    at = _parse_time(at_text, f"--event {kind}")
    effective = _parse_time(eff_text, f"--event {kind}") if eff_sep else None
    return _Event(kind, at, effective, text)


def _calendar(name: str | None, policy: str, years: range) -> tuple[Any, str]:
    """The calendar and how to describe it."""
    from complaintflow.sla import BusinessCalendar
    from complaintflow.sla._policy import SlaPolicy

    if name is None:
        from complaintflow.sla._policy import pack_info

        spec = pack_info(policy).calendar
        desc = spec.get("preset") or (
            f"{spec['holidays']}{'-' + spec['subdiv'] if spec.get('subdiv') else ''} holidays"
            if "holidays" in spec
            else f"{spec.get('tz')} Mon-Fri"
        )
        try:
            cal = SlaPolicy.pack_calendar(policy, years=years)
        except ComplaintFlowError as e:  # e.g. MissingDependency: holidays
            raise UsageError("--policy", f"{policy}: its calendar: {e}") from None
        return cal, f"{desc} (the {policy} pack's)"
    if name.upper() == "CN":
        return BusinessCalendar.preset("CN"), "CN"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            "--calendar",
            f"unknown calendar {name!r}: use CN or an IANA time zone (UTC, Europe/London, ...)",
        ) from None
    return BusinessCalendar(name), f"{name} Mon-Fri"


def _aware(t: datetime, zone: ZoneInfo) -> datetime:
    return t if t.tzinfo is not None and t.utcoffset() is not None else t.replace(tzinfo=zone)


def _years(times: Sequence[datetime]) -> range:
    """Years of holiday data a pack calendar loads: around every time given,
    and the next year for deadlines that run into it."""
    ys = [t.year for t in times]
    return range(min(ys) - 1, max(ys) + 2)


def _command(e: _Event, actor: Actor) -> Command:
    """The command of an event, with the payload the CLI does not ask for
    (its spec's ``example``)."""
    example = COMMAND_SPECS[e.kind].example
    assert example is not None  # EVENT_TYPES has only commands with one
    return example(actor, e.at, e.effective)


def _in_zone(
    received: datetime,
    parsed: list[_Event],
    now: datetime | None,
    zone: ZoneInfo,
    texts: tuple[str, str | None],
) -> tuple[datetime, list[_Event], datetime]:
    """The times in the calendar's zone, checked, the events in time order
    (events at the same time keep their command-line order), and ``now``."""
    received = _aware(received, zone)
    parsed = [
        _Event(e.kind, _aware(e.at, zone), e.effective and _aware(e.effective, zone), e.text)
        for e in parsed
    ]
    for e in parsed:
        if e.at.astimezone(UTC) < received.astimezone(UTC):
            raise UsageError(
                "--event", f"{e.text}: is before the complaint was received ({texts[0]})"
            )
        if e.effective is not None and e.effective.astimezone(UTC) < e.at.astimezone(UTC):
            raise UsageError("--event", f"{e.text}: the decision takes effect before it is made")
    parsed.sort(key=lambda e: e.at.astimezone(UTC))
    last = parsed[-1].at if parsed else received
    if now is None:
        return received, parsed, max(datetime.now(UTC).astimezone(zone), last, key=_utc)
    now = _aware(now, zone)
    if now.astimezone(UTC) < last.astimezone(UTC):
        raise UsageError("--now", f"{texts[1]} is before the last event ({last.isoformat()})")
    return received, parsed, now


def _utc(t: datetime) -> datetime:
    return t.astimezone(UTC)


def _replay(engine: Engine, cid: str, parsed: list[_Event], category: str) -> None:
    """Run each event's command as the system actor; the category's required
    steps (guide §3.1) are recorded just before a decision."""
    from complaintflow.commands import RecordStep
    from complaintflow.models import Actor
    from complaintflow.states import allowed_commands

    system = Actor.system()
    for e in parsed:
        c = engine.get(cid)
        allowed = allowed_commands(c.status)
        if e.kind not in allowed:
            raise UsageError(
                "--event",
                f"{e.text}: cannot {e.kind} a complaint that is {c.status.value}; "
                f"allowed then: {', '.join(k for k in EVENT_TYPES if k in allowed) or 'nothing'}",
            )
        if e.kind == "decide":
            cat = engine.categories[category]
            for step_id in sorted(cat.required_steps - set(c.steps_done)):
                step = cat.step(step_id)
                data = {} if step is None else {k: v[0] for k, v in step.fields.items() if v}
                engine.handle(cid, RecordStep(actor=system, at=e.at, step=step_id, data=data))
        try:
            engine.handle(cid, _command(e, system))
        except ComplaintFlowError as err:
            raise UsageError("--event", f"{e.text}: {err}") from None


def _policy(policy: str, variant: str | None) -> SlaPolicy:
    from complaintflow.sla import SlaPolicy

    try:
        return SlaPolicy.pack(policy, variant=variant)
    except ComplaintFlowError as err:
        arg = "--variant" if variant is not None else "--policy"
        raise UsageError(arg, str(err).removeprefix("variant: ")) from None


def compute(
    *,
    received: str,
    events: Sequence[str],
    now: str | None,
    calendar: str | None,
    policy: str,
    variant: str | None,
    category: str,
) -> SlaResult:
    """Run the complaint through an engine and report its targets.

    Raises :class:`UsageError` naming the argument at fault."""
    received_t = _parse_time(received, "--received")
    parsed = [_parse_event(e) for e in events]
    now_t = _parse_time(now, "--now") if now is not None else None
    sla_policy = _policy(policy, variant)
    times = [received_t, *(e.at for e in parsed), *([now_t] if now_t else [])]
    cal, cal_name = _calendar(calendar, policy, _years(times))
    zone: ZoneInfo = cal.tz
    received_t, parsed, now_t = _in_zone(received_t, parsed, now_t, zone, (received, now))
    engine = _engine(cal, sla_policy, now_t)
    cid = _submit(engine, category, received_t)
    _replay(engine, cid, parsed, category)
    c = engine.get(cid)
    result = SlaResult(
        received=received_t.astimezone(zone),
        now=now_t.astimezone(zone),
        category=category,
        policy=sla_policy.name,
        calendar=cal_name,
        zone=zone,
        status=c.status.value,
        cycle=c.cycle,
    )
    _report(engine, cid, now_t, result)
    return result


def _engine(cal: BusinessCalendar, sla_policy: SlaPolicy, report_time: datetime) -> Engine:
    """An engine on a memory store whose clock stands at ``report_time``."""
    from complaintflow.engine import Engine
    from complaintflow.stores import MemoryStore

    return Engine(
        store=MemoryStore(),
        calendar=cal,
        policy=sla_policy,
        clock=lambda: report_time,
        load_entry_points=False,
    )


def _submit(engine: Engine, category: str, received_t: datetime) -> str:
    """Submit the complaint of ``category`` received at ``received_t``; its id."""
    from complaintflow.models import Actor, NewComplaint, Party

    new = NewComplaint(
        id="sla",
        channel="cli",
        category=category,
        complainant=Party(id="complainant"),
        subject="complaintflow sla",
        received_at=received_t,
    )
    return engine.submit(new, actor=Actor.system()).id


def _report(engine: Engine, cid: str, now_t: datetime, result: SlaResult) -> None:
    """Fill ``result`` with the complaint's targets as of ``now_t`` and its events."""
    zone = result.zone
    result.targets.extend(engine.sla(cid, now=now_t).values())
    result.events.extend(
        {
            "seq": ev.seq,
            "type": ev.type,
            "at": ev.at.astimezone(zone),
            "status": ev.to_status.value,
            **({"step": ev.data["step"]} if ev.type == "record_step" else {}),
        }
        for ev in engine.history(cid)
    )
