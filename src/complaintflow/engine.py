"""The engine: takes complaints and commands, checks them, applies them,
keeps the audit trail and queues notifications, all saved together.

Each public method is a short orchestration of collaborators with one job
each (see ``docs/design.md``): :mod:`~complaintflow._decide` (authorise,
transition, guard, build the event; pure), :mod:`~complaintflow._intake`
(draft, classify, screen, choose the SLA policy), :mod:`~complaintflow._sweep`
(SLA alerts), :mod:`~complaintflow._outbox` (notifications) and
:mod:`~complaintflow._plugins` (bootstrap)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import Any

from complaintflow import _args
from complaintflow._base import aware, utc
from complaintflow._crypto import Encryption
from complaintflow._decide import Decider, notifications
from complaintflow._intake import Intake, Policies, new_complaint
from complaintflow._outbox import Outbox
from complaintflow._plugins import bootstrap
from complaintflow._privacy import PersonalData
from complaintflow._recalc import calendars_by_name, recalculate_store, replay
from complaintflow._reducer import apply_tracked, check_events, submit_tracked
from complaintflow._reports import Reports
from complaintflow._sweep import Sweeper
from complaintflow._time_rules import TimeRules
from complaintflow._timefmt import in_zone
from complaintflow._vault import Vault
from complaintflow._worker import Running
from complaintflow.commands import Command, parse_command
from complaintflow.errors import InvalidInput, NotFound
from complaintflow.models import Actor, Complaint, Event, NewComplaint, Notification
from complaintflow.sla import (
    DEFAULT_HORIZON,
    GUIDE_POLICY,
    BusinessCalendar,
    ExpiryWatch,
    SlaAlert,
    SlaPolicy,
    SlaReport,
)
from complaintflow.sla._tracker import SlaTracker
from complaintflow.stores import DEFAULT_LEASE, MemoryStore, Store

__all__ = ["Engine"]

log = logging.getLogger("complaintflow")


_utcnow: Callable[[], datetime] = partial(datetime.now, UTC)


class Engine(Reports, Running, PersonalData):
    """Runs the guide's complaint process.

    >>> import complaintflow as cf
    >>> engine = cf.Engine()

    :param store: where complaints live; the ``complaintflow_store`` hook, then
        an in-memory store, when omitted.
    :param plugins: plugin objects or modules (see :mod:`complaintflow.hookspecs`).
    :param calendar: the business calendar for day-counted and business-hour
        deadlines; mainland China's (``BusinessCalendar.preset("CN")``,
        Asia/Shanghai, with its holidays and make-up working days) when
        omitted, since the guide's policy is the default; other regions
        choose theirs.
    :param policy: the SLA policy: :data:`GUIDE_POLICY` (guide §3.3) when omitted.
    :param clock: returns the current aware datetime; commands without ``at``
        happen at its time.
    :param load_entry_points: also load plugins of the entry-point group
        ``complaintflow``.
    :param reopen_window: how long after closing a complainant may reopen.
    :param retry_backoff: the first delay before a failed notification is
        retried (doubling with each attempt).
    :param clock_skew: how far a person's ``at`` or ``received_at`` may lie
        from the engine's clock (``system`` and ``importer`` are believed).
    :param intake_window: how much earlier than now staff may record
        ``received_at`` (a phone call or letter recorded later).
    :param calendar_horizon: warn (``complaintflow_calendar_expiring``) when
        the calendar's data ends within this time of a sweep.
    :param calendars: other calendars, by their names, that the
        ``complaintflow_calendar`` hook may choose for a complaint.
    :param encryption: encrypt the personal-data vault (``docs/privacy.md``).
    """

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
        clock_skew: timedelta = timedelta(minutes=5),
        intake_window: timedelta = timedelta(days=7),
        calendar_horizon: timedelta = DEFAULT_HORIZON,
        calendars: Iterable[BusinessCalendar] = (),
        encryption: Encryption | None = None,
    ) -> None:
        calendar = BusinessCalendar.preset("CN") if calendar is None else calendar
        if not isinstance(calendar, BusinessCalendar):
            raise InvalidInput.field("calendar", "must be a BusinessCalendar")
        policy = GUIDE_POLICY if policy is None else policy
        if not isinstance(policy, SlaPolicy):
            raise InvalidInput.field("policy", "must be an SlaPolicy")
        self._pm, self.categories, rules = bootstrap(plugins, load_entry_points=load_entry_points)
        if store is None:
            store = self._pm.hook.complaintflow_store()
        self.store: Store = store if store is not None else MemoryStore()
        self._clock = clock or _utcnow
        self._vault = Vault(self.store, encryption)
        self.calendar = calendar
        self.policy = policy
        """The SLA policy of complaints no hook or category override changes."""
        self.rules = rules
        """The classification rules and screening settings in force (guide §2.3)."""
        self.reopen_window = reopen_window
        self.retry_backoff = retry_backoff
        self._sla = SlaTracker(calendar)
        self._sla.calendars = calendars_by_name(calendars, calendar)
        self._calendars = {c.version: c for c in (calendar, *self._sla.calendars.values())}
        self._times = TimeRules(clock_skew, intake_window)
        self._expiry = ExpiryWatch(self._pm.hook, calendar_horizon)
        names: dict[str, str | None] = {n: n for n in self._sla.calendars}
        names.update({calendar.name: None} if calendar.name else {})
        self._policies = Policies(self._pm, self.categories, policy, names)
        self._intake = Intake(self._pm, self.categories, rules, self._policies)
        self._decider = Decider(self._pm, self.categories, self._exists, reopen_window)
        self._outbox = Outbox(
            self._pm, self.store, self.now, lease=DEFAULT_LEASE, backoff=retry_backoff
        )
        self._sweeper = Sweeper(
            self.store,
            self._outbox,
            self._apply,
            self._sla.alert,
            self._pm.hook.complaintflow_sla_alert,
            self._after,
        )

    # -- configuration ----------------------------------------------------------

    @property
    def delivery_lease(self) -> timedelta:
        """How long a notification being delivered is kept from other workers
        (see ``Store.claim_notifications``)."""
        return self._outbox.lease

    @delivery_lease.setter
    def delivery_lease(self, value: timedelta) -> None:
        self._outbox.lease = value

    def now(self) -> datetime:
        """The engine clock's time (aware)."""
        t = self._clock()
        if t.tzinfo is not UTC and (t.tzinfo is None or t.utcoffset() is None):
            raise InvalidInput.field("clock", "the engine's clock returned a naive datetime")
        return t

    # -- reading ----------------------------------------------------------------

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
        """Rebuild a complaint by applying its events in order (each stretch
        on the calendar then in force, when this engine has known it)."""
        complaint = replay(check_events(events), self._sla, self._calendars)
        if complaint is None:
            raise InvalidInput.field("events", "no events to replay")
        return complaint

    def view(self, complaint_id: str, *, actor: Actor) -> Complaint:
        """The complaint as ``actor`` may see it: personal data of the other
        party redacted (guide §3.1 confidentiality)."""
        actor = self._decider.actor(actor)
        c = self._vault.view(self._decider.view, actor, self.get(complaint_id))
        return in_zone(c, self._zone(c))

    def allowed(self, complaint_id: str, *, actor: Actor) -> list[str]:
        """The commands ``actor`` may run on the complaint now, for UIs:
        permitted, allowed by the state machine, and not blocked by a
        precondition that no payload can meet (e.g. ``decide`` before the
        required procedure steps)."""
        actor = self._decider.actor(actor)
        c = self.get(complaint_id)
        return self._decider.allowed(actor, c, max(self.now(), c.updated_at, key=utc))

    # -- writing ----------------------------------------------------------------

    def submit(self, complaint: NewComplaint | dict[str, Any], *, actor: Actor) -> Complaint:
        """Receive a complaint (guide §2, §3.2 step 1): record it, classify it
        when it has no category, screen it, and start its SLA clocks."""
        new = new_complaint(complaint)
        actor = self._decider.actor(actor)
        now = self.now()
        received, basis = self._times.receipt_time(actor, new.received_at, now)
        draft = self._intake.draft(new, received)
        self._decider.may_submit(actor, draft)
        draft = self._intake.screen(self._intake.classify(draft), self._vault.screening(self.store))
        facts, personal = self._vault.prepare(draft)
        event = self._intake.event(draft, actor.id, basis, now, facts)
        created = submit_tracked(facts, event, self._sla)
        notes = self._outbox.leased(self._intake.warnings(created, event), event.at)
        self._vault.save_new(created, [event], notes, personal)
        self._after([event], created, notes)
        return created

    def handle(self, complaint_id: str, command: Command | dict[str, Any]) -> Complaint:
        """Apply one command to a complaint and return the complaint after it.

        Validates the command (:class:`InvalidInput`), the actor's permission
        (:class:`PermissionDenied`), the state machine
        (:class:`InvalidTransition`) and the guards (:class:`GuardFailed`);
        a failed command changes nothing."""
        cmd = parse_command(command)
        self._decider.actor(cmd.actor)
        c = self.get(complaint_id)
        now = self.now()
        at, basis = self._times.command_time(cmd.actor, cmd.at, now, c.updated_at)
        event = self._decider.event(c, cmd, at, basis, now)
        new = self._apply(c, event)
        events = [event]
        changed = self._policies.change(c, new, event)
        if changed is not None:
            events.append(changed)
            new = self._apply(new, changed)
        notes = self._outbox.leased(notifications(new, event), at)
        self.store.save(new, expected_version=c.version, events=events, notifications=notes)
        self._after(events, new, notes)
        return new

    # -- SLA ----------------------------------------------------------------------

    def sla(self, complaint_id: str, *, now: datetime | None = None) -> SlaReport:
        """Every SLA target of the complaint as of ``now`` (the clock's time
        when omitted): state, deadline, remaining time. ``report[name]`` is
        the current cycle's target; ``report.history`` has every cycle."""
        c = self.get(complaint_id)
        now = aware(now, "now") if now is not None else self.now()
        return in_zone(SlaReport(c.id, c.cycle, self._sla.reports(c, now)), self._zone(c))

    def sweep(self, *, now: datetime | None = None, limit: int = 1000) -> list[SlaAlert]:
        """Find SLA warnings and breaches due by ``now`` and emit each once:
        an ``sla_warning``/``sla_breach`` event in the audit trail (with the
        original deadline), the ``complaintflow_sla_alert`` hook, and a
        notification to the handler. A complaint another writer changed
        meanwhile is left for the next sweep."""
        now = aware(now, "now") if now is not None else self.now()
        limit = _args.positive_int(limit, "limit")
        self._expiry.check(self.calendar, now)
        return self._sweeper.run(now, limit, self.now())

    def calendar_changed(self, calendar: BusinessCalendar, *, batch: int = 500) -> list[str]:
        """Switch to ``calendar`` (e.g. the same one extended by next year's
        schedule) and recompute every running and provisional target on it.
        Each complaint whose deadlines move gets a ``calendar_changed`` event
        with the old, the recomputed and the binding deadline (the later of
        the one first told, ``promised``, and the recomputed one). Returns
        the ids of the complaints changed."""
        changed = recalculate_store(self.store, self._sla, calendar, self._apply, self.now(), batch)
        self.calendar = calendar
        self._calendars[calendar.version] = calendar
        return changed

    # -- notifications ------------------------------------------------------------

    def deliver_pending(self, *, now: datetime | None = None, limit: int = 100) -> int:
        """Retry notifications still pending whose next attempt is due.
        Returns how many were delivered."""
        now, limit = _args.optional_moment(now, "now"), _args.positive_int(limit, "limit")
        return self._outbox.deliver_due(now or self.now(), limit)

    # -- internals ------------------------------------------------------------------

    def _zone(self, c: Complaint) -> tzinfo:
        """Where times are shown: the zone of the complaint's calendar."""
        return self._sla.calendar_for(c.sla.calendar if c.sla else None).tz

    def _exists(self, complaint_id: str) -> bool:
        return self.store.load(complaint_id) is not None

    def _apply(self, complaint: Complaint | None, event: Event) -> Complaint:
        return apply_tracked(complaint, event, self._sla)

    def _after(self, events: list[Event], c: Complaint, notes: list[Notification]) -> None:
        self._outbox.after_save(events, c, notes)
