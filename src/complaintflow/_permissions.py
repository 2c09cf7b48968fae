"""The built-in role table (deny by default) and confidentiality rules."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from complaintflow._base import REDACTED, fast_copy
from complaintflow._specs import COMMAND_SPECS, SpecContext
from complaintflow.errors import PermissionDenied
from complaintflow.models import Actor, Complaint, Party


def _commands(role: str) -> frozenset[str]:
    return frozenset(t for t, s in COMMAND_SPECS.items() if role in s.roles)


def _party_commands(party: str) -> frozenset[str]:
    return frozenset(t for t, s in COMMAND_SPECS.items() if party in s.parties)


HANDLER_COMMANDS: Final = _commands("handler")
"""Derived from the command specs: what a handler may run."""
SUPERVISOR_COMMANDS: Final = HANDLER_COMMANDS | _commands("supervisor")
"""A supervisor may do all a handler may, and more."""
COMPLAINANT_COMMANDS: Final = _party_commands("complainant")
RESPONDENT_COMMANDS: Final = _party_commands("respondent")


def _granted(command: str) -> frozenset[str]:
    roles = {"system", "importer"}
    if command in SUPERVISOR_COMMANDS:
        roles.add("supervisor")
    if command in HANDLER_COMMANDS:
        roles.add("handler")
    return frozenset(roles)


GRANTED: Final = {t: _granted(t) for t in COMMAND_SPECS}
"""The roles the role table lets run each command whatever the complaint:
an actor with one of them passes :func:`static_denial` and
:func:`contextual_denial` without asking either."""


def is_complainant(actor: Actor, complaint: Complaint) -> bool:
    return actor.has("complainant") and actor.id == complaint.complainant.id


def is_respondent(actor: Actor, complaint: Complaint) -> bool:
    return (
        actor.has("respondent")
        and complaint.respondent is not None
        and actor.id == complaint.respondent.id
    )


def roles_needed(command: str) -> frozenset[str]:
    """The roles that may run ``command`` (``system`` always may)."""
    spec = COMMAND_SPECS.get(command)
    if spec is None:
        return frozenset({"system"})
    staff = {"supervisor"} | ({"handler"} if "handler" in spec.roles else set())
    return frozenset(staff | set(spec.parties))


def static_denial(actor: Actor, command: str, complaint: Complaint) -> PermissionDenied | None:
    """Why the role table denies ``command`` to ``actor`` on any status of
    this complaint, or ``None`` when some role of the actor may run it."""
    if actor.has("system", "importer"):
        return None
    if actor.has("supervisor") and command in SUPERVISOR_COMMANDS:
        return None
    if actor.has("handler") and command in HANDLER_COMMANDS:
        return None
    if command in COMPLAINANT_COMMANDS and is_complainant(actor, complaint):
        return None
    if command in RESPONDENT_COMMANDS and is_respondent(actor, complaint):
        return None
    roles = ", ".join(sorted(actor.roles)) or "no roles"
    needed = roles_needed(command)
    return PermissionDenied(
        f"actor {actor.id!r} ({roles}) may not {command} complaint {complaint.id!r}; "
        f"roles that may: {', '.join(sorted(needed))}",
        command=command,
        actor=actor.id,
        role_needed=needed,
    )


def contextual_denial(
    actor: Actor, command: str, complaint: Complaint, at: datetime, ctx: SpecContext
) -> PermissionDenied | None:
    """Conditions of the role table that depend on the complaint's state
    (the spec's ``condition``): only the party asked may answer; a
    complainant reopens only within the window and only when not satisfied."""
    if actor.has("system", "importer", "supervisor"):
        return None
    spec = COMMAND_SPECS.get(command)
    if spec is None or spec.condition is None:
        return None
    if actor.has(*spec.roles):
        return None
    why = spec.condition(actor, complaint, at, ctx)
    if why is None:
        return None
    return PermissionDenied(
        why, command=command, actor=actor.id, role_needed=frozenset({"supervisor"})
    )


def view_denial(actor: Actor, complaint: Complaint) -> str | None:
    """Who may see a complaint at all."""
    if actor.has("system", "importer", "supervisor", "handler"):
        return None
    if is_complainant(actor, complaint) or is_respondent(actor, complaint):
        return None
    return f"actor {actor.id!r} may not view complaint {complaint.id!r}"


def _hide(party: Party) -> Party:
    return fast_copy(
        party,
        name=None if party.name is None else REDACTED,
        contact=None if party.contact is None else REDACTED,
    )


HIDDEN_FROM_PARTIES: Final[dict[str, object]] = {
    "handler": None,
    "escalations": 0,
    "step_data": {},
    "flags": (),
    "classification": None,
    "sla": None,
    "fingerprint": (),
}
"""Fields neither party sees, with the value a view shows instead: who
handles it, escalations, the handler's step notes, the screening flags
(reasons and related complaints), the classification's workings and the
SLA clocks. The table in docs/visibility.md is the contract."""

HIDDEN_FROM_RESPONDENT: Final[dict[str, object]] = {"satisfied": None, "rejection": None}
"""Fields only the complainant of the two parties sees: their satisfaction
with the outcome and why their complaint was rejected."""


def redact_for(actor: Actor, complaint: Complaint) -> Complaint:
    """The complaint as ``actor`` may see it (guide §3.1 保密性): staff see
    everything; a party sees its own personal data, not the other's (the
    respondent never sees the complainant's name or contact; the
    complainant not the respondent's contact), and neither sees the
    platform's internal data (:data:`HIDDEN_FROM_PARTIES`, the decision's
    author); the respondent sees less still (:data:`HIDDEN_FROM_RESPONDENT`).
    The table in docs/visibility.md says which role sees which field."""
    if actor.has("system", "importer", "supervisor", "handler"):
        return complaint
    update: dict[str, object] = dict(HIDDEN_FROM_PARTIES)
    if not is_complainant(actor, complaint):
        update["complainant"] = _hide(complaint.complainant)
        update.update(HIDDEN_FROM_RESPONDENT)
    if complaint.respondent is not None and not is_respondent(actor, complaint):
        r = complaint.respondent
        update["respondent"] = fast_copy(r, contact=None if r.contact is None else REDACTED)
    if complaint.decision is not None:
        update["decision"] = fast_copy(complaint.decision, decided_by=REDACTED)
    return fast_copy(complaint, **update)
