"""engine.metrics on a generated history; every expected figure is computed
here from the history as generated, not by the code under test."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta

import pytest

import complaintflow as cf

H = cf.Actor(id="h-1", roles=frozenset({"handler"}))
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday; the calendar: UTC, Mon-Fri


def nearest_rank(values: list[timedelta], p: float) -> timedelta:
    ordered = sorted(values)
    return ordered[math.ceil(p * len(ordered)) - 1]


def test_metrics_on_a_generated_history() -> None:
    engine = cf.Engine(load_entry_points=False, clock=lambda: T0 + timedelta(days=200))
    # a history recorded after the fact: the importer role's times are believed
    IMPORTER = cf.Actor(id="migration", roles=frozenset({"importer"}))
    # complaint i: received i days after T0 at 09:00, acknowledged after ack[i]
    # hours, decided after dec[i] days (None: still open), in two categories
    ack = [2, 30, 5, 26, 1, 12, 48, 3, 7, 20]
    dec = [1, 20, None, 70, 2, 10, 5, None, 60, 3]
    cats = ["goods", "service"] * 5
    ids = []
    for i in range(10):
        received = T0 + timedelta(days=i)
        c = engine.submit(
            cf.NewComplaint(
                channel="web",
                category=cats[i],
                complainant=cf.Party(id=f"u-{i}"),
                subject=f"complaint {i}",
                description="d",
                received_at=received,
            ),
            actor=IMPORTER,
        )
        ids.append(c.id)
        engine.handle(c.id, cf.Acknowledge(actor=IMPORTER, at=received + timedelta(hours=ack[i])))
        if dec[i] is not None:
            at = received + timedelta(days=dec[i], hours=1)
            engine.handle(c.id, cf.Classify(actor=IMPORTER, at=at))
            for step in ("contact_complainant", "investigate"):
                engine.handle(c.id, cf.RecordStep(actor=IMPORTER, step=step, at=at))
            engine.handle(c.id, cf.Decide(actor=IMPORTER, outcome="upheld", basis="b", at=at))
    # a complaint received outside the window is not counted
    engine.submit(
        cf.NewComplaint(
            channel="web",
            category="goods",
            complainant=cf.Party(id="late"),
            subject="x",
            received_at=T0 + timedelta(days=30),
        ),
        actor=IMPORTER,
    )
    since, until = T0, T0 + timedelta(days=10)
    m = engine.metrics(since=since, until=until)
    assert m.complaints == 10

    # preliminary verification: 24 h; met when acknowledged within 24 h
    pv = m.targets["preliminary_verification"]
    delays = [timedelta(hours=h) for h in ack]
    assert (pv.met, pv.breached, pv.running) == (
        sum(h <= 24 for h in ack),
        sum(h > 24 for h in ack),
        0,
    )
    # sorted: 1 2 3 5 7 | 12 20 26 30 48 -> (7 h + 12 h) / 2 = 9.5 h
    assert pv.median_to_stop == statistics.median(delays) == timedelta(hours=9.5)
    # nearest rank: the ceil(0.9 * 10) = 9th smallest, 30 h
    assert pv.p90_to_stop == nearest_rank(delays, 0.9) == timedelta(hours=30)
    assert pv.within_sla == pytest.approx(7 / 10)

    # verification: 48 h from receipt to classify; the 2 never classified are
    # past their deadline by now (200 days on): breached
    ver = m.targets["verification"]
    classified = [d for d in dec if d is not None]
    on_time = sum(timedelta(days=d, hours=1) <= timedelta(hours=48) for d in classified)
    assert (ver.met, ver.breached, ver.running) == (on_time, 10 - on_time, 0)
    assert on_time == 1  # only the one classified after 1 day + 1 h (25 h); 2 days + 1 h is 49 h
    # first response: the acknowledgement, for every complaint
    assert m.first_responses == 10
    assert m.median_first_response == statistics.median(delays)
    assert m.p90_first_response == nearest_rank(delays, 0.9)

    # FCA-style buckets by the decision: within 3 business days (24:00 of the
    # 3rd weekday after the day of receipt), within 56 days, later; or open
    def bucket(i: int) -> str:
        if dec[i] is None:
            return "open"
        received = T0 + timedelta(days=i)
        closed = received + timedelta(days=dec[i], hours=1)
        day, counted = received.date(), 0
        while counted < 3:
            day += timedelta(days=1)
            counted += day.weekday() < 5
        if closed < datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC):
            return "3bd"
        if closed < datetime.combine(
            received.date() + timedelta(days=57), datetime.min.time(), UTC
        ):
            return "8w"
        return "later"

    expected = [bucket(i) for i in range(10)]
    assert m.closed_within_3_business_days == expected.count("3bd")
    assert m.closed_within_8_weeks == expected.count("8w")
    assert m.closed_later == expected.count("later")
    assert m.open == expected.count("open") == 2

    # one category
    g = engine.metrics(since=since, until=until, category="goods")
    assert g.complaints == 5
    goods_ack = [ack[i] for i in range(10) if cats[i] == "goods"]
    assert g.targets["preliminary_verification"].met == sum(h <= 24 for h in goods_ack)


def test_metrics_of_nothing_and_bad_input() -> None:
    engine = cf.Engine(load_entry_points=False)
    m = engine.metrics(since=T0, until=T0 + timedelta(days=1))
    assert (m.complaints, m.targets, m.median_first_response) == (0, {}, None)
    with pytest.raises(cf.InvalidInput, match="since"):
        engine.metrics(since=datetime(2026, 1, 1), until=T0)  # naive
    with pytest.raises(cf.InvalidInput, match="category"):
        engine.metrics(since=T0, until=T0, category="nope")
