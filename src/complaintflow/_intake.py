"""Receiving a complaint (guide §2, §3.2 step 1) and choosing its SLA policy:
the draft, classification, screening and the ``submit`` event."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Final

import pluggy

from complaintflow._base import as_model, declared, fast_from_dict, fast_new, validate, validated
from complaintflow._builtins import BuiltinRules
from complaintflow._fingerprint import fingerprint
from complaintflow._outbox import notification
from complaintflow._status import Status
from complaintflow.categories import CategoryRegistry
from complaintflow.errors import InvalidInput, PluginError
from complaintflow.models import (
    Classification,
    Complaint,
    Event,
    Flag,
    NewComplaint,
    Notification,
    Party,
)
from complaintflow.rules import RuleSet
from complaintflow.rules import screen as builtin_screens
from complaintflow.rules._screening import WARNING
from complaintflow.sla import SlaPolicy
from complaintflow.stores._index import text_of

_SUBMIT_FIELDS: Final = frozenset(
    {
        "id",
        "channel",
        "category",
        "complainant",
        "respondent",
        "subject",
        "description",
        "evidence",
        "order_id",
        "received_at",
        "flags",
        "classification",
        "personal",
        "fingerprint",
    }
)


_ZERO: Final = timedelta(0)
_DRAFT_SET: Final = set(NewComplaint.model_fields) | {"status", "version", "updated_at"}
"""The fields a draft counts as set (pydantic copies the set before adding to it)."""
_setattr: Final = object.__setattr__
_TEMPLATE: Final = {
    name: None if f.is_required() or f.default_factory is not None else f.default
    for name, f in Complaint.model_fields.items()
}
"""Every field of a complaint, in the model's order, with its default."""
_FACTORIES: Final = {
    name: f.default_factory
    for name, f in Complaint.model_fields.items()
    if f.default_factory is not None
}


def new_complaint(value: object) -> NewComplaint:
    """``value`` (a :class:`NewComplaint` or a dict) as a new complaint that
    pydantic's validation made, its parties too: a dict is validated; an
    instance is taken as it is when validation made it and its parties
    (plain :class:`Party` objects), else its fields are validated again,
    each party from its fields (one built with ``model_construct``, changed
    with ``model_copy(update=...)``, a subclass), :class:`InvalidInput`
    naming the field."""
    new = as_model(NewComplaint, value, "complaint")
    d = new.__dict__
    complainant, respondent = d.get("complainant"), d.get("respondent")
    if (
        type(new) is NewComplaint
        and validated(new)
        and type(complainant) is Party
        and validated(complainant)
        and (respondent is None or (type(respondent) is Party and validated(respondent)))
    ):
        return new
    given = {  # every field it holds (an extra one is refused), parties as their fields
        name: declared(p, Party) if isinstance(p, Party) else p for name, p in d.items()
    }
    return validate(NewComplaint, given)


def _flag(f: object) -> Flag:
    """A screen's flag, validated as a plain :class:`Flag` (the record keeps
    what replay gives), or :class:`PluginError`."""
    if not isinstance(f, Flag):
        raise PluginError(f"a complaintflow_screen hook returned {type(f).__name__}, not Flag")
    try:
        return validate(Flag, declared(f, Flag))
    except InvalidInput as e:
        raise PluginError(
            f"a complaintflow_screen hook returned a Flag that is not valid: {e}"
        ) from None


def _plain_time(t: datetime) -> datetime:
    """``t`` as a plain ``datetime`` with a fixed offset, as the submit
    event's JSON gives it back: the same instant in any zone, unambiguous
    in a repeated DST hour."""
    if type(t) is datetime and type(t.tzinfo) is timezone:
        return t
    u = t.astimezone(timezone(t.utcoffset() or _ZERO))
    return datetime(
        u.year, u.month, u.day, u.hour, u.minute, u.second, u.microsecond, tzinfo=u.tzinfo
    )


def _uuid4_hex() -> str:
    """``uuid.uuid4().hex``, without building a ``UUID``."""
    b = bytearray(os.urandom(16))
    b[6] = b[6] & 0x0F | 0x40  # version 4
    b[8] = b[8] & 0x3F | 0x80  # RFC 4122 variant
    return b.hex()


_dump_fields: Final = Complaint.__pydantic_serializer__.to_python


def _dump(c: Complaint) -> dict[str, Any]:
    """``c.model_dump(mode="json")`` of the fields a ``submit`` event keeps."""
    return _dump_fields(c, mode="json", include=_INCLUDE)  # type: ignore[no-any-return]


_INCLUDE: Final[set[str]] = set(_SUBMIT_FIELDS)  # pydantic's include: a set, never changed


