"""The SLA report: a hand-calculated example, and every figure of a
generated history against a brute-force count over the fully parsed
complaints and ``engine.sla``."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import complaintflow as cf
from complaintflow._sla_report import p90
from complaintflow.cli import main
from complaintflow.testing import FakeClock
from complaintflow.testing.strategies import complaint_histories
from flow_helpers import sqlite_engine_with

SH = ZoneInfo("Asia/Shanghai")
CN = cf.BusinessCalendar.preset("CN")
H = cf.Actor(id="agent-li", roles={"handler"})


def at(day: str, hour: int = 0) -> datetime:
    y, m, d = (int(x) for x in day.split("-"))
    return datetime(y, m, d, hour, tzinfo=SH)


def submit(engine: cf.Engine, clock: FakeClock, when: datetime, category: str) -> str:
    clock.set(when)
    user = cf.Actor(id="u-1", roles={"complainant"})
    new = cf.NewComplaint(
        channel="app", category=category, complainant=cf.Party(id="u-1"), subject="s"
    )
    return engine.submit(new, actor=user).id


def run(engine: cf.Engine, clock: FakeClock, cid: str, steps: list[tuple[datetime, Any]]) -> None:
    for when, command in steps:
        clock.set(when)
        engine.handle(cid, command)


def hand_example(store: Any = None) -> tuple[cf.Engine, dict[str, str]]:
    """Five complaints; the expected figures are worked out in the test."""
    clock = FakeClock(at("2026-02-27", 9))
    engine = cf.Engine(calendar=CN, clock=clock, store=store, load_entry_points=False)
    ids = {"E": submit(engine, clock, at("2026-02-27", 9), "goods")}  # before since
    ids["A"] = submit(engine, clock, at("2026-03-02", 10), "goods")
    steps = sorted(engine.categories["goods"].required_steps)
    run(engine, clock, ids["A"], [
        (at("2026-03-02", 20), cf.Acknowledge(actor=H)),  # 10 h: met (24 h)
        (at("2026-03-04", 12), cf.Classify(actor=H)),  # 50 h: breached (48 h)
        *[(at("2026-03-04", 13), cf.RecordStep(actor=H, step=s)) for s in steps],
        (at("2026-03-04", 20), cf.Decide(actor=H, outcome="upheld", basis="b")),  # 8 h: met
        (at("2026-03-05", 10), cf.Execute(actor=H)),  # 14 h: met
        # 7 working days from Thu 5 March: Fri 6, 9-13, Mon 16 -> 17 March 00:00
        (at("2026-03-18", 10), cf.FollowUp(actor=H, satisfied=True)),  # breached
    ])  # fmt: skip
    ids["B"] = submit(engine, clock, at("2026-03-20", 9), "goods")
    run(engine, clock, ids["B"], [(at("2026-03-21", 12), cf.Acknowledge(actor=H))])  # 27 h
    ids["C"] = submit(engine, clock, at("2026-04-18", 12), "goods")
    ids["D"] = submit(engine, clock, at("2026-04-20", 6), "service")
    return engine, ids


NOW = at("2026-04-20", 12)


def test_a_hand_calculated_report() -> None:
    engine, ids = hand_example()
    rep = engine.sla_report(at("2026-03-01"), at("2026-05-01"), now=NOW)
    assert rep.periods == ["2026-03", "2026-04"]
    assert rep.complaints == 4  # E was received before since
    rows = {(r.period, r.category, r.target): r for r in rep.rows}
    mp = rows[("2026-03", "goods", "preliminary_verification")]
    # A met in 10 h, B breached in 27 h
    assert (mp.met, mp.breached, mp.running, mp.other) == (1, 1, 0, 0)
    assert (mp.met_rate, mp.breached_rate) == (0.5, 0.5)
    assert (mp.timed, mp.median_hours, mp.p90_hours) == (2, 18.5, 27.0)
    mv = rows[("2026-03", "goods", "verification")]
    # A stopped late (50 h), B still running past its deadline: not timed
    assert (mv.met, mv.breached, mv.running, mv.timed, mv.median_hours) == (0, 2, 0, 1, 50.0)
    hours = {t: rows[("2026-03", "goods", t)].median_hours for t in
             ("decision_notice", "execution", "follow_up")}  # fmt: skip
    assert hours == {"decision_notice": 58.0, "execution": 72.0, "follow_up": 384.0}
    assert rows[("2026-03", "goods", "follow_up")].breached == 1
    assert rows[("2026-03", "goods", "execution")].met_rate == 1.0
    # April: C's 24 h ran out at 19 April 12:00; its 48 h end exactly at now (running)
    ap = rows[("2026-04", "(all)", "preliminary_verification")]
    assert (ap.met, ap.breached, ap.running, ap.met_rate, ap.timed) == (0, 1, 1, 0.0, 0)
    av = rows[("2026-04", "(all)", "verification")]
    assert (av.running, av.met_rate, av.median_hours, av.p90_hours) == (2, None, None, None)
    assert rows[("2026-04", "service", "verification")].running == 1
    assert ("2026-04", "goods", "follow_up") not in rows  # never started
    ages = {a.category: a.counts for a in rep.open_by_age}
    # B 31 days, C exactly 2 days, D 6 hours; A is closed
    assert ages["(all)"] == {"<1d": 1, "1-3d": 1, "3-7d": 0, "7-30d": 0, ">30d": 1}
    assert ages["service"] == {"<1d": 1, "1-3d": 0, "3-7d": 0, "7-30d": 0, ">30d": 0}
    got = {(b.complaint_id, b.target) for b in rep.breaches}
    assert got == {
        (ids["A"], "verification"),
        (ids["A"], "follow_up"),
        (ids["B"], "preliminary_verification"),
        (ids["B"], "verification"),
        (ids["C"], "preliminary_verification"),
    }
    follow = next(b for b in rep.breaches if b.target == "follow_up")
    assert follow.certificate is not None
    assert follow.certificate.deadline == at("2026-03-17") == follow.deadline
    assert follow.certificate.recompute().agrees


def test_quarters_weeks_and_the_outputs() -> None:
    engine, _ = hand_example()
    q = engine.sla_report(at("2026-03-01"), at("2026-05-01"), period="quarter", now=NOW)
    assert q.periods == ["2026-Q1", "2026-Q2"]
    w = engine.sla_report(at("2026-03-01"), at("2026-03-09"), period="week", now=NOW,
                          certificates=False)  # fmt: skip
    assert w.periods == ["2026-W09", "2026-W10"]  # Sunday 1 March is in ISO week 9
    assert w.complaints == 1
    assert all(b.certificate is None for b in w.breaches)
    tables = q.tables_csv()
    targets = list(csv.DictReader(io.StringIO(tables["targets"])))
    first = next(r for r in targets if r["target"] == "preliminary_verification")
    assert (first["period"], first["category"], first["met"], first["median_hours"]) == (
        "2026-Q1", "(all)", "1", "18.5")  # fmt: skip
    assert tables["open"].splitlines()[1] == "(all),1,1,0,0,1"
    assert len(tables["breaches"].splitlines()) == 1 + 5
    assert q.to_csv("open") == tables["open"]
    back = json.loads(q.to_json())
    assert back["breaches"][0]["certificate"]["deadline"] is not None
    assert cf.DeadlineReport.model_validate_json(q.to_json()) == q
    svg = q.to_svg()
    assert svg.startswith("<svg")
    assert "all targets: met" in svg
    # Q1: met A's preliminary verification, decision notice, execution;
    # breached B's preliminary verification, both verifications, A's follow-up
    assert q.rates()["all targets: met"] == [round(100 * 3 / 7, 2), 0.0]
    assert q.rates()["all targets: breached"] == [round(100 * 4 / 7, 2), 100.0]
    with pytest.raises(cf.InvalidInput, match="table"):
        q.to_csv("nope")


def test_bad_arguments_are_refused_by_name() -> None:
    engine, _ = hand_example()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"since": datetime(2026, 3, 1)}, "since"),
        ({"until": at("2026-03-01")}, "until"),
        ({"period": "year"}, "period"),
        ({"batch": 0}, "batch"),
        ({"now": "today"}, "now"),
        ({"certificates": "yes"}, "certificates"),
    ]
    for change, field in cases:
        kw: dict[str, Any] = {"since": at("2026-03-01"), "until": at("2026-05-01"), "now": NOW}
        kw.update(change)
        with pytest.raises(cf.InvalidInput, match=field):
            engine.sla_report(kw.pop("since"), kw.pop("until"), **kw)


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cf.sqlite3"
    engine, _ = hand_example(cf.stores.SQLiteStore(db))
    engine.close()
    base = ["sla-report", "--db", str(db), "--since", "2026-03-01T00:00+08:00",
            "--until", "2026-05-01T00:00+08:00", "--now", "2026-04-20T12:00+08:00"]  # fmt: skip
    assert main([*base, "--format", "csv", "--table", "open"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[1] == "(all),1,1,0,0,1"
    assert "4 complaint(s), 5 breach(es)" in err
    chart = tmp_path / "rates.svg"
    assert main([*base, "--format", "svg", "--out", str(chart)]) == 0
    assert chart.read_text(encoding="utf-8").startswith("<svg")
    assert main([*base, "--period", "week", "--no-certificates"]) == 0
    assert json.loads(capsys.readouterr().out)["breaches"][0]["certificate"] is None
    assert main([*base[:-2], "--now", "yesterday"]) == 1
    assert "now" in capsys.readouterr().err
    assert main(["sla-report", "--db", str(tmp_path / "none.db"), "--since", "x", "--until", "y"])
    assert "--db" in capsys.readouterr().err


# -- against a brute-force count ----------------------------------------------------

GEN_NOW = datetime(2026, 9, 1, tzinfo=SH)


def p90_oracle(values: list[float]) -> float:
    """The smallest value with at least 90% of the values at or below it."""
    return min(v for v in values if sum(x <= v for x in values) >= 0.9 * len(values))


def label(t: datetime, period: str) -> str:
    local = t.astimezone(SH)
    if period == "month":
        return local.strftime("%Y-%m")
    if period == "quarter":
        return f"{local.year}-Q{(local.month + 2) // 3}"
    return local.strftime("%G-W%V")


def brute_force(
    engine: cf.Engine, since: datetime, until: datetime, period: str, now: datetime
) -> Any:
    counts: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
    times: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    ages: dict[str, Counter[str]] = defaultdict(Counter)
    breaches = {}
    for c in engine.store.find(limit=10_000):
        if not since <= c.received_at < until:
            continue
        cat = c.category or "(none)"
        if c.is_open and c.received_at <= now:
            days = (now - c.received_at) / timedelta(days=1)
            bucket = ("<1d" if days < 1 else "1-3d" if days < 3 else "3-7d" if days < 7
                      else "7-30d" if days < 30 else ">30d")  # fmt: skip
            for k in (cat, "(all)"):
                ages[k][bucket] += 1
        for t in engine.sla(c.id, now=now).history:
            if t.started_at is None:
                continue  # not started: not a target record
            for k in (cat, "(all)"):
                key = (label(c.received_at, period), k, t.name)
                counts[key][t.state] += 1
                if t.cycle == 1 and t.completed_at is not None:
                    times[key].append((t.completed_at - c.received_at).total_seconds() / 3600)
            if t.state == "breached":
                breaches[(c.id, t.name, t.cycle)] = t.deadline
    return counts, times, ages, breaches


@given(st.lists(st.floats(0, 1e4), min_size=1, max_size=50))
def test_the_p90_is_the_nearest_rank(values: list[float]) -> None:
    assert p90(values) == p90_oracle(values)


# complaints received within a few months, so that each row holds many
starts = st.datetimes(datetime(2026, 1, 1), datetime(2026, 4, 30), timezones=st.just(SH))
histories = st.lists(
    st.one_of(
        complaint_histories(max_commands=16),
        starts.flatmap(lambda t: complaint_histories(max_commands=16, start=t)),
    ),
    min_size=10,
    max_size=30,
)


@settings(max_examples=5, deadline=None)
@given(
    histories,
    st.sampled_from(["week", "month", "quarter"]),
    st.integers(1, 9),
    st.floats(0, 60),
)
def test_every_figure_matches_a_brute_force_count(
    hs: list[Any], period: str, batch: int, days: float
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = sqlite_engine_with(hs, Path(tmp) / "cf.db", GEN_NOW, CN)
        since, until = datetime(2025, 1, 1, tzinfo=SH), datetime(2026, 7, 1, tzinfo=SH)
        # as of a moment among the complaints (some open ones are young)
        last = max(f.received_at for f in engine.store.find(limit=10_000))
        now = last - timedelta(days=days)
        rep = engine.sla_report(since, until, period=period, now=now, batch=batch)
        counts, times, ages, breaches = brute_force(engine, since, until, period, now)
        got = {(r.period, r.category, r.target): r for r in rep.rows}
        assert set(got) == set(counts)
        for key, n in counts.items():
            r = got[key]
            assert (r.met, r.breached, r.running + 0) == (n["met"], n["breached"], n["running"]
                                                          + n["paused"])  # fmt: skip
            assert r.other == n["pending"] + n["cancelled"] + n["undetermined"]
            judged = n["met"] + n["breached"]
            assert r.met_rate == (n["met"] / judged if judged else None)
            v = times.get(key, [])
            assert r.timed == len(v)
            assert r.median_hours == (pytest.approx(median(v)) if v else None)
            assert r.p90_hours == (pytest.approx(p90_oracle(v)) if v else None)
        for a in rep.open_by_age:
            assert {k: n for k, n in a.counts.items() if n} == dict(ages[a.category])
        assert {(b.complaint_id, b.target, b.cycle) for b in rep.breaches} == set(breaches)
        for b in rep.breaches:
            assert b.certificate is not None
            assert b.certificate.deadline == breaches[(b.complaint_id, b.target, b.cycle)]
        engine.close()


def test_breach_cells_a_spreadsheet_would_run_are_quoted() -> None:
    """A complaint id comes from the host: in the CSV a formula-like id is text."""
    clock = FakeClock(at("2026-03-02", 10))
    engine = cf.Engine(calendar=CN, clock=clock, load_entry_points=False)
    new = cf.NewComplaint(
        id="=1+1", channel="app", category="goods", complainant=cf.Party(id="u-1"), subject="s"
    )
    engine.submit(new, actor=cf.Actor(id="u-1", roles={"complainant"}))
    clock.set(at("2026-03-10", 10))  # past the 24 and 48 hour targets
    report = engine.sla_report(at("2026-03-01"), at("2026-04-01"), now=clock())
    rows = list(csv.DictReader(io.StringIO(report.to_csv("breaches"))))
    assert rows
    assert {r["complaint_id"] for r in rows} == {"'=1+1"}
    assert json.loads(report.to_json())["breaches"][0]["complaint_id"] == "=1+1"  # only CSV
