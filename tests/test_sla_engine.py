"""The SLA clocks inside the engine: the guide's §3.3 policy, pauses,
breaches, sweeps, reopen cycles, cancellation and policy changes.

Every expected deadline is computed by hand in a comment beside it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock

SH = ZoneInfo("Asia/Shanghai")
H = cf.Actor(id="agent-li", roles=frozenset({"handler"}))
SUP = cf.Actor(id="lead", roles=frozenset({"supervisor"}))
U = cf.Actor(id="u-1", roles=frozenset({"complainant"}))
RECEIVED = datetime(2026, 3, 9, 10, 0, tzinfo=SH)  # a Monday

# These tests play a timeline with explicit times: the engine is told to
# believe them (the clock rules themselves are tested in test_time_rules.py).
TIMELINE = timedelta(days=3650)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def engine() -> cf.Engine:
    return cf.Engine(
        clock_skew=TIMELINE,
        intake_window=TIMELINE,
        calendar=cf.BusinessCalendar.preset("CN"),
        clock=FakeClock(RECEIVED),
        load_entry_points=False,
    )


def submit(engine: cf.Engine, category: str = "goods", when: datetime = RECEIVED) -> str:
    c = engine.submit(
        cf.NewComplaint(
            channel="web",
            category=category,
            complainant=cf.Party(id="u-1"),
            respondent=cf.Party(id="shop-9", kind="merchant"),
            subject="Broken kettle",
            received_at=when,
        ),
        actor=U,
    )
    return c.id


def to_classified(engine: cf.Engine, cid: str, ack: datetime, classify: datetime) -> None:
    engine.handle(cid, cf.Acknowledge(actor=H, at=ack))
    engine.handle(cid, cf.RecordStep(actor=H, step="contact_complainant", at=ack))
    engine.handle(cid, cf.RecordStep(actor=H, step="investigate", at=ack))
    engine.handle(cid, cf.Classify(actor=H, at=classify))


def test_guide_policy_deadlines_through_a_lifecycle(engine: cf.Engine) -> None:
    cid = submit(engine)
    r = engine.sla(cid, now=RECEIVED)
    # §3.3.1: 24 h from receipt 03-09 10:00 -> 03-10 10:00
    assert r["preliminary_verification"].deadline == at(10, 10)
    # §3.3.2: 48 h from receipt -> 03-11 10:00
    assert r["verification"].deadline == at(11, 10)
    for name in ("decision_notice", "execution", "follow_up"):
        assert r[name].state == "pending"
        assert r[name].deadline is None
    to_classified(engine, cid, ack=at(9, 15), classify=at(10, 9))
    r = engine.sla(cid, now=at(10, 9))
    assert r["preliminary_verification"].state == "met"
    assert r["preliminary_verification"].completed_at == at(9, 15)
    assert r["verification"].state == "met"
    # §3.3.3: 24 h after verification complete (classify 03-10 09:00) -> 03-11 09:00
    assert r["decision_notice"].deadline == at(11, 9)
    engine.handle(
        cid,
        cf.Decide(actor=H, outcome="upheld", basis="rule 7", at=at(10, 20), effective_at=at(11, 8)),
    )
    r = engine.sla(cid, now=at(10, 21))
    assert r["decision_notice"].state == "met"
    # §3.3.4: 24 h after the decision takes effect (03-11 08:00) -> 03-12 08:00
    assert r["execution"].deadline == at(12, 8)
    assert r["execution"].state == "pending"  # not yet in effect at 03-10 21:00
    assert engine.sla(cid, now=at(11, 9))["execution"].state == "running"
    engine.handle(cid, cf.Execute(actor=H, at=at(12, 7)))
    r = engine.sla(cid, now=at(12, 7))
    assert r["execution"].state == "met"
    # §3.3.5: executed on Thursday 03-12; working days 13 (Fri), 16, 17, 18, 19, 20, 23
    # -> 24:00 of Monday 03-23, i.e. 03-24 00:00
    assert r["follow_up"].deadline == at(24, 0)
    assert r["follow_up"].remaining == timedelta(days=7)
    engine.handle(cid, cf.FollowUp(actor=H, satisfied=True, at=at(20, 12)))
    r = engine.sla(cid, now=at(25, 0))
    assert {name: t.state for name, t in r.items()} == {
        "preliminary_verification": "met",
        "verification": "met",
        "decision_notice": "met",
        "execution": "met",
        "follow_up": "met",
    }
    assert engine.replay(engine.history(cid)) == engine.get(cid)


def test_follow_up_over_national_day_with_makeup_days(engine: cf.Engine) -> None:
    # executed on Wed 2026-09-30. CN 2026: Oct 1-7 off; Sun 09-20 and Sat 10-10
    # are makeup working days. Working days after 09-30: Oct 8 (Thu) 1, Oct 9 2,
    # Oct 10 (Sat, makeup) 3, Oct 12 4, 13 5, 14 6, 15 7 -> 24:00 of 10-15.
    cid = submit(engine, when=at(28, 10, month=9))
    to_classified(engine, cid, ack=at(28, 11, month=9), classify=at(28, 12, month=9))
    engine.handle(cid, cf.Decide(actor=H, outcome="upheld", basis="b", at=at(29, 9, month=9)))
    engine.handle(cid, cf.Execute(actor=H, at=at(30, 9, month=9)))
    assert engine.sla(cid, now=at(30, 9, month=9))["follow_up"].deadline == at(16, 0, month=10)


def test_awaiting_info_pauses_every_running_target(engine: cf.Engine) -> None:
    cid = submit(engine)
    engine.handle(cid, cf.Acknowledge(actor=H, at=at(9, 11)))
    engine.handle(cid, cf.RequestInfo(actor=H, party="complainant", question="?", at=at(9, 12)))
    r = engine.sla(cid, now=at(9, 15))
    assert r["verification"].state == "paused"
    assert r["verification"].deadline is None  # an open pause has no deadline yet
    # 10:00 -> 12:00 ran before the pause: 48 h - 2 h left, frozen
    assert r["verification"].remaining == timedelta(hours=46)
    assert engine.sla(cid, now=at(10, 23))["verification"].remaining == timedelta(hours=46)
    engine.handle(cid, cf.ProvideInfo(actor=U, info="Monday", at=at(9, 18)))
    r = engine.sla(cid, now=at(9, 20))
    # paused 12:00 -> 18:00 (6 h): 03-11 10:00 + 6 h = 03-11 16:00
    assert r["verification"].deadline == at(11, 16)
    assert r["verification"].state == "running"
    # at 20:00: 10 h elapsed - 6 h paused = 4 h consumed
    assert r["verification"].remaining == timedelta(hours=44)
    assert r["preliminary_verification"].state == "met"


def test_a_stop_after_the_deadline_is_a_breach(engine: cf.Engine) -> None:
    cid = submit(engine)
    assert engine.sla(cid, now=at(10, 10))["preliminary_verification"].state == "running"
    late = engine.sla(cid, now=at(10, 10, 1))["preliminary_verification"]
    assert late.state == "breached"
    assert late.remaining == timedelta(0)
    engine.handle(cid, cf.Acknowledge(actor=H, at=at(10, 11)))
    r = engine.sla(cid, now=at(10, 12))["preliminary_verification"]
    assert (r.state, r.completed_at, r.deadline) == ("breached", at(10, 11), at(10, 10))


def test_sweep_emits_each_warning_and_breach_once() -> None:
    seen: list[cf.SlaAlert] = []

    class Pager:
        @cf.hookimpl
        def complaintflow_sla_alert(self, alert: cf.SlaAlert) -> None:
            seen.append(alert)

    engine = cf.Engine(
        clock_skew=TIMELINE,
        intake_window=TIMELINE,
        calendar=cf.BusinessCalendar.preset("CN"),
        clock=FakeClock(RECEIVED),
        plugins=[Pager()],
        load_entry_points=False,
    )
    cid = submit(engine)
    # nothing due before half of 24 h (03-09 22:00)
    assert engine.sweep(now=at(9, 21, 59)) == []
    alerts = engine.sweep(now=at(9, 22))
    assert [(a.target, a.kind, a.threshold) for a in alerts] == [
        ("preliminary_verification", "warning", 0.5)
    ]
    assert alerts[0].due_at == at(9, 22)
    assert alerts[0].deadline == at(10, 10)
    assert engine.sweep(now=at(9, 22)) == []
    # at 03-10 10:00:01: 0.8 of 24 h (due 03-10 05:12), the breach (deadline
    # 10:00), and half of verification's 48 h (due 03-10 10:00) are due
    alerts = engine.sweep(now=at(10, 10, 1))
    assert sorted((a.target, a.kind, a.threshold) for a in alerts) == [
        ("preliminary_verification", "breach", None),
        ("preliminary_verification", "warning", 0.8),
        ("verification", "warning", 0.5),
    ]
    assert engine.sweep(now=at(10, 10, 1)) == []
    assert len(seen) == 4
    trail = [e for e in engine.history(cid) if e.type.startswith("sla_")]
    assert [e.type for e in trail] == ["sla_warning", "sla_warning", "sla_breach", "sla_warning"]
    breach = next(e for e in trail if e.type == "sla_breach")
    assert breach.data["deadline"] == at(10, 10).isoformat()
    assert engine.replay(engine.history(cid)) == engine.get(cid)
    # handlers get a notification per alert
    kinds = [n.kind for n in engine.store.notifications(cid)]  # type: ignore[attr-defined]
    assert kinds.count("sla_warning") == 3
    assert kinds.count("sla_breach") == 1


def test_no_alert_while_paused_or_after_stop(engine: cf.Engine) -> None:
    cid = submit(engine)
    engine.handle(cid, cf.Acknowledge(actor=H, at=at(9, 11)))
    engine.handle(cid, cf.RequestInfo(actor=H, party="respondent", question="?", at=at(9, 12)))
    assert engine.sweep(now=at(20, 0)) == []


def test_reopen_starts_a_new_cycle(engine: cf.Engine) -> None:
    cid = submit(engine)
    to_classified(engine, cid, ack=at(9, 11), classify=at(9, 12))
    engine.handle(cid, cf.Decide(actor=H, outcome="not_upheld", basis="b", at=at(9, 13)))
    engine.handle(cid, cf.Execute(actor=H, at=at(9, 14)))
    engine.handle(cid, cf.FollowUp(actor=H, satisfied=False, at=at(10, 9)))
    engine.handle(cid, cf.Reopen(actor=U, reason="not fixed", at=at(12, 9)))
    r = engine.sla(cid, now=at(12, 10))
    assert r.cycle == 2
    # past preliminary verification already: met at once
    assert r["preliminary_verification"].state == "met"
    assert r["preliminary_verification"].completed_at == at(12, 9)
    # receipt-started targets restart at the reopen: 03-12 09:00 + 48 h
    assert r["verification"].deadline == at(14, 9)
    assert r["decision_notice"].state == "pending"
    first = r.cycle_reports(1)
    assert {n: t.state for n, t in first.items()} == dict.fromkeys(first, "met")
    assert first["verification"].deadline == at(11, 10)
    assert engine.replay(engine.history(cid)) == engine.get(cid)


@pytest.mark.parametrize("ending", ["reject", "withdraw"])
def test_reject_and_withdraw_cancel_what_still_runs(engine: cf.Engine, ending: str) -> None:
    cid = submit(engine)
    engine.handle(cid, cf.Acknowledge(actor=H, at=at(9, 11)))
    engine.handle(cid, cf.RequestInfo(actor=H, party="complainant", question="?", at=at(9, 12)))
    if ending == "reject":
        engine.handle(cid, cf.ProvideInfo(actor=H, info="x", at=at(9, 13)))
        engine.handle(
            cid, cf.Reject(actor=H, reason="out_of_scope", statement="not ours", at=at(9, 14))
        )
    else:
        engine.handle(cid, cf.Withdraw(actor=U, reason="sorted", at=at(9, 14)))
    r = engine.sla(cid, now=at(20, 0))
    assert r["preliminary_verification"].state == "met"
    for name in ("verification", "decision_notice", "execution", "follow_up"):
        assert r[name].state == "cancelled", name
    assert engine.sweep(now=at(25, 0)) == []
    assert engine.store.due(at(25, 0)) == []


def test_category_overrides_and_a_policy_change_recalculate_from_the_start() -> None:
    urgent = cf.Category(
        id="urgent_goods",
        name="Urgent goods complaint",
        steps=(cf.Step(id="investigate", name="Investigate"),),
        required_steps=frozenset({"investigate"}),
        sla_overrides={"verification": cf.hours(24), "decision_notice": cf.hours(12)},
    )

    class Urgent:
        @cf.hookimpl
        def complaintflow_register_categories(self, register):  # type: ignore[no-untyped-def]
            register(urgent)

    engine = cf.Engine(
        clock_skew=TIMELINE,
        intake_window=TIMELINE,
        calendar=cf.BusinessCalendar.preset("CN"),
        clock=FakeClock(RECEIVED),
        plugins=[Urgent()],
        load_entry_points=False,
    )
    cid = submit(engine, category="goods")
    engine.handle(cid, cf.Acknowledge(actor=H, at=at(9, 11)))
    assert engine.sla(cid, now=at(9, 12))["verification"].deadline == at(11, 10)
    engine.handle(cid, cf.Classify(actor=H, category="urgent_goods", at=at(10, 11)))
    types = [e.type for e in engine.history(cid)]
    assert types[-2:] == ["classify", "policy_changed"]
    r = engine.sla(cid, now=at(10, 11))
    # the classification itself completed verification, under the policy in
    # force until then (48 h): only targets still running take the new one
    assert r["verification"].deadline == at(11, 10)
    assert r["verification"].state == "met"
    # decision notice: the category's 12 h from classify -> 03-10 23:00
    assert r["decision_notice"].deadline == at(10, 23)
    assert engine.replay(engine.history(cid)) == engine.get(cid)


def test_sla_policy_hook_changes_running_targets() -> None:
    strict = cf.SlaPolicy(
        [cf.SlaTarget("verification", "receipt", "classify", cf.hours(24))], name="escalated"
    )

    class Escalations:
        @cf.hookimpl
        def complaintflow_sla_policy(self, complaint: cf.Complaint) -> cf.SlaPolicy | None:
            return strict if complaint.escalations else None

    engine = cf.Engine(
        clock_skew=TIMELINE,
        intake_window=TIMELINE,
        calendar=cf.BusinessCalendar.preset("CN"),
        clock=FakeClock(RECEIVED),
        plugins=[Escalations()],
        load_entry_points=False,
    )
    cid = submit(engine)
    engine.handle(cid, cf.Acknowledge(actor=H, at=at(9, 11)))
    engine.handle(cid, cf.Escalate(actor=H, reason="VIP", at=at(9, 20)))
    ev = engine.history(cid)[-1]
    assert (ev.type, ev.data["policy"]["name"], ev.data["previous"]) == (
        "policy_changed",
        "escalated",
        "guide",
    )
    r = engine.sla(cid, now=at(9, 21))
    # recalculated from the original start (03-09 10:00), keeping the 11 h
    # already consumed: 24 h from receipt -> 03-10 10:00, 13 h left
    assert r["verification"].deadline == at(10, 10)
    assert r["verification"].remaining == timedelta(hours=13)
    assert "decision_notice" not in r  # not in the escalated policy


def test_missing_calendar_data_gives_a_provisional_deadline(engine: cf.Engine) -> None:
    # the CN data ends on 2026-12-31; 7 working days after 2026-12-30 need 2027:
    # counted on the weekly pattern (Mon-Fri, no 2027 holidays known), by hand
    # 12-31 Thu (1), 01-01 Fri (2), 01-04..01-08 (3..7) -> 24:00 of 2027-01-08
    cid = submit(engine, when=at(28, 10, month=12))
    to_classified(engine, cid, ack=at(28, 11, month=12), classify=at(28, 12, month=12))
    engine.handle(cid, cf.Decide(actor=H, outcome="upheld", basis="b", at=at(29, 9, month=12)))
    engine.handle(cid, cf.Execute(actor=H, at=at(30, 9, month=12)))
    r = engine.sla(cid, now=at(30, 10, month=12))["follow_up"]
    assert r.deadline == datetime(2027, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert r.problem is None
    assert r.provisional is not None
    assert "2027" in r.provisional
    assert engine.get(cid).sla.next_check is not None  # type: ignore[union-attr]


def test_sla_rejects_naive_now(engine: cf.Engine) -> None:
    cid = submit(engine)
    with pytest.raises(cf.InvalidInput, match="now"):
        engine.sla(cid, now=datetime(2026, 3, 9, 12))
    with pytest.raises(cf.InvalidInput, match="now"):
        engine.sweep(now=datetime(2026, 3, 9, 12))


def test_due_query_finds_complaints_by_next_check(engine: cf.Engine) -> None:
    a = submit(engine)
    b = submit(engine, when=at(9, 16))
    # first checks: a at 03-09 22:00, b at 03-10 04:00 (half of 24 h)
    assert [c.id for c in engine.store.due(at(9, 22))] == [a]
    assert [c.id for c in engine.store.due(at(10, 4))] == [a, b]
