"""The SLA report regulators ask for (``Engine.sla_report``,
``complaintflow sla-report``): deadlines kept and missed, from the SLA
state of the stored complaints (guide §3.1 timeliness, §3.3).

For the complaints received in ``[since, until)``, read a page at a time
as their SLA facts alone (:mod:`complaintflow._sla_scan`):

- per period of receipt (month, ISO week or quarter, in ``since``'s time
  zone), per category and per target: how many targets are met,
  breached, running (or paused) and other (pending, cancelled,
  undetermined) as of ``now``, the met and breached rates among those met
  or breached, and the median and 90th percentile time to the target's
  step, in hours from receipt to the target's stop event (first cycle);
- the open complaints by age as of ``now``;
- every breached target, with its deadline certificate.

Memory follows the number of periods, categories and targets for the
counts, eight bytes per stopped target for the times (kept exactly, for
exact percentiles) and the breaches listed; never the complaints."""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, tzinfo
from statistics import median
from typing import Any, Final, Literal

from pydantic import Field

from complaintflow._analysis import NONE
from complaintflow._args import positive_int
from complaintflow._base import Model, aware, utc
from complaintflow._certificates import DeadlineCertificate, build_certificate
from complaintflow._csv import write as write_csv
from complaintflow._sla_scan import BATCH, SlaFacts, sla_facts
from complaintflow._sla_state import TargetRecord
from complaintflow.errors import InvalidInput
from complaintflow.sla._tracker import SlaTracker

__all__ = [
    "AGE_BUCKETS",
    "ALL",
    "BreachEntry",
    "DeadlineReport",
    "DeadlineRow",
    "OpenAges",
    "p90",
    "period_of",
    "sla_report",
]

Period = Literal["week", "month", "quarter"]
PERIODS: Final = ("week", "month", "quarter")
ALL: Final = "(all)"
"""The category of the rows that add up every category."""
AGE_BUCKETS: Final = (
    ("<1d", timedelta(days=1)),
    ("1-3d", timedelta(days=3)),
    ("3-7d", timedelta(days=7)),
    ("7-30d", timedelta(days=30)),
    (">30d", None),
)
"""Open complaints' age buckets: each holds the ages below its bound (and
at or above the previous one)."""
_COLUMN: Final = {"met": 0, "breached": 1, "running": 2, "paused": 2}
_HOUR: Final = timedelta(hours=1)


class DeadlineRow(Model):
    """One target's figures in one period and category (``(all)``: every
    category)."""

    period: str
    category: str
    target: str
    met: int
    breached: int
    running: int
    """Running or paused as of ``now``."""
    other: int
    """Pending, cancelled or undetermined as of ``now``."""
    met_rate: float | None
    """``met / (met + breached)``; ``None`` when both are 0."""
    breached_rate: float | None
    """``breached / (met + breached)``; ``None`` when both are 0."""
    timed: int
    """Stops counted in the times: first-cycle targets that stopped."""
    median_hours: float | None
    """Median hours from receipt to the stop (the mean of the two middle
    values when ``timed`` is even); ``None`` when ``timed`` is 0."""
    p90_hours: float | None
    """90th percentile (nearest rank: the ``ceil(0.9 × timed)``-th smallest)."""


class OpenAges(Model):
    """Open complaints of one category (``(all)``: every category) by age
    as of ``now``: a count per :data:`AGE_BUCKETS` label."""

    category: str
    counts: dict[str, int]


class BreachEntry(Model):
    """One breached target as of ``now``, with its deadline certificate."""

    complaint_id: str
    category: str
    target: str
    cycle: int
    received_at: datetime
    deadline: datetime | None
    stopped_at: datetime | None
    """``None``: still running past its deadline."""
    certificate: DeadlineCertificate | None = None
    """``None`` when the report was made with ``certificates=False``."""


