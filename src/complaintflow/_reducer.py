"""Applying an event to a complaint: the only way a complaint changes.

Each command's own change is its spec's ``apply`` (:mod:`complaintflow._specs`).

Pure and deterministic, reading only the event: folding it over a complaint's
audit trail rebuilds the complaint (the trail is the source of truth)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from complaintflow._base import compact, fast_copy, validate
from complaintflow._specs import COMMAND_SPECS
from complaintflow.errors import ComplaintFlowError, InvalidInput
from complaintflow.models import Complaint, Event
from complaintflow.sla import SlaPolicy

_MALFORMED: Final = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def apply_event(complaint: Complaint | None, event: Event) -> Complaint:
    """The complaint after ``event`` (``complaint`` is ``None`` for ``submit``).
    A malformed event (one a host built or edited, e.g. for a replay) is an
    :class:`InvalidInput` naming what is wrong with its data."""
    if not isinstance(event, Event):
        raise InvalidInput.field("events", f"must be Event objects, not {type(event).__name__}")
    try:
        return _apply(complaint, event)
    except InvalidInput:
        raise
    except _MALFORMED as e:
        raise malformed(event, e) from None


def check_events(events: object) -> list[Event]:
    """``events`` for a replay, each checked: an :class:`Event`, and its data
    valid for its command's typed payload (``spec.payload``); a submit's
    data holds the complaint and the SLA policy. Else InvalidInput naming
    the event and the field."""
    if isinstance(events, str | bytes | dict) or not isinstance(events, Sequence):
        raise InvalidInput.field("events", f"must be a list of events, not {type(events).__name__}")
    out: list[Event] = []
    for i, event in enumerate(events):
        if not isinstance(event, Event):
            raise InvalidInput.field(
                f"events[{i}]", f"must be an Event, not {type(event).__name__}"
            )
        spec = COMMAND_SPECS.get(event.type)
        if event.type == "submit":
            _check_submit(event, f"events[{i}].data")
        elif spec is not None:
            validate(spec.payload, event.data, f"events[{i}].data")
        out.append(event)
    return out


def _check_submit(event: Event, field: str) -> None:
    d = event.data
    if not isinstance(d.get("complaint"), dict):
        raise InvalidInput.field(f"{field}.complaint", "missing or not a mapping")
    policy = d.get("policy")
    try:
        SlaPolicy.from_data(policy)  # type: ignore[arg-type]
    except ComplaintFlowError as e:
        raise InvalidInput.field(f"{field}.policy", str(e)) from None
    except _MALFORMED:
        raise InvalidInput.field(f"{field}.policy", "not an SLA policy's data") from None


def malformed(event: Event, error: Exception) -> InvalidInput:
    """The error for an event whose data its command's spec cannot apply:
    the fields its typed payload (``spec.payload``) finds wrong, else the
    kind of the failure (never the data itself)."""
    field = f"events[{event.seq}].data"
    spec = COMMAND_SPECS.get(event.type)
    if spec is not None and event.type != "submit":
        try:
            validate(spec.payload, event.data, field)
        except InvalidInput as e:
            return e
    if isinstance(error, KeyError):
        return InvalidInput.field(field, f"{event.type} event lacks {error.args[0]!r}")
    return InvalidInput.field(field, f"malformed {event.type} event ({type(error).__name__})")


def _apply(complaint: Complaint | None, event: Event) -> Complaint:
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
