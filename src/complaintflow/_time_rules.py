"""The engine's clock is the authority (``docs/design.md``, "Time").

A caller's ``at`` on a command, or ``received_at`` on a complaint, is
believed only within a small skew of the engine's clock, or through roles
made for it: ``system`` (automation) and ``importer`` (migrating historical
complaints); staff recording an intake later (a phone call, a letter) may
backdate ``received_at`` within a window. Every event records the engine's
time (``recorded_at``) and on what basis its ``at`` was taken
(``time_basis``), so the audit trail says which."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Literal

from complaintflow.errors import InvalidInput
from complaintflow.models import Actor

TimeBasis = Literal["clock", "caller", "intake", "import", "system"]

TRUSTED_ROLES: Final = frozenset({"system", "importer"})
"""Roles whose times are believed (not before the complaint's last event)."""
STAFF_ROLES: Final = ("handler", "supervisor")


@dataclass(frozen=True, slots=True)
class TimeRules:
    """How far a caller's times are believed."""

    skew: timedelta = timedelta(minutes=5)
    """How far a person's ``at`` may lie from the engine's clock."""
    intake_window: timedelta = timedelta(days=7)
    """How much earlier than now staff may record ``received_at``."""
    _skew_s: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_skew_s", self.skew.total_seconds())

    @staticmethod
    def _trusted(actor: Actor) -> TimeBasis | None:
        if actor.has("system"):
            return "system"
        if actor.has("importer"):
            return "import"
        return None

    def _near_now(self, t: datetime, now: datetime, field: str) -> None:
        # instants (timestamps honour ``fold``; same-zone subtraction does not)
        off = timedelta(seconds=t.timestamp() - now.timestamp())
        if -self.skew <= off <= self.skew:
            return
        if off > self.skew:
            raise InvalidInput.field(
                field,
                f"{t.isoformat()} is in the future (the engine's clock says "
                f"{now.isoformat()}; at most {self.skew} ahead is accepted)",
            )
        if -off > self.skew:
            raise InvalidInput.field(
                field,
                f"{t.isoformat()} is more than {self.skew} before the engine's clock "
                f"({now.isoformat()}); omit it, or record the time through the importer role",
            )

    def command_time(
        self, actor: Actor, at: datetime | None, now: datetime, last: datetime
    ) -> tuple[datetime, TimeBasis]:
        """When a command happens: the engine's time, or the caller's ``at``
        where it is believed; never before the complaint's last event."""
        basis: TimeBasis = "clock"
        if at is None:
            at = now
        else:
            trusted = self._trusted(actor) if not actor.roles.isdisjoint(TRUSTED_ROLES) else None
            if trusted is None:
                seconds = at.timestamp() - now.timestamp()
                if not -self._skew_s <= seconds <= self._skew_s:
                    self._near_now(at, now, "at")
            basis = trusted or "caller"
        if at is not last and at.timestamp() < last.timestamp():
            raise InvalidInput.field(
                "at",
                f"{at.isoformat()} is before the complaint's last event ({last.isoformat()})",
            )
        return at, basis

    def receipt_time(
        self, actor: Actor, received_at: datetime | None, now: datetime
    ) -> tuple[datetime, TimeBasis]:
        """When a complaint was received: now, or ``received_at`` where it is
        believed (staff intake within the window; trusted roles)."""
        if received_at is None:
            return now, "clock"
        trusted = None if actor.roles.isdisjoint(TRUSTED_ROLES) else self._trusted(actor)
        if trusted is not None:
            return received_at, trusted
        seconds = received_at.timestamp() - now.timestamp()
        if -self._skew_s <= seconds <= self._skew_s:
            return received_at, "caller"  # within the skew: the caller's time
        ahead = timedelta(seconds=seconds)
        if actor.has(*STAFF_ROLES) and -ahead > self.skew:
            if -ahead > self.intake_window:
                raise InvalidInput.field(
                    "received_at",
                    f"{received_at.isoformat()} is more than {self.intake_window} before now "
                    f"({now.isoformat()}): staff may record an intake up to that late; "
                    "older complaints come in through the importer role",
                )
            return received_at, "intake"
        self._near_now(received_at, now, "received_at")
        return received_at, "caller"
