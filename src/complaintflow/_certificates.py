"""Deadline certificates: one target's deadline explained to the day.

A :class:`DeadlineCertificate` is built from a complaint's SLA record, its
audit trail and the engine's calendar (:func:`build_certificate`). It says
which rule and provision, counted from which event, on which calendar,
which days counted and how much, which pauses removed what, which
extensions and recalculations moved it, and the outcome. It carries the
counted units of every day, so :meth:`DeadlineCertificate.recompute` checks
the deadline by summing them, without the calendar code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal

from pydantic import Field

from complaintflow._base import Model, utc
from complaintflow._sla_state import TargetRecord, TargetStateName
from complaintflow.errors import InvalidInput, NotFound
from complaintflow.models import Complaint, Event
from complaintflow.sla import BusinessCalendar, Duration, PackInfo
from complaintflow.sla._policy import PACKS, pack_info
from complaintflow.sla._tracker import SlaTracker

__all__ = [
    "CertificateCalendar",
    "CertificateChange",
    "CertificateDay",
    "CertificateEvent",
    "CertificatePause",
    "DayKind",
    "DeadlineCertificate",
    "Recomputation",
    "build_certificate",
]

DayKind = Literal["working_day", "weekend", "holiday", "makeup_working_day"]
"""What a calendar day is: a working day of the weekly pattern, a weekend day,
a public holiday, or a weekend day made a working day (调休 makeup day)."""

_MAX_DAYS: Final = 800
"""Days listed at most (a deadline further out is listed up to here)."""

GUIDE_PROVISIONS: Final[dict[str, tuple[str, str, str | None]]] = {
    "preliminary_verification": (
        "guide §3.3.1",
        "preliminary verification within 24 hours of receiving the complaint",
        None,
    ),
    "verification": (
        "guide §3.3.2",
        "verification and classification completed within 48 hours",
        None,
    ),
    "decision_notice": (
        "guide §3.3.3",
        "the decision is notified to the complainant and the respondent within "
        "24 hours after verification is complete",
        None,
    ),
    "execution": (
        "guide §3.3.4",
        "the decision is carried out within 24 hours after it takes effect",
        None,
    ),
    "follow_up": (
        "guide §3.3.5",
        "follow-up feedback within 7 working days after the decision was carried out",
        "跟进反馈应在处理执行后7个工作日内进行",
    ),
}
"""The guide's provisions for its policy's targets: citation, the rule in
English, the text in Chinese where quoted."""


class CertificateEvent(Model):
    """An event of the audit trail a certificate refers to."""

    seq: int
    type: str
    at: datetime
    actor: str


class CertificateCalendar(Model):
    """The calendar a deadline was counted on."""

    name: str | None
    version: str
    """The version id of the calendar counted on (``BusinessCalendar.version``)."""
    recorded_version: str | None
    """The version the complaint's SLA state recorded for this deadline."""
    source: str | None
    timezone: str
    weekmask: str
    valid_from: date | None
    valid_until: date | None
    years: list[int]
    """The years the calendar's data covers (empty when unbounded)."""
    provisional: str | None
    """Why the deadline is provisional; ``None`` when final."""


class CertificateDay(Model):
    """One calendar day between the start and the deadline."""

    date: date
    kind: DayKind
    name: str | None = None
    """The holiday's or makeup day's name, where the calendar gives it."""
    beyond_data: bool = False
    """Past the calendar's data: classified on the weekly pattern."""
    counted: timedelta
    """How much of the duration's measure this day counted (a whole day counts
    one day for day-counted durations; hours for hour-counted ones)."""
    paused: timedelta
    """How much of the measure a pause removed on this day."""
    full: bool
    """Counted all it could: the clock ran to this day's end unpaused."""
    until: datetime | None
    """Where counting on this day stopped (the deadline on the last day)."""


class CertificatePause(Model):
    """A pause of the clock and the events that opened and closed it."""

    start: datetime
    end: datetime | None
    opened_by: CertificateEvent | None
    closed_by: CertificateEvent | None
    removed: timedelta
    """The measure the pause took off the clock (up to the deadline or now)."""


