"""Durations: how long a target may run, and in which measure (DESIGN "SLA math")."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final, Literal, TypeAlias, final

from complaintflow.errors import InvalidInput

__all__ = [
    "Duration",
    "DurationKind",
    "business_hours",
    "calendar_days",
    "hours",
    "working_days",
]

DurationKind: TypeAlias = Literal["hours", "business_hours", "working_days", "calendar_days"]
"""The four measures a duration counts in (see :class:`Duration`)."""

_KINDS: Final = ("hours", "business_hours", "working_days", "calendar_days")
_LABELS: Final = {
    "hours": ("hour", "hours"),
    "business_hours": ("business hour", "business hours"),
    "working_days": ("working day", "working days"),
    "calendar_days": ("calendar day", "calendar days"),
}
_US: Final = timedelta(microseconds=1)
_DAY_US: Final = 86_400_000_000


@final
@dataclass(frozen=True, slots=True)
class Duration:
    """A target's length: an ``amount`` counted in one of four measures.

    Build one with :func:`hours`, :func:`business_hours`, :func:`working_days`
    or :func:`calendar_days`. Frozen and hashable; ``str(working_days(7))`` is
    ``"7 working days"``. ``amount`` may be fractional but must be finite and
    not negative.

    :attr measure: the amount as a :class:`~datetime.timedelta`: hours are that
        many hours, days are that many days of 24 hours (a *counted* day is one
        unit whatever its real length, see DESIGN "SLA math"). Rounded to the
        microsecond.
    """

    kind: DurationKind
    amount: int | float
    _measure: timedelta = field(init=False, repr=False, compare=False, hash=False)
    _units: int = field(init=False, repr=False, compare=False, hash=False)
    _whole_days: int = field(init=False, repr=False, compare=False, hash=False)
    _wd_fast: int = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise InvalidInput.field("kind", f"must be one of {', '.join(_KINDS)}")
        amount = self.amount
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise InvalidInput.field("amount", "must be an int or a float")
        if not math.isfinite(amount):
            raise InvalidInput.field("amount", "must be finite")
        if amount < 0:
            raise InvalidInput.field("amount", "must not be negative")
        try:
            if self.kind in ("hours", "business_hours"):
                measure = timedelta(hours=amount)
            else:
                measure = timedelta(days=amount)
        except OverflowError:
            raise InvalidInput.field("amount", "is too large") from None
        units = measure // _US
        whole, part = divmod(units, _DAY_US)
        object.__setattr__(self, "_measure", measure)
        object.__setattr__(self, "_units", units)
        object.__setattr__(self, "_whole_days", -1 if part else whole)
        # the calendar's fast path: a whole number of working days, else 0
        object.__setattr__(
            self, "_wd_fast", whole if self.kind == "working_days" and not part else 0
        )

    @property
    def measure(self) -> timedelta:
        """The amount in its own measure, as a timedelta (see the class doc)."""
        return self._measure

    @property
    def units(self) -> int:
        """The measure in whole microseconds (days count 86 400 000 000 each)."""
        return self._units

    @property
    def counts_days(self) -> bool:
        """True for the day-counted kinds (``working_days``, ``calendar_days``)."""
        return self.kind in ("working_days", "calendar_days")

    def __str__(self) -> str:
        amount = self.amount
        if isinstance(amount, float) and amount.is_integer():
            amount = int(amount)
        singular, plural = _LABELS[self.kind]
        return f"{amount} {singular if amount == 1 else plural}"

    def __repr__(self) -> str:
        return f"{self.kind}({self.amount!r})"


def hours(n: int | float) -> Duration:
    """``n`` hours of real elapsed time, DST-safe (guide §3.3.1 to §3.3.4)."""
    return Duration("hours", n)


def business_hours(n: int | float) -> Duration:
    """``n`` hours counted only inside a calendar's business hours on its working days."""
    return Duration("business_hours", n)


def working_days(n: int | float) -> Duration:
    """``n`` working days: the start day is not counted, the deadline is 24:00
    of the n-th working day after it (guide §3.3.5; PRC Civil Code arts. 201-203)."""
    return Duration("working_days", n)


def calendar_days(n: int | float) -> Duration:
    """``n`` calendar days, counted like :func:`working_days` with every day counted."""
    return Duration("calendar_days", n)
