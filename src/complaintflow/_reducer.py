"""Applying an event to a complaint: the only way a complaint changes.

Each command's own change is its spec's ``apply`` (:mod:`complaintflow._specs`).

Pure and deterministic, reading only the event: folding it over a complaint's
audit trail rebuilds the complaint (the trail is the source of truth)."""

from __future__ import annotations

from typing import Any

from complaintflow._base import compact, fast_copy
from complaintflow._specs import COMMAND_SPECS
from complaintflow.errors import InvalidInput
from complaintflow.models import Complaint, Event


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
    spec = COMMAND_SPECS.get(event.type)
    if spec is not None:  # SLA events change nothing but the version
        update.update(spec.apply(complaint, event))
    return fast_copy(complaint, **update)
