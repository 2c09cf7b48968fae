"""The data complaintflow keeps: parties, actors, complaints, decisions, the
audit trail's events and the notifications it queues.

Personal data of the parties (names and contacts) never appears in
``repr()`` or ``str()`` of any model (guide §3.1, 保密性 confidentiality).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Literal

from pydantic import AwareDatetime, Field

from complaintflow._base import REDACTED, Checked, Id, LongText, Model, Moment, Short, Text
from complaintflow._sla_state import SlaState
from complaintflow._status import OPEN_STATUSES, Status

__all__ = [
    "ROLES",
    "Actor",
    "Classification",
    "Complaint",
    "Decision",
    "Event",
    "Flag",
    "NewComplaint",
    "Notification",
    "Party",
]

ROLES: Final = frozenset(
    {"complainant", "respondent", "handler", "supervisor", "system", "importer"}
)
"""The roles the built-in permission table knows; plugins may use others."""


class Party(Checked):
    """One side of a complaint: the complainant or the respondent.

    ``name`` and ``contact`` are personal data: hidden from ``repr``, from
    logs, and from views of actors without the right to see them.
    """

    id: Id
    kind: Id = "person"
    """``person``, ``merchant``, ``platform``, ``service_provider``, ..."""
    name: Short | None = Field(default=None, repr=False)
    contact: Short | None = Field(default=None, repr=False)


class Actor(Model):
    """Who runs a command, with their roles (``complainant``, ``respondent``,
    ``handler``, ``supervisor``, ``system``)."""

    id: Id
    roles: frozenset[Id] = frozenset()

    @classmethod
    def system(cls) -> Actor:
        """The actor for automation: may run every command."""
        return _SYSTEM

    def has(self, *roles: str) -> bool:
        """Whether the actor has any of ``roles``."""
        return not self.roles.isdisjoint(roles)


_SYSTEM: Final = Actor(id="system", roles=frozenset({"system"}))


class NewComplaint(Checked):
    """A complaint as it comes in (guide §2.1, §2.2): who, against whom,
    what, when, through which channel, with what evidence."""

    channel: Id
    """The intake channel (guide §2.1): ``web``, ``app``, ``hotline``, ..."""
    complainant: Party
    subject: Text
    description: LongText = ""
    category: Id | None = None
    """A category id; ``None`` lets the classification rules pick one."""
    respondent: Party | None = None
    evidence: tuple[Text, ...] = Field(default=(), max_length=1000)
    order_id: Id | None = None
    received_at: Moment | None = None
    """When the platform received it; defaults to the engine's clock."""
    id: Id | None = None
    """The host's id for the complaint; a fresh one is made when omitted."""


class Decision(Model):
    """A reasoned decision (guide §3.1 fairness and legality)."""

    outcome: Literal["upheld", "partially_upheld", "not_upheld"]
    basis: Text
    remedy: str | None = None
    decided_at: AwareDatetime
    effective_at: AwareDatetime
    decided_by: Id


class Flag(Model):
    """A screening finding (guide §2.3): never drops a complaint, only marks it."""

    kind: Literal["duplicate", "incomplete", "malicious", "out_of_scope"] | str
    reason: str
    related: tuple[str, ...] = ()


class Classification(Model):
    """Why a complaint got its category: the rules that matched (and their
    score) or the model's features, with a confidence.

    ``source`` names what decided: ``rules``, ``model`` or ``plugin``.
    Below the triage threshold ``category`` stays ``None``,
    ``needs_triage`` is set and ``candidates`` holds the two likeliest
    categories with their probabilities, for a handler to choose from."""

    category: str | None
    score: float = 0.0
    rules: tuple[str, ...] = ()
    source: str = "rules"
    confidence: float | None = None
    """How sure the decision is, 0 to 1 (a clear rule decision is 1)."""
    features: tuple[str, ...] = ()
    """The model's features that weighed most for the result."""
    candidates: tuple[tuple[str, float], ...] = ()
    """The likeliest categories with their probabilities, highest first."""
    needs_triage: bool = False