class CertificateChange(Model):
    """An extension or a recalculation of the deadline."""

    event: CertificateEvent
    kind: Literal["extension", "recalculation"]
    amount: float | None = None
    """Extension: how much was added, in the target's unit."""
    before: datetime | None = None
    after: datetime | None = None
    reason: str | None = None


class Recomputation(Model):
    """The deadline recomputed from a certificate's own facts."""

    counted: timedelta
    """The sum of the days' counted units."""
    expected: timedelta
    """The duration's measure (with extensions)."""
    computed_deadline: datetime | None
    deadline: datetime | None
    """The binding deadline (the later of the computed and the promised one
    when the promise binds)."""
    agrees: bool
    """The sum equals the duration and both deadlines equal the certificate's."""


class DeadlineCertificate(Model):
    """Why a target's deadline is what it is (``Engine.explain``); JSON with
    ``model_dump_json()``, text with :meth:`render`, self-checked by
    :meth:`recompute`."""

    complaint_id: str
    target: str
    cycle: int
    policy: str | None
    provision: str | None
    """The citation (``guide §3.3.5`` or the pack's article)."""
    provision_text: str | None
    """The rule in English, where known."""
    provision_text_zh: str | None
    """The provision's Chinese text, where quoted."""
    kind: str
    amount: float
    """The duration in force (with extensions), in its unit."""
    duration: str
    counting_en: str
    counting_zh: str
    started_at: datetime
    start_event: CertificateEvent | None
    calendar: CertificateCalendar
    days: list[CertificateDay]
    days_truncated: bool = False
    pauses: list[CertificatePause]
    changes: list[CertificateChange]
    computed_deadline: datetime | None
    """The deadline the counted days give."""
    deadline: datetime | None
    """The binding deadline."""
    promised: datetime | None
    binding: str
    as_of: datetime
    state: TargetStateName
    consumed: timedelta | None
    remaining: timedelta | None
    stop_event: CertificateEvent | None
    stopped_at: datetime | None
    met: bool | None
    notes: list[str] = Field(default_factory=list)

    def recompute(self) -> Recomputation:
        """The deadline from the days alone: the counted units must add up to
        the duration, and the deadline is where the last one ends (24:00 of
        the last counted day when it counted in full)."""
        counted = sum((d.counted for d in self.days), timedelta(0))
        expected = _measure(self.kind, self.amount)
        last = next((d for d in reversed(self.days) if d.counted > timedelta(0)), None)
        computed: datetime | None = None
        if self.computed_deadline is not None:
            if last is None:  # a zero duration: the clock's anchor
                computed = self.computed_deadline
            elif last.full:
                tz = self.started_at.tzinfo
                computed = _midnight(last.date + timedelta(days=1), tz)
            else:
                computed = last.until
        deadline = computed
        if computed is not None and self.promised is not None and self.binding == "later":
            deadline = max(computed, self.promised, key=utc)
        # without a deadline (an open pause, a cancellation) there is nothing to check
        ok = self.computed_deadline is None or (
            abs(counted - expected) <= timedelta(microseconds=1)
            and _same(computed, self.computed_deadline)
            and _same(deadline, self.deadline)
        )
        return Recomputation(
            counted=counted,
            expected=expected,
            computed_deadline=computed,
            deadline=deadline,
            agrees=ok,
        )

    def render(self, lang: str = "zh") -> str:
        """The certificate as text, in Chinese (``zh``) or English (``en``)."""
        from complaintflow._certificate_text import render

        if lang not in ("zh", "en"):
            raise InvalidInput.field("lang", "must be 'zh' or 'en'")
        return render(self, lang)


def _same(a: datetime | None, b: datetime | None) -> bool:
    if a is None or b is None:
        return a is b
    return utc(a) == utc(b)


def _measure(kind: str, amount: float) -> timedelta:
    if kind in ("working_days", "calendar_days"):
        return timedelta(days=amount)
    return timedelta(hours=amount)


def _midnight(d: date, tz: Any) -> datetime:
    """The first instant of ``d`` in ``tz`` (normalised through UTC)."""
    return datetime.combine(d, time(), tz).astimezone(UTC).astimezone(tz)


def _event(e: Event | None) -> CertificateEvent | None:
    if e is None:
        return None
    return CertificateEvent(seq=e.seq, type=e.type, at=e.at, actor=e.actor)


