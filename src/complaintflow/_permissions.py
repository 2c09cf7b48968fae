"""The built-in role table (deny by default) and confidentiality rules."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from complaintflow._base import REDACTED
from complaintflow.models import Actor, Complaint, Party

HANDLER_COMMANDS: Final = frozenset(
    {
        "acknowledge",
        "classify",
        "record_step",
        "request_info",
        "provide_info",
        "decide",
        "execute",
        "follow_up",
        "reject",
        "withdraw",
        "assign",
        "escalate",
        "note",
    }
)
SUPERVISOR_COMMANDS: Final = HANDLER_COMMANDS | {"reopen"}
COMPLAINANT_COMMANDS: Final = frozenset({"withdraw", "provide_info", "reopen"})
RESPONDENT_COMMANDS: Final = frozenset({"provide_info"})


def is_complainant(actor: Actor, complaint: Complaint) -> bool:
    return actor.has("complainant") and actor.id == complaint.complainant.id


def is_respondent(actor: Actor, complaint: Complaint) -> bool:
    return (
        actor.has("respondent")
        and complaint.respondent is not None
        and actor.id == complaint.respondent.id
    )


def static_denial(actor: Actor, command: str, complaint: Complaint) -> str | None:
    """Why the role table denies ``command`` to ``actor`` on any status of
    this complaint, or ``None`` when some role of the actor may run it."""
    if actor.has("system"):
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
    return f"actor {actor.id!r} ({roles}) may not {command} complaint {complaint.id!r}"


def contextual_denial(
    actor: Actor, command: str, complaint: Complaint, at: datetime, reopen_window: timedelta
) -> str | None:
    """Conditions of the role table that depend on the complaint's state:
    only the party asked may answer; a complainant reopens only within the
    window and only when not satisfied."""
    if actor.has("system", "supervisor"):
        return None
    staff = actor.has("handler")
    if command == "provide_info" and not staff:
        asked = complaint.info_requested_from
        if asked == "complainant" and is_complainant(actor, complaint):
            return None
        if asked == "respondent" and is_respondent(actor, complaint):
            return None
        return f"actor {actor.id!r} was not asked for information (the {asked} was)"
    if command == "reopen":
        if complaint.satisfied:
            return "the complainant said they were satisfied: only a supervisor may reopen"
        closed = complaint.closed_at
        if closed is not None and at - closed > reopen_window:
            return (
                f"closed on {closed.isoformat()}, more than {reopen_window.days} days ago: "
                "only a supervisor may reopen"
            )
    return None


def view_denial(actor: Actor, complaint: Complaint) -> str | None:
    """Who may see a complaint at all."""
    if actor.has("system", "supervisor", "handler"):
        return None
    if is_complainant(actor, complaint) or is_respondent(actor, complaint):
        return None
    return f"actor {actor.id!r} may not view complaint {complaint.id!r}"


def _hide(party: Party) -> Party:
    return party.model_copy(
        update={
            "name": None if party.name is None else REDACTED,
            "contact": None if party.contact is None else REDACTED,
        }
    )


def redact_for(actor: Actor, complaint: Complaint) -> Complaint:
    """The complaint as ``actor`` may see it (guide §3.1 保密性): the
    respondent never sees the complainant's name or contact; the complainant
    does not see the respondent's contact. Staff see everything."""
    if actor.has("system", "supervisor", "handler"):
        return complaint
    update: dict[str, object] = {}
    if not is_complainant(actor, complaint):
        update["complainant"] = _hide(complaint.complainant)
    if complaint.respondent is not None and not is_respondent(actor, complaint):
        r = complaint.respondent
        update["respondent"] = r.model_copy(
            update={"contact": None if r.contact is None else REDACTED}
        )
    return complaint.model_copy(update=update) if update else complaint
