"""Deadline certificates: the held-in scenarios of docs/sla.md checked day by
day against hand-written expectations, and every certificate of generated
complaints recomputed independently and compared with ``engine.sla``."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

import complaintflow as cf
from cert_oracle import deadline as oracle_deadline
from complaintflow.testing import FakeClock
from complaintflow.testing.strategies import complaint_histories
from flow_helpers import COMPLAINANT, GUIDE_REQUIRED, HANDLER, cmd, new_complaint

SH = ZoneInfo("Asia/Shanghai")
LDN = ZoneInfo("Europe/London")
CN = cf.BusinessCalendar.preset("CN")
DAY = timedelta(days=1)

TIMELINE = timedelta(days=3650)


def drive(
    engine: cf.Engine, t0: datetime, steps: list[tuple[str, datetime, dict[str, Any]]]
) -> str:
    """Submit at ``t0``, then run each (command, at, fields)."""
    c = engine.submit(new_complaint(received_at=t0), actor=COMPLAINANT)
    for kind, at, kw in steps:
        actor = COMPLAINANT if kind in ("reopen",) else HANDLER
        engine.handle(c.id, cmd(kind, actor, at=at, **kw))
    return c.id


def to_execution(t0: datetime) -> list[tuple[str, datetime, dict[str, Any]]]:
    """Acknowledge, classify, the required steps and the decision, an hour apart."""
    steps: list[tuple[str, datetime, dict[str, Any]]] = [
        ("acknowledge", t0 + timedelta(hours=1), {}),
        ("classify", t0 + timedelta(hours=2), {}),
    ]
    for i, s in enumerate(sorted(GUIDE_REQUIRED["goods"])):
        steps.append(("record_step", t0 + timedelta(hours=3, minutes=i), {"step": s}))
    steps.append(("decide", t0 + timedelta(hours=4), {}))
    return steps


def day_list(cert: cf.DeadlineCertificate) -> list[tuple[str, str, str | None, float]]:
    return [(d.date.isoformat(), d.kind, d.name, d.counted / DAY) for d in cert.days]


def cn_engine(t0: datetime) -> cf.Engine:
    # a timeline with explicit times: the engine is told to believe them
    return cf.Engine(calendar=CN, clock=FakeClock(t0), clock_skew=TIMELINE, load_entry_points=False)


def test_national_day_with_makeup_day_and_a_pause() -> None:
    t0 = datetime(2026, 9, 29, 9, 0, tzinfo=SH)
    engine = cn_engine(t0)
    cid = drive(
        engine,
        t0,
        [
            *to_execution(t0),
            ("execute", datetime(2026, 9, 30, 9, tzinfo=SH), {}),
            ("request_info", datetime(2026, 10, 12, 12, tzinfo=SH), {}),
            ("provide_info", datetime(2026, 10, 12, 18, tzinfo=SH), {}),
            ("follow_up", datetime(2026, 10, 15, 20, tzinfo=SH), {}),
        ],
    )
    cert = engine.explain(cid, "follow_up", now=datetime(2026, 11, 1, tzinfo=SH))
    nd = "National Day"
    # by hand: 2026-10-01..07 rest, Saturday 10-10 is a makeup day; the start
    # day is not counted; the 6-hour pause on 10-12 takes a quarter of it
    assert day_list(cert) == [
        ("2026-09-30", "working_day", None, 0),
        *[(f"2026-10-0{i}", "holiday", nd, 0) for i in range(1, 8)],
        ("2026-10-08", "working_day", None, 1),
        ("2026-10-09", "working_day", None, 1),
        ("2026-10-10", "makeup_working_day", nd, 1),
        ("2026-10-11", "weekend", None, 0),
        ("2026-10-12", "working_day", None, 0.75),
        ("2026-10-13", "working_day", None, 1),
        ("2026-10-14", "working_day", None, 1),
        ("2026-10-15", "working_day", None, 1),
        ("2026-10-16", "working_day", None, 0.25),
    ]
    assert cert.days[12].paused == DAY / 4
    assert cert.deadline == datetime(2026, 10, 16, 6, 0, tzinfo=SH)
    assert cert.provision == "guide §3.3.5"
    assert cert.provision_text_zh == "跟进反馈应在处理执行后7个工作日内进行"
    assert cert.start_event is not None
    assert cert.start_event.type == "execute"
    (pause,) = cert.pauses
    assert pause.opened_by is not None
    assert pause.opened_by.type == "request_info"
    assert pause.closed_by is not None
    assert pause.closed_by.type == "provide_info"
    assert pause.removed == timedelta(hours=6)
    assert cert.stop_event is not None
    assert cert.stop_event.type == "follow_up"
    assert (cert.state, cert.met) == ("met", True)
    assert cert.calendar.name == "CN"
    assert cert.calendar.version == CN.version
    assert cert.calendar.years == list(range(2020, 2027))
    assert cert.calendar.provisional is None
    again = cert.recompute()
    assert again.agrees
    assert again.deadline == cert.deadline
    assert again.counted == 7 * DAY


def test_spring_festival_with_two_makeup_days() -> None:
    t0 = datetime(2026, 2, 12, 9, 0, tzinfo=SH)
    engine = cn_engine(t0)
    cid = drive(
        engine, t0, [*to_execution(t0), ("execute", datetime(2026, 2, 13, 10, tzinfo=SH), {})]
    )
    cert = engine.explain(cid, "follow_up", now=datetime(2026, 2, 20, tzinfo=SH))
    sf = "Spring Festival"
    # 2026-02-15..23 rest; Saturdays 02-14 and 02-28 are makeup days
    assert day_list(cert) == [
        ("2026-02-13", "working_day", None, 0),
        ("2026-02-14", "makeup_working_day", sf, 1),
        *[(f"2026-02-{d}", "holiday", sf, 0) for d in range(15, 24)],
        ("2026-02-24", "working_day", None, 1),
        ("2026-02-25", "working_day", None, 1),
        ("2026-02-26", "working_day", None, 1),
        ("2026-02-27", "working_day", None, 1),
        ("2026-02-28", "makeup_working_day", sf, 1),
        ("2026-03-01", "weekend", None, 0),
        ("2026-03-02", "working_day", None, 1),
    ]
    assert cert.deadline == datetime(2026, 3, 3, 0, 0, tzinfo=SH)
    assert cert.state == "running"
    assert cert.stop_event is None
    assert cert.met is None
    assert cert.recompute().agrees


def test_dst_in_london_counts_real_hours() -> None:
    uk = cf.BusinessCalendar("Europe/London", business_hours=(time(9), time(17, 30)))
    sat_noon = datetime(2026, 3, 28, 12, 0, tzinfo=LDN)
    engine = cf.Engine(
        calendar=uk, clock=FakeClock(sat_noon), clock_skew=TIMELINE, load_entry_points=False
    )
    cid = drive(engine, sat_noon, [])
    cert = engine.explain(cid, "preliminary_verification", now=sat_noon)
    # clocks go forward at 01:00 on Sunday 29 March: 12 real hours on the
    # Saturday, 12 on the Sunday up to 13:00 by the wall clock
    hours = [(d.date, d.kind, d.counted / timedelta(hours=1)) for d in cert.days]
    assert hours == [(date(2026, 3, 28), "weekend", 12), (date(2026, 3, 29), "weekend", 12)]
    assert cert.deadline == datetime(2026, 3, 29, 13, 0, tzinfo=LDN)
    assert not cert.days[-1].full
    assert cert.recompute().agrees


def test_reopen_cycles_have_their_own_certificates() -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
    engine = cn_engine(t0)
    reopened = datetime(2026, 3, 20, 9, 0, tzinfo=SH)
    cid = drive(
        engine,
        t0,
        [
            *to_execution(t0),
            ("execute", datetime(2026, 3, 3, 10, tzinfo=SH), {}),
            ("follow_up", datetime(2026, 3, 5, 10, tzinfo=SH), {"satisfied": False}),
            ("reopen", reopened, {}),
        ],
    )
    first = engine.explain(cid, "verification", cycle=1, now=reopened)
    second = engine.explain(cid, "verification", now=reopened)
    assert (first.cycle, second.cycle) == (1, 2)
    assert first.start_event is not None
    assert first.start_event.type == "submit"
    assert second.start_event is not None
    assert second.start_event.type == "reopen"
    assert second.deadline == reopened + timedelta(hours=48)
    assert first.state == "met"
    assert second.state == "running"
    # the reopen passed preliminary verification: met at once, stopped by the reopen
    pv = engine.explain(cid, "preliminary_verification", now=reopened)
    assert pv.stop_event is not None
    assert pv.stop_event.type == "reopen"
    assert pv.met is True


def test_render_json_and_errors() -> None:
    t0 = datetime(2026, 3, 9, 10, 0, tzinfo=SH)
    engine = cn_engine(t0)
    cid = drive(engine, t0, [])
    cert = engine.explain(cid, "preliminary_verification")
    zh, en = cert.render("zh"), cert.render()
    assert "guide §3.3.1" in zh
    assert "计入 14小时" in zh
    assert en.startswith("期限证明")
    assert "counted 10 h" in cert.render("en")
    back = cf.DeadlineCertificate.model_validate(json.loads(cert.model_dump_json()))
    assert back == cert
    with pytest.raises(cf.InvalidInput, match="lang"):
        cert.render("fr")
    with pytest.raises(cf.InvalidInput, match="target"):
        engine.explain(cid, "no_such_target")
    with pytest.raises(cf.InvalidInput, match="cycle"):
        engine.explain(cid, "verification", cycle=0)
    with pytest.raises(cf.NotFound):
        engine.explain(cid, "follow_up")  # has not started
    with pytest.raises(cf.NotFound):
        engine.explain("nope", "verification")


PER_EXAMPLE = 25
"""Complaints per example: the ``ci`` profile's 400 examples make 10,000."""
NOW = datetime(2026, 9, 1, tzinfo=SH)


