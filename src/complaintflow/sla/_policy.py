"""SLA policies: the targets a complaint's clocks run against (guide §3.3)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import TYPE_CHECKING, Any, Final, final

from complaintflow.commands import COMMAND_TYPES
from complaintflow.errors import InvalidInput
from complaintflow.sla._durations import Duration, hours, working_days
from complaintflow.states import Status

if TYPE_CHECKING:
    from complaintflow.sla._calendar import BusinessCalendar

__all__ = ["GUIDE_POLICY", "START_ANCHORS", "SlaPolicy", "SlaTarget"]

START_ANCHORS: Final = frozenset({"receipt", "decision_effective"})
"""Start points that are not a command: ``receipt`` (submission, and the
reopen that starts a new cycle) and ``decision_effective`` (the decision's
``effective_at``). Any command type (``classify``, ``execute``, ...) is a
start point too."""

_COMMANDS: Final = frozenset(COMMAND_TYPES)


@final
@dataclass(frozen=True, slots=True)
class SlaTarget:
    """One deadline: from ``start`` to ``stop`` within ``duration``.

    :param name: the target's name, e.g. ``decision_notice``.
    :param start: ``"receipt"``, ``"decision_effective"`` or a command type.
    :param stop: the command type that meets the target.
    :param duration: how long it may take (:func:`hours`, :func:`working_days`, ...).
    :param pause_in: statuses in which the clock waits (``awaiting_info``).
    :param warn_at: fractions of the duration at which a warning is due.
    """

    name: str
    start: str
    stop: str
    duration: Duration
    pause_in: frozenset[Status] = field(default=frozenset({Status.awaiting_info}))
    warn_at: tuple[float, ...] = (0.5, 0.8)
    record_fields: dict[str, Any] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InvalidInput.field("name", "must be a non-empty string")
        if self.start not in START_ANCHORS and self.start not in _COMMANDS:
            raise InvalidInput.field(
                "start",
                f"{self.start!r} is neither a command type nor one of {sorted(START_ANCHORS)}",
            )
        if self.stop not in _COMMANDS:
            raise InvalidInput.field("stop", f"{self.stop!r} is not a command type")
        if not isinstance(self.duration, Duration):
            raise InvalidInput.field(
                "duration", "must be a Duration (hours(24), working_days(7), ...)"
            )
        try:
            pause = frozenset(Status(s) for s in self.pause_in)
        except ValueError as e:
            raise InvalidInput.field("pause_in", str(e)) from None
        object.__setattr__(self, "pause_in", pause)
        warn = tuple(float(w) for w in self.warn_at)
        if any(not 0 < w < 1 for w in warn) or list(warn) != sorted(set(warn)):
            raise InvalidInput.field(
                "warn_at", "must be increasing fractions strictly between 0 and 1"
            )
        object.__setattr__(self, "warn_at", warn)
        object.__setattr__(
            self,
            "record_fields",
            {
                "kind": self.duration.kind,
                "amount": float(self.duration.amount),
                "warn_at": warn,
                "pause_in": tuple(sorted(s.value for s in pause)),
            },
        )

    def to_data(self) -> dict[str, Any]:
        """A JSON-able form (kept in the audit trail)."""
        return {
            "name": self.name,
            "start": self.start,
            "stop": self.stop,
            "duration": {"kind": self.duration.kind, "amount": self.duration.amount},
            "pause_in": sorted(s.value for s in self.pause_in),
            "warn_at": list(self.warn_at),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SlaTarget:
        """The inverse of :meth:`to_data`."""
        d = data["duration"]
        return cls(
            name=data["name"],
            start=data["start"],
            stop=data["stop"],
            duration=Duration(d["kind"], d["amount"]),
            pause_in=frozenset(Status(s) for s in data["pause_in"]),
            warn_at=tuple(data["warn_at"]),
        )


@final
class SlaPolicy:
    """A named list of :class:`SlaTarget`.

    >>> from complaintflow import GUIDE_POLICY
    >>> tuple(t.name for t in GUIDE_POLICY)[:3]
    ('preliminary_verification', 'verification', 'decision_notice')
    """

    __slots__ = ("_by_name", "_data", "name", "targets")

    def __init__(self, targets: Iterable[SlaTarget], *, name: str = "custom") -> None:
        self.targets: tuple[SlaTarget, ...] = tuple(targets)
        self.name = name
        for t in self.targets:
            if not isinstance(t, SlaTarget):
                raise InvalidInput.field("targets", f"must be SlaTarget, not {type(t).__name__}")
        self._by_name = {t.name: t for t in self.targets}
        if len(self._by_name) != len(self.targets):
            raise InvalidInput.field("targets", "target names must be unique")
        self._data: dict[str, Any] | None = None

    def __iter__(self) -> Iterator[SlaTarget]:
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, name: str) -> SlaTarget:
        return self._by_name[name]

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SlaPolicy)
            and self.name == other.name
            and self.targets == other.targets
        )

    def __hash__(self) -> int:
        return hash((self.name, self.targets))

    def __repr__(self) -> str:
        return f"SlaPolicy({self.name!r}, {[t.name for t in self.targets]})"

    def with_durations(self, overrides: Mapping[str, Duration]) -> SlaPolicy:
        """This policy with some targets' durations replaced (a category's
        SLA overrides); unknown target names are an error."""
        if not overrides:
            return self
        unknown = set(overrides) - set(self._by_name)
        if unknown:
            raise InvalidInput.field("sla_overrides", f"unknown targets: {sorted(unknown)}")
        targets = [
            SlaTarget(t.name, t.start, t.stop, overrides[t.name], t.pause_in, t.warn_at)
            if t.name in overrides
            else t
            for t in self.targets
        ]
        return SlaPolicy(targets, name=self.name)

    def to_data(self) -> dict[str, Any]:
        """A JSON-able form (kept in the audit trail). Built once and shared:
        treat it as read-only."""
        if self._data is None:
            self._data = {"name": self.name, "targets": [t.to_data() for t in self.targets]}
        return self._data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> SlaPolicy:
        """The inverse of :meth:`to_data`."""
        return cls((SlaTarget.from_data(t) for t in data["targets"]), name=data["name"])

    @classmethod
    def pack(
        cls, name: str, *, variant: str | None = None, close_of_business: time | None = None
    ) -> SlaPolicy:
        """A policy pack shipped as data (``complaintflow/rules/packs``):
        ``"guide"``, ``"samr"``, ``"fca"``, ``"cfpb"``. ``variant`` picks one
        of the pack's variants (``fca``: ``"payment_services"``,
        ``"payment_services_holding"``); ``close_of_business`` replaces the
        pack's (``fca``: 17:00). See docs/policy-packs.md."""
        from complaintflow.rules._packs import pack_info, pack_policy

        return pack_policy(pack_info(name), variant=variant, close_of_business=close_of_business)

    @staticmethod
    def pack_calendar(name: str, *, years: Iterable[int] | None = None) -> BusinessCalendar:
        """The business calendar a policy pack counts in (``years``: for packs
        whose holidays come from the ``holidays`` package)."""
        from complaintflow.rules._packs import pack_calendar, pack_info

        return pack_calendar(pack_info(name), years=None if years is None else list(years))


GUIDE_POLICY: Final = SlaPolicy(
    [
        # guide §3.3.1: preliminary verification within 24 hours of receipt
        SlaTarget("preliminary_verification", "receipt", "acknowledge", hours(24)),
        # guide §3.3.2: verification and classification within 48 hours
        SlaTarget("verification", "receipt", "classify", hours(48)),
        # guide §3.3.3: decision notified within 24 hours after verification
        SlaTarget("decision_notice", "classify", "decide", hours(24)),
        # guide §3.3.4: carried out within 24 hours after it takes effect
        SlaTarget("execution", "decision_effective", "execute", hours(24)),
        # guide §3.3.5: follow-up within 7 working days after execution
        SlaTarget("follow_up", "execute", "follow_up", working_days(7)),
    ],
    name="guide",
)
"""The guide's §3.3 time limits: the engine's default policy."""
