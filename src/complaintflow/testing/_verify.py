"""One-call property checks of a host's calendar and policy (the library's
own SLA properties, run on the host's objects with Hypothesis)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from complaintflow.errors import CalendarRangeError, ComplaintFlowError, InvalidInput
from complaintflow.sla import BusinessCalendar, Duration
from complaintflow.sla._policy import SlaPolicy, SlaTarget
from complaintflow.testing.strategies import DeadlineCase, deadline_cases

__all__ = ["ConformanceError", "verify_calendar", "verify_policy"]

_T = TypeVar("_T")
_US = timedelta(microseconds=1)
_SWEEP_LIMIT = 2000  # declared holidays and makeup days checked one by one


class ConformanceError(ComplaintFlowError, AssertionError):
    """A host's calendar, policy or plugin breaks a property the library
    guarantees for its own.

    Both a :class:`~complaintflow.ComplaintFlowError` (one ``except`` for the
    library's errors) and an ``AssertionError`` (a test that calls a
    ``verify_*`` function fails, rather than errors, in pytest).

    :attr subject: what was checked (``"calendar"``, ``"policy"``, ...).
    :attr property: the property broken, in words.
    :attr counterexample: the (minimal) inputs that break it, by name.
    """

    def __init__(
        self, subject: str, prop: str, explanation: str, counterexample: dict[str, Any]
    ) -> None:
        lines = [f"{subject} breaks: {prop}", f"  {explanation}"]
        lines += [f"  {k} = {v}" for k, v in counterexample.items()]
        super().__init__("\n".join(lines))
        self.subject = subject
        self.property = prop
        self.explanation = explanation
        self.counterexample = counterexample


class _Violation(Exception):
    def __init__(self, prop: str, explanation: str, counterexample: dict[str, Any]) -> None:
        super().__init__(prop, explanation)
        self.prop = prop
        self.explanation = explanation
        self.counterexample = counterexample


def _when(t: datetime) -> str:
    zone = getattr(t.tzinfo, "key", None) or str(t.tzinfo)
    return f"{t.isoformat(sep=' ')} ({zone}{', second pass' if t.fold else ''})"


def _instant(t: datetime) -> datetime:
    return t.astimezone(UTC)


def _case_data(case: DeadlineCase) -> dict[str, Any]:
    return {
        "start": _when(case.start),
        "duration": str(case.duration),
        "pauses": [f"{_when(a)} .. {_when(b)}" for a, b in case.pauses] or "none",
    }


def _check_max_examples(max_examples: object) -> int:
    if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
        raise InvalidInput.field("max_examples", "must be a positive int")
    return max_examples


def _check_calendar(calendar: object, field: str = "calendar") -> None:
    needed = ("tz", "add", "consumed", "is_working_day", "weekmask", "holidays", "workdays")
    missing = [name for name in needed if not hasattr(calendar, name)]
    if missing:
        raise InvalidInput.field(
            field, f"must be a BusinessCalendar (or wrap one); it has no {', '.join(missing)}"
        )


def _run(
    subject: str, strategy: st.SearchStrategy[_T], check: Callable[[_T], None], n: int
) -> None:
    """Run ``check`` on ``n`` drawn examples; the minimal failing one becomes
    a :class:`ConformanceError`."""

    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
    )
    @given(strategy)
    def run(example: _T) -> None:
        check(example)

    try:
        run()
    except _Violation as v:
        raise ConformanceError(subject, v.prop, v.explanation, v.counterexample) from None


def _guard(case: DeadlineCase, what: Callable[[], _T]) -> _T:
    """Call the host's code; a range error skips the example, any other
    error is a violation."""
    try:
        return what()
    except CalendarRangeError:
        assume(False)
        raise  # pragma: no cover - assume(False) raises
    except Exception as e:
        raise _Violation(
            "computing a deadline raises no error for valid input",
            f"it raised {type(e).__name__}: {e}",
            _case_data(case),
        ) from None


# -- the properties ----------------------------------------------------------------


def _declared_working(calendar: BusinessCalendar, d: date) -> bool:
    if d in calendar.workdays:
        return True
    return calendar.weekmask[d.weekday()] == "1" and d not in calendar.holidays


def _starts_a_day(t: datetime) -> bool:
    before = (_instant(t) - _US).astimezone(t.tzinfo)
    return before.date() < t.date()


def _check_case(calendar: BusinessCalendar, case: DeadlineCase, extra: float) -> None:
    data = _case_data(case)
    plain = _check_plain(calendar, case, extra, data)
    if case.pauses:
        _check_pauses(calendar, case, plain, data)
    d = case.duration
    if d.counts_days and float(d.amount).is_integer() and d.amount >= 1:
        _check_day_end(calendar, case, plain, data)


def _slack(d: Duration) -> timedelta:
    """How far past its duration a clock may read at a deadline."""
    return _US if d.counts_days else timedelta(0)


def _check_plain(
    cal: BusinessCalendar, case: DeadlineCase, extra: float, data: dict[str, Any]
) -> datetime:
    """The deadline without pauses: not before the start, monotone in the
    duration, and the clock at it reads the duration. Returns it."""
    s, d = case.start, case.duration
    plain = _guard(case, lambda: cal.add(s, d))
    if _instant(plain) < _instant(s):
        raise _Violation(
            "a deadline is never before its start",
            f"the deadline {_when(plain)} is {_instant(s) - _instant(plain)} before the start",
            data,
        )
    if extra > 0:
        longer = Duration(d.kind, d.amount + extra)
        later = _guard(case, lambda: cal.add(s, longer))
        if _instant(later) < _instant(plain):
            raise _Violation(
                "a longer duration never gives an earlier deadline",
                f"{longer} gives {_when(later)}, earlier than {d} which gives {_when(plain)}",
                data,
            )
    used = _guard(case, lambda: cal.consumed(s, plain, d))
    if not d.measure <= used <= d.measure + _slack(d):
        raise _Violation(
            "the clock at a deadline reads exactly its duration: consumed(s, add(s, d)) == d",
            f"at the deadline {_when(plain)} the clock reads {used}, not {d.measure}",
            data,
        )
    return plain


def _check_pauses(
    cal: BusinessCalendar, case: DeadlineCase, plain: datetime, data: dict[str, Any]
) -> None:
    """Pauses never bring a deadline forward and add exactly their working time."""
    s, d = case.start, case.duration
    pauses = list(case.pauses)
    paused = _guard(case, lambda: cal.add(s, d, pauses))
    if _instant(paused) < _instant(plain):
        raise _Violation(
            "pauses never bring a deadline forward",
            f"with the pauses the deadline is {_when(paused)}, before {_when(plain)} without",
            data,
        )
    net = _guard(case, lambda: cal.consumed(s, paused, d, pauses))
    if not d.measure <= net <= d.measure + _slack(d):
        raise _Violation(
            "pauses add exactly their working time: net of the pauses, the clock at "
            "the paused deadline reads the duration",
            f"at the paused deadline {_when(paused)} the clock net of pauses reads {net}, "
            f"not {d.measure}",
            data,
        )


def _check_day_end(
    cal: BusinessCalendar, case: DeadlineCase, plain: datetime, data: dict[str, Any]
) -> None:
    """A whole number of days ends at 24:00 of the right day."""
    s, d = case.start, case.duration
    if not _starts_a_day(plain):
        raise _Violation(
            "a day-counted deadline ends at 24:00 of a day",
            f"the deadline {_when(plain)} is not the first instant of a day",
            data,
        )
    last = plain.date() - timedelta(days=1)
    if d.kind != "working_days":
        return
    counted = [
        s.date() + timedelta(days=i)
        for i in range(1, (last - s.date()).days + 1)
        if cal.is_working_day(s.date() + timedelta(days=i))
    ]
    if not cal.is_working_day(last) or len(counted) != int(d.amount):
        raise _Violation(
            "working_days(n) ends at 24:00 of the n-th working day after the start date",
            f"the deadline {_when(plain)} ends {last}, but the working days after "
            f"{s.date()} up to it are {[str(x) for x in counted]}",
            data,
        )
    _check_declared_days(cal, s.date(), last, data)


def _check_declared_days(
    cal: BusinessCalendar, first: date, last: date, data: dict[str, Any]
) -> None:
    """Each day after ``first`` up to ``last`` is a working day exactly as declared."""
    for i in range(1, (last - first).days + 1):
        day = first + timedelta(days=i)
        if cal.is_working_day(day) != _declared_working(cal, day):
            raise _Violation(
                "a day is a working day exactly as the calendar's weekmask, holidays "
                "and makeup days declare",
                f"{day} ({day:%A}) is {'' if cal.is_working_day(day) else 'not '}"
                "a working day by is_working_day, but its declared data say "
                f"{'it is' if _declared_working(cal, day) else 'it is not'}",
                data,
            )


def _sweep(calendar: BusinessCalendar) -> None:
    """Every declared holiday and makeup day (within the calendar's data) is
    what it says, and a working-day deadline from the day before a makeup
    day ends at 24:00 of it."""
    lo, hi = getattr(calendar, "valid_from", None), getattr(calendar, "valid_until", None)
    days = sorted(
        (d, True) for d in calendar.workdays if (lo is None or d > lo) and (hi is None or d < hi)
    ) + sorted(
        (d, False) for d in calendar.holidays if (lo is None or d > lo) and (hi is None or d < hi)
    )
    for day, makeup in days[:_SWEEP_LIMIT]:
        working = calendar.is_working_day(day)
        if working != makeup:
            kind = "makeup working day (调休)" if makeup else "holiday"
            raise _Violation(
                "every declared holiday is a day off and every makeup day (调休) a working day",
                f"{day} ({day:%A}) is listed as a {kind}, but is_working_day({day}) is {working}",
                {"day": str(day)},
            )
        if makeup:
            start = datetime.combine(day - timedelta(days=1), time(12), calendar.tz)
            got = calendar.add(start, Duration("working_days", 1))
            want = datetime.combine(day + timedelta(days=1), time(), calendar.tz)
            if _instant(got) != _instant(want):
                raise _Violation(
                    "a makeup working day (调休) counts in working-day deadlines",
                    f"working_days(1) from {_when(start)} ends {_when(got)}, not at 24:00 of "
                    f"the makeup day {day} ({day:%A})",
                    {"start": _when(start), "duration": "1 working day"},
                )


@dataclass(frozen=True)
class _Extended:
    old: BusinessCalendar
    new: BusinessCalendar


def _check_extension(ext: _Extended, case: DeadlineCase) -> None:
    hi = ext.old.valid_until
    try:
        before = ext.old.add(case.start, case.duration, list(case.pauses))
    except CalendarRangeError:
        assume(False)
        raise  # pragma: no cover
    assume(hi is None or before.date() <= hi)
    after = _guard(case, lambda: ext.new.add(case.start, case.duration, list(case.pauses)))
    if _instant(after) != _instant(before):
        raise _Violation(
            "extending a calendar never moves a deadline that lies wholly inside its old data",
            f"the old calendar gives {_when(before)}, the extended one {_when(after)}",
            _case_data(case),
        )


def _sweep_extension(old: BusinessCalendar, new: BusinessCalendar) -> None:
    """The extension keeps the old calendar's zone, weekmask and hours, and
    every day inside the old data is what it was; a day that changed is shown
    by the working-day deadline across it."""
    for name in ("tz", "weekmask", "business_hours", "valid_from"):
        before, after = getattr(old, name, None), getattr(new, name, None)
        if before != after:
            raise _Violation(
                "extending a calendar never moves a deadline that lies wholly inside its old data",
                f"the extended calendar changes {name} from {before!r} to {after!r}",
                {name: str(after)},
            )
    lo, hi = getattr(old, "valid_from", None), getattr(old, "valid_until", None)
    changed = sorted(
        d
        for d in (old.holidays ^ new.holidays) | (old.workdays ^ new.workdays)
        if (lo is None or d > lo) and (hi is None or d < hi)
    )
    for day in changed:
        if old.is_working_day(day) != new.is_working_day(day):
            start = datetime.combine(day - timedelta(days=1), time(12), old.tz)
            one = Duration("working_days", 1)
            raise _Violation(
                "extending a calendar never moves a deadline that lies wholly inside its old data",
                f"{day} ({day:%A}) is {'' if old.is_working_day(day) else 'not '}a working day "
                f"in the old calendar and {'' if new.is_working_day(day) else 'not '}in the "
                f"extended one: working_days(1) from {_when(start)} ends "
                f"{_when(old.add(start, one))} in the old, {_when(new.add(start, one))} in the "
                "extended",
                {"day": str(day)},
            )


def verify_calendar(
    calendar: BusinessCalendar,
    *,
    extended: BusinessCalendar | None = None,
    max_examples: int = 200,
) -> None:
    """Check ``calendar`` with the SLA properties the library proves for its
    own calendars; raise :class:`ConformanceError` with a minimal
    counterexample explained in words.

    - every declared holiday is a day off, every makeup day (调休) a working
      day that counts in working-day deadlines (checked one by one);
    - a deadline is never before its start, and never earlier for a longer
      duration;
    - ``consumed(start, add(start, d), d) == d`` (day-counted: within 1 µs);
    - pauses never bring a deadline forward, and add exactly their working
      time (net of pauses the clock reads ``d`` at the paused deadline);
    - ``working_days(n)`` ends at 24:00 of the n-th working day after the
      start date, each day a working day as the declared data say;
    - with ``extended`` (a later version of the calendar): every deadline
      that lies wholly inside ``calendar``'s data stays where it was.

    ``calendar`` may be a :class:`BusinessCalendar` or an object that wraps
    one (same attributes and methods). ``max_examples`` draws per property
    run (Hypothesis; shrunk to a minimal case on failure).
    """
    _check_calendar(calendar)
    n = _check_max_examples(max_examples)
    if extended is not None:
        _check_calendar(extended, "extended")
    try:
        _sweep(calendar)
    except _Violation as v:
        raise ConformanceError("calendar", v.prop, v.explanation, v.counterexample) from None
    extras = st.fractions(0, 10, max_denominator=4).map(float)
    _run(
        "calendar",
        st.tuples(deadline_cases(calendar), extras),
        lambda p: _check_case(calendar, p[0], p[1]),
        n,
    )
    if extended is not None:
        try:
            _sweep_extension(calendar, extended)
        except _Violation as v:
            raise ConformanceError(
                "calendar extension", v.prop, v.explanation, v.counterexample
            ) from None
        ext = _Extended(calendar, extended)
        _run(
            "calendar extension",
            deadline_cases(extended, max_pauses=1),
            lambda c: _check_extension(ext, c),
            n,
        )


def _target_problem(t: SlaTarget, calendar: BusinessCalendar) -> str | None:
    d = t.duration
    try:
        Duration(d.kind, d.amount)
    except InvalidInput as e:
        return f"its duration {d.kind}({d.amount!r}) is invalid: {e.errors[0]['reason']}"
    if d.kind == "business_hours" and calendar.business_hours is None:
        return f"its duration {d} needs a calendar with business hours; this one has none"
    if t.start == t.stop:
        return f"it starts and stops at the same command {t.start!r}"
    return None


def verify_policy(
    policy: SlaPolicy, calendar: BusinessCalendar, *, max_examples: int = 100
) -> None:
    """Check every target of ``policy`` on ``calendar``: the target's
    duration gives a deadline never before its start, the clock reads exactly
    the duration at it, pauses never bring it forward; then that each
    duration is valid (finite, not negative) and countable on the calendar.
    Raises :class:`ConformanceError` naming the target, with a minimal
    counterexample."""
    if not isinstance(policy, SlaPolicy):
        raise InvalidInput.field("policy", "must be an SlaPolicy")
    _check_calendar(calendar)
    n = _check_max_examples(max_examples)
    targets = [t for t in policy if _target_problem(t, calendar) is None or t.duration.amount < 0]
    if targets:

        @st.composite
        def problems(draw: st.DrawFn) -> tuple[SlaTarget, DeadlineCase]:
            t = draw(st.sampled_from(targets))
            case = draw(deadline_cases(calendar))
            return t, DeadlineCase(calendar, case.start, t.duration, case.pauses)

        def check(p: tuple[SlaTarget, DeadlineCase]) -> None:
            t, case = p
            try:
                _check_case(calendar, case, 0.0)
            except _Violation as v:
                raise _Violation(
                    f"target {t.name!r} ({t.start} -> {t.stop}): {v.prop}",
                    v.explanation,
                    v.counterexample,
                ) from None

        _run(f"policy {policy.name!r}", problems(), check, n)
    for t in policy:
        problem = _target_problem(t, calendar)
        if problem is not None:
            raise ConformanceError(
                f"policy {policy.name!r}",
                f"target {t.name!r} can be computed on the calendar",
                problem,
                {"target": t.name},
            )
