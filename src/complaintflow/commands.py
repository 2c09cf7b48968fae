"""Commands: one pydantic model per command, discriminated by ``type``.

Each carries the ``actor`` who runs it and an optional aware ``at`` (the
engine's clock when omitted). :func:`parse_command` also takes a plain dict
such as ``{"type": "acknowledge", "actor": {...}}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from complaintflow._base import FreeText, Id, Model, Moment, Text, invalid_input
from complaintflow.errors import InvalidInput
from complaintflow.models import Actor

__all__ = [
    "COMMAND_TYPES",
    "Acknowledge",
    "Assign",
    "Classify",
    "Command",
    "Decide",
    "Escalate",
    "Execute",
    "Extend",
    "FollowUp",
    "Note",
    "ProvideInfo",
    "RecordStep",
    "Reject",
    "Reopen",
    "RequestInfo",
    "Withdraw",
    "parse_command",
]


class _Command(Model):
    actor: Actor
    at: Moment | None = None
    """When it happened; the engine's clock when omitted."""


class Acknowledge(_Command):
    """Acknowledge receipt and start verification (guide §3.2 step 2, §3.3.1)."""

    type: Literal["acknowledge"] = "acknowledge"


class Classify(_Command):
    """Finish verification and route to a category (guide §2.3, §3.3.2).

    ``category=None`` confirms the category the complaint already has."""

    type: Literal["classify"] = "classify"
    category: Id | None = None


class RecordStep(_Command):
    """Record a step of the category's procedure as done (guide §4)."""

    type: Literal["record_step"] = "record_step"
    step: Id
    data: dict[Id, FreeText] = Field(default_factory=dict, max_length=50)
    """Values the step records, e.g. ``{"risk_level": "high"}``."""


class RequestInfo(_Command):
    """Ask a party for information; the SLA clocks pause until it comes."""

    type: Literal["request_info"] = "request_info"
    party: Literal["complainant", "respondent"]
    question: Text


class ProvideInfo(_Command):
    """Answer an information request: back to the status before it."""

    type: Literal["provide_info"] = "provide_info"
    info: Text


class Decide(_Command):
    """Decide, with a basis (guide §3.1 legality, §3.3.3)."""

    type: Literal["decide"] = "decide"
    outcome: Literal["upheld", "partially_upheld", "not_upheld"]
    basis: Text
    """The rule, law or platform policy the decision rests on."""
    remedy: FreeText | None = None
    effective_at: Moment | None = None
    """When the decision takes effect (starts the §3.3.4 clock); ``at`` if omitted."""


class Execute(_Command):
    """Carry out the decision (guide §3.3.4)."""

    type: Literal["execute"] = "execute"
    note: FreeText | None = None


class FollowUp(_Command):
    """Follow up with the complainant and close (guide §3.3.5)."""

    type: Literal["follow_up"] = "follow_up"
    satisfied: bool
    note: FreeText | None = None


class Reject(_Command):
    """Screen the complaint out, with a statement of reasons (guide §2.3)."""

    type: Literal["reject"] = "reject"
    reason: Literal["duplicate", "incomplete", "malicious", "out_of_scope"]
    statement: Text
    duplicate_of: Id | None = None
    """With ``reason="duplicate"``: the original complaint's id."""


class Withdraw(_Command):
    """Withdraw the complaint."""

    type: Literal["withdraw"] = "withdraw"
    reason: Text


class Reopen(_Command):
    """Reopen a closed complaint: back to verification, in a new cycle."""

    type: Literal["reopen"] = "reopen"
    reason: Text


class Assign(_Command):
    """Assign a handler."""

    type: Literal["assign"] = "assign"
    handler: Id


class Escalate(_Command):
    """Escalate, e.g. to a supervisor."""

    type: Literal["escalate"] = "escalate"
    reason: Text


class Note(_Command):
    """Add an internal note to the audit trail."""

    type: Literal["note"] = "note"
    text: Text


class Extend(_Command):
    """Extend one running SLA target's deadline, with a reason (a supervisor;
    guide §3.3 leaves room for justified extensions). Recorded as an event;
    the deadline moves by ``amount`` in the target's own measure."""

    type: Literal["extend"] = "extend"
    target: Id | None = None
    """The target's name in the current cycle, e.g. ``follow_up``; when
    omitted, the running target whose deadline comes first."""
    amount: float = Field(gt=0, le=10_000, allow_inf_nan=False)
    """How much longer, in ``unit``."""
    unit: Literal["hours", "business_hours", "working_days", "calendar_days"] | None = None
    """The target's own measure when omitted; another measure is refused."""
    reason: Text


Command = Annotated[
    Acknowledge
    | Classify
    | RecordStep
    | RequestInfo
    | ProvideInfo
    | Decide
    | Execute
    | FollowUp
    | Reject
    | Withdraw
    | Reopen
    | Assign
    | Escalate
    | Note
    | Extend,
    Field(discriminator="type"),
]
"""Any command; a discriminated union on ``type``."""

_CLASSES: Final[tuple[type[_Command], ...]] = (
    Acknowledge,
    Classify,
    RecordStep,
    RequestInfo,
    ProvideInfo,
    Decide,
    Execute,
    FollowUp,
    Reject,
    Withdraw,
    Reopen,
    Assign,
    Escalate,
    Note,
    Extend,
)
COMMAND_TYPES: Final[dict[str, type[_Command]]] = {
    c.model_fields["type"].default: c for c in _CLASSES
}
"""Command classes by their ``type``."""

_ADAPTER: Final[TypeAdapter[Command]] = TypeAdapter(Command)


_EXACT: Final = frozenset(_CLASSES)


def parse_command(command: Command | dict[str, Any]) -> Command:
    """Validate a command given as a model or as a dict.

    Raises :class:`InvalidInput` naming each bad field (``basis``,
    ``actor.id``, ``type``, ...)."""
    if type(command) in _EXACT or isinstance(command, _CLASSES):
        return command  # type: ignore[return-value]
    if isinstance(command, BaseModel):
        raise InvalidInput.field("command", f"not a command: {type(command).__name__}")
    if not isinstance(command, dict):
        raise InvalidInput.field(
            "command", f"must be a command model or a dict, not {type(command).__name__}"
        )
    kind = command.get("type")
    try:
        return _ADAPTER.validate_python(command)
    except ValidationError as e:
        err = invalid_input(e)
        # drop the union tag from field names: "decide.basis" -> "basis"
        if isinstance(kind, str) and kind in COMMAND_TYPES:
            for p in err.errors:
                if p["field"].startswith(kind + "."):
                    p["field"] = p["field"][len(kind) + 1 :]
            err = InvalidInput(
                "; ".join(f"{p['field']}: {p['reason']}" for p in err.errors), err.errors
            )
        elif not err.errors or all(p["field"] == "<input>" for p in err.errors):
            known = ", ".join(sorted(COMMAND_TYPES))
            err = InvalidInput.field(
                "type", f"missing or unknown command type {kind!r}; known: {known}"
            )
        raise err from None