def provision_for(policy: dict[str, Any], target: str) -> tuple[str | None, str | None, str | None]:
    """Citation, English rule and Chinese text of ``target`` under ``policy``."""
    name = str(policy.get("name") or "")
    if name == "guide" and target in GUIDE_PROVISIONS:
        return GUIDE_PROVISIONS[target]
    pack = name.split("/", 1)[0]
    if pack in PACKS:
        info: PackInfo = pack_info(pack)
        return info.cites.get(target), None, None
    return None, None, None


def find_record(complaint: Complaint, target: str, cycle: int | None) -> TargetRecord:
    """The SLA record of ``target`` in ``cycle`` (the current one when None)."""
    if not isinstance(target, str) or not target:
        raise InvalidInput.field("target", "must be a target name")
    if cycle is not None and (not isinstance(cycle, int) or isinstance(cycle, bool) or cycle < 1):
        raise InvalidInput.field("cycle", "must be a positive integer or None")
    state = complaint.sla
    names = [t["name"] for t in state.policy.get("targets", ())] if state else []
    records = state.targets if state else ()
    if target not in names and all(r.name != target for r in records):
        raise InvalidInput.field(
            "target", f"{target!r} is not a target of this complaint's policy ({', '.join(names)})"
        )
    want = complaint.cycle if cycle is None else cycle
    for r in records:
        if r.name == target and r.cycle == want:
            return r
    raise NotFound(f"target {target!r} has not started in cycle {want} of {complaint.id!r}")


def _day_kind(cal: BusinessCalendar, d: date, sets: tuple[Any, ...]) -> DayKind:
    hol, wd, mask = sets
    if d in wd:
        return "makeup_working_day"
    if d in hol:
        return "holiday"
    return "working_day" if mask[d.weekday()] == "1" else "weekend"


class _Clock:
    """The target's clock readings on one calendar (cumulative measure)."""

    def __init__(self, cal: BusinessCalendar, r: TargetRecord, end: datetime) -> None:
        self.cal = cal
        self.r = r
        self.duration = Duration(r.kind, r.amount)  # type: ignore[arg-type]
        self.pauses = [(a, end if b is None else b) for a, b in r.pauses]

    def net(self, t: datetime) -> timedelta:
        return self.cal.consumed(self.r.started_at, t, self.duration, pauses=self.pauses)

    def gross(self, t: datetime) -> timedelta:
        return self.cal.consumed(self.r.started_at, t, self.duration)


def certificate_days(
    cal: BusinessCalendar, r: TargetRecord, end: datetime
) -> tuple[list[CertificateDay], bool]:
    """Each day from the start's date to ``end``'s, with what it counted."""
    tz = cal.tz
    clock = _Clock(cal, r, end)
    first = r.started_at.astimezone(tz).date()
    last = end.astimezone(tz).date()
    if end.astimezone(tz) == _midnight(last, tz) and last > first:
        last -= timedelta(days=1)  # a deadline at 24:00 ends the day before
    truncated = (last - first).days >= _MAX_DAYS
    if truncated:
        last = first + timedelta(days=_MAX_DAYS - 1)
    sets = (cal.holidays, cal.workdays, cal.weekmask)
    names = cal.names
    lo, hi = cal.valid_from, cal.valid_until
    days: list[CertificateDay] = []
    d = first
    prev_net = clock.net(max(_midnight(d, tz), r.started_at, key=utc))
    prev_gross = clock.gross(max(_midnight(d, tz), r.started_at, key=utc))
    while d <= last:
        day_end = min(_midnight(d + timedelta(days=1), tz), end, key=utc)
        net, gross = clock.net(day_end), clock.gross(day_end)
        counted, paused = net - prev_net, (gross - prev_gross) - (net - prev_net)
        whole = utc(day_end) == utc(_midnight(d + timedelta(days=1), tz))
        days.append(
            CertificateDay(
                date=d,
                kind=_day_kind(cal, d, sets),
                name=names.get(d),
                beyond_data=(lo is not None and d < lo) or (hi is not None and d > hi),
                counted=counted,
                paused=paused,
                full=whole and paused == timedelta(0) and counted > timedelta(0),
                until=day_end.astimezone(tz) if counted > timedelta(0) else None,
            )
        )
        prev_net, prev_gross = net, gross
        d += timedelta(days=1)
    return days, truncated


