"""Applying an event to a complaint: the only way a complaint changes.

Pure and deterministic, reading only the event: folding it over a complaint's
audit trail rebuilds the complaint (the trail is the source of truth)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from complaintflow._base import compact, fast_copy
from complaintflow.errors import InvalidInput
from complaintflow.models import Complaint, Decision, Event


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def apply_event(complaint: Complaint | None, event: Event) -> Complaint:
    """The complaint after ``event`` (``complaint`` is ``None`` for ``submit``)."""
    d = event.data
    if complaint is None:
        if event.type != "submit":
            raise InvalidInput.field(
                "events", f"the first event must be 'submit', not {event.type!r}"
            )
        created = Complaint.model_validate(
            {
                **d["complaint"],
                "status": event.to_status,
                "version": event.seq,
                "updated_at": event.at,
            }
        )
        compact(created.complainant)
        if created.respondent is not None:
            compact(created.respondent)
        return compact(created)
    update: dict[str, Any] = {
        "status": event.to_status,
        "version": event.seq,
        "updated_at": event.at,
    }
    t = event.type
    if t == "classify":
        update["category"] = d["category"]
        if "steps_done" in d:
            update["steps_done"] = tuple(d["steps_done"])
            update["step_data"] = {
                k: v for k, v in complaint.step_data.items() if k in d["steps_done"]
            }
    elif t == "record_step":
        step = d["step"]
        if step not in complaint.steps_done:
            update["steps_done"] = (*complaint.steps_done, step)
        update["step_data"] = {**complaint.step_data, step: dict(d.get("data", {}))}
    elif t == "request_info":
        update["prior_status"] = event.from_status
        update["info_requested_from"] = d["party"]
    elif t == "provide_info":
        update["prior_status"] = None
        update["info_requested_from"] = None
    elif t == "decide":
        update["decision"] = Decision(
            outcome=d["outcome"],
            basis=d["basis"],
            remedy=d.get("remedy"),
            decided_at=event.at,
            effective_at=_dt(d["effective_at"]),
            decided_by=event.actor,
        )
    elif t == "follow_up":
        update["closed_at"] = event.at
        update["satisfied"] = d["satisfied"]
    elif t == "reject":
        update["rejection"] = {k: v for k, v in d.items() if v is not None}
    elif t == "withdraw":
        update["prior_status"] = None
        update["info_requested_from"] = None
    elif t == "reopen":
        update.update(
            cycle=complaint.cycle + 1,
            steps_done=(),
            step_data={},
            decision=None,
            closed_at=None,
            satisfied=None,
        )
    elif t == "assign":
        update["handler"] = d["handler"]
    elif t == "escalate":
        update["escalations"] = complaint.escalations + 1
    return fast_copy(complaint, **update)
