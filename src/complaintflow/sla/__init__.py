"""SLA math: business calendars and durations (DESIGN "SLA math — the contract").

A :class:`BusinessCalendar` knows the working days and business hours of one
time zone; a :class:`Duration` says how long a target may run and in which
measure. ``cal.add(start, working_days(7))`` is the guide's §3.3.5 follow-up
deadline.
"""

from complaintflow.sla._calendar import BusinessCalendar, BusinessHours, DeadlineInfo, Pause
from complaintflow.sla._data import WORKDAY_MARKERS, Schedule, load_schedule
from complaintflow.sla._durations import (
    Duration,
    DurationKind,
    business_hours,
    calendar_days,
    hours,
    working_days,
)
from complaintflow.sla._expiry import DEFAULT_HORIZON, ExpiryWatch, expiry_message
from complaintflow.sla._presets import MissingDependency

__all__ = [
    "DEFAULT_HORIZON",
    "WORKDAY_MARKERS",
    "BusinessCalendar",
    "BusinessHours",
    "DeadlineInfo",
    "Duration",
    "DurationKind",
    "ExpiryWatch",
    "MissingDependency",
    "Pause",
    "Schedule",
    "business_hours",
    "calendar_days",
    "expiry_message",
    "hours",
    "load_schedule",
    "working_days",
]