def _match(events: Sequence[Event], at: datetime | None, ok: Any) -> Event | None:
    if at is None:
        return None
    for e in events:
        if utc(e.at) == utc(at) and ok(e):
            return e
    return None


def _start_event(events: Sequence[Event], r: TargetRecord, start: str | None) -> Event | None:
    def ok(e: Event) -> bool:
        if e.cycle != r.cycle and e.type != "submit":
            return False
        if start == "receipt":
            return e.type in ("submit", "reopen")
        return e.type == start or e.type == "policy_changed"

    if start == "decision_effective":
        for e in events:
            eff = e.data.get("effective_at") if e.type == "decide" else None
            if eff is not None and utc(datetime.fromisoformat(eff)) == utc(r.started_at):
                return e
        return None
    return _match(events, r.started_at, ok)


def _pauses(
    events: Sequence[Event], r: TargetRecord, clock: _Clock, end: datetime
) -> list[CertificatePause]:
    out = []
    for a, b in r.pauses:
        opened = _match(events, a, lambda e: e.to_status in r.pause_in)
        closed = _match(events, b, lambda e: e.from_status in r.pause_in)
        stop = min(end, b, key=utc) if b is not None else end
        a_eff = min(a, stop, key=utc)
        removed = (clock.gross(stop) - clock.gross(a_eff)) - (clock.net(stop) - clock.net(a_eff))
        out.append(
            CertificatePause(
                start=a,
                end=b,
                opened_by=_event(opened),
                closed_by=_event(closed),
                removed=max(removed, timedelta(0)),
            )
        )
    return out


def _changes(events: Sequence[Event], r: TargetRecord) -> list[CertificateChange]:
    out = []
    for e in events:
        ev = _event(e)
        assert ev is not None
        ext = e.data.get("sla_extension")
        if ext is not None and ext.get("target") == r.name and e.cycle == r.cycle:
            before = e.data.get("deadline_before")
            out.append(
                CertificateChange(
                    event=ev,
                    kind="extension",
                    amount=float(ext["amount"]),
                    before=None if before is None else datetime.fromisoformat(before),
                    reason=e.data.get("reason"),
                )
            )
        if e.type == "calendar_changed":
            for ch in e.data.get("changes", ()):
                if ch.get("target") == r.name and ch.get("cycle") == r.cycle:
                    old, new = ch.get("old"), ch.get("new")
                    out.append(
                        CertificateChange(
                            event=ev,
                            kind="recalculation",
                            before=None if old is None else datetime.fromisoformat(old),
                            after=None if new is None else datetime.fromisoformat(new),
                            reason=f"calendar version {e.data.get('version')}",
                        )
                    )
    return out


def _calendar(cal: BusinessCalendar, r: TargetRecord) -> CertificateCalendar:
    lo, hi = cal.valid_from, cal.valid_until
    years = list(range(lo.year, hi.year + 1)) if lo is not None and hi is not None else []
    return CertificateCalendar(
        name=cal.name,
        version=cal.version,
        recorded_version=r.calendar_version,
        source=cal.source,
        timezone=cal.tz.key,
        weekmask=cal.weekmask,
        valid_from=lo,
        valid_until=hi,
        years=years,
        provisional=r.provisional,
    )


def counting_words(kind: str, amount: float) -> tuple[str, str]:
    """How a duration is counted, in English and in Chinese."""
    n = f"{amount:g}"
    if kind == "working_days":
        return (
            f"{n} working days: the start day is not counted; the period ends at 24:00 "
            f"of the {n}th working day after it (PRC Civil Code arts. 201-203); weekends "
            "and public holidays do not count, makeup working days do",
            f"{n}个工作日：起算当日不计入，期限至其后第{n}个工作日24时届满"
            "（《民法典》第二百零一条至第二百零三条）；周末和法定节假日不计，调休上班日计入",
        )
    if kind == "calendar_days":
        return (
            f"{n} calendar days: the start day is not counted; the period ends at 24:00 "
            f"of the {n}th day after it; every day counts",
            f"{n}日：起算当日不计入，期限至其后第{n}日24时届满；每日均计入",
        )
    if kind == "business_hours":
        return (
            f"{n} business hours: only time inside opening hours on working days counts; "
            "a start outside them counts from the next opening",
            f"{n}个工作小时：仅计工作日营业时间；在营业时间外起算的，自下一次营业开始计算",
        )
    return (
        f"{n} hours of real elapsed time from the start event (counted in UTC: a "
        "daylight-saving change adds or removes nothing)",
        f"自起算事件起{n}小时（自然时间，按UTC计，夏令时调整不增不减）",
    )


