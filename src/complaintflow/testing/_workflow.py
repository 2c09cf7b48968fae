"""The stateful workflow test, for a host's engine: random commands by
random actors; every failure changes nothing, no unauthorised command
succeeds, and the audit trail replays to the stored complaint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from complaintflow.commands import COMMAND_TYPES
from complaintflow.engine import Engine
from complaintflow.errors import ComplaintFlowError
from complaintflow.models import Actor, Complaint, NewComplaint, Party
from complaintflow.testing._clock import FakeClock
from complaintflow.testing._verify import ConformanceError

__all__ = ["WorkflowMachine", "default_authorized"]

_STAFF_ONLY_REOPEN = "reopen"


def default_authorized(
    actor: Actor, kind: str, complaint: Complaint, at: datetime, reopen_window: timedelta
) -> bool:
    """The built-in role table, written out: may ``actor`` run ``kind`` on
    ``complaint`` at ``at``? Deny by default. A supervisor or the system may
    do anything; a handler anything but reopen; a complainant (of this
    complaint) may withdraw, answer a request put to them, and reopen within
    the window when not satisfied; a respondent may answer a request put to
    them."""
    roles = actor.roles
    if "system" in roles or "supervisor" in roles:
        return True
    if "handler" in roles:
        return kind != _STAFF_ONLY_REOPEN
    own = "complainant" in roles and actor.id == complaint.complainant.id
    against = (
        "respondent" in roles
        and complaint.respondent is not None
        and actor.id == complaint.respondent.id
    )
    asked = complaint.info_requested_from
    if kind == "withdraw":
        return own
    if kind == "provide_info":
        return (own and asked == "complainant") or (against and asked == "respondent")
    if kind == "reopen":
        closed = complaint.closed_at
        return (
            own
            and complaint.satisfied is False
            and closed is not None
            and at.astimezone(UTC) - closed.astimezone(UTC) <= reopen_window
        )
    return False


_PAYLOADS: dict[str, dict[str, Any]] = {
    "acknowledge": {},
    "classify": {},
    "request_info": {"party": "complainant", "question": "Please send the receipt."},
    "provide_info": {"info": "Attached."},
    "decide": {"outcome": "upheld", "basis": "Platform rule 4.2"},
    "execute": {},
    "follow_up": {"satisfied": False},
    "reject": {"reason": "incomplete", "statement": "No order number."},
    "withdraw": {"reason": "Settled."},
    "reopen": {"reason": "Nothing happened."},
    "assign": {"handler": "h-2"},
    "escalate": {"reason": "High value."},
    "note": {"text": "Called the shop."},
}


class WorkflowMachine(RuleBasedStateMachine):
    """Random commands by random actors against a host's engine.

    Subclass it, override :meth:`make_engine` (and :meth:`authorized` if
    the host's plugins change who may do what), and collect its ``TestCase``
    in a pytest module (``TestMyWorkflow = MyWorkflow.TestCase``) or run it:

    >>> import complaintflow as cf
    >>> from hypothesis import settings
    >>> from hypothesis.stateful import run_state_machine_as_test
    >>> class MyWorkflow(WorkflowMachine):
    ...     def make_engine(self, clock):
    ...         return cf.Engine(clock=clock, calendar=cf.BusinessCalendar.preset("CN"),
    ...                          load_entry_points=False)
    >>> run_state_machine_as_test(
    ...     MyWorkflow, settings=settings(max_examples=3, stateful_step_count=5, deadline=None))

    Checked after every command: an error is a ``ComplaintFlowError`` and
    leaves the complaint and its trail as they were; a command that succeeds
    was authorised (:meth:`authorized`); the trail is numbered 1..n and
    replays to the stored complaint. A broken check raises
    :class:`ConformanceError`; Hypothesis shrinks the command sequence.
    """

    complainant: ClassVar[Actor] = Actor(id="wf-u1", roles=frozenset({"complainant"}))
    respondent: ClassVar[Actor] = Actor(id="wf-shop", roles=frozenset({"respondent"}))
    actors: ClassVar[tuple[Actor, ...]] = (
        complainant,
        respondent,
        Actor(id="wf-stranger", roles=frozenset({"complainant"})),
        Actor(id="wf-h1", roles=frozenset({"handler"})),
        Actor(id="wf-s1", roles=frozenset({"supervisor"})),
        Actor.system(),
    )

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
        self.engine = self.make_engine(self.clock)
        self.ids: list[str] = []

    def make_engine(self, clock: FakeClock) -> Engine:
        """The engine under test, driven by ``clock``."""
        return Engine(clock=clock, load_entry_points=False)

    def authorized(self, actor: Actor, kind: str, complaint: Complaint, at: datetime) -> bool:
        """Whether ``actor`` may run ``kind`` now (:func:`default_authorized`)."""
        return default_authorized(actor, kind, complaint, at, self.engine.reopen_window)

    @initialize(data=st.data())
    def submit(self, data: st.DataObject) -> None:
        for _ in range(2):
            category = data.draw(st.sampled_from(sorted(self.engine.categories)), label="category")
            c = self.engine.submit(
                NewComplaint(
                    channel="web",
                    category=category,
                    complainant=Party(id=self.complainant.id, name="Li Hua"),
                    respondent=Party(id=self.respondent.id, kind="merchant"),
                    subject="A complaint of the workflow test",
                ),
                actor=self.complainant,
            )
            self.ids.append(c.id)

    @rule(minutes=st.integers(1, 3 * 24 * 60))
    def tick(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @rule(data=st.data())
    def fire(self, data: st.DataObject) -> None:
        cid = data.draw(st.sampled_from(self.ids), label="complaint")
        before = self.engine.get(cid)
        trail = self.engine.history(cid)
        kind = data.draw(st.sampled_from(sorted(COMMAND_TYPES)), label="kind")
        actor = data.draw(st.sampled_from(self.actors), label="actor")
        command: dict[str, Any] = {"type": kind, "actor": actor, **_PAYLOADS.get(kind, {})}
        if kind == "record_step":
            cat = self.engine.categories.get(before.category or "")
            steps = list(cat.steps) if cat is not None else []
            if steps:
                step = data.draw(st.sampled_from(steps), label="step")
                command["step"] = step.id
                command["data"] = {k: v[0] for k, v in step.fields.items() if v}
            else:
                command["step"] = "investigate"
        if kind == "request_info":
            command["party"] = data.draw(st.sampled_from(["complainant", "respondent"]))
        at = self.clock.now
        try:
            after = self.engine.handle(cid, command)
        except ComplaintFlowError as e:
            if (self.engine.get(cid), self.engine.history(cid)) != (before, trail):
                raise ConformanceError(
                    "workflow",
                    "a failed command changes nothing",
                    f"{kind} by {actor.id} failed ({type(e).__name__}: {e}) but changed the "
                    "complaint or its trail",
                    {"command": kind, "actor": actor.id, "status": before.status.value},
                ) from None
            return
        if not self.authorized(actor, kind, before, at):
            raise ConformanceError(
                "workflow",
                "no unauthorised command succeeds",
                f"{kind} by {actor.id} (roles {sorted(actor.roles)}) succeeded on a complaint "
                f"that was {before.status.value}",
                {"command": kind, "actor": actor.id, "status": before.status.value},
            )
        if after.version <= before.version:
            raise ConformanceError(
                "workflow",
                "an applied command is recorded",
                f"{kind} returned version {after.version}, not above {before.version}",
                {"command": kind},
            )

    @invariant()
    def trail_replays_to_the_state(self) -> None:
        for cid in self.ids:
            events = self.engine.history(cid)
            stored = self.engine.get(cid)
            if [e.seq for e in events] != list(range(1, len(events) + 1)):
                raise ConformanceError(
                    "workflow",
                    "the audit trail is numbered 1..n without gaps",
                    f"the trail of {cid} has seqs {[e.seq for e in events]}",
                    {"complaint": cid},
                )
            replayed = self.engine.replay(events)
            if replayed != stored:
                raise ConformanceError(
                    "workflow",
                    "replaying the audit trail gives the stored complaint",
                    f"{cid} is stored {stored.status.value} at version {stored.version}; "
                    f"its trail replays to {replayed.status.value} at version {replayed.version}",
                    {"complaint": cid},
                )
