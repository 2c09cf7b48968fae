"""Each command declared once: :class:`CommandSpec`.

A spec says everything the library knows about a command: its pydantic
model, the transitions it fires, who may run it, its guard, how its event
changes the complaint, which notifications it queues, and how the
``complaintflow sla`` replay builds one. The state machine
(:mod:`complaintflow.states`), the role table, the reducer, the guards, the
notifications and the CLI are all derived from :data:`COMMAND_SPECS`.

Adding a command: write its model in :mod:`complaintflow.commands` and one
:class:`CommandSpec` here (see ``docs/design.md``, "Adding a command").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from pydantic import BaseModel, ConfigDict, create_model

from complaintflow._status import FLOW, OPEN_STATUSES, WORKING, Status
from complaintflow.commands import (
    Acknowledge,
    Assign,
    Classify,
    Decide,
    Escalate,
    Execute,
    Extend,
    FollowUp,
    Note,
    ProvideInfo,
    RecordStep,
    Reject,
    Reopen,
    RequestInfo,
    Withdraw,
)
from complaintflow.errors import GuardFailed, InvalidInput
from complaintflow.models import Actor, Complaint, Decision, Event

if TYPE_CHECKING:
    from complaintflow.categories import Category
    from complaintflow.commands import Command

__all__ = ["COMMAND_SPECS", "CommandSpec", "Notice", "SpecContext"]

PRIOR: Final = "prior"
"""A destination: the status before ``request_info`` (for ``provide_info``)."""

Dest = Status | None | Literal["prior"]
Party = Literal["complainant", "respondent"]


class SpecContext(Protocol):
    """What a guard or a role condition may ask of the engine: nothing that
    writes."""

    @property
    def reopen_window(self) -> timedelta:
        """How long after closing a complainant may reopen."""
        ...  # pragma: no cover

    def category(self, category_id: str) -> Category:
        """The registered category (:class:`InvalidInput` when unknown)."""
        ...  # pragma: no cover

    def missing_steps(self, complaint: Complaint) -> list[str]:
        """Required procedure steps of the complaint's category not done yet."""
        ...  # pragma: no cover

    def exists(self, complaint_id: str) -> bool:
        """Whether the store has that complaint."""
        ...  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Notice:
    """A notification a command queues: its kind, who gets it (by role on the
    complaint) and what it carries besides the subject and status."""

    kind: str
    role: Party
    data: Mapping[str, Any] = field(default_factory=dict)


Guard = Callable[[Any, Complaint, datetime, SpecContext], dict[str, Any]]
"""``(command, complaint, at, context) -> event data``; raises to refuse."""
Apply = Callable[[Complaint, Event], dict[str, Any]]
"""``(complaint, event) -> fields to change`` (status, version and
``updated_at`` are set for every event)."""
Notices = Callable[[Complaint, Event], list[Notice]]
Condition = Callable[[Actor, Complaint, datetime, SpecContext], str | None]
"""A party's extra condition: why it is denied, or ``None``."""
Example = Callable[[Actor, datetime, datetime | None], "Command"]
"""``(actor, at, effective_at) -> command``: the command the ``complaintflow
sla`` replay runs for an ``--event TYPE=TIME`` (placeholders for the rest)."""


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="allow")


_NOT_DATA: Final = frozenset({"actor", "at", "type"})


def _payload_model(model: type[BaseModel], extra: Mapping[str, Any]) -> type[BaseModel]:
    """The typed payload of a command's event: the command's own fields but
    ``actor``, ``at`` and ``type``, plus what its guard adds."""
    fields: dict[str, Any] = {
        name: (f.annotation, f) for name, f in model.model_fields.items() if name not in _NOT_DATA
    }
    fields.update(extra)
    name = f"{model.__name__}Payload"
    return create_model(name, __base__=_Payload, __module__=__name__, **fields)


def _fields(cmd: Any, c: Complaint, at: datetime, ctx: SpecContext) -> dict[str, Any]:
    """The default guard: no precondition; the payload is the command's fields."""
    names = _data_fields(type(cmd))
    if not names:
        return {}
    d = cmd.__dict__
    return {k: d[k] for k in names}


