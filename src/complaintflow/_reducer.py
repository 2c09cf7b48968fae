"""Applying an event to a complaint: the only way a complaint changes.

Each command's own change is its spec's ``apply`` (:mod:`complaintflow._specs`).

Pure and deterministic, reading only the event: folding it over a complaint's
audit trail rebuilds the complaint (the trail is the source of truth)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, Protocol

from pydantic import BaseModel, ConfigDict

from complaintflow._base import (
    M,
    all_fields,
    compact,
    declared,
    fast_copy,
    fast_from_dict,
    validate,
)
from complaintflow._sla_state import SlaState
from complaintflow._specs import COMMAND_SPECS
from complaintflow.errors import ComplaintFlowError, InvalidInput
from complaintflow.models import Classification, Complaint, Event, Flag, Party
from complaintflow.sla import SlaPolicy

_MALFORMED: Final = (KeyError, TypeError, ValueError, AttributeError, IndexError)


class _Alert(BaseModel):
    """The data the SLA tracker reads from an ``sla_warning``/``sla_breach``."""

    model_config = ConfigDict(extra="allow")
    key: str
    target: str


class _Change(BaseModel):
    model_config = ConfigDict(extra="allow")
    target: str
    cycle: int
    old: datetime | None = None


class _CalendarChanged(BaseModel):
    """The data the SLA tracker reads from a ``calendar_changed`` event."""

    model_config = ConfigDict(extra="allow")
    changes: list[_Change] = []


class _Extension(BaseModel):
    """An event's ``sla_extension``: which target grows and by how much."""

    model_config = ConfigDict(extra="allow")
    target: str
    amount: float


_SLA_PAYLOADS: Final[dict[str, type[BaseModel]]] = {
    "sla_warning": _Alert,
    "sla_breach": _Alert,
    "calendar_changed": _CalendarChanged,
}


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
        model = spec.payload if spec is not None else _SLA_PAYLOADS.get(event.type)
        if event.type in ("submit", "policy_changed"):
            _check_submit(event, f"events[{i}].data")
        elif model is not None:
            _check_payload(model, event, f"events[{i}].data")
        ext = event.data.get("sla_extension")
        if ext is not None:
            field = f"events[{i}].data.sla_extension"
            if not isinstance(ext, dict):
                raise InvalidInput.field(field, "must be a mapping")
            _strictly(_Extension, ext, field)
        out.append(event)
    return out


def _check_payload(model: type[BaseModel], event: Event, field: str) -> None:
    """The event's data valid for ``model``, with every field of its command
    present (the engine writes them all; the reducer reads them)."""
    spec = COMMAND_SPECS.get(event.type)
    own = set() if spec is None else set(spec.model.model_fields) - {"actor", "at", "type"}
    missing = sorted(own - set(event.data))
    if missing:
        raise InvalidInput.field(f"{field}.{missing[0]}", f"missing from the {event.type} event")
    _strictly(model, event.data, field)


def _strictly(model: type[BaseModel], data: Any, field: str) -> None:
    """``data`` valid for ``model`` without the lax conversions a reducer
    would trip on (a number for a date, a string for a number or a flag)."""
    parsed = validate(model, data, field)
    for name in model.model_fields:
        raw, value = data.get(name), getattr(parsed, name)
        if raw is not None and not _same_kind(raw, value):
            raise InvalidInput.field(f"{field}.{name}", f"must be {_KIND_NAMES[type(value)]}")


_KIND_NAMES: Final = defaultdict(
    lambda: "of another type",
    {datetime: "an ISO datetime", bool: "true or false", int: "a number", float: "a number"},
)
_KIND_NAMES[str] = "a string"


def _same_kind(raw: object, value: object) -> bool:
    if isinstance(value, datetime):
        return isinstance(raw, str | datetime)
    if isinstance(value, bool) or isinstance(raw, bool):
        return type(raw) is type(value)
    if isinstance(value, int | float):
        return isinstance(raw, int | float)
    if isinstance(value, str):
        return isinstance(raw, str)
    return True  # containers are checked by the model's validation


def _check_submit(event: Event, field: str) -> None:
    """A submit's complaint and policy; a policy change's policy."""
    d = event.data
    if event.type == "submit" and not isinstance(d.get("complaint"), dict):
        raise InvalidInput.field(f"{field}.complaint", "missing or not a mapping")
    policy = d.get("policy")
    try:
        SlaPolicy.from_data(policy)  # type: ignore[arg-type]
    except ComplaintFlowError as e:
        raise InvalidInput.field(f"{field}.policy", str(e)) from None
    except _MALFORMED:
        raise InvalidInput.field(f"{field}.policy", "not an SLA policy's data") from None