class Policies:
    """The SLA policy of each complaint: a ``complaintflow_sla_policy`` hook,
    the category's overrides, or the engine's policy."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        categories: CategoryRegistry,
        policy: SlaPolicy,
        calendars: Mapping[str, str | None] | None = None,
    ) -> None:
        self._hook = pm.hook.complaintflow_sla_policy
        self._hooked = bool(self._hook.get_hookimpls())
        self._calendar_hook = pm.hook.complaintflow_calendar
        self._calendar_hooked = bool(self._calendar_hook.get_hookimpls())
        self._categories = categories
        self.policy = policy
        self.calendars: Mapping[str, str | None] = calendars or {}
        """Calendar names a complaint may count on (name -> itself; the
        default's name -> ``None``)."""

    def calendar_for(self, c: Complaint) -> str | None:
        """The calendar chosen for a new complaint (``None``: the default)."""
        name = self._calendar_hook(complaint=c) if self._calendar_hooked else None
        if name is None:
            return None
        if not isinstance(name, str) or name not in self.calendars:
            known = ", ".join(sorted(self.calendars)) or "only the default"
            raise PluginError(
                f"a complaintflow_calendar hook chose {name!r}, not a calendar of the engine "
                f"({known})"
            )
        return self.calendars[name]

    def for_complaint(self, c: Complaint) -> SlaPolicy:
        chosen = self._hook(complaint=c) if self._hooked else None
        if chosen is not None:
            if not isinstance(chosen, SlaPolicy):
                raise PluginError(
                    f"a complaintflow_sla_policy hook returned {type(chosen).__name__}, "
                    "not SlaPolicy"
                )
            return chosen
        category = None if c.category is None else self._categories.get(c.category)
        if category is not None and category.sla_overrides:
            return self.policy.with_durations(category.sla_overrides)
        return self.policy

    def change(self, before: Complaint, after: Complaint, event: Event) -> Event | None:
        """A ``policy_changed`` event when ``event`` changed the policy in
        force (a new category, or a hook's new answer)."""
        if after.sla is None or (after.category == before.category and not self._hooked):
            return None
        data = self.for_complaint(after).to_data()
        if data == after.sla.policy:
            return None
        return fast_new(
            Event,
            complaint_id=after.id,
            seq=after.version + 1,
            type="policy_changed",
            at=event.at,
            actor="system",
            from_status=after.status,
            to_status=after.status,
            cycle=after.cycle,
            data={"policy": data, "previous": after.sla.policy.get("name"), "cause": event.type},
            recorded_at=event.recorded_at,
            time_basis=event.time_basis,
        )


class Intake:
    """Drafts, classifies and screens new complaints for one engine."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        categories: CategoryRegistry,
        rules: RuleSet,
        policies: Policies,
    ) -> None:
        self._pm = pm
        self._categories = categories
        self.rules = rules
        self._policies = policies
        impls = pm.hook.complaintflow_screen.get_hookimpls()
        self._builtin_screen_only = len(impls) == 1 and type(impls[0].plugin) is BuiltinRules
        """The built-in screens are the only ones: called without the hook's
        dispatch (plugins are fixed when the engine is built)."""

    def draft(self, new: NewComplaint, received: datetime) -> Complaint:
        """The complaint as it would be, before classification and screening
        (``new`` as :func:`new_complaint` gives it)."""
        if new.category is not None:
            self._categories.require(new.category)
        # every field in the model's order: the defaults, then what was given
        # (a NewComplaint's fields, validated to the same types)
        values = {**_TEMPLATE, **new.__dict__}
        values["status"] = Status.received
        values["version"] = 0
        for name, make in _FACTORIES.items():
            values[name] = make()  # type: ignore[call-arg]
        values["id"] = new.id or _uuid4_hex()
        received = _plain_time(received)
        values["received_at"] = values["updated_at"] = received
        draft = fast_from_dict(Complaint, values)
        _setattr(draft, "__pydantic_fields_set__", _DRAFT_SET)
        values["fingerprint"] = fingerprint(text_of(draft))  # for the screens and the record
        return draft

    def classify(self, c: Complaint) -> Complaint:
        """``c`` with a category when it had none and one can be found."""
        if c.category is not None:
            return c
        chosen = self._pm.hook.complaintflow_classify(complaint=c)
        if chosen is not None:
            if chosen not in self._categories:
                raise PluginError(
                    f"a complaintflow_classify hook returned unknown category {chosen!r}"
                )
            found: Classification | None = Classification(
                category=chosen, score=1.0, source="plugin"
            )
        else:
            found = self.rules.classify(c).to_classification()
        c = c.model_copy(update={"classification": found})
        if found is not None and found.category is not None:
            c = c.model_copy(update={"category": found.category})
        return c

    def screen(self, c: Complaint, store: Any) -> Complaint:
        """``c`` with the flags of every screen (guide §2.3)."""
        if self._builtin_screen_only:
            flags = builtin_screens(c, store, self.rules)
        else:
            answers = self._pm.hook.complaintflow_screen(complaint=c, store=store, rules=self.rules)
            flags = [_flag(f) for answer in answers for f in answer or ()]
        return c.model_copy(update={"flags": tuple(flags)}) if flags else c

    def event(
        self,
        c: Complaint,
        actor: str,
        basis: str,
        recorded_at: datetime,
        facts: Complaint | None = None,
    ) -> Event:
        """The ``submit`` event: the complaint's facts (``facts``, without the
        personal fields, when given) and its SLA policy."""
        data: dict[str, Any] = {
            "complaint": _dump(facts or c),
            "policy": self._policies.for_complaint(c).to_data(),
        }
        calendar = self._policies.calendar_for(c)
        if calendar is not None:
            data["calendar"] = calendar
        return fast_from_dict(
            Event,
            {
                "complaint_id": c.id,
                "seq": 1,
                "type": "submit",
                "at": c.received_at,
                "actor": actor,
                "from_status": None,
                "to_status": Status.received,
                "cycle": 1,
                "data": data,
                "recorded_at": recorded_at,
                "time_basis": basis,
            },
        )

    @staticmethod
    def warnings(c: Complaint, event: Event) -> list[Notification]:
        """The complainant is warned before abuse is flagged (guide §2.3)."""
        if not c.flags:
            return []
        return [
            notification(
                c,
                event.seq,
                "screening_warning",
                c.complainant.id,
                "complainant",
                event.at,
                {"reason": f.reason},
            )
            for f in [f for f in c.flags if f.kind == WARNING][:1]
        ]