_DATA_FIELDS: Final[dict[type, tuple[str, ...]]] = {}


def _data_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of a command its event's data holds (all but ``actor``,
    ``at`` and ``type``)."""
    names = _DATA_FIELDS.get(model)
    if names is None:
        names = _DATA_FIELDS[model] = tuple(n for n in model.model_fields if n not in _NOT_DATA)
    return names


def _nothing(c: Complaint, e: Event) -> dict[str, Any]:
    return {}


def _no_notices(c: Complaint, e: Event) -> list[Notice]:
    return []


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command, declared once.

    :param model: the command's pydantic model (its ``type`` names it).
    :param sources: the statuses it may run in.
    :param dest: where it goes: a status, ``None`` to stay, or ``"prior"``
        for the status before ``request_info``.
    :param roles: staff roles that may run it (``handler``, ``supervisor``;
        ``system`` may run everything; a supervisor may do all a handler may).
    :param parties: parties that may run it on their own complaint, each
        subject to ``condition``.
    :param condition: extra rules for parties (e.g. only the party asked
        answers an information request).
    :param guard: the precondition, returning the event's data.
    :param apply: how its event changes the complaint (the reducer).
    :param notices: the notifications it queues.
    :param example: how ``complaintflow sla`` builds one; ``None`` when the
        replay does not take it.
    :param payload_extra: fields the guard adds to the payload, as
        ``create_model`` field definitions.
    :param provision: the guide section it implements.
    :param new_cycle: whether its event starts a new handling cycle.
    """

    model: type[BaseModel]
    sources: frozenset[Status]
    dest: Dest
    roles: frozenset[str] = frozenset({"handler"})
    parties: frozenset[Party] = frozenset()
    condition: Condition | None = None
    guard: Guard = _fields
    apply: Apply = _nothing
    notices: Notices = _no_notices
    example: Example | None = None
    payload_extra: Mapping[str, Any] = field(default_factory=dict)
    provision: str = ""
    new_cycle: bool = False
    payload: type[BaseModel] = field(init=False)
    """The typed payload of this command's events (derived)."""
    type: str = field(init=False)
    """The command's type, from the model."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", self.model.model_fields["type"].default)
        object.__setattr__(self, "payload", _payload_model(self.model, self.payload_extra))

    def transitions(self) -> list[dict[str, object]]:
        """This command's rows of the machine, in ``transitions``' dict form."""
        src = sorted(s.value for s in self.sources)
        source: object = src[0] if len(src) == 1 else src
        if self.dest == PRIOR:
            # one transition per possible origin; the engine takes the saved one
            return [{"trigger": self.type, "source": source, "dest": s.value} for s in FLOW]
        dest = None if self.dest is None else Status(self.dest).value
        return [{"trigger": self.type, "source": source, "dest": dest}]


# -- guards, reducers and notices of the commands that need them ------------


def _guard_classify(cmd: Classify, c: Complaint, at: datetime, ctx: SpecContext) -> dict[str, Any]:
    category = cmd.category or c.category
    if category is None:
        raise GuardFailed(
            f"complaint {c.id!r} has no category: classify it with category=...",
            command="classify",
            reason="no_category",
        )
    cat = ctx.category(category)
    data: dict[str, Any] = {"category": category}
    if category != c.category:
        valid = {s.id for s in cat.steps}
        data["steps_done"] = [s for s in c.steps_done if s in valid]
    return data


def _apply_classify(c: Complaint, e: Event) -> dict[str, Any]:
    d = e.data
    update: dict[str, Any] = {"category": d["category"]}
    if "steps_done" in d:
        update["steps_done"] = tuple(d["steps_done"])
        update["step_data"] = {k: v for k, v in c.step_data.items() if k in d["steps_done"]}
    return update


def _guard_record_step(
    cmd: RecordStep, c: Complaint, at: datetime, ctx: SpecContext
) -> dict[str, Any]:
    if c.category is None:
        raise GuardFailed(
            f"complaint {c.id!r} has no category yet: classify it first",
            command="record_step",
            reason="no_category",
        )
    cat = ctx.category(c.category)
    step = cat.step(cmd.step)
    if step is None:
        raise GuardFailed(
            f"step: {cmd.step!r} is not a step of category {cat.id!r}; "
            f"its steps: {', '.join(s.id for s in cat.steps)}",
            command="record_step",
            reason="unknown_step",
        )
    for name, choices in step.fields.items():
        value = cmd.data.get(name)
        if value is None or (choices and value not in choices):
            raise GuardFailed(
                f"data.{name}: step {step.id!r} records {name}, one of "
                f"{', '.join(choices)}; got {value!r}",
                command="record_step",
                reason="step_data",
            )
    return {"step": cmd.step, "data": dict(cmd.data)}


def _apply_record_step(c: Complaint, e: Event) -> dict[str, Any]:
    step = e.data["step"]
    update: dict[str, Any] = {"step_data": {**c.step_data, step: dict(e.data.get("data", {}))}}
    if step not in c.steps_done:
        update["steps_done"] = (*c.steps_done, step)
    return update


def _guard_request_info(
    cmd: RequestInfo, c: Complaint, at: datetime, ctx: SpecContext
) -> dict[str, Any]:
    if cmd.party == "respondent" and c.respondent is None:
        raise GuardFailed(
            f"party: complaint {c.id!r} has no respondent to ask; ask the complainant",
            command="request_info",
            reason="no_respondent",
        )
    return {"party": cmd.party, "question": cmd.question}


def _apply_request_info(c: Complaint, e: Event) -> dict[str, Any]:
    return {"prior_status": e.from_status, "info_requested_from": e.data["party"]}


def _notices_request_info(c: Complaint, e: Event) -> list[Notice]:
    party = e.data["party"]
    if party == "respondent" and c.respondent is None:
        return []
    return [Notice("info_request", party, {"question": e.data["question"]})]


def _answered(c: Complaint, e: Event) -> dict[str, Any]:
    return {"prior_status": None, "info_requested_from": None}


def _asked_party(actor: Actor, c: Complaint, at: datetime, ctx: SpecContext) -> str | None:
    asked = c.info_requested_from
    if asked == "complainant" and actor.id == c.complainant.id and actor.has("complainant"):
        return None
    if (
        asked == "respondent"
        and c.respondent is not None
        and actor.id == c.respondent.id
        and actor.has("respondent")
    ):
        return None
    return f"actor {actor.id!r} was not asked for information (the {asked} was)"


def _guard_decide(cmd: Decide, c: Complaint, at: datetime, ctx: SpecContext) -> dict[str, Any]:
    missing = ctx.missing_steps(c)
    if missing:
        raise GuardFailed(
            f"cannot decide complaint {c.id!r} yet: required steps not done: "
            f"{', '.join(missing)} (guide §3.1 fairness: the parties are heard first)",
            command="decide",
            reason="missing_steps",
        )
    effective = cmd.effective_at or at
    if effective.timestamp() < at.timestamp():
        raise InvalidInput.field("effective_at", "must not be before the decision itself (at)")
    return {
        "outcome": cmd.outcome,
        "basis": cmd.basis,
        "remedy": cmd.remedy,
        "effective_at": effective.isoformat(),
    }


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _apply_decide(c: Complaint, e: Event) -> dict[str, Any]:
    d = e.data
    decision = Decision(
        outcome=d["outcome"],
        basis=d["basis"],
        remedy=d.get("remedy"),
        decided_at=e.at,
        effective_at=_dt(d["effective_at"]),
        decided_by=e.actor,
    )
    return {"decision": decision}


def _notices_decide(c: Complaint, e: Event) -> list[Notice]:
    info = {k: e.data.get(k) for k in ("outcome", "basis", "remedy", "effective_at")}
    out = [Notice("decision", "complainant", info)]
    if c.respondent is not None:
        out.append(Notice("decision", "respondent", info))
    return out


def _apply_follow_up(c: Complaint, e: Event) -> dict[str, Any]:
    return {"closed_at": e.at, "satisfied": e.data["satisfied"]}


def _guard_reject(cmd: Reject, c: Complaint, at: datetime, ctx: SpecContext) -> dict[str, Any]:
    data = {
        "reason": cmd.reason,
        "statement": cmd.statement,
        "duplicate_of": cmd.duplicate_of,
    }
    if cmd.duplicate_of is not None:
        if cmd.duplicate_of == c.id or not ctx.exists(cmd.duplicate_of):
            raise InvalidInput.field("duplicate_of", f"no other complaint {cmd.duplicate_of!r}")
    elif cmd.reason == "duplicate":
        # no original named: the one the duplicate screen found (guide §2.3)
        found = [f.related[0] for f in c.flags if f.kind == "duplicate" and f.related]
        data["duplicate_of"] = found[0] if found else None
    return data


def _apply_reject(c: Complaint, e: Event) -> dict[str, Any]:
    return {"rejection": {k: v for k, v in e.data.items() if v is not None}}


def _reopen_condition(actor: Actor, c: Complaint, at: datetime, ctx: SpecContext) -> str | None:
    if c.satisfied:
        return "the complainant said they were satisfied: only a supervisor may reopen"
    closed = c.closed_at
    if closed is not None and at - closed > ctx.reopen_window:
        return (
            f"closed on {closed.isoformat()}, more than {ctx.reopen_window.days} days ago: "
            "only a supervisor may reopen"
        )
    return None


def _apply_reopen(c: Complaint, e: Event) -> dict[str, Any]:
    return {
        "cycle": c.cycle + 1,
        "steps_done": (),
        "step_data": {},
        "decision": None,
        "closed_at": None,
        "satisfied": None,
    }


def _guard_extend(cmd: Extend, c: Complaint, at: datetime, ctx: SpecContext) -> dict[str, Any]:
    running = sorted(
        (
            r
            for r in (c.sla.targets if c.sla is not None else ())
            if r.cycle == c.cycle and r.live and cmd.target in (None, r.name)
        ),
        key=lambda r: (r.deadline is None, r.deadline and r.deadline.timestamp()),
    )
    if not running:
        what = "no target is" if cmd.target is None else f"target {cmd.target!r} is not"
        raise GuardFailed(
            f"target: {what} running on complaint {c.id!r} in cycle {c.cycle}",
            command="extend",
            reason="target_not_running",
        )
    target = running[0]
    if cmd.unit is not None and cmd.unit != target.kind:
        raise GuardFailed(
            f"unit: target {target.name!r} counts {target.kind}; extend it in "
            f"{target.kind}, not {cmd.unit}",
            command="extend",
            reason="unit_mismatch",
        )
    return {
        "target": target.name,
        "amount": cmd.amount,
        "unit": target.kind,
        "reason": cmd.reason,
        "deadline_before": None if target.deadline is None else target.deadline.isoformat(),
        # read by the SLA tracker: the target's duration grows by this amount
        "sla_extension": {"target": target.name, "amount": cmd.amount},
    }


def _notices_extend(c: Complaint, e: Event) -> list[Notice]:
    info = {k: e.data[k] for k in ("target", "amount", "unit", "reason")}
    return [Notice("deadline_extended", "complainant", info)]


def _only(kind: str, role: Party) -> Notices:
    notice = Notice(kind, role)  # frozen: one for every event

    def notices(c: Complaint, e: Event) -> list[Notice]:
        return [notice]

    return notices


def _ack_example(actor: Actor, at: datetime, eff: datetime | None) -> Command:
    return Acknowledge(actor=actor, at=at)


_NOTE: Final = "complaintflow sla"

_OPEN: Final = OPEN_STATUSES
_OPEN_NOT_WAITING: Final = OPEN_STATUSES - {Status.awaiting_info}
_STAFF: Final = frozenset({"handler"})

COMMAND_SPECS: Final[Mapping[str, CommandSpec]] = {
    s.type: s
    for s in (
        CommandSpec(
            Acknowledge,
            frozenset({Status.received}),
            Status.verifying,
            notices=_only("acknowledgement", "complainant"),
            example=_ack_example,
            provision="§3.3.1",
        ),
        CommandSpec(
            Classify,
            frozenset({Status.verifying}),
            Status.classified,
            guard=_guard_classify,
            apply=_apply_classify,
            example=lambda a, t, e: Classify(actor=a, at=t),
            payload_extra={"steps_done": (list[str] | None, None)},
            provision="§2.3, §3.3.2",
        ),
        CommandSpec(
            Decide,
            frozenset({Status.classified}),
            Status.decided,
            guard=_guard_decide,
            apply=_apply_decide,
            notices=_notices_decide,
            example=lambda a, t, e: Decide(
                actor=a, at=t, outcome="upheld", basis=_NOTE, effective_at=e
            ),
            payload_extra={"effective_at": (datetime, ...)},
            provision="§3.1, §3.3.3",
        ),
        CommandSpec(
            Execute,
            frozenset({Status.decided}),
            Status.executed,
            example=lambda a, t, e: Execute(actor=a, at=t),
            provision="§3.3.4",
        ),
        CommandSpec(
            FollowUp,
            frozenset({Status.executed}),
            Status.closed,
            apply=_apply_follow_up,
            notices=lambda c, e: [
                Notice("follow_up", "complainant", {"satisfied": e.data["satisfied"]})
            ],
            example=lambda a, t, e: FollowUp(actor=a, at=t, satisfied=True),
            provision="§3.3.5",
        ),
        CommandSpec(
            RequestInfo,
            _OPEN_NOT_WAITING,
            Status.awaiting_info,
            guard=_guard_request_info,
            apply=_apply_request_info,
            notices=_notices_request_info,
            example=lambda a, t, e: RequestInfo(actor=a, at=t, party="complainant", question=_NOTE),
            provision="§5.1",
        ),
        CommandSpec(
            ProvideInfo,
            frozenset({Status.awaiting_info}),
            PRIOR,
            parties=frozenset({"complainant", "respondent"}),
            condition=_asked_party,
            apply=_answered,
            example=lambda a, t, e: ProvideInfo(actor=a, at=t, info=_NOTE),
            provision="§5.1",
        ),
        CommandSpec(
            Reject,
            frozenset({Status.received, Status.verifying}),
            Status.rejected,
            guard=_guard_reject,
            apply=_apply_reject,
            notices=lambda c, e: [Notice("rejection", "complainant", dict(e.data))],
            example=lambda a, t, e: Reject(actor=a, at=t, reason="out_of_scope", statement=_NOTE),
            provision="§2.3",
        ),
        CommandSpec(
            Withdraw,
            _OPEN,
            Status.withdrawn,
            parties=frozenset({"complainant"}),
            apply=_answered,
            example=lambda a, t, e: Withdraw(actor=a, at=t, reason=_NOTE),
        ),
        CommandSpec(
            Reopen,
            frozenset({Status.closed}),
            Status.verifying,
            roles=frozenset({"supervisor"}),
            parties=frozenset({"complainant"}),
            condition=_reopen_condition,
            apply=_apply_reopen,
            example=lambda a, t, e: Reopen(actor=a, at=t, reason=_NOTE),
            provision="§3.3",
            new_cycle=True,
        ),
        CommandSpec(
            RecordStep,
            WORKING,
            None,
            guard=_guard_record_step,
            apply=_apply_record_step,
            provision="§4",
        ),
        CommandSpec(Assign, _OPEN, None, apply=lambda c, e: {"handler": e.data["handler"]}),
        CommandSpec(Escalate, _OPEN, None, apply=lambda c, e: {"escalations": c.escalations + 1}),
        CommandSpec(Note, _OPEN, None),
        CommandSpec(
            Extend,
            _OPEN,
            None,
            roles=frozenset({"supervisor"}),
            guard=_guard_extend,
            notices=_notices_extend,
            payload_extra={
                "target": (str, ...),
                "deadline_before": (str | None, None),
                "sla_extension": (dict[str, Any], ...),
            },
            provision="§3.3",
        ),
    )
}
"""Every command, by type: the single source of what a command is."""