class Complaint(Model):
    """A complaint and where it stands. Plain data: no state machine is
    bound to it; the engine moves it by applying events."""

    id: Id
    channel: Id
    category: Id | None
    complainant: Party
    respondent: Party | None
    subject: str
    description: str
    evidence: tuple[str, ...]
    order_id: str | None
    received_at: AwareDatetime
    status: Status
    version: int
    """Optimistic-concurrency version: the seq of the last event applied."""
    updated_at: AwareDatetime
    """When the last event happened."""
    cycle: int = 1
    """Handling cycle: a reopen starts a new one (guide §3.3 targets restart)."""
    handler: str | None = None
    escalations: int = 0
    steps_done: tuple[str, ...] = ()
    """Procedure steps (guide §4) done in this cycle, in order."""
    step_data: dict[str, dict[str, str]] = Field(default_factory=dict)
    prior_status: Status | None = None
    """While ``awaiting_info``: the status to go back to."""
    info_requested_from: Literal["complainant", "respondent"] | None = None
    decision: Decision | None = None
    closed_at: AwareDatetime | None = None
    satisfied: bool | None = None
    rejection: dict[str, str] | None = None
    flags: tuple[Flag, ...] = ()
    classification: Classification | None = None
    sla: SlaState | None = None
    """The SLA targets' state: facts per target and cycle (see ``Engine.sla``)."""
    personal: tuple[str, ...] = ()
    """The personal fields kept in the personal-data vault, not in this
    record (``complainant.name``, ``description``, ...): read them with
    ``Engine.view``; ``[erased]`` once erased (see ``docs/privacy.md``)."""
    fingerprint: tuple[str, ...] = ()
    """The text fingerprint (MinHash keys, see ``match_keys``) of subject and
    description, kept for the duplicate screen when the text is in the vault."""

    @property
    def is_open(self) -> bool:
        """Whether the complaint is still being handled."""
        return self.status in OPEN_STATUSES


class Event(Model):
    """One entry of the append-only audit trail. ``type`` is the command's
    name (``submit``, ``acknowledge``, ...) or an SLA event."""

    complaint_id: str
    seq: int
    type: str
    at: AwareDatetime
    actor: str
    from_status: Status | None
    to_status: Status
    cycle: int = 1
    data: dict[str, Any] = Field(default_factory=dict)
    recorded_at: AwareDatetime | None = None
    """When the engine recorded it, by the engine's clock (``at`` is when it
    happened; the two differ only as ``time_basis`` allows)."""
    time_basis: Literal["clock", "caller", "intake", "import", "system"] = "clock"
    """Whose time ``at`` is: the engine's clock, the caller's within the
    allowed skew, a staff intake recorded later, an importer's or the
    system's (see ``docs/design.md``, "Time")."""

    def __repr_args__(self) -> Iterable[tuple[str | None, Any]]:
        # the submit event's data holds both parties: keep their names and
        # contacts out of repr() and str() (guide §3.1 confidentiality)
        for key, value in super().__repr_args__():
            yield key, (_redact_parties(value) if key == "data" else value)


def _redact_parties(value: Any) -> Any:
    """``value`` with the name and contact of every nested party dict redacted."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for k, v in value.items():
            if k in ("complainant", "respondent") and isinstance(v, dict):
                out[k] = {
                    pk: REDACTED if pk in ("name", "contact") and pv is not None else pv
                    for pk, pv in v.items()
                }
            else:
                out[k] = _redact_parties(v)
        return out
    if isinstance(value, list | tuple):
        return type(value)(_redact_parties(v) for v in value)
    return value


class Notification(Model):
    """A message to a party or a handler, kept in the outbox until delivered."""

    id: str
    """Also the idempotency key: one notification per event, kind and recipient."""
    complaint_id: str
    event_seq: int
    kind: str
    """``acknowledgement``, ``decision``, ``info_request``, ``follow_up``,
    ``rejection``, ``sla_warning``, ``sla_breach``, ..."""
    recipient: str
    recipient_role: str
    created_at: datetime
    data: dict[str, Any] = Field(default_factory=dict)
    status: Literal["pending", "delivered", "dead"] = "pending"
    """``pending`` until delivered; ``dead`` once a worker gave up on it after
    its last allowed attempt (never claimed again; see ``dead_notifications``)."""
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def idempotency_key(self) -> str:
        """The key a notifier can use to drop a repeated delivery."""
        return self.id
