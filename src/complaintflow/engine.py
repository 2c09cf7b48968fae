"""The engine: takes complaints and commands, checks them, applies them,
keeps the audit trail and queues notifications, all saved together."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import ValidationError

from complaintflow import _permissions as perm
from complaintflow._base import fast_copy, fast_new, invalid_input, utc
from complaintflow._metrics import Metrics, compute_metrics
from complaintflow._plugins import make_plugin_manager
from complaintflow._reducer import apply_event
from complaintflow.categories import BuiltinCategories, CategoryRegistry
from complaintflow.commands import (
    Classify,
    Command,
    Decide,
    RecordStep,
    Reject,
    RequestInfo,
    parse_command,
)
from complaintflow.errors import (
    GuardFailed,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    PluginError,
    StoreError,
)
from complaintflow.models import (
    Actor,
    Classification,
    Complaint,
    Event,
    Flag,
    NewComplaint,
    Notification,
)
from complaintflow.rules._ruleset import RuleSet
from complaintflow.rules._screening import WARNING, BuiltinRules
from complaintflow.sla import BusinessCalendar
from complaintflow.sla._policy import GUIDE_POLICY, SlaPolicy
from complaintflow.sla._state import SlaAlert, SlaReport
from complaintflow.sla._tracker import SlaTracker
from complaintflow.states import Status, allowed_commands, target_status
from complaintflow.stores import DEFAULT_LEASE, MemoryStore, Save, Store

__all__ = ["Engine"]

log = logging.getLogger("complaintflow")

BUILTIN_PLUGINS: Final[tuple[tuple[str, type], ...]] = (
    ("complaintflow.categories", BuiltinCategories),
    ("complaintflow.rules", BuiltinRules),
)
"""Built-in behaviour, registered through the same hooks as third-party plugins."""

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
    }
)


_NOT_DATA: Final = frozenset({"actor", "at", "type"})


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Engine:
    """Runs the guide's complaint process.

    >>> import complaintflow as cf
    >>> engine = cf.Engine()

    :param store: where complaints live; the ``complaintflow_store`` hook, then
        an in-memory store, when omitted.
    :param plugins: plugin objects or modules (see :mod:`complaintflow.hookspecs`).
    :param calendar: the business calendar for day-counted and business-hour
        deadlines; a Monday-to-Friday calendar in UTC without holidays when
        omitted (``BusinessCalendar.preset("CN")`` is mainland China's).
    :param policy: the SLA policy: :data:`GUIDE_POLICY` (guide §3.3) when omitted.
    :param clock: returns the current aware datetime; commands without ``at``
        happen at its time.
    :param load_entry_points: also load plugins of the entry-point group
        ``complaintflow``.
    :param reopen_window: how long after closing a complainant may reopen.
    """

    delivery_lease: timedelta = DEFAULT_LEASE
    """How long a notification being delivered is kept from other workers
    (see :meth:`Store.claim_notifications`)."""

    def __init__(
        self,
        *,
        store: Store | None = None,
        plugins: Iterable[object] = (),
        calendar: BusinessCalendar | None = None,
        policy: SlaPolicy | None = None,
        clock: Callable[[], datetime] | None = None,
        load_entry_points: bool = True,
        reopen_window: timedelta = timedelta(days=30),
        retry_backoff: timedelta = timedelta(seconds=30),
    ) -> None:
        self._pm = make_plugin_manager(
            plugins,
            load_entry_points=load_entry_points,
            builtins=[(name, cls()) for name, cls in BUILTIN_PLUGINS],
        )
        self.categories = CategoryRegistry()
        self._pm.hook.complaintflow_register_categories(register=self.categories.register)
        self.rules = self._rule_set()
        """The classification rules and screening settings in force (guide §2.3)."""
        if store is None:
            store = self._pm.hook.complaintflow_store()
        self.store: Store = store if store is not None else MemoryStore()
        self._clock = clock or _utcnow
        self.reopen_window = reopen_window
        self.retry_backoff = retry_backoff
        if calendar is None:
            calendar = BusinessCalendar("UTC")
        if not isinstance(calendar, BusinessCalendar):
            raise InvalidInput.field("calendar", "must be a BusinessCalendar")
        if policy is None:
            policy = GUIDE_POLICY
        if not isinstance(policy, SlaPolicy):
            raise InvalidInput.field("policy", "must be an SlaPolicy")
        self.calendar = calendar
        self.policy = policy
        self._sla = SlaTracker(calendar)
        hook = self._pm.hook
        self._has_authorizers = bool(hook.complaintflow_authorize.get_hookimpls())
        self._has_notifiers = bool(hook.complaintflow_notify.get_hookimpls())
        self._has_event_hooks = bool(hook.complaintflow_event.get_hookimpls())
        self._has_policy_hooks = bool(hook.complaintflow_sla_policy.get_hookimpls())

    # -- time ---------------------------------------------------------------

    def now(self) -> datetime:
        """The engine clock's time (aware)."""
        t = self._clock()
        if t.tzinfo is None or t.utcoffset() is None:
            raise InvalidInput.field("clock", "the engine's clock returned a naive datetime")
        return t

    # -- reading ------------------------------------------------------------

    def get(self, complaint_id: str) -> Complaint:
        """The complaint, or :class:`NotFound`."""
        c = self.store.load(complaint_id) if isinstance(complaint_id, str) else None
        if c is None:
            raise NotFound(f"no complaint {complaint_id!r}")
        return c

    def history(self, complaint_id: str) -> list[Event]:
        """The complaint's audit trail, oldest first."""
        self.get(complaint_id)
        return self.store.events(complaint_id)

    def replay(self, events: Sequence[Event]) -> Complaint:
        """Rebuild a complaint by applying its events in order."""
        complaint: Complaint | None = None
        for event in events:
            complaint = self._apply(complaint, event)
        if complaint is None:
            raise InvalidInput.field("events", "no events to replay")
        return complaint

    def view(self, complaint_id: str, *, actor: Actor) -> Complaint:
        """The complaint as ``actor`` may see it: personal data of the other
        party redacted (guide §3.1 confidentiality)."""
        actor = self._actor(actor)
        c = self.get(complaint_id)
        verdict = self._hook_verdict(actor, "view", c)
        if verdict is False or (verdict is None and perm.view_denial(actor, c) is not None):
            raise PermissionDenied(
                perm.view_denial(actor, c) or f"a plugin denied {actor.id!r} the view"
            )
        return perm.redact_for(actor, c)

    def allowed(self, complaint_id: str, *, actor: Actor) -> list[str]:
        """The commands ``actor`` may run on the complaint now, for UIs:
        permitted, allowed by the state machine, and not blocked by a
        precondition that no payload can meet (e.g. ``decide`` before the
        required procedure steps)."""
        actor = self._actor(actor)
        c = self.get(complaint_id)
        at = max(self.now(), c.updated_at, key=utc)
        out = []
        for kind in sorted(allowed_commands(c.status)):
            if self._denial(actor, kind, c, at) is not None:
                continue
            if kind == "decide" and self._missing_steps(c):
                continue
            out.append(kind)
        return out

    # -- writing ------------------------------------------------------------

    def submit(self, complaint: NewComplaint | dict[str, Any], *, actor: Actor) -> Complaint:
        """Receive a complaint (guide §2, §3.2 step 1): record it, classify it
        when it has no category, screen it, and start its SLA clocks."""
        new = self._new(complaint)
        actor = self._actor(actor)
        if new.category is not None:
            self.categories.require(new.category)
        received = new.received_at or self.now()
        cid = new.id or uuid.uuid4().hex
        draft = Complaint.model_validate(
            {
                **new.model_dump(),
                "id": cid,
                "received_at": received,
                "status": Status.received,
                "version": 0,
                "updated_at": received,
            }
        )
        verdict = self._hook_verdict(actor, "submit", draft)
        own = actor.has("complainant") and actor.id == new.complainant.id
        if verdict is False or (
            verdict is None and not (own or actor.has("handler", "supervisor", "system"))
        ):
            raise PermissionDenied(
                f"actor {actor.id!r} may not submit a complaint for {new.complainant.id!r}"
            )
        if draft.category is None:
            draft = draft.model_copy(update={"classification": self._classify(draft)})
            if draft.classification is not None and draft.classification.category is not None:
                draft = draft.model_copy(update={"category": draft.classification.category})
        flags = self._screen(draft)
        if flags:
            draft = draft.model_copy(update={"flags": tuple(flags)})
        warnings = [f for f in flags if f.kind == WARNING]
        data = {
            "complaint": draft.model_dump(mode="json", include=set(_SUBMIT_FIELDS)),
            "policy": self._policy_for(draft).to_data(),
        }
        event = Event(
            complaint_id=cid,
            seq=1,
            type="submit",
            at=received,
            actor=actor.id,
            from_status=None,
            to_status=Status.received,
            data=data,
        )
        created = self._apply(None, event)
        notes = self._leased(self._warnings(created, event, warnings), received)
        self.store.save(created, expected_version=0, events=[event], notifications=notes)
        self._after(event, created, notes)
        return created

    def handle(self, complaint_id: str, command: Command | dict[str, Any]) -> Complaint:
        """Apply one command to a complaint and return the complaint after it.

        Validates the command (:class:`InvalidInput`), the actor's permission
        (:class:`PermissionDenied`), the state machine
        (:class:`InvalidTransition`) and the guards (:class:`GuardFailed`);
        a failed command changes nothing."""
        cmd = parse_command(command)
        c = self.get(complaint_id)
        at = cmd.at or self.now()
        if utc(at) < utc(c.updated_at):
            raise InvalidInput.field(
                "at",
                f"{at.isoformat()} is before the complaint's last event "
                f"({c.updated_at.isoformat()})",
            )
        kind = cmd.type
        verdict = self._hook_verdict(cmd.actor, kind, c)
        static = self._static_denial(cmd.actor, kind, c, verdict)
        if static is not None:
            raise PermissionDenied(static)
        if kind not in allowed_commands(c.status):
            raise InvalidTransition(
                f"cannot {kind} complaint {c.id!r}: it is {c.status.value}; "
                f"allowed now: {', '.join(sorted(allowed_commands(c.status))) or 'nothing'}"
            )
        contextual = self._contextual_denial(cmd.actor, kind, c, at, verdict)
        if contextual is not None:
            raise PermissionDenied(contextual)
        data = self._guard_and_data(cmd, c, at)
        dest = target_status(kind, c.status, c.prior_status)
        event = fast_new(
            Event,
            complaint_id=c.id,
            seq=c.version + 1,
            type=kind,
            at=at,
            actor=cmd.actor.id,
            from_status=c.status,
            to_status=c.status if dest is None else dest,
            cycle=c.cycle + 1 if kind == "reopen" else c.cycle,
            data=data,
        )
        new = self._apply(c, event)
        events = [event]
        changed = self._policy_change(c, new, event)
        if changed is not None:
            events.append(changed)
            new = self._apply(new, changed)
        notes = self._leased(self._notifications(new, event), at)
        self.store.save(new, expected_version=c.version, events=events, notifications=notes)
        for e in events:
            self._after(e, new, notes if e is event else [])
        return new

    # -- SLA ----------------------------------------------------------------

    def sla(self, complaint_id: str, *, now: datetime | None = None) -> SlaReport:
        """Every SLA target of the complaint as of ``now`` (the clock's time
        when omitted): state, deadline, remaining time. ``report[name]`` is
        the current cycle's target; ``report.history`` has every cycle."""
        c = self.get(complaint_id)
        now = self._aware(now, "now") if now is not None else self.now()
        return SlaReport(c.id, c.cycle, self._sla.reports(c, now))

    def sweep(self, *, now: datetime | None = None, limit: int = 1000) -> list[SlaAlert]:
        """Find SLA warnings and breaches due by ``now`` and emit each once:
        an ``sla_warning``/``sla_breach`` event in the audit trail (with the
        original deadline), the ``complaintflow_sla_alert`` hook, and a
        notification to the handler. A complaint another writer changed
        meanwhile is left for the next sweep."""
        now = self._aware(now, "now") if now is not None else self.now()
        plans = [p for c in self.store.due(now, limit=limit) if (p := self._sweep_one(c, now))]
        if not plans:
            return []
        # one batch: a store saves them in one transaction; a complaint
        # another writer changed meanwhile is skipped, left for the next sweep
        saved = self.store.save_many(
            [Save(new, c.version, events, notes) for c, new, events, notes, _ in plans]
        )
        alerts: list[SlaAlert] = []
        for (c, new, events, notes, found), ok in zip(plans, saved, strict=True):
            if not ok:
                log.info("complaint %s changed during the sweep; left for the next one", c.id)
                continue
            for alert in found:
                try:
                    self._pm.hook.complaintflow_sla_alert(alert=alert)
                except Exception:
                    log.exception("a complaintflow_sla_alert hook failed for %s", c.id)
            for i, e in enumerate(events):
                self._after(e, new, [notes[i]])
            alerts.extend(found)
        return alerts

    def _sweep_one(
        self, c: Complaint, now: datetime
    ) -> tuple[Complaint, Complaint, list[Event], list[Notification], list[SlaAlert]] | None:
        """The alerts due on one complaint, as the events, the complaint after
        them and the notifications to save; ``None`` when nothing is due."""
        state = c.sla
        if state is None:
            return None
        at = max(now, c.updated_at, key=utc)
        events: list[Event] = []
        alerts: list[SlaAlert] = []
        new = c
        names = [r.name for r in state.targets if r.cycle == c.cycle and r.live]
        for name in names:
            while True:
                assert new.sla is not None
                r = next(x for x in new.sla.targets if x.cycle == c.cycle and x.name == name)
                key, due = r.next_alert(), r.next_alert_at
                if (
                    key is None
                    or due is None
                    or utc(due) > utc(now)
                    or (key == "breach" and utc(due) == utc(now))
                ):
                    break
                is_breach = key == "breach"
                alert = SlaAlert(
                    complaint_id=c.id,
                    target=r.name,
                    cycle=r.cycle,
                    kind="breach" if is_breach else "warning",
                    threshold=None if is_breach else float(key.split(":", 1)[1]),
                    due_at=due,
                    deadline=r.deadline,
                    detected_at=now,
                    handler=c.handler,
                )
                event = fast_new(
                    Event,
                    complaint_id=c.id,
                    seq=new.version + 1,
                    type="sla_breach" if is_breach else "sla_warning",
                    at=at,
                    actor="system",
                    from_status=new.status,
                    to_status=new.status,
                    cycle=new.cycle,
                    data={
                        "target": r.name,
                        "key": key,
                        "threshold": alert.threshold,
                        "due_at": due.isoformat(),
                        "deadline": None if r.deadline is None else r.deadline.isoformat(),
                    },
                )
                new = self._apply(new, event)
                events.append(event)
                alerts.append(alert)
        if not events:
            return None
        notes = [
            fast_new(
                Notification,
                id=f"{c.id}:{e.seq}:{e.type}:handler",
                complaint_id=c.id,
                event_seq=e.seq,
                kind=e.type,
                recipient=c.handler or "handlers",
                recipient_role="handler",
                created_at=at,
                data={"subject": c.subject, **e.data},
                status="pending",
                attempts=0,
                last_error=None,
                next_attempt_at=None,
                delivered_at=None,
            )
            for e in events
        ]
        return c, new, events, self._leased(notes, at), alerts

    def metrics(
        self,
        *,
        since: datetime,
        until: datetime,
        category: str | None = None,
        now: datetime | None = None,
    ) -> Metrics:
        """Handling figures for the complaints received in ``[since, until)``
        (of one category when given), as of ``now`` (the clock's time when
        omitted): per SLA target met, breached, running, median and 90th
        percentile time to stop, share within SLA; time to first response;
        FCA-style buckets (closed within 3 business days, within 8 weeks,
        later). See :class:`~complaintflow.Metrics`."""
        since = self._aware(since, "since")
        until = self._aware(until, "until")
        now = self._aware(now, "now") if now is not None else self.now()
        if category is not None:
            self.categories.require(category)
        return compute_metrics(
            self.store, self.calendar, since=since, until=until, now=now, category=category
        )

    def _policy_for(self, c: Complaint) -> SlaPolicy:
        chosen = self._pm.hook.complaintflow_sla_policy(complaint=c)
        if chosen is not None:
            if not isinstance(chosen, SlaPolicy):
                raise PluginError(
                    f"a complaintflow_sla_policy hook returned {type(chosen).__name__}, "
                    "not SlaPolicy"
                )
            return chosen
        if c.category is not None and c.category in self.categories:
            overrides = self.categories[c.category].sla_overrides
            if overrides:
                return self.policy.with_durations(overrides)
        return self.policy

    def _policy_change(self, before: Complaint, after: Complaint, event: Event) -> Event | None:
        if after.sla is None:
            return None
        if (
            after.category == before.category
            and not self._pm.hook.complaintflow_sla_policy.get_hookimpls()
        ):
            return None
        policy = self._policy_for(after)
        data = policy.to_data()
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
        )

    @staticmethod
    def _aware(value: datetime, field: str) -> datetime:
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput.field(field, "must be a timezone-aware datetime")
        return value

    # -- notifications --------------------------------------------------------

    def deliver_pending(self, *, now: datetime | None = None, limit: int = 100) -> int:
        """Retry notifications still pending whose next attempt is due.
        Returns how many were delivered."""
        if not self._has_notifiers:
            return 0
        now = now or self.now()
        claimed = self.store.claim_notifications(now=now, limit=limit, lease=self.delivery_lease)
        return sum(self._deliver(n, now) for n in claimed)

    def _leased(self, notes: list[Notification], at: datetime) -> list[Notification]:
        """With notifiers, the notifications this engine delivers right after
        the save are saved already claimed by it, so that a concurrent
        ``deliver_pending`` elsewhere does not deliver them too; if this
        process dies before delivering, they are due again after the lease."""
        if not notes or not self._has_notifiers:
            return notes
        until = utc(max(at, self.now(), key=utc)) + self.delivery_lease
        return [fast_copy(n, next_attempt_at=until) for n in notes]

    def _notify_all(self, n: Notification) -> None:
        """Call every notifier, even after one fails (a failing notifier must
        not starve the others), then raise the first failure, if any."""
        first: Exception | None = None
        for impl in reversed(self._pm.hook.complaintflow_notify.get_hookimpls()):
            try:
                impl.function(notification=n)
            except Exception as e:
                first = first or e
        if first is not None:
            raise first

    def _deliver(self, n: Notification, now: datetime) -> bool:
        if not self._has_notifiers:
            return False
        try:
            self._notify_all(n)
        except Exception as e:
            delay = self.retry_backoff * (2 ** min(n.attempts, 10))
            log.warning("notification %s failed (attempt %d): %s", n.id, n.attempts + 1, e)
            try:
                self.store.mark_failed(
                    n.id, error=f"{type(e).__name__}: {e}", next_attempt_at=utc(now) + delay
                )
            except StoreError:
                log.exception("could not record the failure of notification %s", n.id)
            return False
        try:
            return self.store.mark_delivered(n.id, at=now)
        except StoreError:
            # the command stays applied; the notification stays pending and is
            # delivered again when its lease runs out (same idempotency key)
            log.exception("could not mark notification %s delivered", n.id)
            return False

    # -- internals ------------------------------------------------------------

    def _apply(self, complaint: Complaint | None, event: Event) -> Complaint:
        after = apply_event(complaint, event)
        if self._sla is not None:
            after = self._sla.on_event(complaint, after, event)
        return after

    def _after(self, event: Event, complaint: Complaint, notes: list[Notification]) -> None:
        if self._has_event_hooks:
            try:
                self._pm.hook.complaintflow_event(event=event, complaint=complaint)
            except Exception:
                log.exception("a complaintflow_event hook failed for event %s", event.seq)
        for n in notes:
            self._deliver(n, event.at)

    @staticmethod
    def _new(complaint: NewComplaint | dict[str, Any]) -> NewComplaint:
        if isinstance(complaint, NewComplaint):
            return complaint
        if not isinstance(complaint, dict):
            raise InvalidInput.field(
                "complaint", f"must be a NewComplaint or a dict, not {type(complaint).__name__}"
            )
        try:
            return NewComplaint.model_validate(complaint)
        except ValidationError as e:
            raise invalid_input(e) from None

    @staticmethod
    def _actor(actor: Actor | dict[str, Any]) -> Actor:
        if isinstance(actor, Actor):
            return actor
        if not isinstance(actor, dict):
            raise InvalidInput.field("actor", f"must be an Actor, not {type(actor).__name__}")
        try:
            return Actor.model_validate(actor)
        except ValidationError as e:
            raise invalid_input(e, "actor") from None

    def _hook_verdict(self, actor: Actor, command: str, c: Complaint) -> bool | None:
        if not self._has_authorizers:
            return None
        answers = self._pm.hook.complaintflow_authorize(actor=actor, command=command, complaint=c)
        if any(a is False for a in answers):
            return False
        if any(a is True for a in answers):
            return True
        return None

    def _static_denial(
        self, actor: Actor, kind: str, c: Complaint, verdict: bool | None
    ) -> str | None:
        if verdict is False:
            return f"a plugin denied {actor.id!r} to {kind} complaint {c.id!r}"
        if verdict is True:
            return None
        return perm.static_denial(actor, kind, c)

    def _contextual_denial(
        self, actor: Actor, kind: str, c: Complaint, at: datetime, verdict: bool | None
    ) -> str | None:
        if verdict is True:
            return None
        return perm.contextual_denial(actor, kind, c, at, self.reopen_window)

    def _denial(self, actor: Actor, kind: str, c: Complaint, at: datetime) -> str | None:
        verdict = self._hook_verdict(actor, kind, c)
        return self._static_denial(actor, kind, c, verdict) or self._contextual_denial(
            actor, kind, c, at, verdict
        )

    def _missing_steps(self, c: Complaint) -> list[str]:
        if c.category is None or c.category not in self.categories:
            return []
        required = self.categories[c.category].required_steps
        return sorted(required - set(c.steps_done))

    def _guard_and_data(self, cmd: Command, c: Complaint, at: datetime) -> dict[str, Any]:
        # the payload as JSON-able data: every command field but these is a
        # str, bool, None or dict of str (datetimes are converted below)
        data = {k: v for k, v in cmd.__dict__.items() if k not in _NOT_DATA}
        if isinstance(cmd, RecordStep):
            data["data"] = dict(cmd.data)
        if isinstance(cmd, Classify):
            category = cmd.category or c.category
            if category is None:
                raise GuardFailed(
                    f"complaint {c.id!r} has no category: classify it with category=..."
                )
            cat = self.categories.require(category)
            data["category"] = category
            if category != c.category:
                valid = {s.id for s in cat.steps}
                data["steps_done"] = [s for s in c.steps_done if s in valid]
        elif isinstance(cmd, RecordStep):
            if c.category is None:
                raise GuardFailed(f"complaint {c.id!r} has no category yet: classify it first")
            cat = self.categories.require(c.category)
            step = cat.step(cmd.step)
            if step is None:
                raise GuardFailed(
                    f"step: {cmd.step!r} is not a step of category {cat.id!r}; "
                    f"its steps: {', '.join(s.id for s in cat.steps)}"
                )
            for name, choices in step.fields.items():
                value = cmd.data.get(name)
                if value is None or (choices and value not in choices):
                    raise GuardFailed(
                        f"data.{name}: step {step.id!r} records {name}, one of "
                        f"{', '.join(choices)}; got {value!r}"
                    )
        elif isinstance(cmd, RequestInfo) and cmd.party == "respondent" and c.respondent is None:
            raise GuardFailed(
                f"party: complaint {c.id!r} has no respondent to ask; ask the complainant"
            )
        elif isinstance(cmd, Decide):
            missing = self._missing_steps(c)
            if missing:
                raise GuardFailed(
                    f"cannot decide complaint {c.id!r} yet: required steps not done: "
                    f"{', '.join(missing)} (guide §3.1 fairness: the parties are heard first)"
                )
            effective = cmd.effective_at or at
            if utc(effective) < utc(at):
                raise InvalidInput.field(
                    "effective_at", "must not be before the decision itself (at)"
                )
            data["effective_at"] = effective.isoformat()
        elif (
            isinstance(cmd, Reject)
            and cmd.duplicate_of is not None
            and (cmd.duplicate_of == c.id or self.store.load(cmd.duplicate_of) is None)
        ):
            raise InvalidInput.field("duplicate_of", f"no other complaint {cmd.duplicate_of!r}")
        elif isinstance(cmd, Reject) and cmd.reason == "duplicate" and cmd.duplicate_of is None:
            # no original named: the one the duplicate screen found (guide §2.3)
            found = [f.related[0] for f in c.flags if f.kind == "duplicate" and f.related]
            data["duplicate_of"] = found[0] if found else None
        return data

    def _notifications(self, c: Complaint, event: Event) -> list[Notification]:
        kind = event.type
        d = event.data
        rows: list[tuple[str, str, str, dict[str, Any]]] = []
        comp = c.complainant.id
        resp = c.respondent.id if c.respondent is not None else None
        if kind == "acknowledge":
            rows.append(("acknowledgement", comp, "complainant", {}))
        elif kind == "decide":
            info = {k: d.get(k) for k in ("outcome", "basis", "remedy", "effective_at")}
            rows.append(("decision", comp, "complainant", info))
            if resp is not None:
                rows.append(("decision", resp, "respondent", info))
        elif kind == "request_info":
            who = comp if d["party"] == "complainant" else resp
            if who is not None:
                rows.append(("info_request", who, d["party"], {"question": d["question"]}))
        elif kind == "follow_up":
            rows.append(("follow_up", comp, "complainant", {"satisfied": d["satisfied"]}))
        elif kind == "reject":
            rows.append(("rejection", comp, "complainant", dict(d)))
        return [
            fast_new(
                Notification,
                id=f"{c.id}:{event.seq}:{k}:{role}",
                complaint_id=c.id,
                event_seq=event.seq,
                kind=k,
                recipient=who,
                recipient_role=role,
                created_at=event.at,
                data={"subject": c.subject, "status": c.status.value, **info},
                status="pending",
                attempts=0,
                last_error=None,
                next_attempt_at=None,
                delivered_at=None,
            )
            for k, who, role, info in rows
        ]

    def _classify(self, c: Complaint) -> Classification | None:
        chosen = self._pm.hook.complaintflow_classify(complaint=c)
        if chosen is not None:
            if chosen not in self.categories:
                raise PluginError(
                    f"a complaintflow_classify hook returned unknown category {chosen!r}"
                )
            return Classification(category=chosen, score=1.0, source="plugin")
        return self.rules.classify(c).to_classification()

    def _rule_set(self) -> RuleSet:
        """The rule sets of every plugin (built-in defaults first), merged,
        plus the keywords of categories no rule covers, checked against the
        registered categories."""
        answers = self._pm.hook.complaintflow_rule_sets()
        sets: list[RuleSet] = []
        for answer in reversed(answers):  # registration order
            for s in [answer] if isinstance(answer, RuleSet) else answer or ():
                if not isinstance(s, RuleSet):
                    raise PluginError(
                        f"a complaintflow_rule_sets hook returned {type(s).__name__}, not RuleSet"
                    )
                sets.append(s)
        rules = RuleSet.merged(sets, name="+".join(s.name for s in sets) or "none")
        rules = rules.with_keywords({c.id: c.keywords for c in self.categories.values()})
        return rules.checked(self.categories)

    def _warnings(self, c: Complaint, event: Event, flags: list[Flag]) -> list[Notification]:
        """The complainant is warned before abuse is flagged (guide §2.3)."""
        return [
            fast_new(
                Notification,
                id=f"{c.id}:{event.seq}:screening_warning:complainant",
                complaint_id=c.id,
                event_seq=event.seq,
                kind="screening_warning",
                recipient=c.complainant.id,
                recipient_role="complainant",
                created_at=event.at,
                data={"subject": c.subject, "status": c.status.value, "reason": f.reason},
                status="pending",
                attempts=0,
                last_error=None,
                next_attempt_at=None,
                delivered_at=None,
            )
            for f in flags[:1]
        ]

    def _screen(self, c: Complaint) -> list[Flag]:
        flags: list[Flag] = []
        hook = self._pm.hook.complaintflow_screen
        for answer in hook(complaint=c, store=self.store, rules=self.rules):
            for f in answer or ():
                if not isinstance(f, Flag):
                    raise PluginError(
                        f"a complaintflow_screen hook returned {type(f).__name__}, not Flag"
                    )
                flags.append(f)
        return flags
