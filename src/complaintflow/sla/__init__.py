"""SLA math: business calendars, durations, policies and the state of a
complaint's targets (``docs/design.md``, "The SLA contract").

A :class:`BusinessCalendar` knows the working days and business hours of one
time zone; a :class:`Duration` says how long a target may run and in which
measure. ``cal.add(start, working_days(7))`` is the guide's §3.3.5 follow-up
deadline.
"""

from complaintflow._sla_state import (
    SlaAlert,
    SlaReport,
    SlaState,
    TargetRecord,
    TargetReport,
    TargetStateName,
)
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
from complaintflow.sla._policy import (
    GUIDE_POLICY,
    PACKS,
    START_ANCHORS,
    PackInfo,
    SlaPolicy,
    SlaTarget,
    pack_info,
)
from complaintflow.sla._presets import MissingDependency

__all__ = [
    "DEFAULT_HORIZON",
    "GUIDE_POLICY",
    "PACKS",
    "START_ANCHORS",
    "WORKDAY_MARKERS",
    "BusinessCalendar",
    "BusinessHours",
    "DeadlineInfo",
    "Duration",
    "DurationKind",
    "ExpiryWatch",
    "MissingDependency",
    "PackInfo",
    "Pause",
    "Schedule",
    "SlaAlert",
    "SlaPolicy",
    "SlaReport",
    "SlaState",
    "SlaTarget",
    "TargetRecord",
    "TargetReport",
    "TargetStateName",
    "business_hours",
    "calendar_days",
    "expiry_message",
    "hours",
    "load_schedule",
    "pack_info",
    "working_days",
]