@given(st.lists(complaint_histories(max_commands=14), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE))
def test_every_certificate_recomputes_to_the_engines_deadline(histories: list[Any]) -> None:
    clock = FakeClock(NOW)
    engine = cf.Engine(calendar=CN, clock=clock, load_entry_points=False)
    hol, wd, mask = CN.holidays, CN.workdays, CN.weekmask
    for h in histories:
        c = h.run(engine, clock)  # the engine's clock follows the history
        reports = {(r.name, r.cycle): r for r in engine.sla(c.id, now=NOW).history}
        assert c.sla is not None
        for r in c.sla.targets:
            cert = engine.explain(c.id, r.name, cycle=r.cycle, now=NOW)
            report = reports[(r.name, r.cycle)]
            assert cert.deadline == report.deadline
            assert cert.state == report.state
            again = cert.recompute()
            assert again.agrees, cert.render("en")
            if report.deadline is None or r.cancelled_at is not None:
                continue
            assert again.deadline == report.deadline
            if r.provisional is None and r.promised is None:
                pauses = [(a, b) for a, b in r.pauses if b is not None]
                expected = oracle_deadline(
                    r.started_at, r.kind, r.amount, pauses, SH, hol, wd, mask
                )
                assert expected == report.deadline
            for d in cert.days:  # each day's kind from the raw data
                want = (
                    "makeup_working_day" if d.date in wd
                    else "holiday" if d.date in hol
                    else "working_day" if mask[d.date.weekday()] == "1"
                    else "weekend"
                )  # fmt: skip
                assert d.kind == want