class DeadlineReport(Model):
    """Deadlines kept and missed (``Engine.sla_report``); see docs/reports.md."""

    since: datetime
    until: datetime
    now: datetime
    period: Period
    timezone: str
    """The time zone periods are cut in (``since``'s)."""
    periods: list[str]
    """Every period of the window, in order (``2026-03``, ``2026-W10``, ``2026-Q1``)."""
    complaints: int
    rows: list[DeadlineRow] = Field(default_factory=list)
    open_by_age: list[OpenAges] = Field(default_factory=list)
    breaches: list[BreachEntry] = Field(default_factory=list)

    def to_json(self) -> str:
        """The report as JSON (certificates included)."""
        return self.model_dump_json(indent=2)

    def tables_csv(self) -> dict[str, str]:
        """Three CSV tables by name: ``targets`` (:attr:`rows`), ``open``
        (:attr:`open_by_age`) and ``breaches`` (without the certificates)."""
        return {name: write_csv(head, rows) for name, (head, rows) in _tables(self).items()}

    def to_csv(self, table: str = "targets") -> str:
        """One of :meth:`tables_csv`'s tables."""
        tables = _tables(self)
        if table not in tables:
            raise InvalidInput.field("table", f"must be one of {', '.join(tables)}")
        return write_csv(*tables[table])

    def rates(self) -> dict[str, list[float | None]]:
        """Per period, the met and breached rates (%) of every target
        together and the met rate of each target: what :meth:`to_svg` draws."""
        return _rates(self)

    def to_svg(self, *, width: int = 760, height: int = 320) -> str:
        """A line chart of :meth:`rates` per period, as SVG text."""
        from complaintflow._analysis_chart import line_chart

        title = f"Targets met and breached per {self.period} (%)"
        return line_chart(
            self.periods, self.rates(), width=width, height=height, title=title, peak=100,
            legend=210,
        )  # fmt: skip


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def _tables(r: DeadlineReport) -> dict[str, tuple[Sequence[str], Iterator[Sequence[Any]]]]:
    fields = list(DeadlineRow.model_fields)
    labels = [label for label, _ in AGE_BUCKETS]
    head = ["complaint_id", "category", "target", "cycle", "received_at", "deadline", "stopped_at"]
    return {
        "targets": (fields, (tuple(getattr(x, f) for f in fields) for x in r.rows)),
        "open": (["category", *labels], ((a.category, *(a.counts[k] for k in labels))
                                        for a in r.open_by_age)),
        "breaches": (head, ((b.complaint_id, b.category, b.target, b.cycle, _iso(b.received_at),
                             _iso(b.deadline), _iso(b.stopped_at)) for b in r.breaches)),
    }  # fmt: skip


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 2)


def _rates(r: DeadlineReport) -> dict[str, list[float | None]]:
    at = {p: i for i, p in enumerate(r.periods)}
    totals = [[0, 0] for _ in r.periods]
    per: dict[str, list[list[int]]] = {}
    for row in r.rows:
        if row.category != ALL:
            continue
        i = at[row.period]
        totals[i][0] += row.met
        totals[i][1] += row.breached
        per.setdefault(row.target, [[0, 0] for _ in r.periods])[i] = [row.met, row.breached]
    out = {
        "all targets: met": [_rate(m, m + b) for m, b in totals],
        "all targets: breached": [_rate(b, m + b) for m, b in totals],
    }
    for name, cells in sorted(per.items()):
        out[f"{name}: met"] = [_rate(m, m + b) for m, b in cells]
    return out


def period_of(t: datetime, period: str, tz: tzinfo | None) -> str:
    """The label of the period holding ``t`` in ``tz``: ``2026-03`` (month),
    ``2026-W10`` (ISO week, from Monday) or ``2026-Q1`` (quarter)."""
    local = t.astimezone(tz)
    if period == "month":
        return f"{local.year:04d}-{local.month:02d}"
    if period == "quarter":
        return f"{local.year:04d}-Q{(local.month - 1) // 3 + 1}"
    year, week, _ = local.isocalendar()
    return f"{year:04d}-W{week:02d}"


def _periods(since: datetime, until: datetime, period: str) -> list[str]:
    tz = since.tzinfo
    day, last = since.date(), (until - timedelta(microseconds=1)).astimezone(tz).date()
    out: list[str] = []
    while day <= last:
        label = period_of(datetime(day.year, day.month, day.day, 12, tzinfo=tz), period, tz)
        if not out or out[-1] != label:
            out.append(label)
        day += timedelta(days=1)
    return out


def p90(values: Sequence[float]) -> float:
    """The nearest-rank 90th percentile: the ``ceil(0.9 n)``-th smallest."""
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)), 1) - 1]


def _age_bucket(age: timedelta) -> int:
    for i, (_, bound) in enumerate(AGE_BUCKETS):
        if bound is None or age < bound:
            return i
    raise AssertionError  # pragma: no cover - the last bucket has no bound