def build_certificate(
    complaint: Complaint,
    events: Sequence[Event],
    tracker: SlaTracker,
    target: str,
    *,
    cycle: int | None,
    now: datetime,
) -> DeadlineCertificate:
    """The certificate of ``target`` (in ``cycle``) as of ``now``."""
    r = find_record(complaint, target, cycle)
    state = complaint.sla
    assert state is not None
    base = tracker.calendar
    cal = base.projected() if r.provisional else base
    report = tracker.report(r, now)
    computed, end = _computed_deadline(cal, r, _clock_end(r, now))
    days, truncated = certificate_days(cal, r, end)
    policy_target = next(
        (t for t in state.policy.get("targets", ()) if t["name"] == r.name), {"start": None}
    )
    cites, rule_en, rule_zh = provision_for(state.policy, r.name)
    en, zh = counting_words(r.kind, r.amount)
    stop = _match(events, r.stopped_at, lambda e: e.type in (r.stop, "reopen"))
    notes = _version_notes(r, base)
    return DeadlineCertificate(
        complaint_id=complaint.id,
        target=r.name,
        cycle=r.cycle,
        policy=state.policy.get("name"),
        provision=cites,
        provision_text=rule_en,
        provision_text_zh=rule_zh,
        kind=r.kind,
        amount=r.amount,
        duration=str(Duration(r.kind, r.amount)),  # type: ignore[arg-type]
        counting_en=en,
        counting_zh=zh,
        started_at=r.started_at,
        start_event=_event(_start_event(events, r, policy_target.get("start"))),
        calendar=_calendar(base, r),
        days=days,
        days_truncated=truncated,
        pauses=_pauses(events, r, _Clock(cal, r, end), end),
        changes=_changes(events, r),
        computed_deadline=computed,
        deadline=r.deadline,
        promised=r.promised,
        binding=tracker.binding,
        as_of=now,
        state=report.state,
        consumed=report.consumed,
        remaining=report.remaining,
        stop_event=_event(stop),
        stopped_at=r.stopped_at,
        met=r.met,
        notes=notes,
    )


def _clock_end(r: TargetRecord, now: datetime) -> datetime:
    """Where the target's clock stops being read: its cancellation, the start
    of an open pause, its stop, or ``now``."""
    if r.cancelled_at is not None:
        return r.cancelled_at
    if r.open_pause:  # the clock froze when the pause began
        return max(r.pauses[-1][0], r.started_at, key=utc)
    if r.stopped_at is not None:
        return r.stopped_at
    return now


def _computed_deadline(
    cal: BusinessCalendar, r: TargetRecord, end: datetime
) -> tuple[datetime | None, datetime]:
    """The deadline recomputed on ``cal`` (none for a target without one or
    cancelled), and the end of the days shown (the computed deadline if any)."""
    computed = None
    if r.deadline is not None and r.cancelled_at is None:
        info = cal.deadline_info(r.started_at, Duration(r.kind, r.amount), _closed(r))  # type: ignore[arg-type]
        computed = info.deadline
        end = computed if computed is not None else end
    return computed, end


def _version_notes(r: TargetRecord, base: BusinessCalendar) -> list[str]:
    """A note when the target was counted on another calendar version."""
    notes = []
    if r.calendar_version is not None and r.calendar_version != base.version:
        notes.append(
            f"the complaint's SLA state recorded calendar version {r.calendar_version}; "
            f"this certificate counts on version {base.version}"
        )
    return notes


def _closed(r: TargetRecord) -> list[tuple[datetime, datetime | None]]:
    return [(a, b if b is not None else r.started_at) for a, b in r.pauses]
