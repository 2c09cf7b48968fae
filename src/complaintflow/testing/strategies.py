"""Hypothesis strategies for property-testing SLA math and workflows.

Hosts use them to check their own calendars and policies the way the
library checks itself::

    from hypothesis import given
    from complaintflow.testing import strategies as cst

    @given(cal=cst.calendars(), start=cst.aware_datetimes(), d=cst.durations())
    def test_deadline_after_start(cal, start, d):
        assert cal.add(start, d) >= start

Needs the ``hypothesis`` package.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from hypothesis import strategies as st

from complaintflow.commands import (
    Acknowledge,
    Classify,
    Command,
    Decide,
    Execute,
    FollowUp,
    ProvideInfo,
    RecordStep,
    Reject,
    Reopen,
    RequestInfo,
    Withdraw,
)
from complaintflow.models import Actor
from complaintflow.sla import (
    BusinessCalendar,
    Duration,
    business_hours,
    calendar_days,
    hours,
    working_days,
)

__all__ = [
    "DST_ZONES",
    "aware_datetimes",
    "business_hours_specs",
    "calendars",
    "commands",
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
    text = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")
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
