"""Deciding a command: authorise it, check the state machine and the guard,
and build its event. Pure: reads the complaint and the engine's
configuration, writes nothing (the engine saves what this returns)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

import pluggy

from complaintflow import _permissions as perm
from complaintflow._base import as_model, fast_from_dict
from complaintflow._outbox import notification
from complaintflow._roles import check_roles, known_roles
from complaintflow._specs import COMMAND_SPECS
from complaintflow.categories import Category, CategoryRegistry
from complaintflow.commands import Command
from complaintflow.errors import InvalidTransition, PermissionDenied
from complaintflow.models import Actor, Complaint, Event, Notification
from complaintflow.states import allowed_commands, target_status

_MAY_SUBMIT_FOR_OTHERS: Final = frozenset({"handler", "supervisor", "system", "importer"})


class Decider:
    """Authorisation, state machine and guards for one engine; also the
    :class:`~complaintflow._specs.SpecContext` the guards read."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        categories: CategoryRegistry,
        exists: Callable[[str], bool],
        reopen_window: timedelta,
    ) -> None:
        self._hook = pm.hook.complaintflow_authorize
        self._has_authorizers = bool(self._hook.get_hookimpls())
        self._categories = categories
        self._exists = exists
        self.reopen_window = reopen_window
        self.roles = known_roles(pm.hook.complaintflow_roles())
        """The built-in roles and those plugins declare."""

    def actor(self, value: object, field: str = "actor") -> Actor:
        """``value`` as an :class:`Actor` whose roles are all known."""
        if type(value) is Actor and value.roles <= self.roles:
            return value  # the common case, checked by a subset test
        return check_roles(as_model(Actor, value, field), self.roles, field=f"{field}.roles")

    # -- SpecContext ------------------------------------------------------------

    def category(self, category_id: str) -> Category:
        return self._categories.require(category_id)

    def missing_steps(self, complaint: Complaint) -> list[str]:
        c = complaint
        if c.category is None or c.category not in self._categories:
            return []
        required = self._categories[c.category].required_steps
        return sorted(required - set(c.steps_done))

    def exists(self, complaint_id: str) -> bool:
        return self._exists(complaint_id)

    # -- authorisation ------------------------------------------------------------

    def verdict(self, actor: Actor, command: str, c: Complaint) -> bool | None:
        """The plugins' say: ``False`` denies, ``True`` allows, ``None`` defers."""
        if not self._has_authorizers:
            return None
        answers = self._hook(actor=actor, command=command, complaint=c)
        if any(a is False for a in answers):
            return False
        if any(a is True for a in answers):
            return True
        return None

    def view(self, actor: Actor, c: Complaint) -> Complaint:
        """``c`` as ``actor`` may see it (guide §3.1 confidentiality), or
        :class:`PermissionDenied`."""
        verdict = self.verdict(actor, "view", c)
        why = perm.view_denial(actor, c)
        if verdict is False or (verdict is None and why is not None):
            raise PermissionDenied(
                why or f"a plugin denied {actor.id!r} the view", command="view", actor=actor.id
            )
        return perm.redact_for(actor, c)

    def may_submit(self, actor: Actor, draft: Complaint) -> None:
        """Raise :class:`PermissionDenied` unless ``actor`` may submit ``draft``:
        the complainant themself, staff, or a trusted role."""
        verdict = self.verdict(actor, "submit", draft)
        roles = actor.roles
        own = "complainant" in roles and actor.id == draft.complainant.id
        staff = not roles.isdisjoint(_MAY_SUBMIT_FOR_OTHERS)
        if verdict is False or (verdict is None and not (own or staff)):
            raise PermissionDenied(
                f"actor {actor.id!r} may not submit a complaint for {draft.complainant.id!r}",
                command="submit",
                actor=actor.id,
                role_needed=frozenset({"complainant", "handler", "supervisor", "system"}),
            )

    @staticmethod
    def _plugin_denied(actor: Actor, kind: str, c: Complaint) -> PermissionDenied:
        return PermissionDenied(
            f"a plugin denied {actor.id!r} to {kind} complaint {c.id!r}",
            command=kind,
            actor=actor.id,
        )

    def denial(
        self, actor: Actor, kind: str, c: Complaint, at: datetime, *, static_only: bool = False
    ) -> PermissionDenied | None:
        """Why ``actor`` may not run ``kind`` now, or ``None``."""
        verdict = self.verdict(actor, kind, c)
        if verdict is False:
            return self._plugin_denied(actor, kind, c)
        if verdict is True:
            return None
        denied = perm.static_denial(actor, kind, c)
        if denied is not None or static_only:
            return denied
        return perm.contextual_denial(actor, kind, c, at, self)

    def allowed(self, actor: Actor, c: Complaint, at: datetime) -> list[str]:
        """The commands ``actor`` may run now (see :meth:`Engine.allowed`)."""
        return [
            kind
            for kind in sorted(allowed_commands(c.status))
            if self.denial(actor, kind, c, at) is None
            and not (kind == "decide" and self.missing_steps(c))
        ]

    # -- deciding ---------------------------------------------------------------------

    def event(
        self, c: Complaint, cmd: Command, at: datetime, basis: str, recorded_at: datetime
    ) -> Event:
        """The event ``cmd`` appends to ``c``; raises :class:`PermissionDenied`,
        :class:`InvalidTransition`, :class:`GuardFailed` or
        :class:`InvalidInput`, changing nothing."""
        kind = cmd.type
        verdict = self.verdict(cmd.actor, kind, c) if self._has_authorizers else None
        if verdict is False:
            raise self._plugin_denied(cmd.actor, kind, c)
        if verdict is None and not cmd.actor.roles.isdisjoint(perm.GRANTED.get(kind, ())):
            verdict = True  # the role table grants it on any complaint
        if verdict is None and (denied := perm.static_denial(cmd.actor, kind, c)) is not None:
            raise denied
        if kind not in allowed_commands(c.status):
            raise InvalidTransition(
                f"cannot {kind} complaint {c.id!r}: it is {c.status.value}; "
                f"allowed now: {', '.join(sorted(allowed_commands(c.status))) or 'nothing'}",
                command=kind,
                status=c.status.value,
            )
        if (
            verdict is None
            and (denied := perm.contextual_denial(cmd.actor, kind, c, at, self)) is not None
        ):
            raise denied
        spec = COMMAND_SPECS[kind]
        data = spec.guard(cmd, c, at, self)
        dest = target_status(kind, c.status, c.prior_status)
        return fast_from_dict(
            Event,
            {
                "complaint_id": c.id,
                "seq": c.version + 1,
                "type": kind,
                "at": at,
                "actor": cmd.actor.id,
                "from_status": c.status,
                "to_status": c.status if dest is None else dest,
                "cycle": c.cycle + 1 if spec.new_cycle else c.cycle,
                "data": data,
                "recorded_at": recorded_at,
                "time_basis": basis,
            },
        )


def notifications(c: Complaint, event: Event) -> list[Notification]:
    """The notifications the event's command queues (its spec's notices)."""
    spec = COMMAND_SPECS.get(event.type)
    if spec is None:
        return []
    out = []
    for n in spec.notices(c, event):
        party = c.complainant if n.role == "complainant" else c.respondent
        if party is not None:
            out.append(notification(c, event.seq, n.kind, party.id, n.role, event.at, n.data))
    return out