def apply_event(complaint: Complaint | None, event: Event) -> Complaint:
    """The complaint after ``event`` (``complaint`` is ``None`` for ``submit``).
    Events from outside the engine are checked first (:func:`check_events`)."""
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
        return _shared(created)
    return fast_copy(complaint, **_update(complaint, event))


def _shared(created: Complaint) -> Complaint:
    """A new complaint, seen by no one yet, sharing what it can with others:
    the respondent, the tuple of personal fields, the fields-set."""
    if created.respondent is not None:
        created.__dict__["respondent"] = _respondent(created.respondent)
    if created.personal:
        created.__dict__["personal"] = _personal(created.personal)
    return compact(created)


def submitted(facts: Complaint, event: Event, sla: SlaState | None = None) -> Complaint:
    """What :func:`apply_event` gives for the ``submit`` event the engine
    made of ``facts`` (``event.data["complaint"]`` is their dump), without
    validating again what ``facts`` hold already; with ``sla`` as its SLA
    state when given. The caller's party objects are left as they are."""
    values = facts.__dict__.copy()
    if sla is not None:
        values["sla"] = sla
    values["status"] = event.to_status
    values["version"] = event.seq
    values["updated_at"] = event.at
    values["complainant"] = _own(facts.complainant, Party)
    if facts.flags:
        values["flags"] = tuple(_own(f, Flag) for f in facts.flags)
    if facts.classification is not None:
        values["classification"] = _own(facts.classification, Classification)
    return _shared(fast_from_dict(Complaint, values))


def _own(model: M, cls: type[M]) -> M:
    """``model`` as its dump validated as ``cls`` gives it back: a ``cls``
    (not a subclass) counting every field as set; a copy unless it is one."""
    if type(model) is cls and model.__pydantic_fields_set__ is all_fields(cls):
        return model
    return fast_from_dict(cls, declared(model, cls))


_RESPONDENTS: Final[dict[tuple[str, str, str | None, str | None], Party]] = {}
_PERSONAL: Final[dict[tuple[str, ...], tuple[str, ...]]] = {}


def _personal(fields: tuple[str, ...]) -> tuple[str, ...]:
    """One tuple for every complaint with the same personal fields
    (``Complaint.personal``: a few combinations of a few names)."""
    hit = _PERSONAL.get(fields)
    if hit is not None:
        return hit
    if len(_PERSONAL) >= 256:
        _PERSONAL.clear()
    _PERSONAL[fields] = fields
    return fields


def _respondent(p: Party) -> Party:
    """One frozen, plain :class:`Party` for a respondent's every complaint
    with the same details (merchants are the respondents of many): the
    first one seen, as :func:`_own` gives it."""
    key = (p.id, p.kind, p.name, p.contact)
    hit = _RESPONDENTS.get(key)
    if hit is not None:
        return hit
    if len(_RESPONDENTS) >= 256:
        _RESPONDENTS.clear()
    shared = _RESPONDENTS[key] = _own(p, Party)
    return shared


def _update(complaint: Complaint, event: Event) -> dict[str, Any]:
    update: dict[str, Any] = {
        "status": event.to_status,
        "version": event.seq,
        "updated_at": event.at,
    }
    spec = COMMAND_SPECS.get(event.type)
    if spec is not None:  # SLA events change nothing but the version
        update.update(spec.apply(complaint, event))
    return update


class Tracker(Protocol):
    """What :func:`apply_tracked` needs of the SLA tracker."""

    def on_event(self, before: Complaint | None, after: Complaint, event: Event) -> Complaint:
        """``after`` with its SLA state brought up to ``event``."""
        ...  # pragma: no cover

    def state_after(self, before: Complaint | None, cycle: int, event: Event) -> SlaState | None:
        """The SLA state after ``event`` (not a submit); ``None``: unchanged."""
        ...  # pragma: no cover

    def submit_state(self, event: Event) -> SlaState:
        """The SLA state after a ``submit`` event."""
        ...  # pragma: no cover


def submit_tracked(facts: Complaint, event: Event, tracker: Tracker) -> Complaint:
    """:func:`apply_tracked` of the ``submit`` event made of ``facts`` (see
    :func:`submitted`)."""
    return submitted(facts, event, tracker.submit_state(event))


def apply_tracked(complaint: Complaint | None, event: Event, tracker: Tracker) -> Complaint:
    """:func:`apply_event`, then ``tracker``'s SLA update, copying the
    complaint once."""
    if complaint is None:
        return tracker.on_event(None, apply_event(None, event), event)
    values = complaint.__dict__.copy()
    values.update(_update(complaint, event))
    state = tracker.state_after(complaint, values["cycle"], event)
    if state is not None:
        values["sla"] = state
    return fast_from_dict(type(complaint), values)
