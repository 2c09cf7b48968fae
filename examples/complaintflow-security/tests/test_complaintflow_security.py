"""The network-security plugin through the installed entry point: its
procedure, its risk-based deadlines, and engines that block it.

Every expected deadline is computed by hand in a comment beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import complaintflow_security as sec
import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock

RECEIVED = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)  # a Monday
USER = cf.Actor(id="u-1", roles=frozenset({"complainant"}))
HANDLER = cf.Actor(id="sec-ops", roles=frozenset({"handler"}))
STEPS = (
    "confirm_type",
    "assess_risk",
    "contact_teams",
    "investigate",
    "handle",
    "preventive_measures",
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> cf.Engine:
    """An engine that finds the plugin as a host would: by its entry point."""
    monkeypatch.delenv("COMPLAINTFLOW_DISABLE_PLUGINS", raising=False)
    # the tests play timelines with explicit times: the engine believes them
    return cf.Engine(
        clock=FakeClock(RECEIVED),
        calendar=cf.BusinessCalendar("UTC"),
        clock_skew=timedelta(days=3650),
    )


def submit(engine: cf.Engine, category: str | None = "network_security", **kw: str) -> str:
    new = cf.NewComplaint(
        channel="app",
        category=category,
        complainant=cf.Party(id="u-1"),
        subject=kw.get("subject", "Someone logged into my account"),
        description=kw.get("description", ""),
        received_at=RECEIVED,
    )
    return engine.submit(new, actor=USER).id


def step(engine: cf.Engine, cid: str, name: str, when: datetime, **data: str) -> cf.Complaint:
    return engine.handle(cid, cf.RecordStep(actor=HANDLER, step=name, data=data, at=when))


def test_the_entry_point_adds_the_category(engine: cf.Engine) -> None:
    cat = engine.categories["network_security"]
    assert (cat.name_zh, cat.guide_section) == ("网络安全投诉", "§4.3")
    assert tuple(s.id for s in cat.steps) == STEPS
    assert cat.required_steps == {"assess_risk", "contact_teams", "investigate"}
    assert cat.step("assess_risk") is not None
    assert cat.step("assess_risk").fields == {"risk_level": ("low", "medium", "high", "critical")}  # type: ignore[union-attr]


def test_a_complaint_goes_through_its_own_procedure(engine: cf.Engine) -> None:
    cid = submit(engine)
    engine.handle(cid, cf.Acknowledge(actor=HANDLER, at=at(9, 11)))
    step(engine, cid, "confirm_type", at(9, 11, 30))
    with pytest.raises(cf.GuardFailed, match="contact_complainant"):
        step(engine, cid, "contact_complainant", at(9, 11, 40))  # a §4.1 step, not ours
    engine.handle(cid, cf.Classify(actor=HANDLER, at=at(9, 12)))
    assert "decide" not in engine.allowed(cid, actor=HANDLER)
    decide = cf.Decide(actor=HANDLER, outcome="upheld", basis="Account takeover confirmed")
    with pytest.raises(cf.GuardFailed, match="assess_risk, contact_teams, investigate"):
        engine.handle(cid, decide.model_copy(update={"at": at(9, 12, 30)}))
    # the engine enforces the recorded risk level
    with pytest.raises(cf.GuardFailed, match="risk_level"):
        step(engine, cid, "assess_risk", at(9, 12, 30))
    with pytest.raises(cf.GuardFailed, match="risk_level"):
        step(engine, cid, "assess_risk", at(9, 12, 30), risk_level="severe")
    step(engine, cid, "assess_risk", at(9, 12, 30), risk_level="medium")
    step(engine, cid, "contact_teams", at(9, 13))
    with pytest.raises(cf.GuardFailed, match="investigate"):
        engine.handle(cid, decide.model_copy(update={"at": at(9, 13, 30)}))
    step(engine, cid, "investigate", at(9, 14))
    assert "decide" in engine.allowed(cid, actor=HANDLER)
    engine.handle(cid, decide.model_copy(update={"at": at(9, 15)}))
    step(engine, cid, "handle", at(9, 16))
    engine.handle(cid, cf.Execute(actor=HANDLER, at=at(9, 17)))
    step(engine, cid, "preventive_measures", at(10, 9))
    c = engine.handle(cid, cf.FollowUp(actor=HANDLER, satisfied=True, at=at(11, 9)))
    assert c.status == cf.Status.closed
    assert c.steps_done == STEPS
    assert sec.risk_level(c) == "medium"
    assert engine.replay(engine.history(cid)) == c


def test_keywords_classify_a_complaint_without_category(engine: cf.Engine) -> None:
    cid = submit(engine, category=None, subject="Phishing e-mail: my account was hacked")
    c = engine.get(cid)
    assert c.category == "network_security"
    assert c.classification is not None
    assert c.classification.source == "rules"
    assert c.classification.rules == ("network_security.en",)


def test_low_and_medium_risk_keep_the_guide_deadlines(engine: cf.Engine) -> None:
    for level in ("low", "medium"):
        cid = submit(engine)
        engine.handle(cid, cf.Acknowledge(actor=HANDLER, at=at(9, 11)))
        step(engine, cid, "assess_risk", at(9, 12), risk_level=level)
        assert "policy_changed" not in [e.type for e in engine.history(cid)]
        # guide §3.3.2: 48 h from receipt 03-09 10:00 -> 03-11 10:00
        assert engine.sla(cid, now=at(9, 12))["verification"].deadline == at(11, 10)


def test_high_risk_tightens_every_deadline(engine: cf.Engine) -> None:
    cid = submit(engine)
    engine.handle(cid, cf.Acknowledge(actor=HANDLER, at=at(9, 11)))
    step(engine, cid, "assess_risk", at(9, 12), risk_level="high")
    changed = engine.history(cid)[-1]
    assert (changed.type, changed.data["policy"]["name"], changed.data["previous"]) == (
        "policy_changed",
        "security-high",
        "guide",
    )
    r = engine.sla(cid, now=at(9, 12))
    # recalculated from the original start: 12 h from receipt 03-09 10:00
    # -> 03-09 22:00 (the guide's 48 h would give 03-11 10:00); 2 h used, 10 h left
    assert r["verification"].deadline == at(9, 22)
    assert r["verification"].remaining == timedelta(hours=10)
    assert r["preliminary_verification"].state == "met"  # met at 11:00, stays met
    engine.handle(cid, cf.Classify(actor=HANDLER, at=at(9, 13)))
    # decision notice: 12 h from classify 03-09 13:00 -> 03-10 01:00 (guide: 13:00)
    assert engine.sla(cid, now=at(9, 13))["decision_notice"].deadline == at(10, 1)
    step(engine, cid, "contact_teams", at(9, 14))
    step(engine, cid, "investigate", at(9, 15))
    engine.handle(
        cid,
        cf.Decide(actor=HANDLER, outcome="upheld", basis="b", at=at(9, 20), effective_at=at(9, 21)),
    )
    # execution: 12 h from effect 03-09 21:00 -> 03-10 09:00 (guide: 03-10 21:00)
    assert engine.sla(cid, now=at(9, 21))["execution"].deadline == at(10, 9)
    engine.handle(cid, cf.Execute(actor=HANDLER, at=at(10, 8)))
    # follow-up: executed Tue 03-10; 3 working days: Wed 11, Thu 12, Fri 13
    # -> 24:00 of Fri 03-13 = 03-14 00:00 (guide's 7 would end 03-20 00:00)
    assert engine.sla(cid, now=at(10, 8))["follow_up"].deadline == at(14, 0)
    assert engine.replay(engine.history(cid)) == engine.get(cid)


def test_critical_risk_tightens_further(engine: cf.Engine) -> None:
    cid = submit(engine)
    engine.handle(cid, cf.Acknowledge(actor=HANDLER, at=at(9, 10, 30)))
    step(engine, cid, "assess_risk", at(9, 11), risk_level="critical")
    r = engine.sla(cid, now=at(9, 11))
    # 4 h from receipt 03-09 10:00 -> 14:00, 1 h used, 3 h left
    assert r["verification"].deadline == at(9, 14)
    assert r["verification"].remaining == timedelta(hours=3)
    engine.handle(cid, cf.Classify(actor=HANDLER, at=at(9, 12)))
    # 4 h from classify 12:00 -> 16:00
    assert engine.sla(cid, now=at(9, 12))["decision_notice"].deadline == at(9, 16)


def test_a_late_assessment_breaches_at_once_and_a_new_one_relaxes(engine: cf.Engine) -> None:
    cid = submit(engine)
    engine.handle(cid, cf.Acknowledge(actor=HANDLER, at=at(9, 11)))
    step(engine, cid, "assess_risk", at(9, 15), risk_level="critical")
    r = engine.sla(cid, now=at(9, 15))["verification"]
    # 4 h from receipt -> 14:00, an hour before the assessment
    assert (r.deadline, r.state) == (at(9, 14), "breached")
    step(engine, cid, "assess_risk", at(9, 16), risk_level="low")
    changed = engine.history(cid)[-1]
    assert (changed.type, changed.data["previous"]) == ("policy_changed", "security-critical")
    # back to the guide's 48 h from receipt -> 03-11 10:00
    assert engine.sla(cid, now=at(9, 16))["verification"].deadline == at(11, 10)


def test_other_categories_are_left_alone(engine: cf.Engine) -> None:
    cid = submit(engine, category="goods")
    engine.handle(cid, cf.Acknowledge(actor=HANDLER, at=at(9, 11)))
    step(engine, cid, "investigate", at(9, 12))
    assert "policy_changed" not in [e.type for e in engine.history(cid)]
    assert engine.sla(cid, now=at(9, 12))["verification"].deadline == at(11, 10)


@pytest.mark.parametrize("blocked", ["security", "other, security"])
def test_invisible_when_blocked_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, blocked: str
) -> None:
    monkeypatch.setenv("COMPLAINTFLOW_DISABLE_PLUGINS", blocked)
    engine = cf.Engine(clock=FakeClock(RECEIVED))
    assert "network_security" not in engine.categories
    with pytest.raises(cf.InvalidInput, match="unknown category 'network_security'"):
        submit(engine)


def test_invisible_without_entry_points() -> None:
    engine = cf.Engine(clock=FakeClock(RECEIVED), load_entry_points=False)
    assert "network_security" not in engine.categories
    cid = submit(engine, category=None, subject="Phishing e-mail: my account was hacked")
    assert engine.get(cid).category != "network_security"


def test_usable_explicitly_without_entry_points() -> None:
    engine = cf.Engine(clock=FakeClock(RECEIVED), plugins=[sec], load_entry_points=False)
    assert "network_security" in engine.categories
