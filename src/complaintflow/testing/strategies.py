"""Hypothesis strategies for property-testing SLA math and workflows.

Hosts use them to check their own calendars and policies the way the
library checks itself. The composite strategies draw inputs that fit each
other: :func:`deadline_cases` never pairs ``business_hours(...)`` with a
calendar without opening hours, :func:`complaint_histories` draws only
commands the engine accepts, :func:`calendar_extensions` draws a calendar
and a later version of it.

>>> from datetime import UTC
>>> from hypothesis import given, settings
>>> from complaintflow.testing import strategies as cst
>>> @settings(max_examples=25, database=None)
... @given(case=cst.deadline_cases())
... def test_deadline_after_start(case):
...     # compare instants: datetimes of one zone compare by wall time
...     assert case.deadline().astimezone(UTC) >= case.start.astimezone(UTC)
>>> test_deadline_after_start()

The lower-level strategies (:func:`calendars`, :func:`durations`, ...) fit
together when told so: ``durations(kinds=...)`` without ``business_hours``
for calendars drawn with ``with_business_hours=False``.

Needs the ``hypothesis`` package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import assume
from hypothesis import strategies as st

from complaintflow.commands import (
    Acknowledge,
    Assign,
    Classify,
    Command,
    Decide,
    Escalate,
    Execute,
    FollowUp,
    Note,
    ProvideInfo,
    RecordStep,
    Reject,
    Reopen,
    RequestInfo,
    Withdraw,
)
from complaintflow.errors import CalendarRangeError, InvalidInput
from complaintflow.models import Actor, NewComplaint, Party
from complaintflow.sla import (
    BusinessCalendar,
    Duration,
    business_hours,
    calendar_days,
    hours,
    working_days,
)
from complaintflow.testing._clock import FakeClock

if TYPE_CHECKING:
    from complaintflow.categories import Category
    from complaintflow.engine import Engine
    from complaintflow.models import Complaint
    from complaintflow.sla._policy import SlaPolicy

__all__ = [
    "DST_ZONES",
    "CalendarExtension",
    "DeadlineCase",
    "History",
    "aware_datetimes",
    "business_hours_specs",
    "calendar_extensions",
    "calendars",
    "commands",
    "complaint_histories",
    "deadline_cases",
    "durations",
    "pause_sets",
    "timezones",
]

DST_ZONES = (
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Europe/Berlin",
)
"""Zones with daylight-saving changes (Lord Howe shifts by 30 minutes)."""

_FIXED_ZONES = ("UTC", "Asia/Shanghai", "Asia/Kolkata", "Asia/Kathmandu")


def timezones(*, any_iana: bool = False) -> st.SearchStrategy[ZoneInfo]:
    """IANA zones: by default a mix of DST zones and fixed-offset ones;
    ``any_iana=True`` draws from every zone this machine knows."""
    names = sorted(available_timezones()) if any_iana else [*DST_ZONES, *_FIXED_ZONES]
    return st.sampled_from(names).map(ZoneInfo)


def aware_datetimes(
    *,
    tz: ZoneInfo | st.SearchStrategy[ZoneInfo] | None = None,
    min_value: datetime = datetime(2020, 1, 1),
    max_value: datetime = datetime(2026, 12, 31),
) -> st.SearchStrategy[datetime]:
    """Aware datetimes, including wall times in DST gaps and folds (both
    ``fold`` values), in ``tz`` or in drawn zones.

    ``min_value``/``max_value`` are naive wall-clock bounds."""
    zones = (
        tz
        if isinstance(tz, st.SearchStrategy)
        else (st.just(tz) if tz is not None else timezones())
    )
    return st.datetimes(
        min_value=min_value, max_value=max_value, timezones=zones, allow_imaginary=True
    )


def durations(
    *,
    kinds: tuple[str, ...] = ("hours", "business_hours", "working_days", "calendar_days"),
    max_hours: int = 200,
    max_days: int = 60,
) -> st.SearchStrategy[Duration]:
    """Durations of the given kinds, whole or fractional."""
    makers: dict[str, Any] = {
        "hours": (hours, max_hours),
        "business_hours": (business_hours, max_hours),
        "working_days": (working_days, max_days),
        "calendar_days": (calendar_days, max_days),
    }
    options = []
    for kind in kinds:
        make, top = makers[kind]
        amounts = st.one_of(
            st.integers(0, top),
            st.fractions(0, top, max_denominator=4).map(float),
        )
        options.append(amounts.map(make))
    return st.one_of(*options)


def business_hours_specs() -> st.SearchStrategy[Any]:
    """``None``, one interval for every weekday, or split days per weekday."""

    def interval(a: int, b: int) -> tuple[time, time]:
        return (time(a // 60, a % 60), time(b // 60, b % 60))

    single = st.tuples(st.integers(6 * 60, 11 * 60), st.integers(12 * 60, 20 * 60)).map(
        lambda ab: interval(ab[0] - ab[0] % 15, ab[1] - ab[1] % 15)
    )
    split = st.fixed_dictionaries(
        {d: st.just([interval(9 * 60, 12 * 60), interval(13 * 60 + 30, 18 * 60)]) for d in range(7)}
    )
    return st.one_of(st.none(), single, split)


@st.composite
def calendars(
    draw: st.DrawFn,
    *,
    tz: ZoneInfo | None = None,
    with_business_hours: bool | None = None,
    years: range = range(2020, 2027),
) -> BusinessCalendar:
    """Business calendars with random weekmasks, holidays, makeup working
    days and opening hours, in DST and fixed zones."""
    zone = tz or draw(timezones())
    mask = draw(st.lists(st.booleans(), min_size=7, max_size=7).filter(any))
    weekmask = "".join("1" if b else "0" for b in mask)
    lo, hi = date(years.start, 1, 1), date(years.stop - 1, 12, 31)
    days = st.dates(min_value=lo, max_value=hi)
    holidays = draw(st.lists(days, max_size=40, unique=True))
    workdays = draw(
        st.lists(days, max_size=10, unique=True).map(
            lambda ds: [d for d in ds if d not in holidays]
        )
    )
    if with_business_hours is None:
        spec = draw(business_hours_specs())
    elif with_business_hours:
        spec = draw(business_hours_specs().filter(lambda s: s is not None))
    else:
        spec = None
    return BusinessCalendar(
        zone.key,
        weekmask=weekmask,
        holidays=holidays,
        workdays=workdays,
        business_hours=spec,
    )


def pause_sets(
    start: datetime, *, max_pauses: int = 4, span: timedelta = timedelta(days=30)
) -> st.SearchStrategy[list[tuple[datetime, datetime]]]:
    """Lists of closed pauses after ``start`` (overlaps allowed), in UTC.

    Offsets are added in UTC: adding a timedelta to a datetime of a DST zone
    is wall-clock arithmetic, which lands in gaps and folds."""
    seconds = int(span.total_seconds())
    origin = start.astimezone(UTC)
    one = st.tuples(st.integers(0, seconds), st.integers(0, seconds // 4)).map(
        lambda p: (
            origin + timedelta(seconds=p[0]),
            origin + timedelta(seconds=p[0] + p[1]),
        )
    )
    return st.lists(one, max_size=max_pauses)


_ACTORS = {
    "handler": Actor(id="handler-1", roles=frozenset({"handler"})),
    "supervisor": Actor(id="supervisor-1", roles=frozenset({"supervisor"})),
    "system": Actor.system(),
}


def commands(
    *,
    actors: st.SearchStrategy[Actor] | None = None,
    steps: tuple[str, ...] = ("contact_complainant", "investigate", "check_content"),
) -> st.SearchStrategy[Command]:
    """Commands of every type with plausible payloads (no ``at``: the
    engine's clock decides)."""
    who = actors if actors is not None else st.sampled_from(list(_ACTORS.values()))
    # free text without control characters (the models refuse them)
    printable = st.characters(exclude_categories=("Cc", "Cs"))
    text = st.text(printable, min_size=1, max_size=40).filter(lambda s: s.strip() != "")
    return st.one_of(
        st.builds(Acknowledge, actor=who),
        st.builds(Classify, actor=who),
        st.builds(RecordStep, actor=who, step=st.sampled_from(steps)),
        st.builds(
            RequestInfo,
            actor=who,
            party=st.sampled_from(["complainant", "respondent"]),
            question=text,
        ),
        st.builds(ProvideInfo, actor=who, info=text),
        st.builds(
            Decide,
            actor=who,
            outcome=st.sampled_from(["upheld", "partially_upheld", "not_upheld"]),
            basis=text,
        ),
        st.builds(Execute, actor=who),
        st.builds(FollowUp, actor=who, satisfied=st.booleans()),
        st.builds(
            Reject,
            actor=who,
            reason=st.sampled_from(["incomplete", "malicious", "out_of_scope"]),
            statement=text,
        ),
        st.builds(Withdraw, actor=who, reason=text),
        st.builds(Reopen, actor=who, reason=text),
    )


# -- composite problems ---------------------------------------------------------


@dataclass(frozen=True)
class DeadlineCase:
    """One SLA problem whose parts fit each other: a calendar, a start, a
    duration the calendar can count and closed pauses after the start."""

    calendar: BusinessCalendar
    start: datetime
    duration: Duration
    pauses: tuple[tuple[datetime, datetime], ...] = ()

    def deadline(self) -> datetime:
        """``calendar.add(start, duration, pauses)``."""
        return self.calendar.add(self.start, self.duration, list(self.pauses))

    def __repr__(self) -> str:
        pauses = ", ".join(f"{a.isoformat()}..{b.isoformat()}" for a, b in self.pauses)
        return (
            f"DeadlineCase({self.calendar!r}, start={self.start.isoformat()}, "
            f"duration={self.duration}, pauses=[{pauses}])"
        )


def _window(calendar: BusinessCalendar) -> tuple[datetime, datetime]:
    """Naive wall-clock bounds for starts: inside the calendar's data, a
    margin from its edges; 2020..2026 when unbounded."""
    lo = calendar.valid_from or date(2020, 1, 1)
    hi = calendar.valid_until or date(2026, 12, 31)
    first = datetime.combine(lo + timedelta(days=1), time())
    last = datetime.combine(max(lo + timedelta(days=1), hi - timedelta(days=90)), time(23, 59))
    return first, last


def _starts(calendar: BusinessCalendar) -> st.SearchStrategy[datetime]:
    """Starts anywhere in the window, and starts near the calendar's own
    holidays and makeup days (where calendars go wrong)."""
    first, last = _window(calendar)
    anywhere = aware_datetimes(tz=calendar.tz, min_value=first, max_value=last)
    special = sorted(
        d
        for d in calendar.holidays | calendar.workdays
        if first.date() <= d - timedelta(days=3) and d <= last.date()
    )
    if not special:
        return anywhere
    near = st.tuples(
        st.sampled_from(special),
        st.integers(-3, 1),
        st.times(),
        st.sampled_from([0, 1]),
    ).map(
        lambda p: datetime.combine(p[0] + timedelta(days=p[1]), p[2], calendar.tz).replace(
            fold=p[3]
        )
    )
    return st.one_of(anywhere, near)


def _policy_durations(policy: SlaPolicy, calendar: BusinessCalendar | None) -> list[Duration]:
    found = [t.duration for t in policy]
    if calendar is not None and calendar.business_hours is None:
        found = [d for d in found if d.kind != "business_hours"]
    return found


@st.composite
def deadline_cases(
    draw: st.DrawFn,
    calendar: BusinessCalendar | None = None,
    policy: SlaPolicy | None = None,
    *,
    max_pauses: int = 3,
) -> DeadlineCase:
    """A :class:`DeadlineCase` that can be computed: the host's ``calendar``
    (or a drawn one), a start inside its data (often near its holidays and
    makeup days), a duration it can count (``business_hours`` only when it
    has opening hours; the targets' durations of ``policy`` when given) and
    up to ``max_pauses`` closed pauses after the start. Cases whose deadline
    would leave the calendar's data are not drawn."""
    if calendar is not None and not hasattr(calendar, "add"):
        raise InvalidInput.field("calendar", "must be a BusinessCalendar (or wrap one) or None")
    needs_hours = policy is not None and any(t.duration.kind == "business_hours" for t in policy)
    cal = calendar or draw(calendars(with_business_hours=True if needs_hours else None))
    if policy is not None:
        options = _policy_durations(policy, cal)
        if not options:
            raise InvalidInput.field(
                "policy", "has no target the calendar can count (business hours without hours)"
            )
        duration = draw(st.sampled_from(options))
    else:
        kinds = ("hours", "working_days", "calendar_days") + (
            ("business_hours",) if cal.business_hours else ()
        )
        duration = draw(durations(kinds=kinds, max_hours=80, max_days=20))
    start = draw(_starts(cal))
    pauses = draw(pause_sets(start, max_pauses=max_pauses, span=timedelta(days=10)))
    case = DeadlineCase(cal, start, duration, tuple(pauses))
    try:
        case.deadline()
    except CalendarRangeError:
        assume(False)
    except Exception:  # any other error is for the property checks to report
        pass
    return case


class CalendarExtension(NamedTuple):
    """A calendar and a later version of it: the same data up to
    ``old.valid_until``, more holidays and makeup days after it."""

    old: BusinessCalendar
    new: BusinessCalendar


def _extend(
    old: BusinessCalendar, until: date, holidays: list[date], workdays: list[date]
) -> BusinessCalendar:
    return BusinessCalendar(
        old.tz,
        weekmask=old.weekmask,
        holidays=old.holidays | set(holidays),
        workdays=old.workdays | set(workdays),
        business_hours=old.business_hours,
        valid_from=old.valid_from,
        valid_until=until,
    )


@st.composite
def calendar_extensions(
    draw: st.DrawFn, calendar: BusinessCalendar | None = None, *, years: int = 2
) -> CalendarExtension:
    """The host's bounded ``calendar`` (or a drawn one, cut at a drawn
    ``valid_until``) and a version extended by up to ``years`` years of new
    holidays and makeup days."""
    if calendar is None:
        drawn = draw(calendars(years=range(2020, 2024)))
        cut = draw(st.dates(date(2021, 1, 1), date(2023, 12, 31)))
        calendar = BusinessCalendar(
            drawn.tz,
            weekmask=drawn.weekmask,
            holidays={d for d in drawn.holidays if d <= cut},
            workdays={d for d in drawn.workdays if d <= cut},
            business_hours=drawn.business_hours,
            valid_from=date(2020, 1, 1),
            valid_until=cut,
        )
    elif not isinstance(calendar, BusinessCalendar):
        raise InvalidInput.field("calendar", "must be a BusinessCalendar or None")
    if calendar.valid_until is None:
        raise InvalidInput.field(
            "calendar", "has no valid_until: only a bounded calendar can be extended"
        )
    until = calendar.valid_until
    new_until = until.replace(year=until.year + years) if until.year + years <= 9999 else until
    assume(new_until > until)
    days = st.dates(until + timedelta(days=1), new_until)
    holidays = draw(st.lists(days, max_size=20, unique=True))
    workdays = draw(
        st.lists(days, max_size=6, unique=True).map(lambda ds: [d for d in ds if d not in holidays])
    )
    return CalendarExtension(calendar, _extend(calendar, new_until, holidays, workdays))


# -- complaint histories ----------------------------------------------------------

_COMPLAINANT = Actor(id="u-1", roles=frozenset({"complainant"}))
_RESPONDENT = Actor(id="shop-9", roles=frozenset({"respondent"}))
_HANDLER = Actor(id="handler-1", roles=frozenset({"handler"}))
_SUPERVISOR = Actor(id="supervisor-1", roles=frozenset({"supervisor"}))
_STAFF = (_HANDLER, _SUPERVISOR, Actor.system())
_REOPEN_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class History:
    """A complaint's whole life as the engine should accept it: the new
    complaint, who submitted it, and the commands (each with its ``actor``
    and ``at``) in order."""

    new: NewComplaint
    submitter: Actor
    commands: tuple[Command, ...] = field(default=())

    def run(self, engine: Engine, clock: FakeClock | None = None) -> Complaint:
        """Submit and apply every command; the complaint after the last.

        The engine's clock is the authority on time: a person's ``at`` is
        believed only near it. Pass the engine's ``clock`` (a
        :class:`~complaintflow.testing.FakeClock`) and it is moved to each
        time of the history first."""
        if clock is not None and self.new.received_at is not None:
            clock.set(self.new.received_at)
        c = engine.submit(self.new, actor=self.submitter)
        for command in self.commands:
            if clock is not None and command.at is not None:
                clock.set(command.at)
            c = engine.handle(c.id, command)
        return c

    def __repr__(self) -> str:
        steps = ", ".join(f"{c.type}@{c.actor.id}" for c in self.commands)
        return f"History({self.new.category}: submit@{self.submitter.id}, {steps})"


def _longest(policy: SlaPolicy | None) -> timedelta:
    if policy is None or not len(policy):
        return timedelta(days=2)
    return max(
        t.duration.measure * (2 if t.duration.counts_days else 1) for t in policy
    ) or timedelta(hours=1)


@st.composite
def complaint_histories(
    draw: st.DrawFn,
    policy: SlaPolicy | None = None,
    categories: Sequence[Category] | None = None,
    *,
    max_commands: int = 20,
    start: datetime | None = None,
) -> History:
    """Valid histories: a complaint of one of ``categories`` (the built-in
    five by default) taken along the guide's flow by actors allowed to, with
    information requests, notes, assignments, escalations, rejections,
    withdrawals and reopens on the way, at increasing times with gaps up to
    about twice ``policy``'s longest target (so some deadlines are met and
    some breached). Needs an engine that knows the categories and keeps the
    built-in role table."""
    from complaintflow.categories import BUILTIN_CATEGORIES

    cats = tuple(categories) if categories is not None else BUILTIN_CATEGORIES
    if not cats:
        raise InvalidInput.field("categories", "must name at least one category")
    longest = _longest(policy)
    cat = draw(st.sampled_from(cats))
    t = start or draw(
        aware_datetimes(
            tz=ZoneInfo("Asia/Shanghai"),
            min_value=datetime(2024, 1, 1),
            max_value=datetime(2026, 6, 30),
        )
    )
    new = _new_complaint(draw, cat, t)
    walk = _Walk(cats=cats, by_id={c.id: c for c in cats}, cat=cat, t=t, closed_at=t)
    gap = st.one_of(
        st.integers(1, 600).map(lambda m: timedelta(minutes=m)),
        st.floats(0.0, 1.0).map(lambda f: max(longest * f, timedelta(seconds=1))),
    )
    out: list[Command] = []
    for _ in range(draw(st.integers(0, max_commands))):
        if walk.status in ("rejected", "withdrawn"):
            break
        walk.t = (walk.t.astimezone(UTC) + draw(gap)).astimezone(walk.t.tzinfo)
        options = _next_options(draw, walk)
        if not options:
            break
        kind = draw(st.sampled_from(options))
        actor: Actor = draw(_STAFF_DRAWN)
        out.append(_next_command(draw, kind, actor, walk))
    return History(new, _COMPLAINANT, tuple(out))


_TEXT = st.sampled_from(["Checked.", "See the attached receipt.", "原因见附件。"])
_STAFF_DRAWN = st.sampled_from(_STAFF)


@dataclass
class _Walk:
    """Where a history being drawn stands: what the next command may be."""

    cats: tuple[Category, ...]
    by_id: dict[str, Category]
    cat: Category
    t: datetime
    closed_at: datetime
    status: str = "received"
    prior: str = ""  # the status an information request paused
    asked: str = ""  # the party it asked
    steps: set[str] = field(default_factory=set)
    satisfied: bool | None = None


def _new_complaint(draw: st.DrawFn, cat: Category, t: datetime) -> NewComplaint:
    """The drawn complaint of ``cat``, received at ``t``."""
    return NewComplaint(
        channel=draw(st.sampled_from(["web", "app", "phone"])),
        category=cat.id,
        complainant=Party(id=_COMPLAINANT.id, name="Li Hua", contact="+86 138 0000 0000"),
        respondent=Party(id=_RESPONDENT.id, kind="merchant"),
        subject="A complaint drawn by complaint_histories",
        received_at=t,
    )


def _next_options(draw: st.DrawFn, walk: _Walk) -> list[str]:
    """The commands that may come next, weighted by repetition (none: stop).

    A reopen of a closed complaint past the reopen window moves ``walk.t``
    back to a day after the closing."""
    if walk.status == "closed":
        if walk.satisfied is False and walk.t - walk.closed_at > _REOPEN_WINDOW:
            walk.t = walk.closed_at + timedelta(days=1)
        return ["reopen"] if walk.satisfied is False else []
    cat, steps, status = walk.cat, walk.steps, walk.status
    progress = {
        "received": ["acknowledge"] * 6 + ["reject"],
        "verifying": ["classify"] * 4 + ["record_step"] * 2 + ["reject"],
        "classified": ["record_step"] * 4 + (["decide"] * 6 if cat.required_steps <= steps else []),
        "decided": ["execute"] * 6 + ["record_step"],
        "executed": ["follow_up"] * 6 + ["record_step"],
        "awaiting_info": ["provide_info"] * 8,
    }
    options: list[str] = ["note", "assign", "escalate"]
    options += progress[status]
    options += [] if status == "awaiting_info" else ["request_info"] * 2
    if draw(st.sampled_from([False] * 19 + [True])):  # rarely: a withdrawal
        options = ["withdraw"]
    if status in ("verifying", "classified", "decided", "executed") and not cat.steps:
        options = [o for o in options if o != "record_step"]
    return options


def _next_command(draw: st.DrawFn, kind: str, actor: Actor, walk: _Walk) -> Command:
    """The drawn command of ``kind``; ``walk`` moves past it."""
    t = walk.t
    if kind in ("acknowledge", "classify", "record_step", "decide", "execute", "follow_up"):
        return _handling_command(draw, kind, actor, walk)
    if kind in ("reject", "withdraw", "request_info", "provide_info", "reopen"):
        return _turn_command(draw, kind, actor, walk)
    if kind == "assign":
        return Assign(actor=actor, at=t, handler=draw(st.sampled_from(["h-2", "h-3"])))
    if kind == "escalate":
        return Escalate(actor=actor, at=t, reason=draw(_TEXT))
    return Note(actor=actor, at=t, text=draw(_TEXT))


def _handling_command(draw: st.DrawFn, kind: str, actor: Actor, walk: _Walk) -> Command:
    """A command moving the complaint along the guide's main flow."""
    t = walk.t
    if kind == "acknowledge":
        walk.status = "verifying"
        return Acknowledge(actor=actor, at=t)
    if kind == "classify":
        walk.cat = draw(st.sampled_from([walk.cat, *walk.cats]))
        walk.steps &= {s.id for s in walk.cat.steps}
        walk.status = "classified"
        return Classify(actor=actor, at=t, category=walk.cat.id)
    if kind == "record_step":
        return _record_step(draw, actor, walk)
    if kind == "decide":
        shift = draw(st.none() | st.integers(0, 48).map(lambda h: timedelta(hours=h)))
        cmd = Decide(
            actor=actor,
            at=t,
            outcome=draw(st.sampled_from(["upheld", "partially_upheld", "not_upheld"])),
            basis=draw(_TEXT),
            effective_at=None if shift is None else t + shift,
        )
        walk.status = "decided"
        return cmd
    if kind == "execute":
        walk.status = "executed"
        return Execute(actor=actor, at=t)
    walk.satisfied, walk.closed_at = draw(st.booleans()), t
    walk.status = "closed"
    return FollowUp(actor=actor, at=t, satisfied=walk.satisfied)


def _record_step(draw: st.DrawFn, actor: Actor, walk: _Walk) -> Command:
    """A step of the category's procedure, required ones first."""
    cat, steps = walk.cat, walk.steps
    missing = sorted({s.id for s in cat.steps} - steps)
    sid = draw(
        st.sampled_from(sorted(cat.required_steps - steps) or missing or [s.id for s in cat.steps])
    )
    spec = walk.by_id[cat.id].step(sid)
    data = {k: draw(st.sampled_from(v)) for k, v in (spec.fields if spec else {}).items()}
    steps.add(sid)
    return RecordStep(actor=actor, at=walk.t, step=sid, data=data)


def _turn_command(draw: st.DrawFn, kind: str, actor: Actor, walk: _Walk) -> Command:
    """A rejection, withdrawal, information request or answer, or reopen."""
    t = walk.t
    cmd: Command
    if kind == "reject":
        reason = draw(st.sampled_from(["incomplete", "malicious", "out_of_scope"]))
        cmd, walk.status = (
            Reject(actor=actor, at=t, reason=reason, statement=draw(_TEXT)),
            "rejected",
        )
    elif kind == "withdraw":
        actor = draw(st.sampled_from([_COMPLAINANT, *_STAFF]))
        cmd, walk.status = Withdraw(actor=actor, at=t, reason=draw(_TEXT)), "withdrawn"
    elif kind == "request_info":
        party = draw(st.sampled_from(["complainant", "respondent"]))
        cmd = RequestInfo(actor=actor, at=t, party=party, question=draw(_TEXT))
        walk.status, walk.prior, walk.asked = "awaiting_info", walk.status, party
    elif kind == "provide_info":
        own = _COMPLAINANT if walk.asked == "complainant" else _RESPONDENT
        actor = draw(st.sampled_from([own, own, *_STAFF]))
        cmd, walk.status = ProvideInfo(actor=actor, at=t, info=draw(_TEXT)), walk.prior
    else:  # reopen
        actor = draw(st.sampled_from([_COMPLAINANT, _SUPERVISOR]))
        cmd, walk.status = Reopen(actor=actor, at=t, reason=draw(_TEXT)), "verifying"
        walk.steps, walk.satisfied = set(), None
    return cmd
