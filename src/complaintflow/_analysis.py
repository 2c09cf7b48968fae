"""Complaint analysis (guide §1.2.2–1.2.3): what ``Engine.analysis`` and
``complaintflow report`` compute, in one pass over a store's pages.

The complaints received in ``[since, until)`` are read from
``store.find`` a page at a time, oldest received first, so memory follows
the page size and the number of distinct categories, channels, weeks and
respondents, never the number of complaints:

- per category and per channel, the count of each week (weeks start on
  Monday 00:00 in ``since``'s time zone; the first is the week holding
  ``since``);
- the respondents with the most upheld complaints (a decision ``upheld``
  or ``partially_upheld``), with their weekly upheld counts and trend (the
  least-squares slope of those counts, complaints per week per week);
- repeat complainants: candidates kept by the Misra–Gries summary
  (:data:`CANDIDATES` counters: any complainant with more than
  ``n / (CANDIDATES + 1)`` complaints is among them), then counted exactly
  by the store's index (``count_from``);
- spikes: see :func:`spikes`;
- the most frequent terms per category, from the rules' text
  normalisation (:func:`complaintflow.rules._text.normalize`): English
  words of three letters or more outside a short stop list, and Chinese
  character pairs. Each category keeps at most :data:`TERM_CAP` terms
  (the rarer half is dropped when it overflows).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from statistics import fmean, pstdev
from typing import Any, Final, Literal, Protocol

from complaintflow._base import aware
from complaintflow._csv import write as write_csv
from complaintflow.errors import InvalidInput
from complaintflow.models import Complaint
from complaintflow.rules._text import normalize
from complaintflow.stores._find import check_find as stores_check_find

__all__ = [
    "Analysis",
    "RespondentTrend",
    "Spike",
    "analyse",
    "check_find",
    "spikes",
    "terms",
]

PAGE: Final = 1000
"""Complaints read per ``find`` page."""
CANDIDATES: Final = 10_000
"""Counters of the repeat complainants' candidate summary."""
TERM_CAP: Final = 50_000
"""Distinct terms kept per category."""
SPIKE_WEEKS: Final = 8
"""Weeks of history a spike is measured against."""
SPIKE_SD: Final = 3.0
"""How many standard deviations above the mean a spike is."""
UPHELD: Final = frozenset({"upheld", "partially_upheld"})
NONE: Final = "(none)"
"""The key of complaints without a category."""

_WORD: Final = re.compile(r"[a-z][a-z0-9']{2,}")
_CJK_RUN: Final = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_STOP: Final = frozenset(
    [
        "the",
        "and",
        "for",
        "was",
        "but",
        "not",
        "you",
        "your",
        "our",
        "with",
        "this",
        "that",
        "have",
        "has",
        "had",
        "from",
        "they",
        "them",
        "were",
        "are",
        "been",
        "its",
        "it's",
        "into",
        "out",
        "all",
        "any",
        "can",
        "could",
        "would",
        "will",
        "just",
        "then",
        "than",
        "there",
        "their",
        "what",
        "when",
        "which",
        "who",
        "why",
        "how",
        "also",
        "very",
        "after",
        "before",
        "about",
        "again",
        "over",
        "only",
        "one",
        "two",
        "did",
        "does",
        "don't",
        "didn't",
        "i've",
        "i'm",
    ]
)
_STOP_CJK: Final = frozenset(
    [
        "我的",
        "一个",
        "我们",
        "他们",
        "你们",
        "没有",
        "这个",
        "那个",
        "就是",
        "但是",
        "因为",
        "所以",
        "然后",
        "已经",
        "还是",
        "自己",
        "什么",
        "可以",
        "不是",
    ]
)


class _Store(Protocol):
    def find(self, *, limit: int = 100, offset: int = 0) -> list[Complaint]: ...

    def count_from(self, complainant: str, *, since: datetime, until: datetime) -> int: ...


def check_find(filters: dict[str, Any]) -> dict[str, Any]:
    """``filters`` if each is a filter of ``Store.find`` and of its type
    (the stores' own check, :data:`~complaintflow.stores._find.FIND_FILTERS`);
    else ``InvalidInput``."""
    stores_check_find(filters)
    return filters


@dataclass(frozen=True, slots=True)
class Spike:
    """A week whose count is above ``mean + 3 sd`` of the previous
    :data:`SPIKE_WEEKS` weeks, and at least the minimum."""

    kind: Literal["category", "respondent"]
    key: str
    week: date
    count: int
    mean: float
    sd: float