class _Tally:
    """Counts, times and open ages, a complaint at a time."""

    def __init__(self, since: datetime, period: str, now: datetime) -> None:
        self.tz, self.period, self.now = since.tzinfo, period, now
        self.complaints = 0
        self.counts: dict[tuple[str, str, str], list[int]] = {}
        self.times: dict[tuple[str, str, str], array[float]] = {}
        self.ages: dict[str, list[int]] = {}

    def add(self, f: SlaFacts) -> list[TargetRecord]:
        """Count ``f``'s targets; its breached ones."""
        self.complaints += 1
        category = f.category or NONE
        if f.is_open and utc(f.received_at) <= utc(self.now):
            ages = self.ages.setdefault(category, [0] * len(AGE_BUCKETS))
            ages[_age_bucket(utc(self.now) - utc(f.received_at))] += 1
        if f.sla is None:
            return []
        label = period_of(f.received_at, self.period, self.tz)
        breached = []
        for r in f.sla.targets:
            key = (label, category, r.name)
            state = r.state_at(self.now)
            self.counts.setdefault(key, [0, 0, 0, 0])[_COLUMN.get(state, 3)] += 1
            if state == "breached":
                breached.append(r)
            if r.cycle == 1 and r.stopped_at is not None:
                hours = (utc(r.stopped_at) - utc(f.received_at)) / _HOUR
                self.times.setdefault(key, array("d")).append(hours)
        return breached

    def rows(self, periods: list[str]) -> list[DeadlineRow]:
        counts = dict(self.counts)
        times = dict(self.times)
        for (p, _, t), v in self.counts.items():  # every category together
            total = counts.setdefault((p, ALL, t), [0, 0, 0, 0])
            counts[(p, ALL, t)] = [a + b for a, b in zip(total, v, strict=True)]
        for (p, _, t), hours in self.times.items():
            times[(p, ALL, t)] = times.get((p, ALL, t), array("d")) + hours
        at = {p: i for i, p in enumerate(periods)}
        order = sorted(counts, key=lambda k: (at[k[0]], k[1] != ALL, k[1], k[2]))
        return [_row(k, counts[k], times.get(k, ())) for k in order]

    def open_by_age(self) -> list[OpenAges]:
        labels = [label for label, _ in AGE_BUCKETS]
        total = [sum(col) for col in zip(*self.ages.values(), strict=True)] or [0] * len(labels)
        rows = [(ALL, total), *sorted(self.ages.items())]
        return [OpenAges(category=c, counts=dict(zip(labels, v, strict=True))) for c, v in rows]


def _row(key: tuple[str, str, str], c: list[int], times: Sequence[float]) -> DeadlineRow:
    met, breached = c[0], c[1]
    judged = met + breached
    return DeadlineRow(
        period=key[0],
        category=key[1],
        target=key[2],
        met=met,
        breached=breached,
        running=c[2],
        other=c[3],
        met_rate=None if judged == 0 else met / judged,
        breached_rate=None if judged == 0 else breached / judged,
        timed=len(times),
        median_hours=median(times) if times else None,
        p90_hours=p90(times) if times else None,
    )


def _breaches(
    store: Any,
    tracker: SlaTracker,
    f: SlaFacts,
    records: list[TargetRecord],
    now: datetime,
    certificates: bool,
) -> Iterator[BreachEntry]:
    c = store.load(f.id) if certificates else None
    events = store.events(f.id) if c is not None else []
    for r in records:
        cert = None
        if c is not None:
            cert = build_certificate(c, events, tracker, r.name, cycle=r.cycle, now=now)
        yield BreachEntry(
            complaint_id=f.id, category=f.category or NONE, target=r.name, cycle=r.cycle,
            received_at=f.received_at, deadline=r.deadline, stopped_at=r.stopped_at,
            certificate=cert,
        )  # fmt: skip


def _check(since: datetime, until: datetime, period: object, batch: object) -> None:
    if utc(until) <= utc(since):
        raise InvalidInput.field("until", f"must be after since ({since.isoformat()})")
    if period not in PERIODS:
        raise InvalidInput.field("period", f"must be one of {', '.join(PERIODS)}")
    positive_int(batch, "batch")


def sla_report(
    store: Any,
    tracker: SlaTracker,
    since: datetime,
    until: datetime,
    *,
    period: str = "month",
    now: datetime,
    certificates: bool = True,
    batch: int = BATCH,
) -> DeadlineReport:
    """The :class:`DeadlineReport` of the complaints received in ``[since,
    until)`` as of ``now`` (see the module notes); each breach with its
    certificate unless ``certificates`` is false. Writes nothing."""
    since, until, now = aware(since, "since"), aware(until, "until"), aware(now, "now")
    _check(since, until, period, batch)
    if not isinstance(certificates, bool):
        raise InvalidInput.field("certificates", "must be true or false")
    periods = _periods(since, until, period)
    tally = _Tally(since, period, now)
    breaches: list[BreachEntry] = []
    for f in sla_facts(store, since, until, batch):
        late = tally.add(f)
        if late:
            breaches.extend(_breaches(store, tracker, f, late, now, certificates))
    return DeadlineReport(
        since=since, until=until, now=now, period=period,
        timezone=str(since.tzinfo), periods=periods, complaints=tally.complaints,
        rows=tally.rows(periods), open_by_age=tally.open_by_age(), breaches=breaches,
    )  # fmt: skip
