"""Handling metrics over a store: SLA targets, first response, FCA-style buckets.

Computed from what every store offers (``find`` with pagination, ``events``),
so they work on every store."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from complaintflow.models import Complaint, Event
from complaintflow.sla._calendar import BusinessCalendar
from complaintflow.sla._durations import calendar_days, working_days

__all__ = ["Metrics", "TargetMetrics", "compute_metrics", "percentile"]

_PAGE: Final = 500
_COUNTS: Final = ("met", "breached", "running", "cancelled", "undetermined", "provisional")
RESOLVING: Final = frozenset({"decide", "reject", "withdraw"})
"""Events that close a complaint in the FCA sense (a final response, a
rejection with reasons, or the complainant withdrawing)."""


def percentile(values: list[timedelta], p: float) -> timedelta | None:
    """The nearest-rank percentile: the ``ceil(p * n)``-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(p * len(ordered)), 1) - 1]


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(frozen=True, slots=True)
class TargetMetrics:
    """One SLA target across the complaints measured (every cycle).

    ``running`` counts started targets not stopped and not past their
    deadline (paused ones included); ``breached`` counts those stopped late
    and those still open past their deadline. ``undetermined`` counts those
    stopped while their deadline was provisional (or could not be computed):
    neither met nor breached until recomputed on a calendar that covers it.
    ``provisional`` counts the running or breached ones whose deadline is
    provisional (they are also in those counts). Times to stop are real
    elapsed time from the target's start to its stop event."""

    name: str
    met: int = 0
    breached: int = 0
    running: int = 0
    cancelled: int = 0
    undetermined: int = 0
    provisional: int = 0
    median_to_stop: timedelta | None = None
    p90_to_stop: timedelta | None = None

    @property
    def within_sla(self) -> float | None:
        """``met / (met + breached)``; ``None`` when neither."""
        done = self.met + self.breached
        return None if done == 0 else self.met / done


@dataclass(frozen=True, slots=True)
class Metrics:
    """Figures for the complaints received in ``[since, until)``, as of ``now``.

    - ``targets``: per SLA target name, see :class:`TargetMetrics`.
    - first response: from receipt to the first ``acknowledge``, ``decide``,
      ``reject`` or ``request_info`` to the complainant.
    - FCA-style buckets by the first ``decide``, ``reject`` or ``withdraw``:
      within 3 business days (24:00 of the third working day after the day of
      receipt, on the engine's calendar), after that but within 8 weeks (56
      calendar days), later; ``open`` when none yet; ``closed_undetermined``
      when the bucket depends on a provisional deadline (past the calendar's
      data). Metrics never raise for data outside a calendar.
    """

    since: datetime
    until: datetime
    now: datetime
    category: str | None
    complaints: int = 0
    targets: dict[str, TargetMetrics] = field(default_factory=dict)
    first_responses: int = 0
    median_first_response: timedelta | None = None
    p90_first_response: timedelta | None = None
    closed_within_3_business_days: int = 0
    closed_within_8_weeks: int = 0
    closed_later: int = 0
    open: int = 0
    closed_undetermined: int = 0


def _all(store: Any) -> Iterator[Complaint]:
    offset = 0
    while True:
        page = store.find(limit=_PAGE, offset=offset)
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE


def _first(events: list[Event], types: frozenset[str]) -> Event | None:
    for e in events:
        if e.type in types and not (
            e.type == "request_info" and e.data.get("party") != "complainant"
        ):
            return e
    return None


def _count_targets(
    c: Complaint,
    now: datetime,
    counts: dict[str, dict[str, int]],
    to_stop: dict[str, list[timedelta]],
) -> None:
    """Count each of ``c``'s targets by its state at ``now``; collect the
    times to stop of the stopped ones."""
    for r in c.sla.targets if c.sla is not None else ():
        row = counts.setdefault(r.name, dict.fromkeys(_COUNTS, 0))
        to_stop.setdefault(r.name, [])
        if r.cancelled_at is not None:
            row["cancelled"] += 1
        elif r.started_at > now:
            continue
        elif r.stopped_at is not None:
            row["undetermined" if r.met is None else "met" if r.met else "breached"] += 1
            to_stop[r.name].append(r.stopped_at - r.started_at)
        else:
            if r.deadline is not None and now > r.deadline:
                row["breached"] += 1
            else:
                row["running"] += 1
            if r.provisional:
                row["provisional"] += 1


def _closing_bucket(calendar: BusinessCalendar, c: Complaint, closed: Event | None) -> str:
    """``open``, ``3bd`` or ``8w`` (closed within 3 business days or 8 weeks
    of receipt), ``later``, or ``undetermined`` past the calendar's data."""
    if closed is None:
        return "open"
    for key, duration in (("3bd", working_days(3)), ("8w", calendar_days(56))):
        info = calendar.deadline_info(c.received_at, duration)
        assert info.deadline is not None  # no pauses
        if info.provisional:
            return "undetermined"
        if closed.at <= info.deadline:
            return key
    return "later"


def compute_metrics(
    store: Any,
    calendar: BusinessCalendar,
    *,
    since: datetime,
    until: datetime,
    now: datetime,
    category: str | None = None,
) -> Metrics:
    """See :meth:`complaintflow.Engine.metrics`."""
    counts: dict[str, dict[str, int]] = {}
    to_stop: dict[str, list[timedelta]] = {}
    first: list[timedelta] = []
    buckets = {"3bd": 0, "8w": 0, "later": 0, "open": 0, "undetermined": 0}
    n = 0
    first_types = frozenset({"acknowledge", "decide", "reject", "request_info"})
    for c in _all(store):
        if not since <= c.received_at < until:
            continue
        if category is not None and c.category != category:
            continue
        n += 1
        _count_targets(c, now, counts, to_stop)
        events = store.events(c.id)
        e = _first(events, first_types)
        if e is not None:
            first.append(e.at - c.received_at)
        buckets[_closing_bucket(calendar, c, _first(events, RESOLVING))] += 1
    targets = {
        name: TargetMetrics(
            name=name,
            median_to_stop=_median(to_stop[name]),
            p90_to_stop=percentile(to_stop[name], 0.9),
            **row,
        )
        for name, row in counts.items()
    }
    return Metrics(
        since=since,
        until=until,
        now=now,
        category=category,
        complaints=n,
        targets=targets,
        first_responses=len(first),
        median_first_response=_median(first),
        p90_first_response=percentile(first, 0.9),
        closed_within_3_business_days=buckets["3bd"],
        closed_within_8_weeks=buckets["8w"],
        closed_later=buckets["later"],
        open=buckets["open"],
        closed_undetermined=buckets["undetermined"],
    )