@dataclass(frozen=True, slots=True)
class RespondentTrend:
    """A respondent's upheld complaints: the total, per week, and the trend
    (least-squares slope of the weekly counts)."""

    respondent: str
    complaints: int
    upheld: int
    weekly_upheld: tuple[int, ...]
    trend: float


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse` found in ``[since, until)``; ``weeks`` are the
    Mondays the weekly series are counted from."""

    since: datetime
    until: datetime
    total: int
    weeks: tuple[date, ...]
    by_category: dict[str, tuple[int, ...]]
    by_channel: dict[str, tuple[int, ...]]
    respondents: tuple[RespondentTrend, ...]
    repeat_complainants: tuple[tuple[str, int], ...]
    spikes: tuple[Spike, ...]
    terms: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (dates as ISO text), as :meth:`to_json` writes it."""
        out = asdict(self)
        out["since"], out["until"] = self.since.isoformat(), self.until.isoformat()
        out["weeks"] = [w.isoformat() for w in self.weeks]
        for s in out["spikes"]:
            s["week"] = s["week"].isoformat()
        return out

    def to_json(self) -> str:
        """The analysis as JSON."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def rows(self) -> Iterator[tuple[str, str, str, float]]:
        """``(section, key, week or rank, value)`` rows, as :meth:`to_csv` writes."""
        for section, series in (("category", self.by_category), ("channel", self.by_channel)):
            for key, counts in series.items():
                for week, n in zip(self.weeks, counts, strict=True):
                    yield section, key, week.isoformat(), n
        for r in self.respondents:
            yield "respondent_upheld", r.respondent, "", r.upheld
            yield "respondent_trend", r.respondent, "", round(r.trend, 4)
            for week, n in zip(self.weeks, r.weekly_upheld, strict=True):
                yield "respondent_weekly_upheld", r.respondent, week.isoformat(), n
        for who, n in self.repeat_complainants:
            yield "repeat_complainant", who, "", n
        for s in self.spikes:
            yield f"spike_{s.kind}", s.key, s.week.isoformat(), s.count
        for category, top in self.terms.items():
            for rank, (term, n) in enumerate(top, start=1):
                yield "term", f"{category}:{term}", str(rank), n

    def to_csv(self) -> str:
        """The analysis as CSV: ``section,key,week,value`` (a text cell a
        spreadsheet would read as a formula starts with an apostrophe)."""
        return write_csv(["section", "key", "week", "value"], self.rows())

    def svg(self, *, width: int = 640, height: int = 320) -> str:
        """A line chart of the weekly complaints per category, as SVG text."""
        from complaintflow._analysis_chart import line_chart

        return line_chart(self.weeks, self.by_category, width=width, height=height)


def terms(text: str) -> list[str]:
    """The terms of ``text`` counted for a category: its normalised English
    words (three letters or more, stop words left out) and the pairs of
    adjacent Chinese characters.

    >>> terms("Refund NOT received，退款没有到账")
    ['refund', 'received', '退款', '款没', '有到', '到账']
    """
    norm = normalize(text)
    out = [w for w in _WORD.findall(norm) if w not in _STOP]
    for run in _CJK_RUN.findall(norm):
        out.extend(p for p in (run[i : i + 2] for i in range(len(run) - 1)) if p not in _STOP_CJK)
    return out


def spikes(series: Sequence[int], *, minimum: int) -> list[tuple[int, float, float]]:
    """The weeks of ``series`` that spike: ``(index, mean, sd)`` of each week
    ``i`` with :data:`SPIKE_WEEKS` weeks before it whose count is at least
    ``minimum`` and above ``mean + SPIKE_SD * sd`` of those weeks (the
    population standard deviation).

    >>> spikes([1, 2, 1, 2, 1, 2, 1, 2, 9, 2], minimum=5)
    [(8, 1.5, 0.5)]
    """
    out = []
    for i in range(SPIKE_WEEKS, len(series)):
        prev = series[i - SPIKE_WEEKS : i]
        mean, sd = fmean(prev), pstdev(prev)
        if series[i] >= minimum and series[i] > mean + SPIKE_SD * sd:
            out.append((i, mean, sd))
    return out


def _slope(ys: Sequence[int]) -> float:
    n = len(ys)
    if n < 2:
        return 0.0
    mx, my = (n - 1) / 2, fmean(ys)
    den = sum((x - mx) ** 2 for x in range(n))
    return sum((x - mx) * (y - my) for x, y in enumerate(ys)) / den


class _Tally:
    """The running counts of one analysis."""

    def __init__(self, monday: date, weeks: int, tz: tzinfo | None) -> None:
        self.monday, self.weeks, self.tz = monday, weeks, tz
        self.total = 0
        self.category: dict[str, list[int]] = {}
        self.channel: dict[str, list[int]] = {}
        self.resp_weekly: dict[str, Counter[int]] = {}
        self.upheld_weekly: dict[str, Counter[int]] = {}
        self.candidates: Counter[str] = Counter()
        self.terms: dict[str, Counter[str]] = {}

    def add(self, c: Complaint) -> None:
        week = (c.received_at.astimezone(self.tz).date() - self.monday).days // 7
        self.total += 1
        category = c.category or NONE
        self.category.setdefault(category, [0] * self.weeks)[week] += 1
        self.channel.setdefault(c.channel, [0] * self.weeks)[week] += 1
        if c.respondent is not None:
            rid = c.respondent.id
            self.resp_weekly.setdefault(rid, Counter())[week] += 1
            if c.decision is not None and c.decision.outcome in UPHELD:
                self.upheld_weekly.setdefault(rid, Counter())[week] += 1
        self._candidate(c.complainant.id)
        found = self.terms.setdefault(category, Counter())
        found.update(terms(f"{c.subject} {c.description}"))
        if len(found) > TERM_CAP:
            self.terms[category] = Counter(dict(found.most_common(TERM_CAP // 2)))

    def _candidate(self, who: str) -> None:
        # Misra–Gries: at most CANDIDATES counters
        if who in self.candidates or len(self.candidates) < CANDIDATES:
            self.candidates[who] += 1
            return
        for k in list(self.candidates):
            self.candidates[k] -= 1
            if self.candidates[k] == 0:
                del self.candidates[k]

    def series(self, counts: Counter[int]) -> tuple[int, ...]:
        return tuple(counts.get(i, 0) for i in range(self.weeks))


def _pages(store: _Store, since: datetime, until: datetime, page: int) -> Iterator[Complaint]:
    offset = 0
    while True:
        batch = store.find(limit=page, offset=offset)
        for c in batch:
            if c.received_at >= until:
                return
            if c.received_at >= since:
                yield c
        if len(batch) < page:
            return
        offset += page


def _check(top: object, spike_min: object, page: object) -> None:
    for name, v, low in (("top", top, 1), ("spike_min", spike_min, 1), ("page", page, 1)):
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            raise InvalidInput(f"{name}: must be a positive integer, not {v!r}")


def analyse(
    store: _Store,
    since: datetime,
    until: datetime,
    *,
    top: int = 10,
    spike_min: int = 5,
    page: int = PAGE,
) -> Analysis:
    """Analyse the complaints received in ``[since, until)`` (see the module
    notes): ``top`` respondents, repeat complainants and terms per category;
    a spike needs at least ``spike_min`` complaints in its week; ``page``
    complaints are read per ``find``."""
    since, until = aware(since, "since"), aware(until, "until")
    if until <= since:
        raise InvalidInput(
            f"until: must be after since ({since.isoformat()}), not {until.isoformat()}"
        )
    _check(top, spike_min, page)
    tz = since.tzinfo
    first = since.date() - timedelta(days=since.weekday())
    last = (until - timedelta(microseconds=1)).astimezone(tz).date()
    weeks = (last - first).days // 7 + 1
    tally = _Tally(first, weeks, tz)
    for c in _pages(store, since, until, page):
        tally.add(c)
    return _result(store, tally, since, until, top, spike_min)


def _result(
    store: _Store, t: _Tally, since: datetime, until: datetime, top: int, spike_min: int
) -> Analysis:
    mondays = tuple(t.monday + timedelta(weeks=i) for i in range(t.weeks))
    ranked = sorted(t.upheld_weekly, key=lambda r: (-sum(t.upheld_weekly[r].values()), r))
    respondents = tuple(
        RespondentTrend(
            r,
            sum(t.resp_weekly[r].values()),
            sum(t.upheld_weekly[r].values()),
            weekly := t.series(t.upheld_weekly[r]),
            _slope(weekly),
        )
        for r in ranked[:top]
    )
    found: list[Spike] = []
    for key, counts in sorted(t.category.items()):
        for i, mean, sd in spikes(counts, minimum=spike_min):
            found.append(Spike("category", key, mondays[i], counts[i], mean, sd))
    for key, weekly_counts in sorted(t.resp_weekly.items()):
        counts = list(t.series(weekly_counts))
        for i, mean, sd in spikes(counts, minimum=spike_min):
            found.append(Spike("respondent", key, mondays[i], counts[i], mean, sd))
    found.sort(key=lambda s: (s.week, s.kind, s.key))
    return Analysis(
        since=since,
        until=until,
        total=t.total,
        weeks=mondays,
        by_category={k: tuple(v) for k, v in sorted(t.category.items())},
        by_channel={k: tuple(v) for k, v in sorted(t.channel.items())},
        respondents=respondents,
        repeat_complainants=_repeats(store, t, since, until, top),
        spikes=tuple(found),
        terms={
            k: tuple(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[:top])
            for k, v in sorted(t.terms.items())
        },
    )


def _repeats(
    store: _Store, t: _Tally, since: datetime, until: datetime, top: int
) -> tuple[tuple[str, int], ...]:
    # count_from counts (since, until]: shift both ends by the stores' resolution
    us = timedelta(microseconds=1)
    likely = [
        w for w, n in t.candidates.most_common(top * 5) if n >= 2 or len(t.candidates) >= CANDIDATES
    ]
    exact = [(w, store.count_from(w, since=since - us, until=until - us)) for w in likely]
    return tuple(sorted(((w, n) for w, n in exact if n >= 2), key=lambda wn: (-wn[1], wn[0]))[:top])
