"""One complaint of each category through every path of the DESIGN table:
the happy path, reject, withdraw, request/provide info, reopen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import (
    CATEGORIES,
    COMPLAINANT,
    COMPLAINANT_ID,
    GUIDE_REQUIRED,
    GUIDE_STEPS,
    HANDLER,
    RESPONDENT,
    RESPONDENT_ID,
    STRANGER,
    SUPERVISOR,
    bring_to,
    check_trail,
    do,
    finish,
    new_complaint,
    snapshot,
)

OPEN_FLOW = ("received", "verifying", "classified", "decided", "executed")
OPEN = (*OPEN_FLOW, "awaiting_info")


def kinds(engine: cf.Engine, cid: str) -> list[tuple[str, str, str]]:
    return sorted((n.kind, n.recipient, n.recipient_role) for n in engine.store.notifications(cid))


@pytest.mark.parametrize("category", CATEGORIES)
def test_categories_match_the_guide(engine: cf.Engine, category: str) -> None:
    cat = engine.categories[category]
    assert cat.required_steps == GUIDE_REQUIRED[category]
    assert tuple(s.id for s in cat.steps) == GUIDE_STEPS[category]


def test_exactly_the_five_builtin_categories(engine: cf.Engine) -> None:
    assert sorted(engine.categories) == sorted(CATEGORIES)


@pytest.mark.parametrize("category", CATEGORIES)
def test_happy_path(engine: cf.Engine, clock: FakeClock, category: str) -> None:
    c = engine.submit(new_complaint(category), actor=COMPLAINANT)
    assert (c.status, c.version, c.cycle, c.category) == ("received", 1, 1, category)
    assert c.complainant.id == COMPLAINANT_ID
    assert engine.store.notifications(c.id) == []

    c = do(engine, clock, c.id, "acknowledge")
    assert c.status == "verifying"
    assert kinds(engine, c.id) == [("acknowledgement", COMPLAINANT_ID, "complainant")]

    c = do(engine, clock, c.id, "classify")
    assert (c.status, c.category) == ("classified", category)

    required = engine.categories[category].required_steps
    assert required == GUIDE_REQUIRED[category]
    steps = sorted(required)
    for step in steps:
        c = do(engine, clock, c.id, "record_step", step=step)
        assert c.status == "classified"
    assert set(c.steps_done) == required

    decided_at = clock.now + timedelta(hours=1)
    c = do(engine, clock, c.id, "decide", outcome="partially_upheld", basis="Rule 7")
    assert c.status == "decided"
    assert c.decision is not None
    assert (c.decision.outcome, c.decision.basis) == ("partially_upheld", "Rule 7")
    assert c.decision.decided_at == decided_at
    assert c.decision.effective_at == decided_at
    assert c.decision.decided_by == HANDLER.id
    decisions = [n for n in engine.store.notifications(c.id) if n.kind == "decision"]
    assert sorted((n.recipient, n.recipient_role) for n in decisions) == [
        (RESPONDENT_ID, "respondent"),
        (COMPLAINANT_ID, "complainant"),
    ]
    assert all(n.data["basis"] == "Rule 7" for n in decisions)

    c = do(engine, clock, c.id, "execute")
    assert c.status == "executed"
    c = do(engine, clock, c.id, "follow_up", satisfied=True)
    assert (c.status, c.satisfied, c.closed_at) == ("closed", True, clock.now)
    assert not c.is_open

    assert kinds(engine, c.id) == sorted(
        [
            ("acknowledgement", COMPLAINANT_ID, "complainant"),
            ("decision", COMPLAINANT_ID, "complainant"),
            ("decision", RESPONDENT_ID, "respondent"),
            ("follow_up", COMPLAINANT_ID, "complainant"),
        ]
    )
    events = check_trail(engine, c.id)
    expected = [
        ("submit", None, "received"),
        ("acknowledge", "received", "verifying"),
        ("classify", "verifying", "classified"),
        *[("record_step", "classified", "classified")] * len(steps),
        ("decide", "classified", "decided"),
        ("execute", "decided", "executed"),
        ("follow_up", "executed", "closed"),
    ]
    assert [(e.type, e.from_status, e.to_status) for e in events] == expected
    assert [e.actor for e in events] == [COMPLAINANT_ID] + [HANDLER.id] * (len(events) - 1)
    assert [e.data["step"] for e in events if e.type == "record_step"] == steps
    # every notification points at the event that queued it
    by_seq = {e.seq: e for e in events}
    kind_of_event = {
        "acknowledgement": "acknowledge",
        "decision": "decide",
        "follow_up": "follow_up",
    }
    for n in engine.store.notifications(c.id):
        assert by_seq[n.event_seq].type == kind_of_event[n.kind]
        assert n.status == "pending"  # no notifier plugged in
    # a closed complaint can only be reopened
    assert engine.allowed(c.id, actor=cf.Actor.system()) == ["reopen"]


@pytest.mark.parametrize("category", CATEGORIES)
def test_steps_recorded_while_verifying_survive_classify(
    engine: cf.Engine, clock: FakeClock, category: str
) -> None:
    c = bring_to(engine, clock, "verifying", category=category)
    for step in sorted(GUIDE_REQUIRED[category]):
        c = do(engine, clock, c.id, "record_step", step=step)
        assert c.status == "verifying"
    c = do(engine, clock, c.id, "classify")
    assert set(c.steps_done) == GUIDE_REQUIRED[category]
    c = do(engine, clock, c.id, "decide")
    assert c.status == "decided"
    check_trail(engine, c.id)


def test_reclassifying_keeps_only_the_new_categorys_steps(
    engine: cf.Engine, clock: FakeClock
) -> None:
    c = bring_to(engine, clock, "verifying", category="goods")
    for step in ("contact_complainant", "investigate", "check_content"):
        do(engine, clock, c.id, "record_step", step=step, data={"by": "phone"})
    c = do(engine, clock, c.id, "classify", category="transaction_dispute")
    assert c.category == "transaction_dispute"
    assert c.steps_done == ("investigate",)  # the only step both procedures share
    assert set(c.step_data) == {"investigate"}
    assert c.step_data["investigate"] == {"by": "phone"}
    with pytest.raises(cf.GuardFailed, match="contact_both_parties"):
        do(engine, clock, c.id, "decide")
    check_trail(engine, c.id)


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("origin", ["received", "verifying"])
def test_reject(engine: cf.Engine, clock: FakeClock, category: str, origin: str) -> None:
    c = bring_to(engine, clock, origin, category=category)
    before = len(engine.store.notifications(c.id))
    c = do(
        engine, clock, c.id, "reject", reason="out_of_scope", statement="Not about the platform."
    )
    assert c.status == "rejected"
    assert c.rejection is not None
    assert c.rejection["reason"] == "out_of_scope"
    assert c.rejection["statement"] == "Not about the platform."
    notes = engine.store.notifications(c.id)[before:]
    assert [(n.kind, n.recipient, n.recipient_role) for n in notes] == [
        ("rejection", COMPLAINANT_ID, "complainant")
    ]
    assert notes[0].data["reason"] == "out_of_scope"
    last = check_trail(engine, c.id)[-1]
    assert (last.type, last.from_status, last.to_status) == ("reject", origin, "rejected")
    assert engine.allowed(c.id, actor=cf.Actor.system()) == []
    with pytest.raises(cf.InvalidTransition):
        do(engine, clock, c.id, "withdraw", COMPLAINANT)


def test_reject_as_duplicate_of_another_complaint(engine: cf.Engine, clock: FakeClock) -> None:
    first = engine.submit(new_complaint("goods"), actor=COMPLAINANT)
    second = engine.submit(new_complaint("goods"), actor=COMPLAINANT)
    c = do(
        engine,
        clock,
        second.id,
        "reject",
        reason="duplicate",
        statement="Same order as an earlier complaint.",
        duplicate_of=first.id,
    )
    assert c.status == "rejected"
    assert c.rejection is not None
    assert c.rejection["duplicate_of"] == first.id
    check_trail(engine, c.id)


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("status", OPEN)
@pytest.mark.parametrize("actor", [COMPLAINANT, HANDLER], ids=["complainant", "handler"])
def test_withdraw_from_every_open_status(
    engine: cf.Engine, clock: FakeClock, category: str, status: str, actor: cf.Actor
) -> None:
    origin = "decided" if status == "awaiting_info" else None
    c = bring_to(engine, clock, status, category=category, origin=origin)
    before = engine.store.notifications(c.id)
    c = do(engine, clock, c.id, "withdraw", actor, reason="No longer needed.")
    assert c.status == "withdrawn"
    assert c.prior_status is None
    assert c.info_requested_from is None
    assert engine.store.notifications(c.id) == before  # withdrawing notifies nobody
    last = check_trail(engine, c.id)[-1]
    assert (last.type, last.from_status, last.to_status, last.actor) == (
        "withdraw",
        status,
        "withdrawn",
        actor.id,
    )
    assert last.data["reason"] == "No longer needed."
    assert engine.allowed(c.id, actor=cf.Actor.system()) == []


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("origin", OPEN_FLOW)
@pytest.mark.parametrize("party", ["complainant", "respondent"])
@pytest.mark.parametrize("answerer", ["asked", "handler"])
def test_request_and_provide_info(
    engine: cf.Engine, clock: FakeClock, category: str, origin: str, party: str, answerer: str
) -> None:
    c = bring_to(engine, clock, origin, category=category)
    steps_before = c.steps_done
    before = len(engine.store.notifications(c.id))
    c = do(engine, clock, c.id, "request_info", party=party, question="Which day did it arrive?")
    assert (c.status, c.prior_status, c.info_requested_from) == ("awaiting_info", origin, party)
    notes = engine.store.notifications(c.id)[before:]
    recipient = COMPLAINANT_ID if party == "complainant" else RESPONDENT_ID
    assert [(n.kind, n.recipient, n.recipient_role) for n in notes] == [
        ("info_request", recipient, party)
    ]
    assert notes[0].data["question"] == "Which day did it arrive?"

    asked = COMPLAINANT if party == "complainant" else RESPONDENT
    other = RESPONDENT if party == "complainant" else COMPLAINANT
    # the party not asked may not answer, and trying changes nothing
    snap = snapshot(engine, c.id)
    with pytest.raises(cf.PermissionDenied):
        do(engine, clock, c.id, "provide_info", other)
    assert snapshot(engine, c.id) == snap

    actor = asked if answerer == "asked" else HANDLER
    c = do(engine, clock, c.id, "provide_info", actor, info="It came on Monday.")
    assert (c.status, c.prior_status, c.info_requested_from) == (origin, None, None)
    assert c.steps_done == steps_before
    events = check_trail(engine, c.id)
    assert [(e.type, e.from_status, e.to_status) for e in events[-2:]] == [
        ("request_info", origin, "awaiting_info"),
        ("provide_info", "awaiting_info", origin),
    ]
    assert events[-1].actor == actor.id
    assert events[-1].data["info"] == "It came on Monday."
    assert len(engine.store.notifications(c.id)) == before + 1

    # the flow carries on from where it was
    c = finish(engine, clock, c.id)
    assert c.cycle == 1
    check_trail(engine, c.id)


@pytest.mark.parametrize("category", CATEGORIES)
def test_reopen_by_the_complainant_starts_a_new_cycle(
    engine: cf.Engine, clock: FakeClock, category: str
) -> None:
    c = bring_to(engine, clock, "closed", category=category)
    assert c.satisfied is False
    clock.advance(days=20)
    c = do(engine, clock, c.id, "reopen", COMPLAINANT, reason="Still broken.")
    assert (c.status, c.cycle) == ("verifying", 2)
    assert c.steps_done == ()
    assert (c.decision, c.closed_at, c.satisfied) == (None, None, None)
    last = check_trail(engine, c.id)[-1]
    assert (last.type, last.from_status, last.to_status, last.cycle) == (
        "reopen",
        "closed",
        "verifying",
        2,
    )
    # the second cycle needs the procedure again before a decision
    c = do(engine, clock, c.id, "classify")
    with pytest.raises(cf.GuardFailed):
        do(engine, clock, c.id, "decide")
    c = finish(engine, clock, c.id)
    assert (c.status, c.cycle) == ("closed", 2)
    events = check_trail(engine, c.id)
    assert [e.cycle for e in events if e.type == "follow_up"] == [1, 2]


@pytest.mark.parametrize(
    ("after", "satisfied", "allowed"),
    [
        (timedelta(days=1), False, True),
        (timedelta(days=30), False, True),
        (timedelta(days=30, seconds=1), False, False),
        (timedelta(days=45), False, False),
        (timedelta(days=1), True, False),
    ],
)
def test_reopen_window_and_satisfaction_for_the_complainant(
    engine: cf.Engine, clock: FakeClock, after: timedelta, satisfied: bool, allowed: bool
) -> None:
    c = bring_to(engine, clock, "verifying")
    c = finish(engine, clock, c.id, satisfied=satisfied)
    assert c.closed_at == clock.now
    clock.set(c.closed_at + after)
    assert ("reopen" in engine.allowed(c.id, actor=COMPLAINANT)) is allowed
    if allowed:
        c = engine.handle(c.id, cf.Reopen(actor=COMPLAINANT, reason="Still broken."))
        assert (c.status, c.cycle) == ("verifying", 2)
    else:
        snap = snapshot(engine, c.id)
        with pytest.raises(cf.PermissionDenied, match="supervisor"):
            engine.handle(c.id, cf.Reopen(actor=COMPLAINANT, reason="Still broken."))
        assert snapshot(engine, c.id) == snap
        # a supervisor may still reopen it
        assert "reopen" in engine.allowed(c.id, actor=SUPERVISOR)
        c = engine.handle(c.id, cf.Reopen(actor=SUPERVISOR, reason="Audit found a problem."))
        assert (c.status, c.cycle) == ("verifying", 2)
    check_trail(engine, c.id)


@pytest.mark.parametrize("actor", [HANDLER, RESPONDENT, STRANGER], ids=lambda a: a.id)
def test_reopen_refused_to_others(engine: cf.Engine, clock: FakeClock, actor: cf.Actor) -> None:
    c = bring_to(engine, clock, "closed")
    assert "reopen" not in engine.allowed(c.id, actor=actor)
    snap = snapshot(engine, c.id)
    with pytest.raises(cf.PermissionDenied):
        do(engine, clock, c.id, "reopen", actor)
    assert snapshot(engine, c.id) == snap


def test_a_handler_may_submit_for_a_complainant(engine: cf.Engine) -> None:
    c = engine.submit(new_complaint("service", channel="hotline"), actor=HANDLER)
    assert (c.status, c.channel) == ("received", "hotline")
    assert engine.history(c.id)[0].actor == HANDLER.id


def test_submit_without_a_matching_keyword_stays_uncategorised(
    engine: cf.Engine, clock: FakeClock
) -> None:
    c = engine.submit(
        new_complaint(None, subject="Hello", description="Something happened"), actor=COMPLAINANT
    )
    assert c.category is None
    c = do(engine, clock, c.id, "acknowledge")
    with pytest.raises(cf.GuardFailed, match="category"):
        do(engine, clock, c.id, "record_step")
    with pytest.raises(cf.GuardFailed, match="category"):
        do(engine, clock, c.id, "classify")
    c = do(engine, clock, c.id, "classify", category="violation")
    assert (c.status, c.category) == ("classified", "violation")
    check_trail(engine, c.id)


def test_status_neutral_commands(engine: cf.Engine, clock: FakeClock) -> None:
    c = bring_to(engine, clock, "verifying")
    c = do(engine, clock, c.id, "assign", handler="h-7")
    assert (c.status, c.handler) == ("verifying", "h-7")
    c = do(engine, clock, c.id, "escalate")
    c = do(engine, clock, c.id, "escalate")
    assert c.escalations == 2
    c = do(engine, clock, c.id, "note", text="Waiting for the courier.")
    assert c.status == "verifying"
    events = check_trail(engine, c.id)
    assert [e.type for e in events[-4:]] == ["assign", "escalate", "escalate", "note"]
    assert all(e.from_status == e.to_status == "verifying" for e in events[-4:])


def test_typed_commands_and_dicts_are_the_same(engine: cf.Engine, clock: FakeClock) -> None:
    a = engine.submit(new_complaint("goods", id="c-a"), actor=COMPLAINANT)
    b = engine.submit(new_complaint("goods", id="c-b"), actor=COMPLAINANT)
    at = clock.advance(hours=1)
    engine.handle(a.id, cf.Acknowledge(actor=HANDLER, at=at))
    engine.handle(b.id, {"type": "acknowledge", "actor": {"id": "h-1", "roles": ["handler"]}})
    ea, eb = engine.history(a.id)[-1], engine.history(b.id)[-1]
    assert (ea.type, ea.at, ea.actor, ea.data) == (eb.type, eb.at, eb.actor, eb.data)


def test_the_default_clock_is_the_current_time() -> None:
    engine = cf.Engine(load_entry_points=False)
    before = datetime.now(UTC)
    c = engine.submit(new_complaint(), actor=COMPLAINANT)
    assert before <= c.received_at <= datetime.now(UTC)
    c = engine.handle(c.id, cf.Acknowledge(actor=HANDLER))
    assert c.updated_at >= c.received_at


class PickGoods:
    @cf.hookimpl
    def complaintflow_classify(self, complaint: cf.Complaint) -> str | None:
        return "goods"


def test_a_classification_plugin_picks_the_category(clock: FakeClock) -> None:
    engine = cf.Engine(clock=clock, plugins=[PickGoods()], load_entry_points=False)
    c = engine.submit(new_complaint(None), actor=COMPLAINANT)
    assert c.category == "goods"
    assert c.classification is not None
    assert c.classification.category == "goods"
    check_trail(engine, c.id)


def test_a_complaint_without_respondent(engine: cf.Engine, clock: FakeClock) -> None:
    c = engine.submit(new_complaint("service", respondent=None), actor=COMPLAINANT)
    c = finish(engine, clock, c.id)
    assert kinds(engine, c.id) == [
        ("acknowledgement", COMPLAINANT_ID, "complainant"),
        ("decision", COMPLAINANT_ID, "complainant"),
        ("follow_up", COMPLAINANT_ID, "complainant"),
    ]
    check_trail(engine, c.id)
