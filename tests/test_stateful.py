"""Random commands by random actors at a few complaints, checked against an
independent model of the DESIGN.md transition table and role table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import complaintflow as cf
from complaintflow.testing import FakeClock
from flow_helpers import (
    CATEGORIES,
    COMMAND_TYPES,
    GUIDE_REQUIRED,
    GUIDE_STEPS,
    HANDLER,
    PAYLOADS,
    PRIOR,
    SAME,
    STRANGER,
    SUPERVISOR,
    SYSTEM,
    T0,
    TABLE,
    check_trail,
)

# -- the DESIGN.md tables, written out -----------------------------------------

REOPEN_WINDOW = timedelta(days=30)
# notifications each applied command queues (every complaint here has a respondent)
NOTIFICATIONS = {
    "acknowledge": 1,
    "decide": 2,
    "request_info": 1,
    "follow_up": 1,
    "reject": 1,
    "extend": 1,
}

OTHER_COMPLAINANT = STRANGER  # u-2: a stranger to u-1's complaints, the owner of its own
ACTORS: dict[str, cf.Actor] = {
    "complainant": cf.Actor(id="u-1", roles=frozenset({"complainant"})),
    "respondent": cf.Actor(id="shop-9", roles=frozenset({"respondent"})),
    "stranger": OTHER_COMPLAINANT,
    "handler": HANDLER,
    "supervisor": SUPERVISOR,
    "system": SYSTEM,
}
# (complainant, respondent) of the complaints under test
OWNERS = (("u-1", "shop-9"), ("u-1", "shop-9"), ("u-2", "shop-7"))
ALL_STEPS = sorted({s for steps in GUIDE_STEPS.values() for s in steps})
TEXTS = (
    "A reason.",
    "Checked with the courier.",
    "ok",
    "Why?",
    "See attached.",
    "   ",
)  # the last is blank: invalid


@dataclass
class Model:
    """What the test expects a complaint to be."""

    id: str
    complainant: str
    respondent: str
    category: str
    updated_at: datetime
    status: str = "received"
    prior: str | None = None
    asked: str | None = None
    steps: set[str] = field(default_factory=set)
    satisfied: bool | None = None
    closed_at: datetime | None = None
    cycle: int = 1
    handler: str | None = None
    escalations: int = 0
    events: int = 1
    notifications: int = 0


def authorized(actor: cf.Actor, kind: str, m: Model, at: datetime) -> bool:
    """DESIGN.md's role table: deny by default."""
    if "system" in actor.roles or "supervisor" in actor.roles:
        return True  # a supervisor may do all a handler may, plus reopen and extend
    if "handler" in actor.roles:
        return kind not in ("reopen", "extend")
    own = "complainant" in actor.roles and actor.id == m.complainant
    against = "respondent" in actor.roles and actor.id == m.respondent
    if kind == "withdraw":
        return own
    if kind == "provide_info":
        return (own and m.asked == "complainant") or (against and m.asked == "respondent")
    if kind == "reopen":
        return (
            own
            and m.satisfied is False
            and m.closed_at is not None
            and at - m.closed_at <= REOPEN_WINDOW
        )
    return False


def natural_next(m: Model) -> tuple[str, str]:
    """The command (and actor) that moves the complaint along the happy path."""
    if m.status == "classified":
        missing = sorted(GUIDE_REQUIRED[m.category] - m.steps)
        return ("record_step", "handler") if missing else ("decide", "handler")
    if m.status == "closed":
        return "reopen", "complainant"
    if m.status == "awaiting_info":
        return "provide_info", "complainant" if m.asked == "complainant" else "respondent"
    nxt = {
        "received": "acknowledge",
        "verifying": "classify",
        "decided": "execute",
        "executed": "follow_up",
    }
    return nxt.get(m.status, "note"), "handler"


class ComplaintMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(T0)
        self.engine = cf.Engine(clock=self.clock, load_entry_points=False)
        self.models: list[Model] = []

    @initialize(cats=st.lists(st.sampled_from(CATEGORIES), min_size=3, max_size=3))
    def submit(self, cats: list[str]) -> None:
        for cat, (comp, resp) in zip(cats, OWNERS, strict=True):
            new = cf.NewComplaint(
                channel="app",
                category=cat,
                complainant=cf.Party(id=comp, name="Name of " + comp, contact=comp + "@mail"),
                respondent=cf.Party(id=resp, kind="merchant"),
                subject="Stateful complaint",
            )
            c = self.engine.submit(new, actor=cf.Actor(id=comp, roles=frozenset({"complainant"})))
            self.models.append(
                Model(
                    id=c.id,
                    complainant=comp,
                    respondent=resp,
                    category=cat,
                    updated_at=self.clock.now,
                )
            )

    @rule(
        delta=st.one_of(
            st.integers(1, 600).map(lambda n: timedelta(minutes=n)),
            st.integers(1, 40).map(lambda n: timedelta(days=n)),
        )
    )
    def tick(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    def draw_payload(
        self, data: st.DataObject, kind: str, m: Model, at: datetime
    ) -> tuple[dict[str, Any], set[type[Exception]]]:
        """A mostly-valid payload, and the errors it must cause if it is not."""
        fails: set[type[Exception]] = set()

        def text(name: str) -> str:
            value = data.draw(st.sampled_from(TEXTS), label=name)
            if not value.strip():
                fails.add(cf.InvalidInput)
            return value

        p: dict[str, Any] = {}
        if kind == "classify":
            cat = data.draw(st.sampled_from([None, None, *CATEGORIES, "no_such_category"]))
            if cat is not None:
                p["category"] = cat
            if cat == "no_such_category":
                fails.add(cf.InvalidInput)
        elif kind == "record_step":
            missing = sorted(GUIDE_REQUIRED[m.category] - m.steps)
            p["step"] = data.draw(
                st.one_of(st.sampled_from(missing or ALL_STEPS), st.sampled_from([*ALL_STEPS, "x"]))
            )
            if p["step"] not in GUIDE_STEPS[m.category]:
                fails.update({cf.GuardFailed, cf.InvalidInput})
        elif kind == "request_info":
            p["party"] = data.draw(st.sampled_from(["complainant", "respondent"]))
            p["question"] = text("question")
        elif kind == "provide_info":
            p["info"] = text("info")
        elif kind == "decide":
            p["outcome"] = data.draw(st.sampled_from(["upheld", "partially_upheld", "not_upheld"]))
            p["basis"] = text("basis")
            shift = data.draw(st.none() | st.integers(-3, 48))
            if shift is not None:
                p["effective_at"] = at + timedelta(hours=shift)
                if shift < 0:
                    fails.add(cf.InvalidInput)
        elif kind == "follow_up":
            p["satisfied"] = data.draw(st.sampled_from([True, False, False, "maybe"]))
            if p["satisfied"] == "maybe":
                fails.add(cf.InvalidInput)
        elif kind == "reject":
            p["reason"] = data.draw(
                st.sampled_from(["duplicate", "incomplete", "malicious", "out_of_scope", "boring"])
            )
            if p["reason"] == "boring":
                fails.add(cf.InvalidInput)
            p["statement"] = text("statement")
            others = [o.id for o in self.models if o.id != m.id]
            dup = data.draw(st.sampled_from([None, None, *others, m.id, "nowhere"]))
            if dup is not None:
                p["duplicate_of"] = dup
                if dup not in others:
                    fails.add(cf.InvalidInput)
        elif kind in ("withdraw", "reopen", "escalate"):
            p["reason"] = text("reason")
        elif kind == "assign":
            p["handler"] = data.draw(st.sampled_from(["h-2", "h-3", "  "]))
            if not p["handler"].strip():
                fails.add(cf.InvalidInput)
        elif kind == "note":
            p["text"] = text("text")
        elif kind == "extend":
            p["amount"] = data.draw(st.sampled_from([1, 2.5, 0, -1]), label="amount")
            p["reason"] = text("reason")
            if p["amount"] <= 0:
                fails.add(cf.InvalidInput)
        if data.draw(st.sampled_from([False] * 9 + [True]), label="extra key"):
            p["colour"] = "red"
            fails.add(cf.InvalidInput)
        return p, fails

    @rule(data=st.data())
    def fire(self, data: st.DataObject) -> None:
        """A random, mostly-valid command, biased towards the happy path."""
        m = data.draw(st.sampled_from(self.models), label="complaint")
        nat_kind, nat_actor = natural_next(m)
        kind = data.draw(st.just(nat_kind) | st.sampled_from(COMMAND_TYPES), label="kind")
        actor_key = data.draw(st.just(nat_actor) | st.sampled_from(sorted(ACTORS)), label="actor")
        at_mode = data.draw(
            st.sampled_from(["clock"] * 3 + ["explicit", "past", "future"]), label="at"
        )
        at = self.clock.now
        command: dict[str, Any] = {"type": kind, "actor": ACTORS[actor_key]}
        if at_mode == "explicit":
            command["at"] = at
        elif at_mode == "past":
            at = at - timedelta(minutes=data.draw(st.integers(1, 3 * 24 * 60)))
            command["at"] = at
        elif at_mode == "future":
            at = at + timedelta(minutes=data.draw(st.integers(1, 3 * 24 * 60)))
            command["at"] = at
        payload, fails = self.draw_payload(data, kind, m, at)
        command.update(payload)
        self.check(m, actor_key, command, payload, fails, at)

    @rule(
        data=st.data(),
        actor_key=st.sampled_from(["complainant", "respondent", "stranger"]),
        kind=st.sampled_from(COMMAND_TYPES),
    )
    def probe(self, data: st.DataObject, actor_key: str, kind: str) -> None:
        """A valid command by a party or a stranger: probes the role table."""
        m = data.draw(st.sampled_from(self.models), label="complaint")
        payload = dict(PAYLOADS[kind])
        command = {"type": kind, "actor": ACTORS[actor_key], **payload}
        self.check(m, actor_key, command, payload, set(), self.clock.now)

    def check(
        self,
        m: Model,
        actor_key: str,
        command: dict[str, Any],
        payload: dict[str, Any],
        fails: set[type[Exception]],
        at: datetime,
    ) -> None:
        """Run ``command`` and check it against the model."""
        kind = command["type"]
        actor = ACTORS[actor_key]

        # every check the command must pass, order-independent
        if at < m.updated_at:
            fails.add(cf.InvalidInput)
        # the engine's clock is the authority: a person's ``at`` is believed
        # within 5 minutes of it, the system's whatever it is
        if "system" not in actor.roles and abs(at - self.clock.now) > timedelta(minutes=5):
            fails.add(cf.InvalidInput)
        if not authorized(actor, kind, m, at):
            fails.add(cf.PermissionDenied)
        sources, dest = TABLE[kind]
        if m.status not in sources:
            fails.add(cf.InvalidTransition)
        if kind == "decide" and not GUIDE_REQUIRED[m.category] <= m.steps:
            fails.add(cf.GuardFailed)

        before = (
            self.engine.get(m.id),
            self.engine.history(m.id),
            self.engine.store.notifications(),
        )
        error: cf.ComplaintFlowError | None = None
        try:
            after = self.engine.handle(m.id, command)
        except cf.ComplaintFlowError as e:
            error = e
        event(f"{kind}: {type(error).__name__ if error else 'applied'}")
        if error is not None:
            assert fails, f"{kind} by {actor_key} in {m.status} failed: {error!r}"
            assert isinstance(error, tuple(fails)), f"{error!r} is none of {fails}"
            # a failed command changed nothing
            now = (
                self.engine.get(m.id),
                self.engine.history(m.id),
                self.engine.store.notifications(),
            )
            assert now == before
            return
        assert not fails, f"{kind} by {actor_key} in {m.status} should fail with {fails}"
        assert authorized(actor, kind, m, at)  # no unauthorised command succeeded

        # the new status is the one the table gives for this command
        expected = {SAME: m.status, PRIOR: m.prior}.get(dest, dest)
        assert after.status == expected, (kind, m.status, after.status)
        self.apply(m, kind, payload, at, expected)

    def apply(self, m: Model, kind: str, p: dict[str, Any], at: datetime, dest: str) -> None:
        if kind == "classify" and p.get("category", m.category) != m.category:
            m.category = p["category"]
            m.steps &= set(GUIDE_STEPS[m.category])
        elif kind == "record_step":
            m.steps.add(p["step"])
        elif kind == "request_info":
            m.prior, m.asked = m.status, p["party"]
        elif kind in ("provide_info", "withdraw"):
            m.prior = m.asked = None
        elif kind == "follow_up":
            m.satisfied, m.closed_at = p["satisfied"], at
        elif kind == "reopen":
            m.cycle += 1
            m.steps = set()
            m.satisfied = m.closed_at = None
        elif kind == "assign":
            m.handler = p["handler"]
        elif kind == "escalate":
            m.escalations += 1
        m.status = dest
        m.updated_at = at
        m.events += 1
        m.notifications += NOTIFICATIONS.get(kind, 0)

    @invariant()
    def complaints_match_the_model(self) -> None:
        for m in self.models:
            c = self.engine.get(m.id)
            assert c.status == m.status
            assert (c.cycle, c.version, c.category) == (m.cycle, m.events, m.category)
            assert set(c.steps_done) == m.steps
            assert c.prior_status == m.prior
            assert c.info_requested_from == m.asked
            assert (c.handler, c.escalations) == (m.handler, m.escalations)
            assert c.satisfied == m.satisfied
            assert c.closed_at == m.closed_at
            assert len(self.engine.store.notifications(m.id)) == m.notifications
            assert c.status in {s.value for s in cf.Status}

    @invariant()
    def trail_has_no_gaps_and_replays(self) -> None:
        for m in self.models:
            events = check_trail(self.engine, m.id)  # seq 1..n, replay == get
            assert [e.type for e in events][1:].count("reopen") == m.cycle - 1


ComplaintMachine.TestCase.settings = settings(stateful_step_count=40)
TestComplaintMachine = ComplaintMachine.TestCase
