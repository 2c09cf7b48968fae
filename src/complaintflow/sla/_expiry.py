"""The warning before a calendar's data runs out (hook ``complaintflow_calendar_expiring``)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any, Final

from complaintflow.errors import InvalidInput
from complaintflow.sla._calendar import BusinessCalendar

__all__ = ["DEFAULT_HORIZON", "ExpiryWatch", "expiry_message"]

DEFAULT_HORIZON: Final = timedelta(days=60)
"""How long before a calendar's data ends the warning is given."""

log = logging.getLogger("complaintflow.sla")


def expiry_message(
    calendar: BusinessCalendar, now: datetime, horizon: timedelta = DEFAULT_HORIZON
) -> str | None:
    """A warning line when ``calendar``'s data ends within ``horizon`` of
    ``now`` (or has ended); None otherwise."""
    if not calendar.expires_within(horizon, now):
        return None
    ends = calendar.data_ends
    assert ends is not None
    name = calendar.name or calendar.tz.key
    when = "ended" if ends < now.astimezone(calendar.tz).date() else "ends"
    return (
        f"calendar {name} (version {calendar.version}): its data {when} on {ends.isoformat()}, "
        f"within {horizon.days} days of {now.date().isoformat()}; deadlines past it are "
        "provisional until a newer schedule is loaded"
    )


class ExpiryWatch:
    """Calls ``complaintflow_calendar_expiring`` (and logs a warning) once
    per calendar version whose data ends within ``horizon``.

    The engine keeps one and calls :meth:`check` from ``sweep``.
    """

    def __init__(self, hook: Any, horizon: timedelta = DEFAULT_HORIZON) -> None:
        if not isinstance(horizon, timedelta) or horizon < timedelta(0):
            raise InvalidInput.field("horizon", "must be a non-negative timedelta")
        self.hook = hook
        self.horizon = horizon
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def check(self, calendar: BusinessCalendar, now: datetime) -> bool:
        """Warn about ``calendar`` if due and not yet done for its version;
        True when it warned now."""
        message = expiry_message(calendar, now, self.horizon)
        if message is None:
            return False
        with self._lock:
            if calendar.version in self._seen:
                return False
            self._seen.add(calendar.version)
        log.warning("%s", message)
        try:
            self.hook.complaintflow_calendar_expiring(
                calendar=calendar, data_ends=calendar.data_ends
            )
        except Exception:
            log.exception("a complaintflow_calendar_expiring hook failed")
        return True
